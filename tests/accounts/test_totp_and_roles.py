from __future__ import annotations

import pyotp
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from tests.factories import make_user


async def _enrol(api: AsyncClient, headers: dict[str, str]) -> tuple[pyotp.TOTP, list[str]]:
    started = await api.post("/v1/me/totp", headers=headers)
    assert started.status_code == 200
    totp = pyotp.TOTP(started.json()["secret"])
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/GetMyGrapher:")
    confirmed = await api.post("/v1/me/totp/confirm", headers=headers, json={"code": totp.now()})
    assert confirmed.status_code == 200
    return totp, confirmed.json()["recovery_codes"]


async def _password_step(api: AsyncClient, email: str, password: str) -> str:
    response = await api.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200
    assert response.json()["mfa_required"] is True
    assert "access_token" not in response.json()
    return str(response.json()["mfa_token"])


async def test_enrolled_users_need_the_second_step(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    _, codes = await _enrol(api, person.headers)
    assert len(codes) == 10
    assert len(set(codes)) == 10

    mfa_token = await _password_step(api, person.email, person.password)
    secret = await session.scalar(
        text("SELECT totp_secret FROM users WHERE id = :id"), {"id": person.id}
    )
    totp = pyotp.TOTP(runtime.clients["accounts"].fernet.decrypt(secret).decode())
    wrong = await api.post(
        "/v1/auth/login/mfa",
        json={"mfa_token": mfa_token, "code": "000000" if totp.now() != "000000" else "111111"},
    )
    # The code used at enrolment cannot be replayed; wait for the next one by using a recovery code.
    recovered = await api.post(
        "/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": codes[0]}
    )
    reused = await api.post("/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": codes[0]})

    assert wrong.status_code == 400
    assert recovered.status_code == 200
    assert "access_token" in recovered.json()
    assert reused.status_code == 400


async def test_a_totp_code_is_accepted_only_once(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, totp=True)
    assert person.totp_secret
    code = pyotp.TOTP(person.totp_secret).now()
    mfa_token = await _password_step(api, person.email, person.password)

    first = await api.post("/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})
    replay = await api.post("/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})

    assert first.status_code == 200
    assert replay.status_code == 400


async def test_the_mfa_token_is_not_an_access_token(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, totp=True)
    mfa_token = await _password_step(api, person.email, person.password)
    response = await api.get("/v1/me", headers={"Authorization": f"Bearer {mfa_token}"})
    assert response.status_code == 401


async def test_users_can_turn_the_second_factor_off_but_staff_cannot(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, totp=True)
    moderator = await make_user(session, runtime, totp=True, role=Role.MODERATOR)
    assert person.totp_secret
    assert moderator.totp_secret

    refused = await api.post(
        "/v1/me/totp/disable",
        headers=moderator.headers,
        json={"code": pyotp.TOTP(moderator.totp_secret).now()},
    )
    disabled = await api.post(
        "/v1/me/totp/disable",
        headers=person.headers,
        json={"code": pyotp.TOTP(person.totp_secret).now()},
    )

    assert refused.status_code == 403
    assert disabled.status_code == 204
    login = await api.post(
        "/v1/auth/login", json={"email": person.email, "password": person.password}
    )
    assert "access_token" in login.json()


async def test_recovery_codes_can_be_regenerated(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    _, old_codes = await _enrol(api, person.headers)

    fresh = await api.post(
        "/v1/me/totp/recovery-codes", headers=person.headers, json={"code": old_codes[1]}
    )

    assert fresh.status_code == 200
    mfa_token = await _password_step(api, person.email, person.password)
    stale = await api.post(
        "/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": old_codes[2]}
    )
    new = await api.post(
        "/v1/auth/login/mfa",
        json={"mfa_token": mfa_token, "code": fresh.json()["recovery_codes"][0]},
    )
    assert stale.status_code == 400
    assert new.status_code == 200


async def test_enrolment_cannot_start_twice(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime, totp=True)
    response = await api.post("/v1/me/totp", headers=person.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "totp_already_enabled"


async def test_staff_endpoints_need_the_role_and_a_second_factor(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    target = await make_user(session, runtime)
    user = await make_user(session, runtime)
    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)
    admin_without_totp = await make_user(session, runtime, role=Role.ADMIN)
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    body = {"role": "moderator", "reason": "Trusted community member"}
    url = f"/v1/admin/users/{target.id}/role"

    anonymous = await api.put(url, json=body)
    as_user = await api.put(url, json=body, headers=user.headers)
    as_moderator = await api.put(url, json=body, headers=moderator.headers)
    no_totp = await api.put(url, json=body, headers=admin_without_totp.headers)
    granted = await api.put(url, json=body, headers=admin.headers)

    assert anonymous.status_code == 401
    assert as_user.status_code == 403
    assert as_moderator.status_code == 403
    assert no_totp.status_code == 403
    assert no_totp.json()["code"] == "mfa_required"
    assert granted.status_code == 200
    assert granted.json()["role"] == "moderator"
    # A role change ends the target's sessions so the new role applies at once.
    assert (await api.get("/v1/me", headers=target.headers)).status_code == 401
    audit = (
        await session.execute(
            text("SELECT actor_id, reason, data FROM audit_log WHERE action = 'user.role_changed'")
        )
    ).one()
    assert audit.actor_id == admin.id
    assert audit.reason == "Trusted community member"
    assert audit.data == {"previous": "user", "role": "moderator"}
    missing = await api.put(
        "/v1/admin/users/00000000-0000-0000-0000-000000000000/role",
        json=body,
        headers=admin.headers,
    )
    assert missing.status_code == 404


async def test_enrolling_totp_confirms_the_current_session(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN)
    target = await make_user(session, runtime)
    body = {"role": "moderator", "reason": "Needed for review queue"}

    before = await api.put(f"/v1/admin/users/{target.id}/role", json=body, headers=admin.headers)
    await _enrol(api, admin.headers)
    after = await api.put(f"/v1/admin/users/{target.id}/role", json=body, headers=admin.headers)

    assert before.status_code == 403
    assert after.status_code == 200
