from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.fakes.gateways import SmsGateway
from tests.taskqueue import run_jobs

REQUEST, VERIFY = "/v1/auth/otp/request", "/v1/auth/otp/verify"
PHONE = "+919847012345"


async def _backdate_codes(session: AsyncSession, seconds: int = 61) -> None:
    await session.execute(
        text(f"UPDATE phone_otps SET created_at = created_at - interval '{seconds} seconds'")
    )
    await session.commit()


async def test_phone_sign_in_creates_an_account_with_the_number_verified(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, sms_gateway: SmsGateway
) -> None:
    asked = await api.post(REQUEST, json={"phone": "98470 12345"})
    await run_jobs(connection)
    [code] = sms_gateway.codes_for(PHONE)

    response = await api.post(VERIFY, json={"phone": "+91-98470-12345", "code": code})

    assert asked.status_code == 202
    assert response.status_code == 200
    assert response.json()["created_account"] is True
    me = (
        await api.get(
            "/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
        )
    ).json()
    assert me["phone"] == "+91 98XXXXXX45"
    assert me["phone_verified"] is True
    stored = await session.scalar(text("SELECT code_hash FROM phone_otps"))
    assert stored != code
    assert len(stored) == 64
    assert sms_gateway.messages[0]["dlt_template_id"] == "1207"
    again = await api.post(VERIFY, json={"phone": PHONE, "code": code})
    assert again.status_code == 400


async def test_phone_sign_in_finds_the_existing_account(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    sms_gateway: SmsGateway,
) -> None:
    person = await make_user(session, runtime, phone=PHONE, phone_verified=True)
    await api.post(REQUEST, json={"phone": PHONE})
    await run_jobs(connection)

    response = await api.post(
        VERIFY, json={"phone": PHONE, "code": sms_gateway.codes_for(PHONE)[-1]}
    )

    assert response.status_code == 200
    assert response.json()["created_account"] is False
    me = await api.get(
        "/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["id"] == str(person.id)


async def test_five_wrong_codes_spend_the_code(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, sms_gateway: SmsGateway
) -> None:
    await api.post(REQUEST, json={"phone": PHONE})
    await run_jobs(connection)
    [code] = sms_gateway.codes_for(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    attempts = [await api.post(VERIFY, json={"phone": PHONE, "code": wrong}) for _ in range(5)]
    right = await api.post(VERIFY, json={"phone": PHONE, "code": code})

    assert [a.status_code for a in attempts] == [400] * 5
    assert attempts[0].json()["attempts_left"] == 4
    assert right.status_code == 429
    assert await session.scalar(text("SELECT attempts FROM phone_otps")) == 5


async def test_a_new_code_waits_a_minute_and_five_an_hour(
    api: AsyncClient, session: AsyncSession
) -> None:
    for _ in range(5):
        assert (await api.post(REQUEST, json={"phone": PHONE})).status_code == 202
        too_soon = await api.post(REQUEST, json={"phone": PHONE})
        assert too_soon.status_code == 429
        assert 0 < int(too_soon.headers["retry-after"]) <= 61
        await _backdate_codes(session)

    sixth = await api.post(REQUEST, json={"phone": PHONE})

    assert sixth.status_code == 429
    assert int(sixth.headers["retry-after"]) == 3600


async def test_ten_codes_a_day_per_number(api: AsyncClient, session: AsyncSession) -> None:
    await session.execute(
        text(
            "INSERT INTO phone_otps (phone, purpose, expires_at, created_at) "
            "SELECT :phone, 'sign_in', now(), now() - make_interval(hours => 2 + n) "
            "FROM generate_series(1, 10) AS n"
        ),
        {"phone": PHONE},
    )
    await session.commit()

    response = await api.post(REQUEST, json={"phone": PHONE})

    assert response.status_code == 429


@pytest.mark.parametrize(
    "phone",
    ["12345", "+9198470123456", "5847012345", "+449847012345", "98470abcde", "", 9847012345],
)
async def test_only_indian_mobiles_are_accepted(api: AsyncClient, phone: object) -> None:
    response = await api.post(REQUEST, json={"phone": phone})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "phone"


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", 123456])
async def test_codes_are_six_digits(api: AsyncClient, code: object) -> None:
    response = await api.post(VERIFY, json={"phone": PHONE, "code": code})
    assert response.status_code == 422


async def test_verifying_a_number_on_an_account(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    sms_gateway: SmsGateway,
) -> None:
    person = await make_user(session, runtime)

    asked = await api.post("/v1/me/phone", headers=person.headers, json={"phone": PHONE})
    await run_jobs(connection)
    verified = await api.post(
        "/v1/me/phone/verify",
        headers=person.headers,
        json={"code": sms_gateway.codes_for(PHONE)[-1]},
    )

    assert asked.status_code == 202
    assert verified.status_code == 200
    assert verified.json()["phone_verified"] is True
    changed = await api.post(
        "/v1/me/phone", headers=person.headers, json={"phone": "+919000000001"}
    )
    assert changed.status_code == 202
    me = (await api.get("/v1/me", headers=person.headers)).json()
    assert me["phone_verified"] is False
    assert me["phone"] == "+91 90XXXXXX01"


async def test_a_number_is_verified_on_one_account_only(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    await make_user(session, runtime, phone=PHONE, phone_verified=True)
    person = await make_user(session, runtime)

    response = await api.post("/v1/me/phone", headers=person.headers, json={"phone": PHONE})

    assert response.status_code == 409
    assert response.json()["code"] == "phone_taken"


async def test_wrong_code_for_my_number_counts_attempts(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    sms_gateway: SmsGateway,
) -> None:
    person = await make_user(session, runtime)
    await api.post("/v1/me/phone", headers=person.headers, json={"phone": PHONE})
    await run_jobs(connection)
    code = sms_gateway.codes_for(PHONE)[-1]

    response = await api.post(
        "/v1/me/phone/verify",
        headers=person.headers,
        json={"code": f"{(int(code) + 1) % 1_000_000:06d}"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert await session.scalar(text("SELECT attempts FROM phone_otps")) == 1
    me = (await api.get("/v1/me", headers=person.headers)).json()
    assert me["phone_verified"] is False


async def test_expired_codes_are_refused(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, sms_gateway: SmsGateway
) -> None:
    await api.post(REQUEST, json={"phone": PHONE})
    await run_jobs(connection)
    await session.execute(text("UPDATE phone_otps SET expires_at = now() - interval '1 s'"))
    await session.commit()

    response = await api.post(
        VERIFY, json={"phone": PHONE, "code": sms_gateway.codes_for(PHONE)[-1]}
    )

    assert response.status_code == 400
