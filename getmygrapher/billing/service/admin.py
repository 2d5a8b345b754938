"""Support and platform controls: grant or revoke Pro, refunds, prices and limits (ADM-7, PAY-9)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.billing.errors import (
    PaymentNotFound,
    RefundNotAllowed,
    UnknownFeature,
    UserNotFound,
)
from getmygrapher.billing.models import (
    BillingPeriod,
    FeatureKind,
    SubscriptionKind,
    SubscriptionStatus,
    Tier,
)
from getmygrapher.billing.repository import BillingRepository
from getmygrapher.billing.schemas import (
    FeatureRead,
    PaymentRead,
    PriceRead,
    SubscriptionRead,
)
from getmygrapher.billing.service.checkout import gateway
from getmygrapher.billing.service.entitlements import subscription_read
from getmygrapher.billing.service.lifecycle import end_subscription, grant_by_admin
from getmygrapher.billing.service.receipts import is_refundable, payment_read
from getmygrapher.core import audit
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow


async def grant_pro(
    session: AsyncSession, *, actor: Principal, user_id: uuid.UUID, months: int, reason: str
) -> SubscriptionRead:
    if not await accounts_service.account_exists(session, user_id=user_id):
        raise UserNotFound("No such user.")
    subscription = await grant_by_admin(
        session, actor_id=actor.id, user_id=user_id, months=months, reason=reason
    )
    return subscription_read(subscription)


async def revoke_pro(
    session: AsyncSession, runtime: Runtime, *, actor: Principal, user_id: uuid.UUID, reason: str
) -> int:
    """End every subscription granting Pro now, at once; recurring ones stop at Razorpay too.
    Refunds, if any are due, are a separate action. Returns how many ended."""
    repo = BillingRepository(session)
    await repo.lock_user(user_id)
    live = await repo.live_subscriptions(user_id, utcnow())
    for subscription in live:
        if (
            subscription.kind is SubscriptionKind.RECURRING
            and subscription.provider_subscription_id
            and not subscription.cancel_at_period_end
        ):
            await gateway(runtime).cancel_subscription(
                subscription.provider_subscription_id, at_cycle_end=False
            )
        await end_subscription(
            session, subscription, SubscriptionStatus.CANCELLED, reason="revoked"
        )
        await audit.record(
            session,
            actor_id=actor.id,
            action="billing.pro_revoked",
            target_type="user",
            target_id=user_id,
            reason=reason,
            subscription_id=str(subscription.id),
        )
    return len(live)


async def refund_payment(
    session: AsyncSession,
    runtime: Runtime,
    *,
    actor: Principal,
    payment_id: uuid.UUID,
    amount_paise: int | None,
    reason: str,
) -> PaymentRead:
    """Full or partial, through Razorpay; the refund is keyed to the payment and the amount
    already refunded, so a retried request cannot refund twice."""
    repo = BillingRepository(session)
    payment = await repo.get_payment(payment_id, for_update=True)
    if payment is None:
        raise PaymentNotFound("No payment has this id.")
    if not is_refundable(payment):
        raise RefundNotAllowed("Only successful payments with something left can be refunded.")
    remaining = payment.amount_paise - payment.amount_refunded_paise
    amount = amount_paise or remaining
    if amount > remaining:
        raise ValidationFailed.field(
            "amount_paise", "out_of_range", f"At most {remaining} paise can still be refunded."
        )
    receipt = f"rf_{payment.id.hex[:16]}_{payment.amount_refunded_paise}"
    await gateway(runtime).refund(
        payment.provider_payment_id,
        amount_paise=amount,
        receipt=receipt,
        notes={"reason": reason[:200]},
    )
    # The refund webhook confirms it; the amount is recorded now so a retry cannot repeat it.
    payment.amount_refunded_paise += amount
    await audit.record(
        session,
        actor_id=actor.id,
        action="billing.refund",
        target_type="payment",
        target_id=payment.id,
        reason=reason,
        amount_paise=amount,
    )
    await session.flush()
    return payment_read(payment)


async def set_feature(
    session: AsyncSession, *, actor: Principal, tier: Tier, feature: str, value: int, reason: str
) -> FeatureRead:
    row = await BillingRepository(session).feature(tier, feature, for_update=True)
    if row is None:
        raise UnknownFeature(f"There is no feature called {feature!r}.")
    if row.kind is FeatureKind.FLAG and value not in {0, 1}:
        raise ValidationFailed.field("value", "out_of_range", "A flag is 0 or 1.")
    previous, row.value = row.value, value
    await audit.record(
        session,
        actor_id=actor.id,
        action="billing.feature_changed",
        target_type="plan_feature",
        target_id=f"{tier.value}:{feature}",
        reason=reason,
        previous=previous,
        value=value,
    )
    await session.flush()
    return FeatureRead(key=row.feature, kind=row.kind, value=row.value)


async def set_price(
    session: AsyncSession,
    *,
    actor: Principal,
    period: BillingPeriod,
    amount_paise: int,
    reason: str,
) -> PriceRead:
    """A new price for new checkouts; periods already paid and running subscriptions keep
    the price they were bought at (PAY-1)."""
    price = await BillingRepository(session).replace_price(period, amount_paise)
    await audit.record(
        session,
        actor_id=actor.id,
        action="billing.price_changed",
        target_type="plan_price",
        target_id=price.id,
        reason=reason,
        period=period.value,
        amount_paise=amount_paise,
    )
    return PriceRead(period=price.period, amount_paise=price.amount_paise, currency=price.currency)
