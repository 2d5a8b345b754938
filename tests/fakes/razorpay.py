"""A stand-in for Razorpay's REST API, for the real `razorpay` SDK: state in memory, signed
Checkout responses, and signed webhooks queued in `outbox` for the tests to deliver."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KEY_ID = "rzp_test_fakekey000001"
KEY_SECRET = "fake_key_secret_0123456789"
WEBHOOK_SECRET = "fake_webhook_secret_abcdef"
ACCOUNT_ID = "acc_FakeAccount0001"
PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}
NOT_FOUND = "The id provided does not exist"
NO_ROUTE = "The requested URL was not found on the server."
ENDED = {"cancelled", "completed", "expired"}
TRUE = (1, "1", "true")
DAY = 86400

Entity = dict[str, Any]
Handler = Callable[[Entity, dict[str, str]], Entity]


def random_chars(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_entity(kind: str, prefix: str, nulls: str = "") -> Entity:
    return {"id": f"{prefix}_{random_chars(14)}", "entity": kind} | dict.fromkeys(nulls.split())


def hmac_hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


class RazorpayError(Exception):
    def __init__(self, description: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(description)
        self.description, self.field, self.status = description, field, status

    def response(self) -> JSONResponse:
        error: Entity = {"code": "BAD_REQUEST_ERROR", "description": self.description}
        error |= {"source": "NA", "step": "NA", "reason": "NA", "metadata": {}}
        error |= {"field": self.field} if self.field else {}
        return JSONResponse({"error": error}, status_code=self.status)


def check(ok: bool, description: str, field: str | None = None) -> None:
    if not ok:
        raise RazorpayError(description, field=field)


def need_int(source: Entity, key: str, minimum: int, field: str | None = None) -> int:
    value = source.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    raise RazorpayError(f"The {key} must be an integer, at least {minimum}.", field=field or key)


def notes_of(body: Entity) -> Entity:
    notes = body.get("notes") or {}
    check(isinstance(notes, dict) and len(notes) <= 15, "Notes: at most 15 pairs.", "notes")
    return dict(notes)


@dataclass
class Webhook:
    body: bytes
    headers: dict[str, str]
    event: str
    event_id: str


class FakeRazorpay:
    def __init__(
        self,
        *,
        key_id: str = KEY_ID,
        key_secret: str = KEY_SECRET,
        webhook_secret: str = WEBHOOK_SECRET,
    ) -> None:
        self.key_id, self.key_secret, self.webhook_secret = key_id, key_secret, webhook_secret
        self.url = ""
        self.lock = threading.RLock()
        self.reset()
        subscription = "/v1/subscriptions/{id}"
        table: list[tuple[str, str, Handler]] = [
            ("POST", "/v1/plans", self._create_plan),
            ("POST", "/v1/subscriptions", self._create_subscription),
            ("PATCH", subscription, self._update_subscription),
            ("POST", subscription + "/cancel", self._cancel_subscription),
            ("POST", subscription + "/cancel_scheduled_changes", self._unschedule),
            ("GET", subscription + "/retrieve_scheduled_changes", self._scheduled),
            ("POST", "/v1/orders", self._create_order),
            ("GET", "/v1/orders/{id}/payments", self._order_payments),
            ("POST", "/v1/payments/{id}/capture", self._capture_payment),
            ("POST", "/v1/payments/{id}/refund", self._refund_payment),
            ("GET", "/v1/{kind}", self._list),
            ("GET", "/v1/{kind}/{id}", self._fetch),
        ]
        self.app = Starlette(
            routes=[self._route(method, path, handler) for method, path, handler in table],
            exception_handlers={404: self._no_route, 405: self._no_route},
        )

    def reset(self) -> None:
        """Forget everything, for a fake shared across tests."""
        with self.lock:
            self.now: int | None = None
            self.plans: dict[str, Entity] = {}
            self.subscriptions: dict[str, Entity] = {}
            self.orders: dict[str, Entity] = {}
            self.payments: dict[str, Entity] = {}
            self.invoices: dict[str, Entity] = {}
            self.refunds: dict[str, Entity] = {}
            self.requests: list[tuple[str, str, Entity | None]] = []
            self.fail_next: str | None = None
            self.outbox: list[Webhook] = []
            self.cancel_at_cycle_end: set[str] = set()
            self.scheduled_changes: dict[str, Entity] = {}

    def clock(self) -> int:
        return self.now if self.now is not None else int(time.time())

    def signature(self, message: str) -> str:
        return hmac_hex(self.key_secret, message.encode())

    def webhook_for(
        self,
        event: str,
        payload: Entity,
        *,
        event_id: str | None = None,
        created_at: int | None = None,
    ) -> Webhook:
        """Build a signed event without queueing it."""
        event_id = event_id or new_entity("event", "evt")["id"]
        document: Entity = {"entity": "event", "account_id": ACCOUNT_ID, "event": event}
        document |= {"contains": list(payload), "payload": payload}
        document["created_at"] = self.clock() if created_at is None else created_at
        body = json.dumps(document, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Razorpay-Event-Id": event_id}
        headers["X-Razorpay-Signature"] = hmac_hex(self.webhook_secret, body)
        return Webhook(body=body, headers=headers, event=event, event_id=event_id)

    def event(self, name: str, **entities: Entity) -> Webhook:
        with self.lock:
            hook = self.webhook_for(name, {key: {"entity": e} for key, e in entities.items()})
            self.outbox.append(hook)
            return hook

    # What happens in Checkout and afterwards -----------------------------------------------------

    def pay_subscription(self, subscription_id: str, *, method: str = "upi") -> dict[str, str]:
        with self.lock:
            sub = self.subscriptions[subscription_id]
            if sub["status"] not in ("created", "authenticated"):
                raise ValueError(f"{subscription_id} is {sub['status']}, not awaiting payment")
            sub.update(status="authenticated", start_at=sub["start_at"] or self.clock())
            self.event("subscription.authenticated", subscription=sub)
            payment = self._charge(sub, self.clock(), method, first=True)
            self.event("subscription.activated", subscription=sub, payment=payment)
            self.event("subscription.charged", subscription=sub, payment=payment)
            signature = self.signature(f"{payment['id']}|{subscription_id}")
            return {
                "razorpay_payment_id": payment["id"],
                "razorpay_subscription_id": subscription_id,
                "razorpay_signature": signature,
            }

    def charge_renewal(self, subscription_id: str) -> str:
        with self.lock:
            sub = self.subscriptions[subscription_id]
            if sub["current_end"] is None or sub["status"] in ENDED:
                raise ValueError(f"{subscription_id} is {sub['status']}, nothing to renew")
            payment = self._charge(sub, sub["current_end"], "upi", first=False)
            self.event("subscription.charged", subscription=sub, payment=payment)
            return str(payment["id"])

    def renewal_fails(self, subscription_id: str) -> None:
        with self.lock:
            self.subscriptions[subscription_id]["auth_attempts"] += 1
            self._transition(subscription_id, "pending")

    def halt(self, subscription_id: str) -> None:
        self._transition(subscription_id, "halted")

    def complete(self, subscription_id: str) -> None:
        self._transition(subscription_id, "completed", self.clock())

    def end_cycle(self, subscription_id: str) -> None:
        """The cycle that a cancel_at_cycle_end was waiting for has ended."""
        with self.lock:
            ended_at = self.subscriptions[subscription_id]["current_end"]
            self._transition(subscription_id, "cancelled", ended_at)

    def apply_scheduled_change(self, subscription_id: str) -> None:
        with self.lock:
            if subscription_id not in self.scheduled_changes:
                raise ValueError(f"{subscription_id} has no scheduled change")
            changes = self.scheduled_changes[subscription_id]
            self._apply_change(self.subscriptions[subscription_id], changes)

    def pay_order(self, order_id: str, *, method: str = "upi") -> dict[str, str]:
        with self.lock:
            payment = self._authorize(order_id, method)
            self._capture(payment)
            return self._checkout_response(order_id, payment)

    def authorize_order_payment(self, order_id: str) -> dict[str, str]:
        with self.lock:
            return self._checkout_response(order_id, self._authorize(order_id, "upi"))

    def capture(self, payment_id: str) -> None:
        with self.lock:
            payment = self.payments[payment_id]
            if payment["status"] != "authorized":
                raise ValueError(f"{payment_id} is {payment['status']}, not authorized")
            self._capture(payment)

    def fail_payment_for_order(self, order_id: str) -> str:
        with self.lock:
            order = self.orders[order_id]
            order.update(attempts=order["attempts"] + 1, status="attempted")
            payment = self._new_payment(order["amount_due"], "upi", order_id=order_id)
            payment |= {"status": "failed", "error_code": "BAD_REQUEST_ERROR"}
            payment |= {"error_description": "Payment failed", "error_source": "customer"}
            payment |= {"error_step": "payment_authentication", "error_reason": "payment_failed"}
            self.event("payment.failed", payment=payment)
            return str(payment["id"])

    # Bookkeeping ---------------------------------------------------------------------------------

    def _transition(self, subscription_id: str, status: str, ended_at: int | None = None) -> None:
        with self.lock:
            sub = self.subscriptions[subscription_id]
            sub["status"] = status
            if status in ENDED:
                sub.update(ended_at=ended_at, charge_at=None, has_scheduled_changes=False)
                sub["change_scheduled_at"] = None
                self.cancel_at_cycle_end.discard(subscription_id)
                self.scheduled_changes.pop(subscription_id, None)
            self.event(f"subscription.{status}", subscription=sub)

    def _apply_change(self, sub: Entity, changes: Entity) -> None:
        sub.update(changes, has_scheduled_changes=False, change_scheduled_at=None)
        self.scheduled_changes.pop(sub["id"], None)
        self.event("subscription.updated", subscription=sub)

    def _new_order(self, amount: int, receipt: str | None, notes: Entity) -> Entity:
        order = new_entity("order", "order", "offer_id")
        order |= {"amount": amount, "amount_paid": 0, "amount_due": amount, "currency": "INR"}
        order |= {"receipt": receipt, "status": "created", "attempts": 0, "notes": notes}
        order["created_at"] = self.clock()
        self.orders[order["id"]] = order
        return order

    def _new_payment(self, amount: int, method: str, **links: str) -> Entity:
        payment = new_entity(
            "payment",
            "pay",
            "order_id invoice_id refund_status description card_id bank wallet fee tax "
            "error_code error_description error_source error_step error_reason",
        )
        payment |= {"amount": amount, "currency": "INR", "status": "authorized", **links}
        payment |= {"international": False, "method": method, "amount_refunded": 0}
        payment |= {"captured": False, "vpa": "success@razorpay" if method == "upi" else None}
        payment |= {"email": "customer@example.com", "contact": "+919000090000", "notes": {}}
        payment["created_at"] = self.clock()
        self.payments[payment["id"]] = payment
        return payment

    def _authorize(self, order_id: str, method: str) -> Entity:
        order = self.orders[order_id]
        if order["status"] == "paid":
            raise ValueError(f"{order_id} is already paid")
        order.update(attempts=order["attempts"] + 1, status="attempted")
        payment = self._new_payment(order["amount_due"], method, order_id=order_id)
        self.event("payment.authorized", payment=payment)
        return payment

    def _capture(self, payment: Entity, *, announce_order: bool = True) -> None:
        fee = payment["amount"] * 2 // 100
        payment.update(status="captured", captured=True, fee=fee + fee * 18 // 100)
        payment["tax"] = fee * 18 // 100
        self.event("payment.captured", payment=payment)
        order = self.orders.get(payment["order_id"] or "")
        if order is not None:
            paid = order["amount_paid"] + payment["amount"]
            order.update(amount_paid=paid, amount_due=max(order["amount"] - paid, 0))
            order["status"] = "paid" if order["amount_due"] == 0 else "attempted"
            if announce_order:
                self.event("order.paid", order=order, payment=payment)

    def _checkout_response(self, order_id: str, payment: Entity) -> dict[str, str]:
        return {
            "razorpay_order_id": order_id,
            "razorpay_payment_id": payment["id"],
            "razorpay_signature": self.signature(f"{order_id}|{payment['id']}"),
        }

    def _charge(self, sub: Entity, start: int, method: str, *, first: bool) -> Entity:
        plan, now = self.plans[sub["plan_id"]], self.clock()
        amount, item = plan["item"]["amount"] * sub["quantity"], plan["item"]
        end = start + PERIOD_DAYS[plan["period"]] * plan["interval"] * DAY
        order = self._new_order(amount, None, {})
        invoice = new_entity("invoice", "inv", "invoice_number customer_id description short_url")
        invoice |= {"type": "invoice", "status": "paid", "order_id": order["id"]}
        invoice |= {"subscription_id": sub["id"], "line_items": [], "amount": amount}
        invoice |= {"gross_amount": amount, "tax_amount": 0, "amount_paid": amount}
        invoice |= {"amount_due": 0, "currency": "INR", "notes": {}, "billing_start": start}
        invoice |= {"billing_end": end, "date": now, "issued_at": now, "paid_at": now}
        invoice["created_at"] = now
        self.invoices[invoice["id"]] = invoice
        payment = self._new_payment(amount, method, order_id=order["id"], invoice_id=invoice["id"])
        payment["description"], invoice["payment_id"] = item["name"], payment["id"]
        order["attempts"] = 1
        if first:
            self.event("payment.authorized", payment=payment)
        self._capture(payment, announce_order=False)
        sub.update(status="active", current_start=start, current_end=end, charge_at=end)
        sub.update(paid_count=sub["paid_count"] + 1, auth_attempts=0)
        sub["remaining_count"] = max(sub["remaining_count"] - 1, 0)
        return payment

    # The HTTP API --------------------------------------------------------------------------------

    def _route(self, method: str, path: str, handler: Handler) -> Route:
        async def endpoint(request: Request) -> JSONResponse:
            body: Any = dict(request.query_params)
            if method != "GET":
                raw = await request.body()
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = None
            with self.lock:
                self.requests.append((method, request.url.path, body))
                try:
                    return JSONResponse(self._dispatch(request, body, handler))
                except RazorpayError as error:
                    return error.response()

        return Route(path, endpoint, methods=[method])

    def _dispatch(self, request: Request, body: Any, handler: Handler) -> Entity:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            supplied = base64.b64decode(token, validate=True)
        except binascii.Error:
            supplied = b""
        expected = f"{self.key_id}:{self.key_secret}".encode()
        if scheme.lower() != "basic" or not hmac.compare_digest(supplied, expected):
            raise RazorpayError("Authentication failed", status=401)
        if self.fail_next is not None:
            description, self.fail_next = self.fail_next, None
            raise RazorpayError(description)
        check(isinstance(body, dict), "The request body must be a JSON object.")
        return handler(body, dict(request.path_params))

    async def _no_route(self, request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return RazorpayError(NO_ROUTE, status=status).response()

    def _store(self, kind: str) -> dict[str, Entity]:
        stores = {"plans": self.plans, "subscriptions": self.subscriptions}
        stores |= {"orders": self.orders, "payments": self.payments}
        stores |= {"invoices": self.invoices, "refunds": self.refunds}
        if kind not in stores:
            raise RazorpayError(NO_ROUTE, status=404)
        return stores[kind]

    def _get(self, kind: str, key: str) -> Entity:
        if key not in self._store(kind):
            raise RazorpayError(NOT_FOUND, field="id", status=404)
        return self._store(kind)[key]

    def _fetch(self, query: Entity, path: dict[str, str]) -> Entity:
        return self._get(path["kind"], path["id"])

    def _list(self, query: Entity, path: dict[str, str]) -> Entity:
        return self._collection(self._store(path["kind"]).values(), query)

    def _order_payments(self, query: Entity, path: dict[str, str]) -> Entity:
        order_id = self._get("orders", path["id"])["id"]
        return self._collection(self.payments.values(), query | {"order_id": order_id})

    def _collection(self, entities: Iterable[Entity], query: Entity) -> Entity:
        query, paging = dict(query), {"count": 10, "skip": 0, "from": 0, "to": 2**62}
        try:
            count, skip, since, until = (int(query.pop(k, v)) for k, v in paging.items())
        except ValueError:
            raise RazorpayError("count, skip, from and to must be integers.") from None
        check(1 <= count <= 100, "The count must be between 1 and 100.", "count")
        matches = [
            e
            for e in entities
            if since <= e["created_at"] <= until
            and all(str(e.get(key)) == str(value) for key, value in query.items())
        ]
        matches.reverse()
        matches.sort(key=lambda e: int(e["created_at"]), reverse=True)
        page = matches[skip : skip + count]
        return {"entity": "collection", "count": len(page), "items": page}

    def _create_plan(self, body: Entity, path: dict[str, str]) -> Entity:
        period, item = body.get("period"), body.get("item") or {}
        check(period in PERIOD_DAYS, "Not a valid period.", "period")
        interval = need_int(body, "interval", 7 if period == "daily" else 1)
        check(isinstance(item, dict) and bool(item.get("name")), "Item name is required.", "item")
        amount = need_int(item, "amount", 1, "item.amount")
        check(item.get("currency") == "INR", "Currency is not supported.", "item.currency")
        plan_item = new_entity("item", "item", "unit hsn_code sac_code tax_rate tax_id")
        plan_item |= {"active": True, "name": item["name"], "description": item.get("description")}
        plan_item |= {"amount": amount, "unit_amount": amount, "currency": "INR", "type": "plan"}
        plan_item |= {"tax_inclusive": False, "tax_group_id": None, "created_at": self.clock()}
        plan_item["updated_at"] = self.clock()
        plan = new_entity("plan", "plan") | {"interval": interval, "period": period}
        plan |= {"item": plan_item, "notes": notes_of(body), "created_at": self.clock()}
        self.plans[plan["id"]] = plan
        return plan

    def _create_subscription(self, body: Entity, path: dict[str, str]) -> Entity:
        check(body.get("plan_id") in self.plans, NOT_FOUND, "plan_id")
        total = need_int(body, "total_count", 1)
        quantity = need_int(body, "quantity", 1) if "quantity" in body else 1
        now = self.clock()
        start_at = need_int(body, "start_at", now + 1) if body.get("start_at") else None
        expire_by = need_int(body, "expire_by", now + 1) if body.get("expire_by") else None
        sub = new_entity(
            "subscription",
            "sub",
            "customer_id current_start current_end ended_at end_at change_scheduled_at offer_id",
        )
        sub |= {"plan_id": body["plan_id"], "status": "created", "quantity": quantity}
        sub |= {"notes": notes_of(body), "charge_at": start_at, "start_at": start_at}
        sub |= {"auth_attempts": 0, "total_count": total, "paid_count": 0}
        sub |= {"customer_notify": body.get("customer_notify", 1) in TRUE, "created_at": now}
        sub |= {"expire_by": expire_by, "short_url": "https://rzp.io/i/" + random_chars(8)}
        sub |= {"has_scheduled_changes": False, "source": "api", "remaining_count": total}
        self.subscriptions[sub["id"]] = sub
        return sub

    def _cancel_subscription(self, body: Entity, path: dict[str, str]) -> Entity:
        sub = self._get("subscriptions", path["id"])
        status = sub["status"]
        check(status not in ENDED, f"Subscription is not cancellable in {status} status.")
        if body.get("cancel_at_cycle_end", 0) in TRUE and status == "active":
            self.cancel_at_cycle_end.add(sub["id"])
            sub.update(has_scheduled_changes=False, end_at=sub["current_end"])
        else:
            self._transition(sub["id"], "cancelled", self.clock())
        return sub

    def _update_subscription(self, body: Entity, path: dict[str, str]) -> Entity:
        sub = self._get("subscriptions", path["id"])
        status, when = sub["status"], body.get("schedule_change_at", "now")
        check(status in ("authenticated", "active"), f"Cannot update in {status} status.")
        check(when in ("now", "cycle_end"), "Invalid schedule_change_at.", "schedule_change_at")
        check(body.get("plan_id", sub["plan_id"]) in self.plans, NOT_FOUND, "plan_id")
        changes: Entity = {
            k: body[k] for k in ("plan_id", "quantity", "remaining_count") if k in body
        }
        for key in set(changes) - {"plan_id"}:
            need_int(changes, key, 1)
        check(bool(changes), "Send plan_id, quantity or remaining_count to update.")
        if when == "now":
            self._apply_change(sub, changes)
        else:
            self.scheduled_changes[sub["id"]] = changes
            sub.update(has_scheduled_changes=True, change_scheduled_at=sub["current_end"])
        return sub

    def _scheduled(self, query: Entity, path: dict[str, str]) -> Entity:
        sub = self._get("subscriptions", path["id"])
        changes = self.scheduled_changes.get(sub["id"])
        check(changes is not None, "Subscription does not have any scheduled changes.")
        return sub | (changes or {})

    def _unschedule(self, body: Entity, path: dict[str, str]) -> Entity:
        sub = self._get("subscriptions", path["id"])
        self._scheduled({}, path)
        del self.scheduled_changes[sub["id"]]
        sub.update(has_scheduled_changes=False, change_scheduled_at=None)
        return sub

    def _create_order(self, body: Entity, path: dict[str, str]) -> Entity:
        amount, receipt = need_int(body, "amount", 100), body.get("receipt")
        check(body.get("currency") == "INR", "Currency is not supported.", "currency")
        if receipt is not None:
            long = not isinstance(receipt, str) or len(receipt) > 40
            check(not long, "The receipt may not be greater than 40 characters.", "receipt")
            taken = any(order["receipt"] == receipt for order in self.orders.values())
            check(not taken, "Order receipt should be unique.", "receipt")
        return self._new_order(amount, receipt, notes_of(body))

    def _capture_payment(self, body: Entity, path: dict[str, str]) -> Entity:
        payment = self._get("payments", path["id"])
        check(not payment["captured"], "This payment has already been captured")
        check(payment["status"] == "authorized", "Only authorized payments can be captured")
        amount = need_int(body, "amount", 1)
        check(amount == payment["amount"], "Capture amount must equal the amount authorized")
        currency = body.get("currency", "INR")
        check(currency == payment["currency"], "Currency must match the payment's.", "currency")
        self._capture(payment)
        return payment

    def _refund_payment(self, body: Entity, path: dict[str, str]) -> Entity:
        payment = self._get("payments", path["id"])
        check(payment["status"] != "refunded", "The payment has been fully refunded already")
        check(payment["status"] == "captured", "Only captured payments can be refunded")
        remaining = payment["amount"] - payment["amount_refunded"]
        amount = need_int(body, "amount", 1) if "amount" in body else remaining
        check(amount <= remaining, "The refund amount is greater than amount captured", "amount")
        refund = new_entity("refund", "rfnd", "batch_id")
        refund |= {"amount": amount, "currency": "INR", "payment_id": payment["id"]}
        refund |= {"notes": notes_of(body), "receipt": body.get("receipt")}
        refund |= {"acquirer_data": {"arn": None}, "created_at": self.clock()}
        refund |= {"status": "processed", "speed_processed": "normal"}
        refund["speed_requested"] = body.get("speed", "normal")
        self.refunds[refund["id"]] = refund
        payment["amount_refunded"] += amount
        full = payment["amount_refunded"] == payment["amount"]
        payment.update(refund_status="full" if full else "partial")
        payment["status"] = "refunded" if full else "captured"
        self.event("refund.processed", refund=refund, payment=payment)
        return refund
