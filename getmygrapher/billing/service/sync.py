"""Keeping up with Razorpay: the webhook inbox and its processing, and reconciliation for what
webhooks missed (PAY-7, PAY-11; STYLE §10)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing.errors import InvalidSignature
from getmygrapher.billing.models import Subscription, SubscriptionStatus
from getmygrapher.billing.repository import BillingRepository
from getmygrapher.billing.service.checkout import gateway
from getmygrapher.billing.service.lifecycle import (
    TERMINAL,
    apply_subscription_news,
    can_grant,
    end_due,
    from_epoch,
    grant_period,
    record_payment,
)
from getmygrapher.core import outbox
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import utcnow

log = structlog.get_logger(__name__)

HANDLED = frozenset(
    {
        "payment.authorized",
        "payment.captured",
        "payment.failed",
        "order.paid",
        "refund.processed",
        "subscription.authenticated",
        "subscription.activated",
        "subscription.charged",
        "subscription.pending",
        "subscription.halted",
        "subscription.cancelled",
        "subscription.completed",
        "subscription.paused",
        "subscription.resumed",
        "subscription.updated",
    }
)


async def receive_webhook(
    session: AsyncSession,
    runtime: Runtime,
    *,
    body: bytes,
    signature: str | None,
    event_id: str | None,
) -> bool:
    """Verify, store once in the inbox, and leave the work to a job. False for a redelivery."""
    provider = gateway(runtime)
    if not signature:
        raise InvalidSignature("The webhook signature is missing.")
    provider.check_webhook_signature(body, signature)
    try:
        event = json.loads(body)
        event_type = str(event["event"])
    except (ValueError, KeyError, TypeError):
        raise InvalidSignature("The webhook body is not a Razorpay event.") from None
    # Razorpay names each event in a header; a body hash stands in if a proxy dropped it.
    external_id = event_id or f"sha256:{_digest(body)}"
    stored = await BillingRepository(session).store_event(
        external_id=external_id[:100],
        event_type=event_type[:60],
        payload=event,
        occurred_at=from_epoch(event.get("created_at")) or utcnow(),
    )
    if stored is None:
        return False
    await outbox.add(session, "billing.handle_provider_event", event_id=stored)
    return True


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _entity(payload: dict[str, Any], name: str) -> dict[str, Any] | None:
    wrapper = payload.get(name)
    if isinstance(wrapper, dict) and isinstance(wrapper.get("entity"), dict):
        return dict(wrapper["entity"])
    return None


async def handle_provider_event(
    session: AsyncSession, runtime: Runtime, *, event_id: uuid.UUID
) -> str:
    """Apply one stored event, in the same transaction that marks it processed."""
    repo = BillingRepository(session)
    event = await repo.lock_event(event_id)
    if event is None or event.processed_at is not None:
        return "already processed"
    outcome = await _apply(
        session, runtime, event.event_type, event.payload.get("payload", {}), event.occurred_at
    )
    event.processed_at, event.outcome = utcnow(), outcome[:200]
    await session.flush()
    log.info("provider_event_processed", event_type=event.event_type, outcome=outcome)
    return outcome


async def _apply(
    session: AsyncSession,
    runtime: Runtime,
    event_type: str,
    payload: dict[str, Any],
    occurred_at: dt.datetime,
) -> str:
    if event_type not in HANDLED:
        return "ignored: not an event we act on"
    repo = BillingRepository(session)
    payment = _entity(payload, "payment")
    subscription_entity = _entity(payload, "subscription")
    if subscription_entity is not None:
        subscription = await repo.by_provider_subscription(str(subscription_entity.get("id")))
        if subscription is None:
            return "ignored: unknown subscription"
        await repo.lock_user(subscription.user_id)
        return await apply_subscription_news(
            session,
            subscription,
            event=event_type,
            entity=subscription_entity,
            payment=payment,
            occurred_at=occurred_at,
            grace_days=runtime.settings.billing_grace_days,
        )
    if payment is not None:
        return await _apply_payment(session, payment)
    return "ignored: nothing we know in it"


async def _apply_payment(session: AsyncSession, payment: dict[str, Any]) -> str:
    """Payments of one-off orders activate here; subscription payments arrive with
    subscription.charged. A payment we know is updated whatever it is for."""
    repo = BillingRepository(session)
    order_id = payment.get("order_id")
    subscription = await repo.by_provider_order(str(order_id)) if order_id else None
    if subscription is None:
        known = await repo.payment_by_provider(str(payment.get("id")))
        if known is None:
            return "ignored: payment for nothing of ours"
        await record_payment(
            session, entity=payment, user_id=known.user_id, subscription_id=known.subscription_id
        )
        return f"payment {known.status.value}"
    await repo.lock_user(subscription.user_id)
    change = await record_payment(
        session, entity=payment, user_id=subscription.user_id, subscription_id=subscription.id
    )
    if change.became_success and can_grant(subscription):
        await grant_period(session, subscription, paid_at=change.payment.captured_at or utcnow())
        return "order paid: Pro granted"
    return f"payment {change.payment.status.value}"


# Reconciliation -----------------------------------------------------------------------------


async def reconcile_payment(
    session: AsyncSession, runtime: Runtime, *, provider_payment_id: str
) -> str:
    """A payment pending for 15 minutes: ask Razorpay and apply the answer."""
    entity = await gateway(runtime).fetch_payment(provider_payment_id)
    return await _apply_payment(session, entity)


async def reconcile_subscription(
    session: AsyncSession, runtime: Runtime, *, subscription_id: uuid.UUID
) -> str:
    """A subscription Razorpay has been quiet about: fetch it, and any paid invoices, and move
    local state the way the missed webhooks would have."""
    repo = BillingRepository(session)
    subscription = await repo.get_subscription(subscription_id, for_update=True)
    if (
        subscription is None
        or subscription.provider_subscription_id is None
        or subscription.status in TERMINAL
    ):
        return "nothing to reconcile"
    provider = gateway(runtime)
    entity = await provider.fetch_subscription(subscription.provider_subscription_id)
    for invoice in await provider.subscription_invoices(subscription.provider_subscription_id):
        if invoice.get("payment_id") and invoice.get("status") == "paid":
            payment = await provider.fetch_payment(str(invoice["payment_id"]))
            await apply_subscription_news(
                session,
                subscription,
                event="subscription.charged",
                entity=entity,
                payment=payment,
                occurred_at=None,
                grace_days=runtime.settings.billing_grace_days,
            )
    event = _STATUS_AS_EVENT.get(str(entity.get("status")))
    outcome = "in step"
    if event is not None:
        outcome = await apply_subscription_news(
            session,
            subscription,
            event=event,
            entity=entity,
            payment=None,
            occurred_at=None,
            grace_days=runtime.settings.billing_grace_days,
        )
    subscription.last_synced_at = utcnow()
    await session.flush()
    return outcome


_STATUS_AS_EVENT = {
    "pending": "subscription.pending",
    "halted": "subscription.halted",
    "cancelled": "subscription.cancelled",
    "completed": "subscription.completed",
    "paused": "subscription.paused",
    "expired": "subscription.cancelled",
}


async def due_work(
    session: AsyncSession,
) -> tuple[list[uuid.UUID], list[uuid.UUID], list[str], list[uuid.UUID]]:
    """What the periodic sweep should look at: ends due, quiet subscriptions, stale payments
    and events stored but never processed (a crash between storing and processing)."""
    repo = BillingRepository(session)
    now = utcnow()
    return (
        list(await repo.due_for_ending(now)),
        list(await repo.needing_sync(now)),
        list(await repo.stale_pending_payments(now - dt.timedelta(minutes=15))),
        list(await repo.unprocessed_events(now - dt.timedelta(minutes=2))),
    )


async def settle_due(session: AsyncSession, runtime: Runtime, *, subscription_id: uuid.UUID) -> str:
    """Move one subscription on once its paid time, grace or checkout window is over."""
    subscription = await BillingRepository(session).get_subscription(
        subscription_id, for_update=True
    )
    if subscription is None:
        return "gone"
    if subscription.status is SubscriptionStatus.PENDING and runtime.settings.billing_configured:
        return await _close_abandoned_checkout(session, runtime, subscription)
    return await end_due(session, subscription_id)


async def _close_abandoned_checkout(
    session: AsyncSession, runtime: Runtime, subscription: Subscription
) -> str:
    """Before closing a day-old checkout, ask Razorpay whether it was paid after all (its
    webhooks may have been lost); if not, stop it at Razorpay so it cannot be paid later."""
    if subscription.created_at > utcnow() - dt.timedelta(hours=24):
        return "checkout still open"
    provider = gateway(runtime)
    if subscription.provider_subscription_id:
        await reconcile_subscription(session, runtime, subscription_id=subscription.id)
        if subscription.status is SubscriptionStatus.PENDING:
            remote = await provider.fetch_subscription(subscription.provider_subscription_id)
            if remote.get("status") in {"created", "authenticated", "active", "pending"}:
                await provider.cancel_subscription(
                    subscription.provider_subscription_id, at_cycle_end=False
                )
    elif subscription.provider_order_id:
        for payment in await provider.order_payments(subscription.provider_order_id):
            await _apply_payment(session, payment)
    if subscription.status is not SubscriptionStatus.PENDING:
        return "paid after all"
    return await end_due(session, subscription.id)
