"""How payments and Razorpay's news move subscriptions: forward only (PAY-7, PAY-8, PAY-10, PAY-11).

Every function here is idempotent: applying the same fact twice leaves the same state, so a
webhook redelivered, a job run twice and a checkout verified after its webhook all agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing.models import (
    BillingPeriod,
    Payment,
    PaymentStatus,
    Subscription,
    SubscriptionKind,
    SubscriptionStatus,
)
from getmygrapher.billing.repository import BillingRepository
from getmygrapher.core import audit, outbox
from getmygrapher.core.time import IST, add_months, utcnow

log = structlog.get_logger(__name__)

TERMINAL = frozenset({SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED})


def can_grant(subscription: Subscription) -> bool:
    """A payment grants Pro unless its subscription has ended after running. A checkout closed
    as abandoned that Razorpay still captures was never active: the money is honoured."""
    return subscription.status not in TERMINAL or subscription.activated_at is None


_PAYMENT_STATUS = {
    "created": PaymentStatus.PENDING,
    "authorized": PaymentStatus.PENDING,
    "captured": PaymentStatus.SUCCESS,
    "failed": PaymentStatus.FAILED,
    "refunded": PaymentStatus.REFUNDED,
}


def from_epoch(value: Any) -> dt.datetime | None:
    if value in (None, 0, ""):
        return None
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


def financial_year(moment: dt.datetime) -> str:
    """India's financial year (April to March), e.g. 2026-27."""
    local = moment.astimezone(IST)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class PaymentChange:
    payment: Payment
    became_success: bool


async def record_payment(
    session: AsyncSession,
    *,
    entity: dict[str, Any],
    user_id: uuid.UUID,
    subscription_id: uuid.UUID | None,
) -> PaymentChange:
    """Mirror Razorpay's payment entity; statuses only move forward, and a payment that becomes
    successful gets the next receipt number of its financial year."""
    repo = BillingRepository(session)
    status = _PAYMENT_STATUS.get(str(entity.get("status")), PaymentStatus.PENDING)
    if status is PaymentStatus.REFUNDED or int(entity.get("amount_refunded") or 0) > 0:
        # Refunds happen to captured payments; keep the capture in the record.
        status = (
            PaymentStatus.REFUNDED
            if entity.get("refund_status") == "full" or status is PaymentStatus.REFUNDED
            else PaymentStatus.SUCCESS
        )
    payment = await repo.insert_payment(
        user_id=user_id,
        subscription_id=subscription_id,
        provider_payment_id=entity["id"],
        provider_order_id=entity.get("order_id"),
        provider_invoice_id=entity.get("invoice_id"),
        amount_paise=int(entity["amount"]),
        currency=entity.get("currency", "INR"),
        method=entity.get("method"),
        status=PaymentStatus.PENDING,
    )
    if payment is None:
        payment = await repo.payment_by_provider(entity["id"])
        assert payment is not None  # noqa: S101 - the insert just found it
    if payment.subscription_id is None and subscription_id is not None:
        payment.subscription_id = subscription_id
    payment.method = payment.method or entity.get("method")
    payment.amount_refunded_paise = max(
        payment.amount_refunded_paise, int(entity.get("amount_refunded") or 0)
    )
    became_success = False
    if status.rank > payment.status.rank:
        now = utcnow()
        if status is PaymentStatus.FAILED:
            payment.failed_at = now
            payment.error_description = str(entity.get("error_description") or "")[:300] or None
        if (
            status in {PaymentStatus.SUCCESS, PaymentStatus.REFUNDED}
            and payment.captured_at is None
        ):
            payment.captured_at = from_epoch(entity.get("created_at")) or now
            became_success = True
        if status is PaymentStatus.REFUNDED:
            payment.refunded_at = now
        payment.status = status
    if became_success and payment.receipt_number is None:
        fy = financial_year(payment.captured_at or utcnow())
        number = await repo.next_receipt_number(fy)
        payment.receipt_number = f"GMG/{fy}/{number:06d}"
        await outbox.add(session, "billing.send_receipt", payment_id=payment.id)
    await session.flush()
    return PaymentChange(payment=payment, became_success=became_success)


async def pro_ends_at(
    session: AsyncSession, user_id: uuid.UUID, *, excluding: uuid.UUID | None = None
) -> dt.datetime | None:
    """When the Pro the user already holds runs out, if they hold any."""
    live = await BillingRepository(session).live_subscriptions(user_id, utcnow())
    ends = [s.current_period_end for s in live if s.id != excluding and s.current_period_end]
    return max(ends, default=None)


async def grant_period(
    session: AsyncSession, subscription: Subscription, *, paid_at: dt.datetime
) -> None:
    """A captured payment buys one period: from capture, or from the end of Pro already held
    (buying again extends), or, for a renewal, from the end of the period it renews (PAY-8)."""
    months = (subscription.period or BillingPeriod.MONTHLY).months
    if (
        subscription.status in {SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD}
        and subscription.current_period_end is not None
    ):
        start = subscription.current_period_end  # a renewal continues without a gap
        end = add_months(start, months)
    else:
        held_until = await pro_ends_at(session, subscription.user_id, excluding=subscription.id)
        anchor = max(paid_at, held_until) if held_until else paid_at
        start, end = anchor, add_months(anchor, months)
        subscription.activated_at = subscription.activated_at or paid_at
        if subscription.kind is SubscriptionKind.RECURRING:
            # One running subscription per user: a successor takes over from the one it
            # continues at once, and covers the rest of its paid time as well as its own.
            await _retire_predecessor(session, subscription)
            start = paid_at
    if subscription.current_period_end is None or end > subscription.current_period_end:
        subscription.current_period_start, subscription.current_period_end = start, end
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.grace_until = None
    subscription.version += 1
    await session.flush()


async def _retire_predecessor(session: AsyncSession, successor: Subscription) -> None:
    """A subscription that continues a cancelled one takes over when the old period ends."""
    previous = await BillingRepository(session).running_recurring(successor.user_id)
    if previous is not None and previous.id != successor.id:
        await end_subscription(
            session, previous, SubscriptionStatus.CANCELLED, reason="continued", notify=False
        )


def _is_older(subscription: Subscription, occurred_at: dt.datetime | None) -> bool:
    return (
        occurred_at is not None
        and subscription.last_event_at is not None
        and occurred_at < subscription.last_event_at
    )


async def apply_subscription_news(
    session: AsyncSession,
    subscription: Subscription,
    *,
    event: str,
    entity: dict[str, Any],
    payment: dict[str, Any] | None,
    occurred_at: dt.datetime | None,
    grace_days: int,
) -> str:
    """Apply what Razorpay says about a subscription. Returns what happened, for the inbox.

    Older news than what was applied is ignored (payments in it are still recorded), and a
    cancelled or expired subscription never comes back.
    """
    if payment is not None and payment.get("status") in {"captured", "refunded"}:
        change = await record_payment(
            session, entity=payment, user_id=subscription.user_id, subscription_id=subscription.id
        )
        if change.became_success and can_grant(subscription):
            await grant_period(
                session, subscription, paid_at=change.payment.captured_at or utcnow()
            )
    if subscription.status in TERMINAL:
        return "ignored: subscription already ended"
    if _is_older(subscription, occurred_at):
        return "ignored: older than the state applied"
    subscription.last_event_at = max(
        filter(None, [subscription.last_event_at, occurred_at]), default=None
    )
    subscription.provider_status = str(entity.get("status") or subscription.provider_status)
    now = utcnow()
    if event == "subscription.pending" and subscription.status is SubscriptionStatus.ACTIVE:
        subscription.status = SubscriptionStatus.GRACE_PERIOD
        # Up to the grace days past the end of the period that failed to renew (PAY-11).
        subscription.grace_until = (subscription.current_period_end or now) + dt.timedelta(
            days=grace_days
        )
        await outbox.add(
            session,
            "billing.send_billing_notice",
            user_id=subscription.user_id,
            kind="payment_retry",
        )
    elif event == "subscription.halted":
        await end_subscription(session, subscription, SubscriptionStatus.EXPIRED, reason="halted")
    elif event in {"subscription.cancelled", "subscription.completed", "subscription.paused"}:
        # No more renewals; what was paid for is kept until its end (PAY-10).
        if subscription.status is SubscriptionStatus.PENDING:
            await end_subscription(
                session, subscription, SubscriptionStatus.CANCELLED, reason=event
            )
        else:
            subscription.cancel_at_period_end = True
    elif event == "subscription.resumed" and subscription.provider_status != "cancelled":
        subscription.cancel_at_period_end = False
    elif event == "subscription.updated":
        _apply_plan_change(subscription, entity)
    subscription.version += 1
    await session.flush()
    return f"applied {event}"


def _apply_plan_change(subscription: Subscription, entity: dict[str, Any]) -> None:
    if entity.get("has_scheduled_changes"):
        return
    if subscription.scheduled_period is not None:
        subscription.period = subscription.scheduled_period
        subscription.scheduled_period = None


async def end_subscription(
    session: AsyncSession,
    subscription: Subscription,
    status: SubscriptionStatus,
    *,
    reason: str,
    notify: bool = True,
) -> None:
    """The end of Pro from this subscription: nothing is deleted (PAY-16); other areas read the
    tier at the moment of each action, so limits and hidden extras follow at once."""
    if subscription.status in TERMINAL:
        return
    was_live = subscription.status in {SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD}
    now = utcnow()
    subscription.status = status
    subscription.ended_at = now
    if status is SubscriptionStatus.CANCELLED:
        subscription.cancelled_at = subscription.cancelled_at or now
    subscription.version += 1
    await session.flush()
    if was_live and notify:
        await outbox.add(
            session, "billing.send_billing_notice", user_id=subscription.user_id, kind="pro_ended"
        )
    log.info(
        "subscription_ended",
        subscription_id=str(subscription.id),
        status=status.value,
        reason=reason,
    )


async def end_due(session: AsyncSession, subscription_id: uuid.UUID) -> str:
    """Move one subscription on once its paid time, grace or checkout window is over."""
    repo = BillingRepository(session)
    subscription = await repo.get_subscription(subscription_id, for_update=True)
    if subscription is None:
        return "gone"
    now = utcnow()
    if (
        subscription.status is SubscriptionStatus.PENDING
        and subscription.created_at <= now - dt.timedelta(hours=24)
    ):
        await end_subscription(
            session, subscription, SubscriptionStatus.CANCELLED, reason="checkout_abandoned"
        )
        return "checkout abandoned"
    if (
        subscription.status is SubscriptionStatus.GRACE_PERIOD
        and subscription.grace_until
        and subscription.grace_until <= now
    ):
        await end_subscription(session, subscription, SubscriptionStatus.EXPIRED, reason="expired")
        return "grace over"
    if (
        subscription.status is SubscriptionStatus.ACTIVE
        and subscription.current_period_end
        and subscription.current_period_end <= now
    ):
        if subscription.kind is SubscriptionKind.RECURRING:
            if subscription.cancel_at_period_end:
                await end_subscription(
                    session, subscription, SubscriptionStatus.CANCELLED, reason="cancelled"
                )
                return "cancelled at period end"
            return "awaiting renewal"
        await end_subscription(session, subscription, SubscriptionStatus.EXPIRED, reason="expired")
        return "period over"
    return "nothing due"


async def grant_by_admin(
    session: AsyncSession, *, actor_id: uuid.UUID, user_id: uuid.UUID, months: int, reason: str
) -> Subscription:
    """Support: Pro for some months, after any Pro already held; audited."""
    repo = BillingRepository(session)
    await repo.lock_user(user_id)
    now = utcnow()
    held_until = await pro_ends_at(session, user_id)
    start = max(now, held_until) if held_until else now
    subscription = Subscription(
        user_id=user_id,
        kind=SubscriptionKind.ADMIN_GRANT,
        period=None,
        amount_paise=0,
        status=SubscriptionStatus.ACTIVE,
        current_period_start=start,
        current_period_end=add_months(start, months),
        activated_at=now,
        granted_by=actor_id,
        reason=reason,
    )
    await repo.add(subscription)
    await audit.record(
        session,
        actor_id=actor_id,
        action="billing.pro_granted",
        target_type="user",
        target_id=user_id,
        reason=reason,
        months=months,
        subscription_id=str(subscription.id),
    )
    return subscription
