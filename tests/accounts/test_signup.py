from __future__ import annotations

import asyncio

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.accounts.models import User
from tests.conftest import LiveDatabase
from tests.fakes.smtp import Mailbox
from tests.taskqueue import run_jobs

SIGNUP = "/v1/auth/signup"


def signup_body(**overrides: object) -> dict[str, object]:
    return {
        "email": "meera.nair@example.in",
        "password": "Backwaters-2026",
        "full_name": "Meera Nair",
    } | overrides


async def test_sign_up_creates_the_account_and_everything_it_starts_with(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection
) -> None:
    response = await api.post(SIGNUP, json=signup_body(email="  Meera.Nair@Example.IN "))

    assert response.status_code == 202
    user = await session.scalar(select(User).where(User.email == "meera.nair@example.in"))
    assert user is not None
    assert user.email_verified is False
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert user.full_name == "Meera Nair"
    for table in ("profiles", "onboarding", "notification_preferences", "calendar_settings"):
        count = await session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE user_id = :id"), {"id": user.id}
        )
        assert count == 1, table
    assert await run_jobs(connection) == ["accounts.send_verification_email"]


async def test_the_json_verification_link_verifies_the_address_once(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, mailbox: Mailbox
) -> None:
    """The mail opens an HTML page (test_link_pages.py); clients may still GET the JSON one."""
    await api.post(SIGNUP, json=signup_body())
    await run_jobs(connection)
    token = mailbox.last("meera.nair@example.in").token()

    first = await api.get("/v1/auth/verify-email", params={"token": token})
    second = await api.get("/v1/auth/verify-email", params={"token": token})

    assert first.status_code == 200
    assert first.json() == {"status": "verified"}
    assert second.status_code == 400
    assert second.json()["code"] == "invalid_token"
    user = await session.scalar(select(User).where(User.email == "meera.nair@example.in"))
    assert user is not None
    assert user.email_verified is True


async def test_expired_verification_link_is_refused(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, mailbox: Mailbox
) -> None:
    await api.post(SIGNUP, json=signup_body())
    await run_jobs(connection)
    await session.execute(text("UPDATE email_tokens SET expires_at = now() - interval '1 second'"))
    await session.commit()

    response = await api.post(
        "/v1/auth/verify-email", json={"token": mailbox.last("meera.nair@example.in").token()}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


async def test_sign_up_answers_the_same_for_a_registered_address(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, mailbox: Mailbox
) -> None:
    first = await api.post(SIGNUP, json=signup_body())
    await run_jobs(connection)
    mailbox.clear()

    again = await api.post(SIGNUP, json=signup_body(password="Another-pass-99"))

    assert again.status_code == first.status_code == 202
    assert again.json() == first.json()
    assert set(again.headers) - {
        "x-request-id",
        "x-ratelimit-reset",
        "x-ratelimit-remaining",
    } == set(first.headers) - {"x-request-id", "x-ratelimit-reset", "x-ratelimit-remaining"}
    assert await session.scalar(select(func.count()).select_from(User)) == 1
    await run_jobs(connection)
    notice = mailbox.last("meera.nair@example.in")
    assert "tried to create" in notice.body
    assert "token=" not in notice.body


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1", "invalid_length"),
        ("x" * 120 + "1" * 9, "invalid_length"),
        ("onlyletters", "invalid_format"),
        ("1234567890", "invalid_format"),
        ("password1", "not_allowed"),
    ],
)
async def test_sign_up_enforces_the_password_rules(
    api: AsyncClient, session: AsyncSession, password: str, code: str
) -> None:
    response = await api.post(SIGNUP, json=signup_body(password=password))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["field"] == "password"
    assert body["errors"][0]["code"] == code
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_password_may_not_be_the_email_address(api: AsyncClient) -> None:
    response = await api.post(
        SIGNUP, json=signup_body(email="kochi2026@example.in", password="Kochi2026@example.in")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "not_allowed"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"email": "not-an-email"}, "email", "invalid_format"),
        ({"email": "a" * 250 + "@example.in"}, "email", "invalid_format"),
        ({"email": None}, "email", "invalid_format"),
        ({"email": 12345}, "email", "invalid_format"),
        ({"full_name": "<script>alert(1)</script>"}, "full_name", "invalid_format"),
        ({"full_name": "Robert'); DROP TABLE users;--"}, "full_name", "invalid_format"),
        ({"full_name": "M"}, "full_name", "invalid_length"),
        ({"full_name": "Meera\u0000Nair"}, "full_name", "invalid_format"),
        ({"role": "admin"}, "role", "not_allowed"),
        ({"email_verified": True}, "email_verified", "not_allowed"),
    ],
)
async def test_sign_up_refuses_hostile_and_invalid_input(
    api: AsyncClient, session: AsyncSession, body: dict[str, object], field: str, code: str
) -> None:
    response = await api.post(SIGNUP, json=signup_body(**body))

    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {"field": field, "code": code} == {k: problem["errors"][0][k] for k in ("field", "code")}
    assert problem["request_id"] == response.headers["x-request-id"]
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_names_in_indian_scripts_are_accepted(
    api: AsyncClient, session: AsyncSession
) -> None:
    response = await api.post(SIGNUP, json=signup_body(full_name="മീര നായർ"))
    assert response.status_code == 202
    assert await session.scalar(select(User.full_name)) == "മീര നായർ"


async def test_verification_mail_can_be_resent_five_times_an_hour(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: object
) -> None:
    from tests.factories import make_user

    person = await make_user(session, runtime, email_verified=False)  # type: ignore[arg-type]
    statuses = []
    for _ in range(6):
        statuses.append(
            (await api.post("/v1/auth/verify-email/resend", headers=person.headers)).status_code
        )
        await run_jobs(connection)

    assert statuses == [202] * 5 + [429]


@pytest.mark.live
async def test_thirty_parallel_sign_ups_with_one_address_make_one_account(
    live: LiveDatabase,
) -> None:
    live.configure(trusted_proxy_hops=1)
    responses = await asyncio.gather(
        *[
            live.api.post(
                SIGNUP,
                json=signup_body(password=f"Parallel-pass-{n}"),
                headers={"X-Forwarded-For": f"10.1.0.{n}"},
            )
            for n in range(30)
        ]
    )

    assert {response.status_code for response in responses} == {202}
    assert await live.scalar("SELECT count(*) FROM users") == 1
    assert await live.scalar("SELECT count(*) FROM profiles") == 1
    assert (
        await live.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = "
            "'accounts.send_verification_email'"
        )
        == 1
    )
