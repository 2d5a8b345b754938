from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.models import AuthSession
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import AccountStatus
from tests.factories import make_user
from tests.fakes.gateways import CaptchaService

LOGIN = "/v1/auth/login"


async def test_sign_in_returns_a_token_pair_for_the_right_password(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)

    response = await api.post(
        LOGIN,
        json={"email": person.email.upper(), "password": person.password},
        headers={"User-Agent": "GetMyGrapher/Android 3.1"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    me = await api.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == person.email
    stored = await session.get(AuthSession, body["session_id"])
    assert stored is not None
    assert stored.device == "GetMyGrapher/Android 3.1"


async def test_wrong_password_and_unknown_address_fail_alike(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)

    wrong = await api.post(LOGIN, json={"email": person.email, "password": "Wrong-pass-1"})
    unknown = await api.post(LOGIN, json={"email": "nobody@example.in", "password": "Wrong-pass-1"})

    assert wrong.status_code == unknown.status_code == 401
    strip = {"request_id"}
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    assert wrong.json()["code"] == "invalid_credentials"


async def test_unverified_users_may_sign_in(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, email_verified=False)
    response = await api.post(LOGIN, json={"email": person.email, "password": person.password})
    assert response.status_code == 200


async def test_five_failures_lock_the_account_out_for_a_while(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    statuses = []
    for n in range(5):
        response = await api.post(
            LOGIN, json={"email": person.email, "password": f"Wrong-pass-{n}"}
        )
        statuses.append(response.status_code)

    locked = await api.post(LOGIN, json={"email": person.email, "password": person.password})

    assert statuses == [401] * 5
    assert locked.status_code == 429
    assert locked.json()["code"] == "rate_limited"
    assert 0 < int(locked.headers["retry-after"]) <= 900


async def test_failures_from_one_network_are_limited_across_accounts(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    for n in range(5):
        await api.post(LOGIN, json={"email": f"guess{n}@example.in", "password": "Guess-123"})

    response = await api.post(LOGIN, json={"email": person.email, "password": person.password})

    assert response.status_code == 429


async def test_a_success_clears_the_failure_count(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    for _ in range(2):
        for n in range(4):
            await api.post(LOGIN, json={"email": person.email, "password": f"Wrong-{n}-pass"})
        ok = await api.post(LOGIN, json={"email": person.email, "password": person.password})
        assert ok.status_code == 200


async def test_captcha_is_required_after_three_failures(
    captcha_api: AsyncClient,
    session: AsyncSession,
    captcha_service: CaptchaService,
    runtime: Runtime,
) -> None:
    person = await make_user(session, runtime)
    for n in range(3):
        await captcha_api.post(LOGIN, json={"email": person.email, "password": f"Bad-pass-{n}"})

    without = await captcha_api.post(
        LOGIN, json={"email": person.email, "password": person.password}
    )
    unsolved = await captcha_api.post(
        LOGIN, json={"email": person.email, "password": person.password, "captcha_token": "robot"}
    )
    solved = await captcha_api.post(
        LOGIN,
        json={
            "email": person.email,
            "password": person.password,
            "captcha_token": "solved-captcha",
        },
    )

    assert without.status_code == 403
    assert without.json()["code"] == "captcha_required"
    assert without.json()["captcha_required"] is True
    assert unsolved.status_code == 403
    assert solved.status_code == 200


async def test_suspended_users_cannot_sign_in(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    person.user.status = AccountStatus.SUSPENDED
    await session.commit()

    response = await api.post(LOGIN, json={"email": person.email, "password": person.password})
    existing = await api.get("/v1/me", headers=person.headers)

    assert response.status_code == 403
    assert response.json()["code"] == "account_suspended"
    assert existing.status_code == 403
    assert existing.json()["code"] == "account_suspended"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.in"},
        {"email": "a@example.in", "password": ""},
        {"email": "a@example.in", "password": "x" * 129},
        {"email": "a@example.in", "password": ["list"]},
        {"email": "a@example.in", "password": "Pass-1234", "remember_me": True},
    ],
)
async def test_sign_in_validates_its_input(api: AsyncClient, body: dict[str, object]) -> None:
    response = await api.post(LOGIN, json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_sign_in_with_sql_in_the_address_is_just_invalid(
    api: AsyncClient, session: AsyncSession
) -> None:
    response = await api.post(
        LOGIN, json={"email": "' OR 1=1 --@example.in", "password": "x' OR '1'='1"}
    )
    assert response.status_code in {401, 422}
    assert await session.scalar(text("SELECT count(*) FROM auth_sessions")) == 0


async def test_signing_in_records_the_session(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await api.post(LOGIN, json={"email": person.email, "password": person.password})
    sessions = (
        await session.scalars(select(AuthSession).where(AuthSession.user_id == person.id))
    ).all()
    assert len(sessions) == 2
