from __future__ import annotations

import json
from datetime import datetime, timedelta

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.tasks import run_task
from tests.billing.helpers import deliver, deliver_all, start, subscribe, tier
from tests.conftest import Harness, _savepoint_sessionmaker
from tests.factories import Person, make_user
from tests.fakes.razorpay import FakeRazorpay
from tests.fakes.smtp import Mailbox
from tests.taskqueue import pending_jobs, run_jobs


async def _move_period_end(session: AsyncSession, person: Person, shift: timedelta) -> None:
    await session.execute(
        text(
            "UPDATE subscriptions SET current_period_end = now() + :shift, "
            "grace_until = CASE WHEN grace_until IS NULL THEN NULL ELSE now() + :shift END "
            "WHERE user_id = :id"
        ),
        {"shift": shift, "id": person.id},
    )
    await session.commit()


async def _sweep(connection: AsyncConnection) -> None:
    await run_task("billing.sweep", {"timestamp": 0})
    await run_jobs(connection)


async def _status(session: AsyncSession, person: Person) -> str:
    return str(
        await session.scalar(
            text(
                "SELECT status FROM subscriptions WHERE user_id = :id ORDER BY created_at LIMIT 1"
            ),
            {"id": person.id},
        )
    )


async def test_cancel_at_period_end_keeps_pro_until_the_end(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    subscription_id = checkout["subscription"]["id"]

    cancelled = await api.post(
        f"/v1/billing/subscriptions/{subscription_id}/cancel", headers=person.headers
    )

    assert cancelled.status_code == 200
    assert cancelled.json()["cancel_at_period_end"] is True
    assert cancelled.json()["auto_renew"] is False
    assert checkout["razorpay_subscription_id"] in razorpay.cancel_at_cycle_end
    await _sweep(connection)
    assert await tier(api, person) == "pro"
    await _move_period_end(session, person, timedelta(minutes=-1))
    await _sweep(connection)
    assert await tier(api, person) == "free"
    assert await _status(session, person) == "cancelled"


async def test_only_the_owner_cancels_and_only_a_running_subscription(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    stranger = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    pending = await start(api, stranger)
    url = "/v1/billing/subscriptions/{}/cancel"

    by_stranger = await api.post(
        url.format(checkout["subscription"]["id"]), headers=stranger.headers
    )
    not_running = await api.post(
        url.format(pending["subscription"]["id"]), headers=stranger.headers
    )
    anonymous = await api.post(url.format(checkout["subscription"]["id"]))

    assert by_stranger.status_code == 404
    assert not_running.status_code == 409
    assert anonymous.status_code == 401
    assert razorpay.cancel_at_cycle_end == set()


async def test_a_cancellation_can_be_undone_before_the_end(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    subscription_id = checkout["subscription"]["id"]
    await api.post(f"/v1/billing/subscriptions/{subscription_id}/cancel", headers=person.headers)

    resumed = await api.post(
        f"/v1/billing/subscriptions/{subscription_id}/resume", headers=person.headers
    )

    assert resumed.status_code == 200
    successor = razorpay.subscriptions[resumed.json()["razorpay_subscription_id"]]
    end = datetime.fromisoformat(
        checkout["subscription"]["current_period_end"]
        or (await api.get("/v1/me/entitlements", headers=person.headers)).json()["period_end"]
    )
    assert successor["start_at"] == int(end.timestamp())
    # The successor is paid when the old period ends, and takes over from it.
    razorpay.pay_subscription(successor["id"])
    await deliver_all(api, connection, razorpay)
    body = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert body["tier"] == "pro"
    assert body["auto_renew"] is True
    statuses = dict(
        (
            await session.execute(
                text("SELECT id::text, status FROM subscriptions WHERE user_id = :id"),
                {"id": person.id},
            )
        ).all()
    )
    assert statuses == {
        subscription_id: "cancelled",
        resumed.json()["subscription"]["id"]: "active",
    }


async def test_a_renewal_extends_the_period_with_a_new_receipt(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    first_end = (await api.get("/v1/me/entitlements", headers=person.headers)).json()["period_end"]

    razorpay.charge_renewal(checkout["razorpay_subscription_id"])
    await deliver_all(api, connection, razorpay)

    body = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert body["subscription"]["current_period_start"] == first_end
    payments = (await api.get("/v1/billing/payments", headers=person.headers)).json()["items"]
    assert len(payments) == 2
    numbers = sorted(p["receipt_number"] for p in payments)
    assert int(numbers[1][-6:]) == int(numbers[0][-6:]) + 1


async def test_a_failed_renewal_gives_a_grace_period_then_free(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    await _move_period_end(session, person, timedelta(hours=-1))

    razorpay.renewal_fails(checkout["razorpay_subscription_id"])
    await deliver_all(api, connection, razorpay)

    body = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert body["tier"] == "pro"
    assert body["subscription"]["status"] == "grace_period"
    grace = datetime.fromisoformat(body["subscription"]["grace_until"])
    end = datetime.fromisoformat(body["subscription"]["current_period_end"])
    assert 6.9 < (grace - end).total_seconds() / 86400 <= 7.0
    assert "did not go through" in mailbox.last(person.email).subject
    await session.execute(text("UPDATE subscriptions SET grace_until = now() - interval '1 s'"))
    await session.commit()
    await _sweep(connection)
    assert await tier(api, person) == "free"
    assert await _status(session, person) == "expired"
    assert "has ended" in mailbox.last(person.email).subject


async def test_a_retry_that_succeeds_ends_the_grace_period(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    razorpay.renewal_fails(checkout["razorpay_subscription_id"])
    await deliver_all(api, connection, razorpay)

    razorpay.charge_renewal(checkout["razorpay_subscription_id"])
    await deliver_all(api, connection, razorpay)

    body = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert body["subscription"]["status"] == "active"
    assert body["subscription"]["grace_until"] is None


async def test_halted_means_free_at_once(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)

    razorpay.halt(checkout["razorpay_subscription_id"])
    await deliver_all(api, connection, razorpay)

    assert await tier(api, person) == "free"
    assert await _status(session, person) == "expired"


async def test_an_older_event_never_moves_a_subscription_back(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    sub_id = checkout["razorpay_subscription_id"]
    razorpay.now = razorpay.clock() + 3600
    razorpay.renewal_fails(sub_id)
    late_pending = razorpay.outbox.pop()
    razorpay.now += 60
    razorpay.charge_renewal(sub_id)

    await deliver_all(api, connection, razorpay)  # the renewal, first
    await deliver(api, connection, [late_pending])  # then the older "pending"

    body = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    assert body["subscription"]["status"] == "active"
    outcome = await session.scalar(
        text("SELECT outcome FROM provider_events WHERE external_id = :id"),
        {"id": late_pending.event_id},
    )
    assert outcome == "ignored: older than the state applied"


async def test_an_ended_subscription_never_comes_back(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)
    subscription = razorpay.subscriptions[checkout["razorpay_subscription_id"]]
    razorpay.halt(subscription["id"])
    await deliver_all(api, connection, razorpay)
    razorpay.now = razorpay.clock() + 10
    razorpay.event("subscription.resumed", subscription=subscription | {"status": "active"})

    await deliver_all(api, connection, razorpay)

    assert await tier(api, person) == "free"


async def test_duplicate_webhooks_are_acknowledged_and_ignored(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person)
    razorpay.pay_subscription(checkout["razorpay_subscription_id"])
    hooks = list(razorpay.outbox)

    first = await deliver(api, connection, hooks)
    again = await deliver(api, connection, hooks)

    assert {r.json()["status"] for r in first} == {"accepted"}
    assert {r.json()["status"] for r in again} == {"duplicate"}
    assert await session.scalar(text("SELECT count(*) FROM provider_events")) == len(hooks)
    assert await session.scalar(text("SELECT count(*) FROM payments")) == 1


async def test_forged_webhooks_are_refused(
    api: AsyncClient, session: AsyncSession, razorpay: FakeRazorpay
) -> None:
    hook = razorpay.event("payment.captured", payment={"id": "pay_x", "amount": 100})
    tampered = hook.body.replace(b'"amount":100', b'"amount":1')

    bad_body = await api.post("/v1/webhooks/razorpay", content=tampered, headers=hook.headers)
    no_sig = await api.post(
        "/v1/webhooks/razorpay", content=hook.body, headers={"Content-Type": "application/json"}
    )
    wrong_key = await api.post(
        "/v1/webhooks/razorpay",
        content=hook.body,
        headers=hook.headers | {"X-Razorpay-Signature": razorpay.signature(hook.body.decode())},
    )

    assert bad_body.status_code == no_sig.status_code == wrong_key.status_code == 400
    assert bad_body.json()["code"] == "invalid_signature"
    assert await session.scalar(text("SELECT count(*) FROM provider_events")) == 0


async def test_the_previous_webhook_secret_works_during_rotation(
    harness: Harness, connection: AsyncConnection, razorpay: FakeRazorpay, session: AsyncSession
) -> None:
    from pydantic import SecretStr

    settings = harness.settings.model_copy(
        update={
            "razorpay_webhook_secret": SecretStr("the-new-secret"),
            "razorpay_previous_webhook_secret": harness.settings.razorpay_webhook_secret,
        }
    )
    client = harness.client(harness.runtime(_savepoint_sessionmaker(connection), settings=settings))
    hook = razorpay.event("payment.failed", payment={"id": "pay_rotation1", "amount": 100})

    response = await client.post("/v1/webhooks/razorpay", content=hook.body, headers=hook.headers)

    assert response.status_code == 200


async def test_a_crash_between_storing_and_processing_is_recovered(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person)
    razorpay.pay_subscription(checkout["razorpay_subscription_id"])
    for hook in razorpay.outbox:
        await api.post("/v1/webhooks/razorpay", content=hook.body, headers=hook.headers)
    # The process died after acknowledging: the inbox rows exist, their jobs are lost.
    await session.execute(text("DELETE FROM procrastinate_jobs"))
    await session.execute(text("UPDATE provider_events SET received_at = now() - interval '5 m'"))
    await session.commit()
    assert await tier(api, person) == "free"

    await _sweep(connection)
    state = (await api.get("/v1/me/entitlements", headers=person.headers)).json()
    # Processing the same events again gives the same state.
    await session.execute(text("UPDATE provider_events SET processed_at = NULL"))
    await session.commit()
    await _sweep(connection)
    again = (await api.get("/v1/me/entitlements", headers=person.headers)).json()

    assert state["tier"] == "pro"
    assert again == state
    assert await session.scalar(text("SELECT count(*) FROM payments")) == 1


async def test_a_upi_payment_that_failed_and_was_then_captured_counts(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person, kind="orders")
    order_id = checkout["razorpay_order_id"]
    proof = razorpay.authorize_order_payment(order_id)
    payment = razorpay.payments[proof["razorpay_payment_id"]]
    razorpay.event("payment.failed", payment=payment | {"status": "failed"})
    await deliver_all(api, connection, razorpay)
    assert await tier(api, person) == "free"

    razorpay.capture(payment["id"])
    await deliver_all(api, connection, razorpay)
    captured_then_failed = razorpay.event("payment.failed", payment=payment | {"status": "failed"})
    await deliver(api, connection, [captured_then_failed])

    assert await tier(api, person) == "pro"
    assert await session.scalar(text("SELECT status FROM payments")) == "success"


async def test_reconciliation_fixes_a_payment_whose_webhooks_never_came(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person, kind="orders")
    proof = razorpay.authorize_order_payment(checkout["razorpay_order_id"])
    await api.post("/v1/billing/orders/verify", json=proof, headers=person.headers)
    razorpay.capture(proof["razorpay_payment_id"])
    razorpay.outbox.clear()  # the webhooks are lost
    await session.execute(text("UPDATE payments SET created_at = now() - interval '16 minutes'"))
    await session.commit()

    await _sweep(connection)

    assert await tier(api, person) == "pro"


async def test_reconciliation_asks_about_quiet_subscriptions(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    checkout = await start(api, person)
    razorpay.pay_subscription(checkout["razorpay_subscription_id"])
    razorpay.outbox.clear()  # nothing reached us
    await session.execute(text("UPDATE subscriptions SET created_at = now() - interval '37 h'"))
    await session.commit()

    await _sweep(connection)

    assert await tier(api, person) == "pro"
    assert ("GET", "/v1/invoices", {"subscription_id": checkout["razorpay_subscription_id"]}) in [
        (m, p, q) for m, p, q in razorpay.requests
    ]


async def test_an_abandoned_checkout_is_closed_after_a_day(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    first = await start(api, person)
    await session.execute(text("UPDATE subscriptions SET created_at = now() - interval '25 h'"))
    await session.commit()

    await _sweep(connection)
    second = await start(api, person, period="yearly")

    assert second["subscription"]["id"] != first["subscription"]["id"]
    assert await _status(session, person) == "cancelled"


async def test_unknown_and_unhandled_events_are_stored_and_ignored(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, razorpay: FakeRazorpay
) -> None:
    razorpay.event("invoice.paid", invoice={"id": "inv_abc"})
    razorpay.event("subscription.charged", subscription={"id": "sub_NotOurs0000001"})
    razorpay.event(
        "payment.captured",
        payment={"id": "pay_NotOurs0000001", "amount": 100, "status": "captured"},
    )
    hooks = list(razorpay.outbox)

    responses = await deliver(api, connection, hooks)

    assert {r.status_code for r in responses} == {200}
    outcomes = (
        (await session.execute(text("SELECT outcome FROM provider_events ORDER BY received_at")))
        .scalars()
        .all()
    )
    assert all(o.startswith("ignored") for o in outcomes)
    assert await pending_jobs(connection) == []


async def test_a_body_that_is_not_an_event_is_refused(
    api: AsyncClient, razorpay: FakeRazorpay
) -> None:
    hook = razorpay.webhook_for("x", {})
    body = json.dumps(["not", "an", "event"]).encode()
    signature = __import__("hmac").new(b"fake_webhook_secret_abcdef", body, "sha256").hexdigest()
    response = await api.post(
        "/v1/webhooks/razorpay",
        content=body,
        headers=hook.headers | {"X-Razorpay-Signature": signature},
    )
    assert response.status_code == 400
