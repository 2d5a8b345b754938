"""Razorpay, through its official SDK (synchronous: every call runs in a worker thread)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import razorpay
import structlog
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError
from requests import RequestException

from getmygrapher.billing.errors import BillingNotConfigured, InvalidSignature, ProviderUnavailable

log = structlog.get_logger(__name__)
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.razorpay.com"


@dataclass(frozen=True)
class Gateway:
    key_id: str
    key_secret: str
    webhook_secrets: tuple[str, ...]
    base_url: str = DEFAULT_BASE_URL

    def _client(self) -> Any:
        # A client per call: the SDK's requests.Session is not shared across threads.
        return razorpay.Client(auth=(self.key_id, self.key_secret), base_url=self.base_url)

    async def _call(self, action: Callable[[Any], T]) -> T:
        def run() -> T:
            return action(self._client())

        try:
            return await anyio.to_thread.run_sync(run)
        except BadRequestError as error:
            log.warning("razorpay_refused", error=str(error)[:200])
            raise ProviderUnavailable(f"Razorpay refused the request: {error}") from None
        except (GatewayError, ServerError, RequestException, ValueError) as error:
            log.warning("razorpay_unreachable", error=type(error).__name__)
            raise ProviderUnavailable("The payment provider is unreachable; try again.") from None

    # Plans, subscriptions, orders, payments -------------------------------------------------

    async def create_plan(self, *, period: str, amount_paise: int, name: str) -> dict[str, Any]:
        body = {
            "period": period,
            "interval": 1,
            "item": {"name": name, "amount": amount_paise, "currency": "INR"},
        }
        return await self._call(lambda c: c.plan.create(body))

    async def create_subscription(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call(lambda c: c.subscription.create(body))

    async def fetch_subscription(self, subscription_id: str) -> dict[str, Any]:
        return await self._call(lambda c: c.subscription.fetch(subscription_id))

    async def cancel_subscription(
        self, subscription_id: str, *, at_cycle_end: bool
    ) -> dict[str, Any]:
        body = {"cancel_at_cycle_end": 1 if at_cycle_end else 0}
        return await self._call(lambda c: c.subscription.cancel(subscription_id, body))

    async def schedule_plan_change(self, subscription_id: str, plan_id: str) -> dict[str, Any]:
        body = {"plan_id": plan_id, "schedule_change_at": "cycle_end"}
        return await self._call(lambda c: c.subscription.edit(subscription_id, body))

    async def cancel_scheduled_changes(self, subscription_id: str) -> dict[str, Any]:
        return await self._call(lambda c: c.subscription.cancel_scheduled_changes(subscription_id))

    async def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call(lambda c: c.order.create(body))

    async def fetch_payment(self, payment_id: str) -> dict[str, Any]:
        return await self._call(lambda c: c.payment.fetch(payment_id))

    async def order_payments(self, order_id: str) -> list[dict[str, Any]]:
        found = await self._call(lambda c: c.order.payments(order_id))
        return list(found.get("items", []))

    async def subscription_invoices(self, subscription_id: str) -> list[dict[str, Any]]:
        found = await self._call(lambda c: c.invoice.all({"subscription_id": subscription_id}))
        return list(found.get("items", []))

    async def refund(
        self, payment_id: str, *, amount_paise: int, receipt: str, notes: dict[str, str]
    ) -> dict[str, Any]:
        body = {"amount": amount_paise, "receipt": receipt, "notes": notes}
        return await self._call(lambda c: c.payment.refund(payment_id, body))

    # Signatures ---------------------------------------------------------------------------

    def _verify(self, message: str, signature: str, secret: str) -> bool:
        try:
            return bool(self._client().utility.verify_signature(message, signature, secret))
        except SignatureVerificationError:
            return False

    def check_subscription_signature(
        self, *, payment_id: str, subscription_id: str, signature: str
    ) -> None:
        """PAY-6: HMAC-SHA256 of payment_id|subscription_id under the key secret."""
        if not self._verify(f"{payment_id}|{subscription_id}", signature, self.key_secret):
            raise InvalidSignature("The payment signature does not match.")

    def check_order_signature(self, *, order_id: str, payment_id: str, signature: str) -> None:
        """PAY-6: HMAC-SHA256 of order_id|payment_id under the key secret."""
        if not self._verify(f"{order_id}|{payment_id}", signature, self.key_secret):
            raise InvalidSignature("The payment signature does not match.")

    def check_webhook_signature(self, body: bytes, signature: str) -> None:
        """PAY-7: the raw body under the webhook secret, or the previous one during rotation."""
        if not self.webhook_secrets:
            raise BillingNotConfigured("Webhooks are not configured on this server.")
        for secret in self.webhook_secrets:
            expected = hmac.new(secret.encode(), body, "sha256").hexdigest()
            if hmac.compare_digest(expected, signature):
                return
        raise InvalidSignature("The webhook signature does not match.")
