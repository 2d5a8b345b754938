from __future__ import annotations

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import IST
from tests.billing.helpers import deliver_all, start, subscribe, tier
from tests.conftest import Harness, _savepoint_sessionmaker
from tests.factories import make_user
from tests.fakes.razorpay import FakeRazorpay
from tests.fakes.smtp import Mailbox
from tests.taskqueue import run_jobs


async def test_a_subscription_is_pro_only_once_its_payment_is_verified(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)

    checkout = await start(api, person)

    assert checkout["key_id"] == "rzp_test_fakekey000001"
    assert checkout["amount_paise"] == 29_900
    assert checkout["subscription"]["status"] == "pending"
    [plan] = razorpay.plans.values()
    assert plan["period"] == "monthly"
    assert plan["item"]["amount"] == 29_900
    assert await tier(api, person) == "free"

    proof = razorpay.pay_subscription(checkout["razorpay_subscription_id"])
    verified = await api.post(
        "/v1/billing/subscriptions/verify", json=proof, headers=person.headers
    )

    assert verified.status_code == 200
    assert verified.json()["status"] == "active"
    subscription = verified.json()["subscription"]
    start_at = datetime.fromisoformat(subscription["current_period_start"]).astimezone(IST)
    end_at = datetime.fromisoformat(subscription["current_period_end"]).astimezone(IST)
    assert (end_at.month - start_at.month) % 12 == 1
    assert subscription["auto_renew"] is True
    assert await tier(api, person) == "pro"
    await run_jobs(connection)
    assert mailbox.last(person.email).subject.startswith("Receipt GMG/")


async def test_webhooks_after_verification_change_nothing(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person)
    proof = razorpay.pay_subscription(checkout["razorpay_subscription_id"])
    await api.post("/v1/billing/subscriptions/verify", json=proof, headers=person.headers)
    before = (await api.get("/v1/me/entitlements", headers=person.headers)).json()

    responses = await deliver_all(api, connection, razorpay)

    assert {r.status_code for r in responses} == {200}
    after = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert after["period_end"] == before["period_end"]
    payments = (await api.get("/v1/billing/payments", headers=person.headers)).json()["items"]
    assert len(payments) == 1
    assert payments[0]["status"] == "success"
    assert payments[0]["receipt_number"].startswith("GMG/20")


async def test_webhooks_alone_activate_a_paid_subscription(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person, period="yearly")
    razorpay.pay_subscription(checkout["razorpay_subscription_id"])

    await deliver_all(api, connection, razorpay)

    body = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert body["tier"] == "pro"
    assert body["subscription"]["period"] == "yearly"
    end = datetime.fromisoformat(body["period_end"])
    start_at = datetime.fromisoformat(body["subscription"]["current_period_start"])
    assert end.astimezone(IST).year - start_at.astimezone(IST).year == 1


async def test_authenticated_but_unpaid_is_not_pro(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person)
    subscription = razorpay.subscriptions[checkout["razorpay_subscription_id"]]
    razorpay.event(
        "subscription.authenticated", subscription=subscription | {"status": "authenticated"}
    )
    razorpay.event("subscription.activated", subscription=subscription | {"status": "active"})

    await deliver_all(api, connection, razorpay)

    assert await tier(api, person) == "free"


async def test_checkout_needs_an_idempotency_key_and_replays_with_it(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, razorpay: FakeRazorpay
) -> None:
    person = await make_user(session, runtime)

    missing = await api.post(
        "/v1/billing/subscriptions", json={"period": "monthly"}, headers=person.headers
    )
    first = await start(api, person, key="checkout-1")
    again = await start(api, person, key="checkout-1")
    other_key = await start(api, person, key="checkout-2")

    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "Idempotency-Key"
    assert again == first
    assert other_key["subscription"]["id"] == first["subscription"]["id"]  # one pending at most
    assert len(razorpay.subscriptions) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"period": "weekly"},
        {"period": "monthly", "amount_paise": 100},
        {"period": "monthly", "user_id": "00000000-0000-0000-0000-000000000000"},
        {},
    ],
)
async def test_checkout_takes_nothing_but_the_period(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    razorpay: FakeRazorpay,
    body: dict[str, object],
) -> None:
    person = await make_user(session, runtime)
    response = await api.post(
        "/v1/billing/subscriptions", json=body, headers=person.headers | {"Idempotency-Key": "k1"}
    )
    assert response.status_code == 422
    assert razorpay.subscriptions == {}


async def test_checkout_needs_a_verified_account(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, razorpay: FakeRazorpay
) -> None:
    person = await make_user(session, runtime, email_verified=False)
    response = await api.post(
        "/v1/billing/subscriptions",
        json={"period": "monthly"},
        headers=person.headers | {"Idempotency-Key": "k1"},
    )
    anonymous = await api.post(
        "/v1/billing/subscriptions", json={"period": "monthly"}, headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "verification_required"
    assert anonymous.status_code == 401


async def test_forged_proofs_change_nothing(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    stranger = await make_user(session, runtime)
    checkout = await start(api, person)
    sub_id = checkout["razorpay_subscription_id"]
    strangers = await start(api, stranger)
    paid = razorpay.pay_subscription(strangers["razorpay_subscription_id"])
    razorpay.outbox.clear()
    url = "/v1/billing/subscriptions/verify"

    forged = await api.post(
        url,
        headers=person.headers,
        json={
            "razorpay_payment_id": paid["razorpay_payment_id"],
            "razorpay_subscription_id": sub_id,
            "razorpay_signature": "0" * 64,
        },
    )
    swapped = await api.post(
        url,
        headers=person.headers,
        json={
            "razorpay_payment_id": paid["razorpay_payment_id"],
            "razorpay_subscription_id": sub_id,
            "razorpay_signature": paid["razorpay_signature"],
        },
    )
    someone_elses = await api.post(url, headers=person.headers, json=paid)
    made_up = await api.post(
        url,
        headers=person.headers,
        json={
            "razorpay_payment_id": "pay_MadeUp12345678",
            "razorpay_subscription_id": "sub_x1y2z3",
            "razorpay_signature": razorpay.signature("pay_MadeUp12345678|sub_x1y2z3"),
        },
    )
    hostile = await api.post(
        url,
        headers=person.headers,
        json={
            "razorpay_payment_id": "pay_1' OR '1'='1",
            "razorpay_subscription_id": sub_id,
            "razorpay_signature": "<script>",
        },
    )

    assert forged.status_code == 400
    assert forged.json()["code"] == "invalid_signature"
    assert swapped.status_code == 400
    assert someone_elses.status_code == 404
    assert made_up.status_code == 404
    assert hostile.status_code == 422
    assert await tier(api, person) == "free"
    assert (
        await session.scalar(
            text(
                "SELECT count(*) FROM payments p JOIN subscriptions s ON s.id = p.subscription_id "
                "WHERE s.user_id = :id"
            ),
            {"id": person.id},
        )
        == 0
    )


async def test_one_time_order_buys_a_period_that_does_not_renew(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)

    first = await start(api, person, kind="orders")
    order = razorpay.orders[first["razorpay_order_id"]]
    proof = razorpay.pay_order(first["razorpay_order_id"])
    verified = await api.post("/v1/billing/orders/verify", json=proof, headers=person.headers)

    assert order["amount"] == 29_900
    assert order["notes"]["user_id"] == str(person.id)
    assert verified.status_code == 200
    assert verified.json()["subscription"]["auto_renew"] is False
    first_end = datetime.fromisoformat(verified.json()["subscription"]["current_period_end"])
    await deliver_all(api, connection, razorpay)

    second = await start(api, person, kind="orders")
    proof = razorpay.pay_order(second["razorpay_order_id"])
    extended = await api.post("/v1/billing/orders/verify", json=proof, headers=person.headers)
    second_start = datetime.fromisoformat(extended.json()["subscription"]["current_period_start"])
    assert second_start == first_end  # buying again while Pro extends from the end
    entitlements = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert entitlements["auto_renew"] is False
    assert datetime.fromisoformat(entitlements["period_end"]) > first_end


async def test_an_order_paid_but_not_captured_waits_for_capture(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person, kind="orders")
    proof = razorpay.authorize_order_payment(checkout["razorpay_order_id"])

    waiting = await api.post("/v1/billing/orders/verify", json=proof, headers=person.headers)

    assert waiting.json()["status"] == "processing"
    assert await tier(api, person) == "free"
    razorpay.capture(proof["razorpay_payment_id"])
    await deliver_all(api, connection, razorpay)
    assert await tier(api, person) == "pro"


async def test_an_order_proof_for_another_order_is_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, razorpay: FakeRazorpay
) -> None:
    person = await make_user(session, runtime)
    mine = await start(api, person, kind="orders")
    other = razorpay._new_order(29_900, "other-receipt", {})  # an order of no one here
    paid = razorpay.pay_order(other["id"])
    signature = razorpay.signature(f"{mine['razorpay_order_id']}|{paid['razorpay_payment_id']}")

    response = await api.post(
        "/v1/billing/orders/verify",
        headers=person.headers,
        json={
            "razorpay_order_id": mine["razorpay_order_id"],
            "razorpay_payment_id": paid["razorpay_payment_id"],
            "razorpay_signature": signature,
        },
    )

    assert response.status_code == 400
    assert await tier(api, person) == "free"


async def test_a_second_subscription_is_refused_and_the_other_period_is_a_switch(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    sub_id = checkout["razorpay_subscription_id"]

    same = await api.post(
        "/v1/billing/subscriptions",
        json={"period": "monthly"},
        headers=person.headers | {"Idempotency-Key": "again"},
    )
    switch = await start(api, person, period="yearly")

    assert same.status_code == 409
    assert same.json()["code"] == "already_subscribed"
    assert switch["plan_switch"] is True
    assert switch["subscription"]["scheduled_period"] == "yearly"
    assert switch["subscription"]["period"] == "monthly"
    assert (
        razorpay.scheduled_changes[sub_id]["plan_id"] != razorpay.subscriptions[sub_id]["plan_id"]
    )
    razorpay.apply_scheduled_change(sub_id)
    await deliver_all(api, connection, razorpay)
    body = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert body["subscription"]["period"] == "yearly"
    assert body["subscription"]["scheduled_period"] is None


async def test_switching_back_cancels_the_scheduled_switch(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    await start(api, person, period="yearly")

    back = await start(api, person, period="monthly")

    assert back["subscription"]["scheduled_period"] is None
    assert checkout["razorpay_subscription_id"] not in razorpay.scheduled_changes


async def test_billing_without_keys_answers_503_and_nothing_else_breaks(
    harness: Harness, connection: AsyncConnection, session: AsyncSession
) -> None:
    settings = harness.settings.model_copy(
        update={"razorpay_key_id": None, "razorpay_key_secret": None}
    )
    runtime = harness.runtime(_savepoint_sessionmaker(connection), settings=settings)
    client = harness.client(runtime)
    person = await make_user(session, runtime)

    checkout = await client.post(
        "/v1/billing/subscriptions",
        json={"period": "monthly"},
        headers=person.headers | {"Idempotency-Key": "k"},
    )
    webhook = await client.post(
        "/v1/webhooks/razorpay", content=b"{}", headers={"X-Razorpay-Signature": "0" * 64}
    )
    verify = await client.post(
        "/v1/billing/orders/verify",
        headers=person.headers,
        json={
            "razorpay_order_id": "order_abcdefgh",
            "razorpay_payment_id": "pay_abcdefgh",
            "razorpay_signature": "0" * 64,
        },
    )

    for response in (checkout, webhook, verify):
        assert response.status_code == 503
        assert response.json()["code"] == "billing_not_configured"
    assert (await client.get("/v1/billing/plans")).status_code == 200
    assert (await client.get("/v1/me/entitlements", headers=person.headers)).status_code == 200


async def test_razorpay_refusing_is_a_502_that_keeps_nothing(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, razorpay: FakeRazorpay
) -> None:
    person = await make_user(session, runtime)
    razorpay.fail_next = "Plan creation is blocked on this account"

    response = await api.post(
        "/v1/billing/subscriptions",
        json={"period": "monthly"},
        headers=person.headers | {"Idempotency-Key": "k"},
    )

    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error"
    assert await session.scalar(text("SELECT count(*) FROM subscriptions")) == 0


def test_receipt_financial_years_start_in_april() -> None:
    from getmygrapher.billing.service.lifecycle import financial_year

    assert financial_year(datetime(2027, 3, 31, 18, 29, tzinfo=UTC)) == "2026-27"
    assert financial_year(datetime(2027, 3, 31, 18, 30, tzinfo=UTC)) == "2027-28"
