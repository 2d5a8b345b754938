from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing import service as billing_service
from getmygrapher.billing.permissions import require_feature
from getmygrapher.core.errors import ProRequired, QuotaExceeded
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal, Role
from tests.conftest import Harness, LiveDatabase
from tests.factories import make_user

LAST_SECOND_OF_NOVEMBER_IST = datetime(2026, 11, 30, 18, 29, 59, 999_000, tzinfo=UTC)
FIRST_INSTANT_OF_DECEMBER_IST = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)


async def test_plans_are_public_and_come_from_the_table(api: AsyncClient) -> None:
    response = await api.get("/v1/billing/plans")

    assert response.status_code == 200
    plans = {plan["tier"]: plan for plan in response.json()["items"]}
    assert plans["free"]["prices"] == []
    assert {(p["period"], p["amount_paise"]) for p in plans["pro"]["prices"]} == {
        ("monthly", 29_900),
        ("yearly", 299_900),
    }
    free = {f["key"]: f["value"] for f in plans["free"]["features"]}
    pro = {f["key"]: f["value"] for f in plans["pro"]["features"]}
    assert free["job_posts_per_month"] == 1
    assert free["messaging_limit"] == 10
    assert free["search_radius_km"] == 25
    assert free["portfolio_images"] == 5
    assert free["calendar_privacy"] == 0
    assert pro["job_posts_per_month"] == -1
    assert pro["search_radius_km"] == 500
    assert len(free) == len(pro) == 15


async def test_entitlements_show_usage_with_the_reset_instant(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await billing_service.consume(session, user_id=person.id, feature="messaging_limit")
    await session.commit()

    response = await api.get("/v1/me/entitlements", headers=person.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["tier"] == "free"
    assert body["subscription"] is None
    features = {f["key"]: f for f in body["features"]}
    usage = features["messaging_limit"]["usage"]
    assert (usage["used"], usage["limit"], usage["remaining"]) == (1, 10, 9)
    resets = datetime.fromisoformat(usage["resets_at"])
    assert resets.astimezone(UTC).hour == 18
    assert resets.astimezone(UTC).minute == 30
    assert features["portfolio_images"]["usage"] == {
        "used": 0,
        "limit": 5,
        "remaining": 5,
        "resets_at": None,
    }
    assert features["calendar_privacy"]["usage"] is None
    assert (await api.get("/v1/me/entitlements")).status_code == 401


async def test_a_refused_unit_is_a_402_problem_with_the_numbers(
    session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await billing_service.consume(session, user_id=person.id, feature="job_posts_per_month")

    with pytest.raises(QuotaExceeded) as refused:
        await billing_service.consume(session, user_id=person.id, feature="job_posts_per_month")

    error = refused.value
    assert error.status == 402
    assert error.extensions["feature"] == "job_posts_per_month"
    assert (error.extensions["limit"], error.extensions["used"]) == (1, 1)
    assert error.extensions["resets_at"]


async def test_a_unit_rolls_back_with_the_action(session: AsyncSession, runtime: Runtime) -> None:
    person = await make_user(session, runtime)

    try:
        async with session.begin_nested():
            await billing_service.consume(session, user_id=person.id, feature="job_posts_per_month")
            raise RuntimeError("the job post itself failed")
    except RuntimeError:
        pass

    assert (
        await billing_service.consume(session, user_id=person.id, feature="job_posts_per_month")
        == 1
    )


async def test_pro_is_unlimited_but_still_counted(session: AsyncSession, runtime: Runtime) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    person = await make_user(session, runtime)
    from getmygrapher.billing.service.lifecycle import grant_by_admin

    await grant_by_admin(
        session, actor_id=admin.id, user_id=person.id, months=1, reason="Launch partner"
    )
    counts = [
        await billing_service.consume(session, user_id=person.id, feature="job_posts_per_month")
        for _ in range(3)
    ]
    assert counts == [1, 2, 3]
    assert (
        await billing_service.feature_value(session, user_id=person.id, feature="search_radius_km")
        == 500
    )


async def test_pro_features_are_refused_on_free(session: AsyncSession, runtime: Runtime) -> None:
    person = await make_user(session, runtime)
    with pytest.raises(ProRequired):
        await billing_service.require_feature(
            session, user_id=person.id, feature="calendar_privacy"
        )
    with pytest.raises(QuotaExceeded):
        await billing_service.check_held(
            session, user_id=person.id, feature="portfolio_images", held=5
        )
    await billing_service.check_held(session, user_id=person.id, feature="portfolio_images", held=4)


async def test_a_limit_of_zero_refuses_without_counting(
    session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await session.execute(
        text(
            "UPDATE plan_features SET value = 0 WHERE tier = 'free' AND feature = 'messaging_limit'"
        )
    )
    with pytest.raises(QuotaExceeded):
        await billing_service.consume(session, user_id=person.id, feature="messaging_limit")
    assert await session.scalar(text("SELECT count(*) FROM usage_counters")) == 0


@pytest.mark.live
async def test_fifty_parallel_units_against_a_limit_of_one_across_ist_midnight(
    live: LiveDatabase,
) -> None:
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime)

    async def attempt(at: datetime) -> bool:
        async with live.sessionmaker() as session:
            try:
                await billing_service.consume(
                    session, user_id=person.id, feature="job_posts_per_month", at=at
                )
            except QuotaExceeded:
                await session.rollback()
                return False
            await session.commit()
            return True

    moments = [LAST_SECOND_OF_NOVEMBER_IST, FIRST_INSTANT_OF_DECEMBER_IST] * 25
    results = await asyncio.gather(*[attempt(at) for at in moments])

    november = [
        ok for ok, at in zip(results, moments, strict=True) if at == LAST_SECOND_OF_NOVEMBER_IST
    ]
    december = [
        ok for ok, at in zip(results, moments, strict=True) if at == FIRST_INSTANT_OF_DECEMBER_IST
    ]
    assert sum(november) == 1
    assert sum(december) == 1
    rows = await live.scalar(
        "SELECT string_agg(period_start::text || '=' || used, ',' ORDER BY period_start) "
        "FROM usage_counters"
    )
    assert rows == "2026-11-01=1,2026-12-01=1"


async def test_a_pro_feature_gate_as_a_dependency(
    harness: Harness, session: AsyncSession, runtime: Runtime
) -> None:
    from getmygrapher.billing.service.lifecycle import grant_by_admin

    client = harness.client(runtime, gate_router)
    person = await make_user(session, runtime)
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)

    free = await client.get("/gated", headers=person.headers)
    await grant_by_admin(session, actor_id=admin.id, user_id=person.id, months=1, reason="Test")
    await session.commit()
    pro = await client.get("/gated", headers=person.headers)

    assert free.status_code == 403
    assert free.json()["code"] == "pro_required"
    assert free.json()["feature"] == "calendar_privacy"
    assert pro.status_code == 200


gate_router = APIRouter()


@gate_router.get("/gated")
async def gated(
    user: Annotated[Principal, Depends(require_feature("calendar_privacy"))],
) -> dict[str, str]:
    return {"id": str(user.id)}
