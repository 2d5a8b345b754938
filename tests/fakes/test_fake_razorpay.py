"""The fake Razorpay, driven through the real SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import razorpay
from razorpay.errors import BadRequestError, SignatureVerificationError

from tests.fakes.razorpay import KEY_ID, KEY_SECRET, WEBHOOK_SECRET, FakeRazorpay, Webhook
from tests.fakes.server import LocalServer

DAY = 86400


@pytest.fixture
def fake() -> Iterator[FakeRazorpay]:
    fake = FakeRazorpay()
    server = LocalServer(fake.app).start()
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
def client(fake: FakeRazorpay) -> Iterator[Any]:
    client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=fake.url)
    yield client
    client.session.close()


def make_plan(client: Any, period: str = "monthly", amount: int = 49900) -> dict[str, Any]:
    item = {"name": "Pro", "amount": amount, "currency": "INR", "description": "Pro plan"}
    plan: dict[str, Any] = client.plan.create({"period": period, "interval": 1, "item": item})
    return plan


def active_subscription(fake: FakeRazorpay, client: Any) -> dict[str, Any]:
    plan = make_plan(client)
    sub = client.subscription.create({"plan_id": plan["id"], "total_count": 12})
    fake.pay_subscription(sub["id"])
    fake.outbox.clear()
    result: dict[str, Any] = client.subscription.fetch(sub["id"])
    return result


def payload(hook: Webhook) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(hook.body)
    return document


def events(fake: FakeRazorpay) -> list[str]:
    return [hook.event for hook in fake.outbox]


def test_plan_and_subscription_are_created_and_fetched(fake: FakeRazorpay, client: Any) -> None:
    fake.now = 1_750_000_000
    plan = make_plan(client)
    assert plan["id"].startswith("plan_")
    assert len(plan["id"]) == 19
    assert plan["item"]["amount"] == 49900
    assert plan["item"]["id"].startswith("item_")
    assert client.plan.fetch(plan["id"]) == plan

    sub = client.subscription.create(
        {"plan_id": plan["id"], "total_count": 12, "notes": {"user": "u1"}}
    )
    assert sub["id"].startswith("sub_")
    assert sub["status"] == "created"
    assert sub["remaining_count"] == 12
    assert sub["paid_count"] == 0
    assert sub["current_start"] is None
    assert sub["created_at"] == fake.now
    assert sub["short_url"].startswith("https://rzp.io/i/")
    assert client.subscription.fetch(sub["id"]) == sub
    assert fake.requests[-1] == ("GET", f"/v1/subscriptions/{sub['id']}", {})
    assert fake.requests[2][2] == {
        "plan_id": plan["id"],
        "total_count": 12,
        "notes": {"user": "u1"},
    }


def test_validation_and_unknown_ids(client: Any) -> None:
    item = {"name": "Pro", "amount": 100, "currency": "INR"}
    with pytest.raises(BadRequestError, match="period"):
        client.plan.create({"period": "hourly", "interval": 1, "item": item})
    with pytest.raises(BadRequestError, match="does not exist"):
        client.subscription.create({"plan_id": "plan_missing0000000", "total_count": 1})
    with pytest.raises(BadRequestError, match="does not exist"):
        client.payment.fetch("pay_missing00000000")


def test_pay_subscription_is_signed_and_announced(fake: FakeRazorpay, client: Any) -> None:
    fake.now = 1_750_000_000
    plan = make_plan(client)
    sub = client.subscription.create({"plan_id": plan["id"], "total_count": 12})
    checkout = fake.pay_subscription(sub["id"])
    assert client.utility.verify_subscription_payment_signature(checkout)
    with pytest.raises(SignatureVerificationError):
        client.utility.verify_subscription_payment_signature(
            checkout | {"razorpay_subscription_id": "sub_other000000000"}
        )

    sub = client.subscription.fetch(sub["id"])
    assert sub["status"] == "active"
    assert sub["paid_count"] == 1
    assert sub["current_start"] == fake.now
    assert sub["current_end"] == fake.now + 30 * DAY
    assert sub["charge_at"] == sub["current_end"]
    assert sub["remaining_count"] == 11
    payment = client.payment.fetch(checkout["razorpay_payment_id"])
    assert payment["status"] == "captured"
    assert payment["amount"] == 49900
    assert payment["invoice_id"].startswith("inv_")
    assert payment["vpa"] == "success@razorpay"

    assert events(fake) == [
        "subscription.authenticated",
        "payment.authorized",
        "payment.captured",
        "subscription.activated",
        "subscription.charged",
    ]
    for hook in fake.outbox:
        sig = hook.headers["X-Razorpay-Signature"]
        assert client.utility.verify_webhook_signature(hook.body.decode(), sig, WEBHOOK_SECRET)
        assert hook.headers["X-Razorpay-Event-Id"] == hook.event_id
    charged = payload(fake.outbox[-1])
    assert charged["contains"] == ["subscription", "payment"]
    assert charged["payload"]["payment"]["entity"]["id"] == payment["id"]
    assert charged["payload"]["subscription"]["entity"]["status"] == "active"
    assert payload(fake.outbox[1])["payload"]["payment"]["entity"]["status"] == "authorized"
    assert len({hook.event_id for hook in fake.outbox}) == 5


def test_renewals_and_invoices(fake: FakeRazorpay, client: Any) -> None:
    sub = active_subscription(fake, client)
    fake.now = sub["current_end"]
    payment_id = fake.charge_renewal(sub["id"])
    assert events(fake) == ["payment.captured", "subscription.charged"]
    renewed = client.subscription.fetch(sub["id"])
    assert renewed["current_start"] == sub["current_end"]
    assert renewed["current_end"] == sub["current_end"] + 30 * DAY
    assert renewed["paid_count"] == 2

    invoices = client.invoice.all({"subscription_id": sub["id"]})
    assert invoices["entity"] == "collection"
    assert invoices["count"] == 2
    assert invoices["items"][0]["payment_id"] == payment_id
    assert {i["status"] for i in invoices["items"]} == {"paid"}
    assert client.invoice.all({"subscription_id": "sub_other000000000"})["count"] == 0

    fake.renewal_fails(sub["id"])
    fake.halt(sub["id"])
    fake.complete(sub["id"])
    assert events(fake)[-3:] == [
        "subscription.pending",
        "subscription.halted",
        "subscription.completed",
    ]
    assert client.subscription.fetch(sub["id"])["ended_at"] == fake.now


def test_order_paid_and_verified(fake: FakeRazorpay, client: Any) -> None:
    order = client.order.create({"amount": 150000, "currency": "INR", "receipt": "booking-1"})
    assert order["status"] == "created"
    assert order["amount_due"] == 150000
    checkout = fake.pay_order(order["id"])
    assert client.utility.verify_payment_signature(checkout)
    order = client.order.fetch(order["id"])
    assert order["status"] == "paid"
    assert order["amount_paid"] == 150000
    assert order["amount_due"] == 0
    payments = client.order.payments(order["id"])
    assert [p["id"] for p in payments["items"]] == [checkout["razorpay_payment_id"]]
    assert events(fake) == ["payment.authorized", "payment.captured", "order.paid"]
    paid = payload(fake.outbox[-1])
    assert paid["contains"] == ["order", "payment"]
    assert paid["payload"]["order"]["entity"]["status"] == "paid"


def test_authorized_then_captured_through_the_api(fake: FakeRazorpay, client: Any) -> None:
    order = client.order.create({"amount": 50000, "currency": "INR", "receipt": "booking-2"})
    checkout = fake.authorize_order_payment(order["id"])
    assert client.utility.verify_payment_signature(checkout)
    payment_id = checkout["razorpay_payment_id"]
    assert client.payment.fetch(payment_id)["status"] == "authorized"
    assert client.order.fetch(order["id"])["status"] == "attempted"
    with pytest.raises(BadRequestError, match="equal"):
        client.payment.capture(payment_id, 100, {"currency": "INR"})
    captured = client.payment.capture(payment_id, 50000, {"currency": "INR"})
    assert captured["status"] == "captured"
    assert captured["captured"] is True
    assert client.order.fetch(order["id"])["status"] == "paid"
    assert events(fake) == ["payment.authorized", "payment.captured", "order.paid"]


def test_failed_payment(fake: FakeRazorpay, client: Any) -> None:
    order = client.order.create({"amount": 50000, "currency": "INR"})
    payment_id = fake.fail_payment_for_order(order["id"])
    payment = client.payment.fetch(payment_id)
    assert payment["status"] == "failed"
    assert payment["error_description"] == "Payment failed"
    assert events(fake) == ["payment.failed"]
    assert client.order.fetch(order["id"])["attempts"] == 1


def test_cancel_at_cycle_end_then_end_cycle(fake: FakeRazorpay, client: Any) -> None:
    sub = active_subscription(fake, client)
    cancelled = client.subscription.cancel(sub["id"], {"cancel_at_cycle_end": 1})
    assert cancelled["status"] == "active"
    assert cancelled["end_at"] == sub["current_end"]
    assert sub["id"] in fake.cancel_at_cycle_end
    assert fake.outbox == []
    fake.end_cycle(sub["id"])
    ended = client.subscription.fetch(sub["id"])
    assert ended["status"] == "cancelled"
    assert ended["ended_at"] == sub["current_end"]
    assert events(fake) == ["subscription.cancelled"]
    with pytest.raises(BadRequestError, match="not cancellable in cancelled status"):
        client.subscription.cancel(sub["id"], {"cancel_at_cycle_end": 0})


def test_cancel_immediately(fake: FakeRazorpay, client: Any) -> None:
    sub = active_subscription(fake, client)
    fake.now = sub["current_start"] + DAY
    cancelled = client.subscription.cancel(sub["id"], {"cancel_at_cycle_end": False})
    assert cancelled["status"] == "cancelled"
    assert cancelled["ended_at"] == fake.now
    assert events(fake) == ["subscription.cancelled"]


def test_plan_change_scheduled_then_applied(fake: FakeRazorpay, client: Any) -> None:
    sub = active_subscription(fake, client)
    yearly = make_plan(client, "yearly", 499000)
    change = {"plan_id": yearly["id"], "schedule_change_at": "cycle_end"}
    edited = client.subscription.edit(sub["id"], change)
    assert edited["has_scheduled_changes"] is True
    assert edited["change_scheduled_at"] == sub["current_end"]
    assert edited["plan_id"] == sub["plan_id"]
    assert client.subscription.pending_update(sub["id"])["plan_id"] == yearly["id"]
    unscheduled = client.subscription.cancel_scheduled_changes(sub["id"])
    assert unscheduled["has_scheduled_changes"] is False
    with pytest.raises(BadRequestError, match="scheduled changes"):
        client.subscription.cancel_scheduled_changes(sub["id"])

    client.subscription.edit(sub["id"], change)
    fake.apply_scheduled_change(sub["id"])
    assert client.subscription.fetch(sub["id"])["plan_id"] == yearly["id"]
    assert events(fake) == ["subscription.updated"]

    monthly = make_plan(client)
    now = client.subscription.edit(
        sub["id"], {"plan_id": monthly["id"], "schedule_change_at": "now"}
    )
    assert now["plan_id"] == monthly["id"]
    assert len(fake.outbox) == 2


def test_refunds(fake: FakeRazorpay, client: Any) -> None:
    order = client.order.create({"amount": 10000, "currency": "INR", "receipt": "r-1"})
    payment_id = fake.pay_order(order["id"])["razorpay_payment_id"]
    fake.outbox.clear()
    refund = client.payment.refund(payment_id, {"amount": 4000, "notes": {"why": "late"}})
    assert refund["id"].startswith("rfnd_")
    assert refund["status"] == "processed"
    payment = client.payment.fetch(payment_id)
    assert payment["amount_refunded"] == 4000
    assert payment["refund_status"] == "partial"
    assert payment["status"] == "captured"
    with pytest.raises(BadRequestError, match="greater than"):
        client.payment.refund(payment_id, {"amount": 6001})
    client.payment.refund(payment_id, {})
    payment = client.payment.fetch(payment_id)
    assert payment["status"] == "refunded"
    assert payment["refund_status"] == "full"
    assert events(fake) == ["refund.processed", "refund.processed"]
    assert payload(fake.outbox[0])["contains"] == ["refund", "payment"]
    assert len(fake.refunds) == 2
    with pytest.raises(BadRequestError, match="fully refunded"):
        client.payment.refund(payment_id, {"amount": 1})


def test_wrong_credentials_are_refused(fake: FakeRazorpay) -> None:
    wrong = razorpay.Client(auth=(KEY_ID, "not-the-secret"), base_url=fake.url)
    with pytest.raises(BadRequestError, match="Authentication failed"):
        wrong.order.create({"amount": 10000, "currency": "INR"})
    wrong.session.close()
    assert fake.orders == {}


def test_duplicate_receipt_is_refused(client: Any) -> None:
    client.order.create({"amount": 10000, "currency": "INR", "receipt": "same"})
    with pytest.raises(BadRequestError, match="receipt"):
        client.order.create({"amount": 10000, "currency": "INR", "receipt": "same"})
    with pytest.raises(BadRequestError, match="receipt"):
        client.order.create({"amount": 10000, "currency": "INR", "receipt": "x" * 41})


def test_fail_next_fails_once(fake: FakeRazorpay, client: Any) -> None:
    fake.fail_next = "Razorpay is having a bad day"
    with pytest.raises(BadRequestError, match="bad day"):
        client.order.create({"amount": 10000, "currency": "INR"})
    assert fake.fail_next is None
    assert fake.orders == {}
    assert client.order.create({"amount": 10000, "currency": "INR"})["status"] == "created"


def test_event_builds_a_signed_webhook(fake: FakeRazorpay, client: Any) -> None:
    fake.now = 1_700_000_000
    hook = fake.event("payment.failed", payment={"id": "pay_x", "status": "failed"})
    assert fake.outbox == [hook]
    assert hook.body.startswith(b'{"entity":"event","account_id":"acc_FakeAccount0001"')
    document = payload(hook)
    assert document["created_at"] == fake.now
    assert document["contains"] == ["payment"]
    sig = hook.headers["X-Razorpay-Signature"]
    assert client.utility.verify_webhook_signature(hook.body.decode(), sig, WEBHOOK_SECRET)
    loose = fake.webhook_for("order.paid", {}, event_id="evt_fixed", created_at=1)
    assert loose.event_id == "evt_fixed"
    assert payload(loose)["created_at"] == 1
    assert fake.outbox == [hook]
