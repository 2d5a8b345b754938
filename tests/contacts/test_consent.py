from __future__ import annotations

import asyncio
import uuid

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.tasks import run_task
from tests.conftest import LiveDatabase
from tests.factories import Person, make_user
from tests.profiles.helpers import make_professional

PHONE = "+919812345601"


async def ask(
    api: AsyncClient, requester: Person, recipient_id: object, *fields: str, key: str | None = None
) -> object:
    return await api.post(
        "/v1/contact-requests",
        headers=requester.headers | {"Idempotency-Key": key or uuid.uuid4().hex},
        json={"recipient_id": str(recipient_id), "fields": list(fields), "note": "For a wedding"},
    )


async def test_details_flow_only_after_acceptance_and_stop_on_revocation(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE, whatsapp_phone="+919812345699")
    client = await make_user(session, runtime, phone="+919876500001", phone_verified=True)

    before = (await api.get(f"/v1/contacts/{pro.id}", headers=client.headers)).json()
    asked = await ask(api, client, pro.id, "phone", "whatsapp", "email")
    answered = await api.post(
        f"/v1/contact-requests/{asked.json()['id']}/respond",
        headers=pro.headers,
        json={"accept": ["phone", "whatsapp"]},
    )
    seen_by_client = (await api.get(f"/v1/contacts/{pro.id}", headers=client.headers)).json()
    seen_by_pro = (await api.get(f"/v1/contacts/{client.id}", headers=pro.headers)).json()

    assert before == {"user_id": str(pro.id), "phone": None, "email": None, "whatsapp": None}
    assert asked.status_code == 201
    assert answered.json()["status"] == "accepted"
    assert answered.json()["shared"]["phone"] == "+919876500001"  # the other side's, not own
    assert seen_by_client["phone"] == PHONE
    assert seen_by_client["whatsapp"] == "+919812345699"
    assert seen_by_client["email"] is None  # not accepted
    assert seen_by_pro["phone"] == "+919876500001"  # shared in return

    revoked = await api.post(
        f"/v1/contacts/{client.id}/revoke", headers=pro.headers, json={"fields": ["phone"]}
    )
    after = (await api.get(f"/v1/contacts/{pro.id}", headers=client.headers)).json()
    assert revoked.json() == {"revoked": ["phone"]}
    assert after["phone"] is None
    assert after["whatsapp"] == "+919812345699"
    timeline = (await api.get(f"/v1/contacts/{pro.id}/timeline", headers=client.headers)).json()[
        "items"
    ]
    other_side = (await api.get(f"/v1/contacts/{client.id}/timeline", headers=pro.headers)).json()[
        "items"
    ]
    assert [e["action"] for e in timeline] == ["revoked", "accepted", "requested"]
    assert timeline == other_side


async def test_declining_shares_nothing(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE)
    client = await make_user(session, runtime)
    asked = await ask(api, client, pro.id, "phone")
    declined = await api.post(
        f"/v1/contact-requests/{asked.json()['id']}/respond",
        headers=pro.headers,
        json={"decline": True},
    )
    again = await api.post(
        f"/v1/contact-requests/{asked.json()['id']}/respond",
        headers=pro.headers,
        json={"accept": ["phone"]},
    )
    assert declined.json()["status"] == "declined"
    assert again.status_code == 409
    assert (await api.get(f"/v1/contacts/{pro.id}", headers=client.headers)).json()["phone"] is None


async def test_one_pending_request_per_pair_either_way(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE)
    client = await make_professional(session, runtime, phone="+919812345603")

    first = await ask(api, client, pro.id, "phone")
    second = await ask(api, client, pro.id, "email")
    reverse = await ask(api, pro, client.id, "email")

    assert first.status_code == 201
    assert second.status_code == reverse.status_code == 409
    assert second.json()["code"] == "contact_request_pending"
    cancelled = await api.post(
        f"/v1/contact-requests/{first.json()['id']}/cancel", headers=client.headers
    )
    assert cancelled.json()["status"] == "cancelled"
    assert (await ask(api, client, pro.id, "email")).status_code == 201


async def test_only_the_right_party_answers_or_cancels(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE)
    client = await make_user(session, runtime)
    stranger = await make_user(session, runtime)
    request_id = (await ask(api, client, pro.id, "phone")).json()["id"]

    own_answer = await api.post(
        f"/v1/contact-requests/{request_id}/respond",
        headers=client.headers,
        json={"accept": ["phone"]},
    )
    stranger_answer = await api.post(
        f"/v1/contact-requests/{request_id}/respond",
        headers=stranger.headers,
        json={"accept": ["phone"]},
    )
    recipient_cancel = await api.post(
        f"/v1/contact-requests/{request_id}/cancel", headers=pro.headers
    )
    unasked_field = await api.post(
        f"/v1/contact-requests/{request_id}/respond",
        headers=pro.headers,
        json={"accept": ["email"]},
    )
    both = await api.post(
        f"/v1/contact-requests/{request_id}/respond",
        headers=pro.headers,
        json={"accept": ["phone"], "decline": True},
    )

    assert own_answer.status_code == stranger_answer.status_code == 404
    assert recipient_cancel.status_code == 404
    assert unasked_field.status_code == both.status_code == 422


async def test_requests_need_a_verified_account_a_visible_profile_and_a_key(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE)
    private = await make_professional(session, runtime, visibility="private", phone="+919812345602")
    unverified = await make_user(session, runtime, email_verified=False)
    client = await make_user(session, runtime)

    no_key = await api.post(
        "/v1/contact-requests",
        headers=client.headers,
        json={"recipient_id": str(pro.id), "fields": ["phone"]},
    )
    not_verified = await ask(api, unverified, pro.id, "phone")
    hidden = await ask(api, client, private.id, "phone")
    nobody = await ask(api, client, uuid.uuid4(), "phone")
    myself = await ask(api, client, client.id, "phone")
    bad_field = await ask(api, client, pro.id, "aadhaar")
    twice = await ask(api, client, pro.id, "phone", "phone")

    assert no_key.status_code == 422
    assert not_verified.status_code == 403
    assert hidden.status_code == nobody.status_code == 404
    assert myself.status_code == bad_field.status_code == twice.status_code == 422


async def test_a_profile_contact_request_asks_for_one_method(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE)
    client = await make_user(session, runtime)
    headers = client.headers | {"Idempotency-Key": "crq-1"}
    url = f"/v1/profiles/{pro.id}/contact-requests"

    created = await api.post(url, headers=headers, json={"method": "whatsapp", "note": "Hi"})
    replay = await api.post(url, headers=headers, json={"method": "whatsapp", "note": "Hi"})

    assert created.status_code == replay.status_code == 201
    assert replay.json()["id"] == created.json()["id"]
    assert created.json()["fields"] == ["whatsapp"]
    received = (
        await api.get("/v1/me/contact-requests", params={"box": "received"}, headers=pro.headers)
    ).json()["items"]
    sent = (
        await api.get("/v1/me/contact-requests", params={"box": "sent"}, headers=client.headers)
    ).json()["items"]
    assert [r["id"] for r in received] == [r["id"] for r in sent] == [created.json()["id"]]


async def test_requests_expire_after_seven_days(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE)
    client = await make_user(session, runtime)
    request_id = (await ask(api, client, pro.id, "phone")).json()["id"]
    await session.execute(
        text("UPDATE contact_requests SET expires_at = now() - interval '1 minute'")
    )
    await session.commit()

    listed = (
        await api.get("/v1/me/contact-requests", params={"box": "received"}, headers=pro.headers)
    ).json()["items"]
    await run_task("contacts.expire_requests", {"timestamp": 0})
    late = await api.post(
        f"/v1/contact-requests/{request_id}/respond",
        headers=pro.headers,
        json={"accept": ["phone"]},
    )

    assert listed[0]["status"] == "expired"  # the clock decides, before any job runs
    assert await session.scalar(text("SELECT status FROM contact_requests")) == "expired"
    assert late.status_code == 409
    events = (
        await session.execute(text("SELECT action, actor_id FROM contact_events ORDER BY at"))
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [("requested", client.id), ("expired", None)]
    assert (await ask(api, client, pro.id, "phone")).status_code == 201


async def test_twenty_requests_a_day(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    client = await make_user(session, runtime)
    pros = [await make_professional(session, runtime, phone=f"+91981230{n:04d}") for n in range(21)]
    statuses = []
    for pro in pros:
        statuses.append((await ask(api, client, pro.id, "email")).status_code)
    assert statuses == [201] * 20 + [429]


async def test_the_sweep_expires_only_what_is_due(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, phone=PHONE)
    client = await make_user(session, runtime)
    await ask(api, client, pro.id, "phone")
    await run_task("contacts.expire_requests", {"timestamp": 0})
    assert await session.scalar(text("SELECT status FROM contact_requests")) == "pending"


async def test_parallel_requests_for_one_pair_leave_one_pending(live: LiveDatabase) -> None:
    async with live.sessionmaker() as session:
        pro = await make_professional(session, live.runtime, phone=PHONE)
        client = await make_user(session, live.runtime)

    responses = await asyncio.gather(*[ask(live.api, client, pro.id, "phone") for _ in range(20)])

    assert sorted(r.status_code for r in responses) == [201] + [409] * 19
    assert await live.scalar("SELECT count(*) FROM contact_requests") == 1
