"""Buying Pro: Razorpay subscriptions and one-off orders, created and verified on the server
(PAY-3 … PAY-6, PAY-10)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing.errors import (
    AlreadySubscribed,
    BillingNotConfigured,
    CheckoutPending,
    InvalidSignature,
    NotCancellable,
    SubscriptionNotFound,
)
from getmygrapher.billing.gateway import Gateway
from getmygrapher.billing.models import (
    BillingPeriod,
    PlanPrice,
    Subscription,
    SubscriptionKind,
    SubscriptionStatus,
)
from getmygrapher.billing.repository import BillingRepository
from getmygrapher.billing.schemas import CheckoutRead, SubscriptionRead, VerificationResult
from getmygrapher.billing.service.entitlements import subscription_read
from getmygrapher.billing.service.lifecycle import (
    TERMINAL,
    can_grant,
    end_subscription,
    grant_period,
    pro_ends_at,
    record_payment,
)
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import utcnow

# Razorpay needs a number of billing cycles; these run for ten years.
TOTAL_COUNT = {BillingPeriod.MONTHLY: 120, BillingPeriod.YEARLY: 10}
CHECKOUT_TTL = dt.timedelta(hours=24)


def gateway(runtime: Runtime) -> Gateway:
    """The Razorpay client, or 503 billing_not_configured without keys."""
    settings = runtime.settings
    if not settings.billing_configured or settings.razorpay_key_secret is None:
        raise BillingNotConfigured("Payments are not configured on this server.")
    existing = runtime.clients.get("razorpay")
    if isinstance(existing, Gateway):
        return existing
    webhook_secrets = tuple(
        s.get_secret_value()
        for s in (settings.razorpay_webhook_secret, settings.razorpay_previous_webhook_secret)
        if s
    )
    client = Gateway(
        key_id=settings.razorpay_key_id or "",
        key_secret=settings.razorpay_key_secret.get_secret_value(),
        webhook_secrets=webhook_secrets,
        base_url=settings.razorpay_base_url,
    )
    runtime.clients["razorpay"] = client
    return client


async def _price(session: AsyncSession, provider: Gateway, period: BillingPeriod) -> PlanPrice:
    """The active Pro price, with its Razorpay plan created the first time it is sold."""
    price = await BillingRepository(session).active_price(period, for_update=True)
    if price is None:
        raise NotCancellable("This plan is not on sale.")
    if price.provider_plan_id is None:
        plan = await provider.create_plan(
            period=period.value,
            amount_paise=price.amount_paise,
            name=f"GetMyGrapher Pro ({period.value})",
        )
        price.provider_plan_id = str(plan["id"])
        await session.flush()
    return price


async def _reuse_or_clear_pending(
    session: AsyncSession, user_id: uuid.UUID, kind: SubscriptionKind, period: BillingPeriod
) -> Subscription | None:
    """One checkout at a time: the same one again is returned; an abandoned one is closed."""
    pending = await BillingRepository(session).pending_checkout(user_id)
    if pending is None:
        return None
    if pending.created_at <= utcnow() - CHECKOUT_TTL:
        await end_subscription(
            session, pending, SubscriptionStatus.CANCELLED, reason="checkout_abandoned"
        )
        return None
    if pending.kind is kind and pending.period is period:
        return pending
    raise CheckoutPending(
        "Finish or wait out the checkout already started.", subscription_id=str(pending.id)
    )


async def start_subscription(
    session: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, period: BillingPeriod
) -> CheckoutRead:
    """A Razorpay subscription for monthly or yearly Pro; nothing is granted until it is paid.

    A running subscription is never cancelled here: asking for the other period schedules a
    plan switch at the end of the current one (PAY-3).
    """
    provider = gateway(runtime)
    repo = BillingRepository(session)
    await repo.lock_user(user_id)
    running = await repo.running_recurring(user_id)
    if running is not None:
        return await _switch_plan(session, provider, running, period)
    reused = await _reuse_or_clear_pending(session, user_id, SubscriptionKind.RECURRING, period)
    if reused is not None:
        return _checkout(provider, reused)
    price = await _price(session, provider, period)
    held_until = await pro_ends_at(session, user_id)
    body: dict[str, object] = {
        "plan_id": price.provider_plan_id,
        "total_count": TOTAL_COUNT[period],
        "quantity": 1,
        "customer_notify": 1,
        "notes": {"user_id": str(user_id), "plan": f"pro_{period.value}"},
    }
    if held_until is not None:
        body["start_at"] = int(held_until.timestamp())  # the first charge when the paid Pro ends
    created = await provider.create_subscription(body)
    subscription = Subscription(
        user_id=user_id,
        kind=SubscriptionKind.RECURRING,
        period=period,
        price_id=price.id,
        amount_paise=price.amount_paise,
        status=SubscriptionStatus.PENDING,
        provider_subscription_id=str(created["id"]),
        provider_status=str(created["status"]),
        starts_at=held_until,
    )
    await repo.add(subscription)
    return _checkout(provider, subscription)


async def _switch_plan(
    session: AsyncSession, provider: Gateway, running: Subscription, period: BillingPeriod
) -> CheckoutRead:
    if running.period is period and running.scheduled_period is None:
        raise AlreadySubscribed("You already have this Pro subscription.")
    if running.cancel_at_period_end:
        raise AlreadySubscribed("This subscription is ending; start a new one after it ends.")
    if running.period is period:  # back to the current period: drop the scheduled switch
        await provider.cancel_scheduled_changes(running.provider_subscription_id or "")
        running.scheduled_period = None
    else:
        price = await _price(session, provider, period)
        await provider.schedule_plan_change(
            running.provider_subscription_id or "", price.provider_plan_id or ""
        )
        running.scheduled_period = period
    running.version += 1
    await session.flush()
    return _checkout(provider, running, plan_switch=True)


def _checkout(
    provider: Gateway, subscription: Subscription, *, plan_switch: bool = False
) -> CheckoutRead:
    return CheckoutRead(
        subscription=subscription_read(subscription),
        key_id=provider.key_id,
        razorpay_subscription_id=subscription.provider_subscription_id,
        razorpay_order_id=subscription.provider_order_id,
        amount_paise=subscription.amount_paise,
        plan_switch=plan_switch,
    )


async def start_order(
    session: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, period: BillingPeriod
) -> CheckoutRead:
    """PAY-5: one period that does not renew; bought while Pro, it extends from the end."""
    provider = gateway(runtime)
    repo = BillingRepository(session)
    await repo.lock_user(user_id)
    reused = await _reuse_or_clear_pending(session, user_id, SubscriptionKind.ONE_TIME, period)
    if reused is not None:
        return _checkout(provider, reused)
    price = await repo.active_price(period)
    if price is None:
        raise NotCancellable("This plan is not on sale.")
    receipt = f"gmg_{secrets.token_hex(12)}"
    order = await provider.create_order(
        {
            "amount": price.amount_paise,
            "currency": "INR",
            "receipt": receipt,
            "notes": {"user_id": str(user_id), "plan": f"pro_{period.value}_one_time"},
        }
    )
    subscription = Subscription(
        user_id=user_id,
        kind=SubscriptionKind.ONE_TIME,
        period=period,
        price_id=price.id,
        amount_paise=price.amount_paise,
        status=SubscriptionStatus.PENDING,
        provider_order_id=str(order["id"]),
        provider_status=str(order["status"]),
    )
    await repo.add(subscription)
    return _checkout(provider, subscription)


async def _owned(
    session: AsyncSession, subscription: Subscription | None, user_id: uuid.UUID
) -> Subscription:
    if subscription is None or subscription.user_id != user_id:
        raise SubscriptionNotFound("No checkout of yours has this id.")
    return subscription


async def verify_subscription_payment(
    session: AsyncSession,
    runtime: Runtime,
    *,
    user_id: uuid.UUID,
    payment_id: str,
    provider_subscription_id: str,
    signature: str,
) -> VerificationResult:
    """PAY-6: the checkout's signature first; then the payment itself, fetched from Razorpay,
    decides. Uncaptured payments wait for the webhook."""
    provider = gateway(runtime)
    provider.check_subscription_signature(
        payment_id=payment_id, subscription_id=provider_subscription_id, signature=signature
    )
    repo = BillingRepository(session)
    await repo.lock_user(user_id)
    subscription = await _owned(
        session, await repo.by_provider_subscription(provider_subscription_id), user_id
    )
    payment = await provider.fetch_payment(payment_id)
    return await _settle(session, subscription, payment)


async def verify_order_payment(
    session: AsyncSession,
    runtime: Runtime,
    *,
    user_id: uuid.UUID,
    order_id: str,
    payment_id: str,
    signature: str,
) -> VerificationResult:
    provider = gateway(runtime)
    provider.check_order_signature(order_id=order_id, payment_id=payment_id, signature=signature)
    repo = BillingRepository(session)
    await repo.lock_user(user_id)
    subscription = await _owned(session, await repo.by_provider_order(order_id), user_id)
    payment = await provider.fetch_payment(payment_id)
    if payment.get("order_id") != order_id:
        raise InvalidSignature("This payment does not belong to this order.")
    return await _settle(session, subscription, payment)


async def _settle(
    session: AsyncSession, subscription: Subscription, payment: dict[str, object]
) -> VerificationResult:
    change = await record_payment(
        session, entity=dict(payment), user_id=subscription.user_id, subscription_id=subscription.id
    )
    if change.became_success and can_grant(subscription):
        await grant_period(session, subscription, paid_at=change.payment.captured_at or utcnow())
    active = subscription.status is SubscriptionStatus.ACTIVE
    return VerificationResult(
        status="active" if active else "processing", subscription=subscription_read(subscription)
    )


async def cancel_at_period_end(
    session: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, subscription_id: uuid.UUID
) -> SubscriptionRead:
    """PAY-10: no renewal at the provider; Pro stays until the paid period ends."""
    provider = gateway(runtime)
    repo = BillingRepository(session)
    subscription = await _owned(
        session, await repo.get_subscription(subscription_id, for_update=True), user_id
    )
    if subscription.kind is not SubscriptionKind.RECURRING or subscription.status not in {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.GRACE_PERIOD,
    }:
        raise NotCancellable("Only a running subscription can be cancelled.")
    if not subscription.cancel_at_period_end:
        await provider.cancel_subscription(
            subscription.provider_subscription_id or "", at_cycle_end=True
        )
        subscription.cancel_at_period_end = True
        subscription.cancelled_at = utcnow()
        subscription.version += 1
        await session.flush()
    return subscription_read(subscription)


async def undo_cancellation(
    session: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, subscription_id: uuid.UUID
) -> CheckoutRead:
    """Keep Pro going after a cancellation, before the period ends.

    Razorpay cannot revive a cancelled subscription, so a new one is created that starts when
    the paid period ends; the user authorises it in Checkout and is charged only then.
    """
    provider = gateway(runtime)
    repo = BillingRepository(session)
    await repo.lock_user(user_id)
    subscription = await _owned(
        session, await repo.get_subscription(subscription_id, for_update=True), user_id
    )
    if (
        not subscription.cancel_at_period_end
        or subscription.status in TERMINAL
        or subscription.period is None
    ):
        raise NotCancellable("This subscription is not set to end.")
    reused = await _reuse_or_clear_pending(
        session, user_id, SubscriptionKind.RECURRING, subscription.period
    )
    if reused is not None:
        return _checkout(provider, reused)
    price = await _price(session, provider, subscription.period)
    starts_at = subscription.current_period_end or utcnow()
    created = await provider.create_subscription(
        {
            "plan_id": price.provider_plan_id,
            "total_count": TOTAL_COUNT[subscription.period],
            "quantity": 1,
            "customer_notify": 1,
            "start_at": int(starts_at.timestamp()),
            "notes": {
                "user_id": str(user_id),
                "plan": f"pro_{subscription.period.value}",
                "continues": str(subscription.id),
            },
        }
    )
    successor = Subscription(
        user_id=user_id,
        kind=SubscriptionKind.RECURRING,
        period=subscription.period,
        price_id=price.id,
        amount_paise=price.amount_paise,
        status=SubscriptionStatus.PENDING,
        provider_subscription_id=str(created["id"]),
        provider_status=str(created["status"]),
        starts_at=starts_at,
    )
    await repo.add(successor)
    return _checkout(provider, successor)
