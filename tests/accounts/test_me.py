from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.accounts.models import User
from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.fakes.smtp import Mailbox
from tests.taskqueue import run_jobs


async def test_me_shows_my_account_with_a_masked_phone(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, phone="+919876543210", phone_verified=True)

    response = await api.get("/v1/me", headers=person.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(person.id)
    assert body["phone"] == "+91 98XXXXXX10"
    assert body["role"] == "user"
    assert body["onboarding_completed"] is False
    assert "password_hash" not in body
    assert "totp_secret" not in body


async def test_updating_the_name(api: AsyncClient, session: AsyncSession, runtime: Runtime) -> None:
    person = await make_user(session, runtime)

    response = await api.patch(
        "/v1/me",
        headers=person.headers | {"If-Match": '"1"'},
        json={"full_name": "  Anjali   Menon "},
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Anjali Menon"
    assert response.json()["version"] == 2
    stale = await api.patch(
        "/v1/me", headers=person.headers | {"If-Match": '"1"'}, json={"full_name": "Someone Else"}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "admin"},
        {"email_verified": True},
        {"id": "x"},
        {"status": "active"},
        {"full_name": "<b>Bold</b>"},
        {"full_name": 42},
        {"email": "nope"},
    ],
)
async def test_me_refuses_server_owned_and_invalid_fields(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, body: dict[str, object]
) -> None:
    person = await make_user(session, runtime)
    response = await api.patch("/v1/me", headers=person.headers, json=body)
    assert response.status_code == 422
    await session.refresh(person.user)
    assert person.user.version == 1


async def test_changing_the_email_takes_effect_once_verified(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    old = person.email

    response = await api.patch(
        "/v1/me", headers=person.headers, json={"email": "New.Address@Example.in"}
    )
    await run_jobs(connection)

    assert response.status_code == 200
    assert response.json()["email"] == old
    assert response.json()["pending_email"] == "new.address@example.in"
    assert "changing" in mailbox.last(old).subject
    token = mailbox.last("new.address@example.in").token()
    confirmed = await api.post("/v1/auth/verify-email", json={"token": token})
    await run_jobs(connection)
    assert confirmed.status_code == 200
    me = (await api.get("/v1/me", headers=person.headers)).json()
    assert me["email"] == "new.address@example.in"
    assert me["email_verified"] is True
    assert me["pending_email"] is None
    assert "was changed" in mailbox.last(old).subject


async def test_email_change_to_a_taken_address_changes_nothing(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    other = await make_user(session, runtime)

    response = await api.patch("/v1/me", headers=person.headers, json={"email": other.email})
    await run_jobs(connection)

    assert response.status_code == 200  # the same answer as for a free address
    assert "tried to use your address" in mailbox.last(other.email).subject
    user = await session.scalar(select(User).where(User.id == person.id))
    assert user is not None
    assert user.email == person.email


async def test_email_change_link_fails_if_the_address_was_taken_meanwhile(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    await api.patch("/v1/me", headers=person.headers, json={"email": "wanted@example.in"})
    await run_jobs(connection)
    token = mailbox.last("wanted@example.in").token()
    await make_user(session, runtime, email="wanted@example.in")

    response = await api.post("/v1/auth/verify-email", json={"token": token})

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert (
        await session.scalar(text("SELECT email FROM users WHERE id = :id"), {"id": person.id})
        == person.email
    )
