"""Less travelled paths of the sign-in flows: races, stale links, unreachable providers."""

from __future__ import annotations

import httpx
import pyotp
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import AccountStatus, Role
from tests.conftest import Harness, _savepoint_sessionmaker
from tests.factories import make_user
from tests.fakes.gateways import SmsGateway
from tests.fakes.google import FakeGoogle
from tests.fakes.smtp import Mailbox
from tests.taskqueue import run_jobs


async def test_a_replaced_email_change_link_no_longer_works(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    await api.patch("/v1/me", headers=person.headers, json={"email": "first@example.in"})
    await run_jobs(connection)
    first_token = mailbox.last("first@example.in").token()
    await api.patch("/v1/me", headers=person.headers, json={"email": "second@example.in"})
    await run_jobs(connection)

    stale = await api.post("/v1/auth/verify-email", json={"token": first_token})

    assert stale.status_code == 400
    assert (await api.get("/v1/me", headers=person.headers)).json()["email"] == person.email


async def test_a_verification_link_for_an_old_address_does_nothing(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime, email_verified=False)
    await api.post("/v1/auth/verify-email/resend", headers=person.headers)
    await run_jobs(connection)
    token = mailbox.last(person.email).token()
    await session.execute(
        text("UPDATE users SET email = 'moved@example.in' WHERE id = :id"), {"id": person.id}
    )
    await session.commit()

    response = await api.post("/v1/auth/verify-email", json={"token": token})

    assert response.status_code == 400
    assert (
        await session.scalar(
            text("SELECT email_verified FROM users WHERE id = :id"), {"id": person.id}
        )
        is False
    )


async def test_verified_users_get_no_new_verification_mail(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    response = await api.post("/v1/auth/verify-email/resend", headers=person.headers)
    await run_jobs(connection)
    assert response.status_code == 202
    assert mailbox.to(person.email) == []


async def test_suspended_numbers_cannot_sign_in_by_code(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    sms_gateway: SmsGateway,
) -> None:
    person = await make_user(session, runtime, phone="+919000011111", phone_verified=True)
    person.user.status = AccountStatus.SUSPENDED
    await session.commit()
    await api.post("/v1/auth/otp/request", json={"phone": "+919000011111"})
    await run_jobs(connection)

    response = await api.post(
        "/v1/auth/otp/verify",
        json={"phone": "+919000011111", "code": sms_gateway.codes_for("+919000011111")[-1]},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "account_suspended"


async def test_asking_again_for_an_already_verified_number_sends_nothing(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    sms_gateway: SmsGateway,
) -> None:
    person = await make_user(session, runtime, phone="+919000022222", phone_verified=True)
    response = await api.post(
        "/v1/me/phone", headers=person.headers, json={"phone": "+919000022222"}
    )
    await run_jobs(connection)
    assert response.status_code == 202
    assert sms_gateway.codes_for("+919000022222") == []


async def test_phone_users_with_a_second_factor_get_the_challenge(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    sms_gateway: SmsGateway,
) -> None:
    person = await make_user(
        session, runtime, phone="+919000033333", phone_verified=True, totp=True
    )
    await api.post("/v1/auth/otp/request", json={"phone": "+919000033333"})
    await run_jobs(connection)
    challenge = await api.post(
        "/v1/auth/otp/verify",
        json={"phone": "+919000033333", "code": sms_gateway.codes_for("+919000033333")[-1]},
    )
    assert challenge.json()["mfa_required"] is True
    assert person.totp_secret
    done = await api.post(
        "/v1/auth/login/mfa",
        json={
            "mfa_token": challenge.json()["mfa_token"],
            "code": pyotp.TOTP(person.totp_secret).now(),
        },
    )
    assert done.status_code == 200
    sessions = (
        await api.get(
            "/v1/me/sessions", headers={"Authorization": f"Bearer {done.json()['access_token']}"}
        )
    ).json()["items"]
    assert {item["method"] for item in sessions} == {"password", "phone"}


async def test_google_keys_that_cannot_be_fetched_mean_503(
    harness: Harness, connection: AsyncConnection, google: FakeGoogle
) -> None:
    settings = harness.settings.model_copy(update={"google_jwks_url": "http://127.0.0.1:9/c"})
    client = harness.client(harness.runtime(_savepoint_sessionmaker(connection), settings=settings))
    response = await client.post(
        "/v1/auth/google/token", json={"id_token": google.id_token(sub="g-1", email="a@gmail.com")}
    )
    assert response.status_code == 503


async def test_google_keys_are_cached(api: AsyncClient, google: FakeGoogle) -> None:
    before = google.jwks_requests
    for n in range(3):
        await api.post(
            "/v1/auth/google/token",
            json={"id_token": google.id_token(sub=f"g-cache-{n}", email=f"c{n}@gmail.com")},
        )
    assert google.jwks_requests - before == 1


async def test_malformed_google_tokens_are_refused(api: AsyncClient) -> None:
    response = await api.post("/v1/auth/google/token", json={"id_token": "x" * 40})
    assert response.status_code == 401


async def test_an_unreachable_google_token_endpoint_means_503(
    harness: Harness, connection: AsyncConnection
) -> None:
    settings = harness.settings.model_copy(update={"google_token_url": "http://127.0.0.1:9/t"})
    client = harness.client(harness.runtime(_savepoint_sessionmaker(connection), settings=settings))
    state = (await client.get("/v1/auth/google/authorize")).json()["state"]
    response = await client.post("/v1/auth/google/callback", json={"code": "c", "state": state})
    assert response.status_code == 503


async def test_suspended_google_users_cannot_sign_in(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, google: FakeGoogle
) -> None:
    person = await make_user(session, runtime)
    person.user.status = AccountStatus.SUSPENDED
    await session.commit()
    response = await api.post(
        "/v1/auth/google/token",
        json={"id_token": google.id_token(sub="g-susp", email=person.email)},
    )
    assert response.status_code == 403


async def test_second_factor_misuse_is_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    confirm = await api.post("/v1/me/totp/confirm", headers=person.headers, json={"code": "123456"})
    regenerate = await api.post(
        "/v1/me/totp/recovery-codes", headers=person.headers, json={"code": "123456"}
    )
    disable = await api.post("/v1/me/totp/disable", headers=person.headers, json={"code": "123456"})
    assert confirm.status_code == regenerate.status_code == disable.status_code == 409
    started = await api.post("/v1/me/totp", headers=person.headers)
    wrong = await api.post(
        "/v1/me/totp/confirm",
        headers=person.headers,
        json={
            "code": "000000" if pyotp.TOTP(started.json()["secret"]).now() != "000000" else "111111"
        },
    )
    assert wrong.status_code == 400


async def test_granting_the_role_someone_has_changes_nothing(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    target = await make_user(session, runtime)
    response = await api.put(
        f"/v1/admin/users/{target.id}/role",
        headers=admin.headers,
        json={"role": "user", "reason": "No change needed"},
    )
    assert response.status_code == 200
    assert (await api.get("/v1/me", headers=target.headers)).status_code == 200
    assert await session.scalar(text("SELECT count(*) FROM audit_log")) == 0


async def test_purging_before_the_cooling_off_ends_does_nothing(
    session: AsyncSession, runtime: Runtime, api: AsyncClient
) -> None:
    from getmygrapher.core.tasks import run_task

    person = await make_user(session, runtime)
    await api.request("DELETE", "/v1/me", headers=person.headers, json={"confirm": "DELETE"})
    await run_task("accounts.purge_account", {"user_id": str(person.id)})
    assert (
        await session.scalar(text("SELECT status FROM users WHERE id = :id"), {"id": person.id})
        == "pending_deletion"
    )


async def test_an_sms_gateway_that_refuses_makes_the_job_fail_for_a_retry(
    harness: Harness, connection: AsyncConnection, sms_gateway: SmsGateway
) -> None:
    import pytest

    from getmygrapher.core.sms import HttpSms

    runtime = harness.runtime(_savepoint_sessionmaker(connection))
    runtime.sms = HttpSms(
        runtime.http,
        url=f"{sms_gateway.url}/send",  # type: ignore[attr-defined]
        api_key="wrong",
        sender_id="X",
        entity_id="1",
        template_id="2",
    )
    client = harness.client(runtime)
    await client.post("/v1/auth/otp/request", json={"phone": "+919000044444"})
    with pytest.raises(httpx.HTTPStatusError):
        await run_jobs(connection)
