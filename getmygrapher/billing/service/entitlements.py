"""Tiers, features and quotas: what a user may do, counted in the caller's transaction (PAY-13)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing.errors import UnknownFeature
from getmygrapher.billing.models import FeatureKind, Subscription, Tier, UsageCounter
from getmygrapher.billing.repository import BillingRepository
from getmygrapher.billing.schemas import (
    EntitlementFeature,
    Entitlements,
    FeatureRead,
    PlanRead,
    PlansRead,
    PriceRead,
    SubscriptionRead,
    Usage,
)
from getmygrapher.core.errors import ProRequired, QuotaExceeded
from getmygrapher.core.time import ist_midnight, ist_month_start, next_month, utcnow

UNLIMITED = -1

# Areas that hold limited things (portfolio images) tell the entitlements view how many.
HeldCounter = Callable[[AsyncSession, uuid.UUID], Awaitable[int]]
HELD_COUNTERS: dict[str, HeldCounter] = {}


def register_held_counter(feature: str, counter: HeldCounter) -> None:
    HELD_COUNTERS[feature] = counter


def month_bounds(at: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The IST calendar month containing `at`: its first day and the instant it ends."""
    start = ist_month_start(at)
    return start, ist_midnight(next_month(start))


async def is_pro(
    session: AsyncSession, *, user_id: uuid.UUID, at: dt.datetime | None = None
) -> bool:
    """PAY-2: Pro while a subscription is active (even if cancelling) or in its grace period.

    Reads only stored state and the clock: never the provider.
    """
    return await BillingRepository(session).is_pro(user_id, at or utcnow())


async def feature_value(
    session: AsyncSession, *, user_id: uuid.UUID, feature: str, at: dt.datetime | None = None
) -> int:
    """The user's value for `feature` under the tier they hold now (-1 means unlimited)."""
    value = await BillingRepository(session).feature_value(user_id, feature, at or utcnow())
    if value is None:
        raise UnknownFeature(f"There is no feature called {feature!r}.")
    return value


def feature_value_query(
    session: AsyncSession, *, user_id: uuid.UUID, feature: str, at: dt.datetime | None = None
) -> tuple[str, dict[str, Any]]:
    """What `feature_value` asks, as a scalar subquery and its bound parameters (`:user_id`,
    `:at`, `:leeway`, `:feature`), for a read that folds it into its own statement to save a
    round trip (discovery). It is NULL there for an unknown feature."""
    return BillingRepository(session).feature_value_query(user_id, feature, at or utcnow())


async def has_feature(session: AsyncSession, *, user_id: uuid.UUID, feature: str) -> bool:
    return await feature_value(session, user_id=user_id, feature=feature) != 0


async def require_feature(session: AsyncSession, *, user_id: uuid.UUID, feature: str) -> None:
    """PAY-14: a Pro feature, enforced on the server; 403 pro_required otherwise."""
    if not await has_feature(session, user_id=user_id, feature=feature):
        raise ProRequired("This needs GetMyGrapher Pro.", feature=feature)


async def consume(
    session: AsyncSession, *, user_id: uuid.UUID, feature: str, at: dt.datetime | None = None
) -> int:
    """Use one unit of a monthly `feature` in the caller's transaction, or raise 402.

    The check and the count are one statement, and the count rolls back with the action if the
    action fails. Unlimited features are still counted. Returns the units used this month.
    """
    at = at or utcnow()
    repo = BillingRepository(session)
    limit = await feature_value(session, user_id=user_id, feature=feature, at=at)
    period_start, resets_at = month_bounds(at)
    used = (
        None
        if limit == 0
        else await repo.consume(
            user_id=user_id, feature=feature, period_start=period_start, limit=limit
        )
    )
    if used is None:
        current = (await repo.usage(user_id, period_start)).get(feature, 0)
        raise QuotaExceeded(feature=feature, limit=limit, used=current, resets_at=resets_at)
    return used


async def check_held(session: AsyncSession, *, user_id: uuid.UUID, feature: str, held: int) -> None:
    """For limits on things held at once: refuse one more when `held` already reaches it.

    The caller counts `held` under a lock in its own transaction, so the check and the insert
    it guards cannot interleave with a parallel request.
    """
    limit = await feature_value(session, user_id=user_id, feature=feature)
    if limit != UNLIMITED and held >= limit:
        raise QuotaExceeded(feature=feature, limit=limit, used=held, resets_at=None)


def subscription_read(subscription: Subscription) -> SubscriptionRead:
    return SubscriptionRead(
        id=subscription.id,
        kind=subscription.kind,
        period=subscription.period,
        status=subscription.status,
        amount_paise=subscription.amount_paise,
        current_period_start=subscription.current_period_start,
        current_period_end=subscription.current_period_end,
        grace_until=subscription.grace_until,
        cancel_at_period_end=subscription.cancel_at_period_end,
        auto_renew=_auto_renews(subscription),
        scheduled_period=subscription.scheduled_period,
        created_at=subscription.created_at,
    )


def _auto_renews(subscription: Subscription) -> bool:
    return (
        subscription.kind.value == "recurring"
        and not subscription.cancel_at_period_end
        and subscription.status.value in {"active", "grace_period"}
    )


async def list_plans(session: AsyncSession) -> PlansRead:
    """PAY-1: the plans and their features, as stored (prices and limits are data)."""
    repo = BillingRepository(session)
    prices = await repo.active_prices()
    features = await repo.features()
    return PlansRead(
        items=[
            PlanRead(
                tier=tier,
                prices=[
                    PriceRead(period=p.period, amount_paise=p.amount_paise, currency=p.currency)
                    for p in prices
                    if p.tier is tier
                ],
                features=[
                    FeatureRead(key=f.feature, kind=f.kind, value=f.value)
                    for f in features
                    if f.tier is tier
                ],
            )
            for tier in (Tier.FREE, Tier.PRO)
        ]
    )


async def get_entitlements(session: AsyncSession, *, user_id: uuid.UUID) -> Entitlements:
    """PAY-2: tier, period end, auto-renew, features, and this month's usage of each limit."""
    at = utcnow()
    repo = BillingRepository(session)
    pro = await repo.is_pro(user_id, at)
    tier = Tier.PRO if pro else Tier.FREE
    live = await repo.live_subscriptions(user_id, at) if pro else []
    current = live[0] if live else await repo.latest_subscription(user_id)
    period_start, resets_at = month_bounds(at)
    used = await repo.usage(user_id, period_start)
    features = []
    for feature in await repo.features(tier):
        usage = None
        if feature.kind is FeatureKind.MONTHLY:
            usage = _usage(used.get(feature.feature, 0), feature.value, resets_at)
        elif feature.kind is FeatureKind.HELD:
            counter = HELD_COUNTERS.get(feature.feature)
            held = await counter(session, user_id) if counter else 0
            usage = _usage(held, feature.value, None)
        features.append(
            EntitlementFeature(
                key=feature.feature, kind=feature.kind, value=feature.value, usage=usage
            )
        )
    period_end = max((s.current_period_end for s in live if s.current_period_end), default=None)
    return Entitlements(
        tier=tier,
        period_end=period_end,
        auto_renew=any(_auto_renews(s) for s in live),
        subscription=subscription_read(current) if current else None,
        features=features,
    )


def _usage(used: int, limit: int, resets_at: dt.datetime | None) -> Usage:
    remaining = None if limit == UNLIMITED else max(0, limit - used)
    return Usage(used=used, limit=limit, remaining=remaining, resets_at=resets_at)


async def erase_usage(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """DATA-2: the counts of what the person used; payments, subscriptions and the billing
    profile stay, as tax law requires of invoices."""
    await session.execute(delete(UsageCounter).where(UsageCounter.user_id == user_id))
