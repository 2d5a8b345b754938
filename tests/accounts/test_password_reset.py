from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.fakes.smtp import Mailbox
from tests.taskqueue import run_jobs

FORGOT, RESET, LOGIN = "/v1/auth/password/forgot", "/v1/auth/password/reset", "/v1/auth/login"


async def test_reset_link_sets_a_new_password_and_ends_every_session(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)

    asked = await api.post(FORGOT, json={"email": person.email})
    await run_jobs(connection)
    token = mailbox.last(person.email).token()
    reset = await api.post(RESET, json={"token": token, "new_password": "Monsoon-rains-77"})
    await run_jobs(connection)

    assert asked.status_code == 202
    assert reset.status_code == 204
    assert (await api.get("/v1/me", headers=person.headers)).status_code == 401
    old = await api.post(LOGIN, json={"email": person.email, "password": person.password})
    new = await api.post(LOGIN, json={"email": person.email, "password": "Monsoon-rains-77"})
    assert old.status_code == 401
    assert new.status_code == 200
    assert "was just reset" in mailbox.last(person.email).body
    again = await api.post(RESET, json={"token": token, "new_password": "Another-one-88"})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"


async def test_forgot_password_answers_alike_for_unknown_addresses(
    api: AsyncClient,
    connection: AsyncConnection,
    session: AsyncSession,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    known = await api.post(FORGOT, json={"email": person.email})
    unknown = await api.post(FORGOT, json={"email": "stranger@example.in"})
    await run_jobs(connection)

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert mailbox.to("stranger@example.in") == []


async def test_reset_links_expire_after_an_hour(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    await api.post(FORGOT, json={"email": person.email})
    await run_jobs(connection)
    await session.execute(text("UPDATE email_tokens SET expires_at = now() - interval '1 minute'"))
    await session.commit()

    response = await api.post(
        RESET,
        json={"token": mailbox.last(person.email).token(), "new_password": "Monsoon-rains-77"},
    )

    assert response.status_code == 400


async def test_reset_enforces_password_rules(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    await api.post(FORGOT, json={"email": person.email})
    await run_jobs(connection)
    token = mailbox.last(person.email).token()

    weak = await api.post(RESET, json={"token": token, "new_password": "password"})
    same = await api.post(RESET, json={"token": token, "new_password": person.email.upper()})

    assert weak.status_code == 422
    assert same.status_code in {422}
    ok = await api.post(RESET, json={"token": token, "new_password": "Monsoon-rains-77"})
    assert ok.status_code == 204


async def test_reset_requests_are_rate_limited_per_network(api: AsyncClient) -> None:
    statuses = [
        (await api.post(FORGOT, json={"email": f"p{n}@example.in"})).status_code for n in range(6)
    ]
    assert statuses == [202] * 5 + [429]


async def test_changing_the_password_keeps_this_session_only(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    other = (
        await api.post(LOGIN, json={"email": person.email, "password": person.password})
    ).json()

    wrong = await api.post(
        "/v1/me/password",
        headers=person.headers,
        json={"current_password": "Nope-12345", "new_password": "Fresh-42-pass"},
    )
    changed = await api.post(
        "/v1/me/password",
        headers=person.headers,
        json={"current_password": person.password, "new_password": "Fresh-42-pass"},
    )
    await run_jobs(connection)

    assert wrong.status_code == 401
    assert changed.status_code == 204
    assert (await api.get("/v1/me", headers=person.headers)).status_code == 200
    assert (
        await api.get("/v1/me", headers={"Authorization": f"Bearer {other['access_token']}"})
    ).status_code == 401
    assert "changed" in mailbox.last(person.email).subject
