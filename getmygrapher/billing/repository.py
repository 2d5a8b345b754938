"""Every query on the billing tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing.models import (
    BillingPeriod,
    BillingProfile,
    Payment,
    PaymentStatus,
    PlanFeature,
    PlanPrice,
    ProviderEvent,
    Subscription,
    SubscriptionKind,
    SubscriptionStatus,
    Tier,
)

# A renewing subscription keeps Pro for a little while past its period end, so a renewal
# charge that Razorpay reports a few minutes late never flickers the user to Free.
RENEWAL_LEEWAY = dt.timedelta(hours=2)

_LIVE = """
    s.user_id = :user_id AND (
      (s.status = 'active' AND coalesce(s.current_period_start, s.created_at) <= :at
       AND s.current_period_end + CASE WHEN s.kind = 'recurring' AND NOT s.cancel_at_period_end
                                       THEN :leeway ELSE interval '0' END > :at)
      OR (s.status = 'grace_period' AND s.grace_until > :at))
"""

_TIER = text(f"SELECT EXISTS (SELECT 1 FROM subscriptions s WHERE {_LIVE})")  # noqa: S608 - constant

FEATURE_VALUE_SQL = f"""
    SELECT value FROM plan_features
    WHERE feature = :feature AND tier = CASE WHEN EXISTS (
        SELECT 1 FROM subscriptions s WHERE {_LIVE}) THEN 'pro'::tier ELSE 'free'::tier END
"""  # noqa: S608 - built from constants only
_FEATURE_VALUE = text(FEATURE_VALUE_SQL)

# Check and count in one statement: the conflict branch only increments below the limit, and
# concurrent transactions queue on the row, so no number of parallel calls can overshoot.
_CONSUME = text(
    """
    INSERT INTO usage_counters AS c (user_id, feature, period_start, used)
    VALUES (:user_id, :feature, :period_start, 1)
    ON CONFLICT (user_id, feature, period_start)
    DO UPDATE SET used = c.used + 1 WHERE :unlimited OR c.used < :limit
    RETURNING used
    """
)

_NEXT_RECEIPT = text(
    """
    INSERT INTO receipt_counters (financial_year, last_number) VALUES (:fy, 1)
    ON CONFLICT (financial_year) DO UPDATE SET last_number = receipt_counters.last_number + 1
    RETURNING last_number
    """
)


class BillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Plans -------------------------------------------------------------------------------

    async def features(self, tier: Tier | None = None) -> Sequence[PlanFeature]:
        stmt = select(PlanFeature).order_by(PlanFeature.tier, PlanFeature.feature)
        if tier is not None:
            stmt = stmt.where(PlanFeature.tier == tier)
        return (await self.session.scalars(stmt)).all()

    async def feature(
        self, tier: Tier, key: str, *, for_update: bool = False
    ) -> PlanFeature | None:
        stmt = select(PlanFeature).where(PlanFeature.tier == tier, PlanFeature.feature == key)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def active_prices(self) -> Sequence[PlanPrice]:
        stmt = select(PlanPrice).where(PlanPrice.active.is_(True)).order_by(PlanPrice.period)
        return (await self.session.scalars(stmt)).all()

    async def active_price(
        self, period: BillingPeriod, *, for_update: bool = False
    ) -> PlanPrice | None:
        stmt = select(PlanPrice).where(
            PlanPrice.tier == Tier.PRO, PlanPrice.period == period, PlanPrice.active.is_(True)
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def price_by_provider_plan(self, provider_plan_id: str) -> PlanPrice | None:
        return await self.session.scalar(
            select(PlanPrice).where(PlanPrice.provider_plan_id == provider_plan_id)
        )

    async def replace_price(self, period: BillingPeriod, amount_paise: int) -> PlanPrice:
        await self.session.execute(
            update(PlanPrice)
            .where(
                PlanPrice.tier == Tier.PRO, PlanPrice.period == period, PlanPrice.active.is_(True)
            )
            .values(active=False)
        )
        price = PlanPrice(tier=Tier.PRO, period=period, amount_paise=amount_paise)
        self.session.add(price)
        await self.session.flush()
        return price

    # Tier and usage ------------------------------------------------------------------------

    def _live_params(self, user_id: uuid.UUID, at: dt.datetime) -> dict[str, Any]:
        return {"user_id": user_id, "at": at, "leeway": RENEWAL_LEEWAY}

    async def is_pro(self, user_id: uuid.UUID, at: dt.datetime) -> bool:
        return bool(await self.session.scalar(_TIER, self._live_params(user_id, at)))

    async def feature_value(self, user_id: uuid.UUID, feature: str, at: dt.datetime) -> int | None:
        _, params = self.feature_value_query(user_id, feature, at)
        value = await self.session.scalar(_FEATURE_VALUE, params)
        return None if value is None else int(value)

    def feature_value_query(
        self, user_id: uuid.UUID, feature: str, at: dt.datetime
    ) -> tuple[str, dict[str, Any]]:
        return FEATURE_VALUE_SQL, self._live_params(user_id, at) | {"feature": feature}

    async def consume(
        self, *, user_id: uuid.UUID, feature: str, period_start: dt.date, limit: int
    ) -> int | None:
        """The new count, or None when the limit was already reached."""
        used = await self.session.scalar(
            _CONSUME,
            {
                "user_id": user_id,
                "feature": feature,
                "period_start": period_start,
                "unlimited": limit < 0,
                "limit": max(limit, 0),
            },
        )
        return None if used is None else int(used)

    async def usage(self, user_id: uuid.UUID, period_start: dt.date) -> dict[str, int]:
        rows = await self.session.execute(
            text(
                "SELECT feature, used FROM usage_counters "
                "WHERE user_id = :user_id AND period_start = :period_start"
            ),
            {"user_id": user_id, "period_start": period_start},
        )
        return {row.feature: int(row.used) for row in rows}

    # Subscriptions ----------------------------------------------------------------------

    async def live_subscriptions(
        self, user_id: uuid.UUID, at: dt.datetime
    ) -> Sequence[Subscription]:
        """Subscriptions granting Pro now or later, the one ending last first."""
        stmt = (
            select(Subscription)
            .where(
                Subscription.user_id == user_id,
                Subscription.status.in_(
                    [SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD]
                ),
                or_(
                    Subscription.current_period_end + RENEWAL_LEEWAY > at,
                    Subscription.grace_until > at,
                ),
            )
            .order_by(Subscription.current_period_end.desc().nulls_last(), Subscription.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def lock_user(self, user_id: uuid.UUID) -> None:
        """Serialise billing changes of one user (checkout, activation, grants)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"billing:{user_id}"},
        )

    async def get_subscription(
        self, subscription_id: uuid.UUID, *, for_update: bool = False
    ) -> Subscription | None:
        stmt = select(Subscription).where(Subscription.id == subscription_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def by_provider_subscription(
        self, provider_id: str, *, for_update: bool = True
    ) -> Subscription | None:
        stmt = select(Subscription).where(Subscription.provider_subscription_id == provider_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def by_provider_order(
        self, order_id: str, *, for_update: bool = True
    ) -> Subscription | None:
        stmt = select(Subscription).where(Subscription.provider_order_id == order_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def pending_checkout(self, user_id: uuid.UUID) -> Subscription | None:
        return await self.session.scalar(
            select(Subscription)
            .where(
                Subscription.user_id == user_id, Subscription.status == SubscriptionStatus.PENDING
            )
            .with_for_update()
        )

    async def running_recurring(self, user_id: uuid.UUID) -> Subscription | None:
        return await self.session.scalar(
            select(Subscription)
            .where(
                Subscription.user_id == user_id,
                Subscription.kind == SubscriptionKind.RECURRING,
                Subscription.status.in_(
                    [SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD]
                ),
            )
            .with_for_update()
        )

    async def add(self, row: Subscription | Payment) -> None:
        self.session.add(row)
        await self.session.flush()

    async def latest_subscription(self, user_id: uuid.UUID) -> Subscription | None:
        return await self.session.scalar(
            select(Subscription)
            .where(Subscription.user_id == user_id)
            .order_by(Subscription.created_at.desc(), Subscription.id.desc())
            .limit(1)
        )

    async def due_for_ending(self, at: dt.datetime, limit: int = 200) -> Sequence[uuid.UUID]:
        """Subscriptions whose paid time or grace is over, and stale checkouts."""
        stmt = (
            select(Subscription.id)
            .where(
                or_(
                    (Subscription.status == SubscriptionStatus.ACTIVE)
                    & (Subscription.current_period_end <= at)
                    & (
                        (Subscription.kind != SubscriptionKind.RECURRING)
                        | Subscription.cancel_at_period_end
                    ),
                    (Subscription.status == SubscriptionStatus.GRACE_PERIOD)
                    & (Subscription.grace_until <= at),
                    (Subscription.status == SubscriptionStatus.PENDING)
                    & (Subscription.created_at <= at - dt.timedelta(hours=24)),
                )
            )
            .order_by(Subscription.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def needing_sync(self, at: dt.datetime, limit: int = 100) -> Sequence[uuid.UUID]:
        """Recurring subscriptions Razorpay has been quiet about for 36 h, or overdue renewals."""
        quiet = at - dt.timedelta(hours=36)
        stmt = (
            select(Subscription.id)
            .where(
                Subscription.kind == SubscriptionKind.RECURRING,
                Subscription.provider_subscription_id.is_not(None),
                Subscription.status.in_(
                    [
                        SubscriptionStatus.PENDING,
                        SubscriptionStatus.ACTIVE,
                        SubscriptionStatus.GRACE_PERIOD,
                    ]
                ),
                or_(
                    func.coalesce(Subscription.last_event_at, Subscription.created_at) <= quiet,
                    (Subscription.status == SubscriptionStatus.ACTIVE)
                    & (Subscription.current_period_end + RENEWAL_LEEWAY <= at),
                ),
                or_(
                    Subscription.last_synced_at.is_(None),
                    Subscription.last_synced_at <= at - dt.timedelta(hours=1),
                ),
            )
            .order_by(Subscription.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    # Payments ------------------------------------------------------------------------------

    async def payment_by_provider(self, provider_payment_id: str) -> Payment | None:
        return await self.session.scalar(
            select(Payment)
            .where(Payment.provider_payment_id == provider_payment_id)
            .with_for_update()
        )

    async def insert_payment(self, **values: Any) -> Payment | None:
        """Insert, or None when the provider id is known (the caller then locks and updates)."""
        stmt = (
            pg_insert(Payment)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["provider_payment_id"])
            .returning(Payment)
        )
        return await self.session.scalar(stmt)

    async def get_payment(
        self, payment_id: uuid.UUID, *, for_update: bool = False
    ) -> Payment | None:
        stmt = select(Payment).where(Payment.id == payment_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def list_payments(
        self, user_id: uuid.UUID, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[Payment]:
        stmt = select(Payment).where(Payment.user_id == user_id)
        if after is not None:
            stmt = stmt.where(
                func.row(Payment.created_at, Payment.id) < func.row(after[0], after[1])
            )
        stmt = stmt.order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit + 1)
        return (await self.session.scalars(stmt)).all()

    async def stale_pending_payments(self, before: dt.datetime, limit: int = 100) -> Sequence[str]:
        stmt = (
            select(Payment.provider_payment_id)
            .where(Payment.status == PaymentStatus.PENDING, Payment.created_at <= before)
            .order_by(Payment.created_at)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def next_receipt_number(self, financial_year: str) -> int:
        return int(await self.session.scalar(_NEXT_RECEIPT, {"fy": financial_year}) or 0)

    # Webhook inbox --------------------------------------------------------------------------

    async def store_event(
        self,
        *,
        external_id: str,
        event_type: str,
        payload: dict[str, Any],
        occurred_at: dt.datetime,
    ) -> uuid.UUID | None:
        """The new inbox row's id, or None for a redelivery of a stored event."""
        stmt = (
            pg_insert(ProviderEvent)
            .values(
                provider="razorpay",
                external_id=external_id,
                event_type=event_type,
                payload=payload,
                occurred_at=occurred_at,
            )
            .on_conflict_do_nothing(index_elements=["provider", "external_id"])
            .returning(ProviderEvent.id)
        )
        return await self.session.scalar(stmt)

    async def lock_event(self, event_id: uuid.UUID) -> ProviderEvent | None:
        return await self.session.scalar(
            select(ProviderEvent).where(ProviderEvent.id == event_id).with_for_update()
        )

    async def unprocessed_events(
        self, before: dt.datetime, limit: int = 100
    ) -> Sequence[uuid.UUID]:
        stmt = (
            select(ProviderEvent.id)
            .where(ProviderEvent.processed_at.is_(None), ProviderEvent.received_at <= before)
            .order_by(ProviderEvent.received_at)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    # Billing profile -------------------------------------------------------------------------

    async def billing_profile(self, user_id: uuid.UUID) -> BillingProfile | None:
        return await self.session.get(BillingProfile, user_id)

    async def save_billing_profile(
        self, user_id: uuid.UUID, values: dict[str, Any]
    ) -> BillingProfile:
        stmt = (
            pg_insert(BillingProfile)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(
                index_elements=["user_id"], set_={**values, "updated_at": func.now()}
            )
            .returning(BillingProfile)
        )
        profile = await self.session.scalar(stmt)
        assert profile is not None  # noqa: S101 - an upsert always returns its row
        return profile
