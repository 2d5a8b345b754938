"""The Pro analytics summary (ANL-2): views, unique viewers, saves and contact requests."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.analytics.repository import AnalyticsRepository
from getmygrapher.analytics.schemas import AnalyticsRead, DailyCount
from getmygrapher.billing import service as billing_service
from getmygrapher.contacts import service as contacts_service
from getmygrapher.core.time import ist_midnight, today_ist


async def profile_summary(session: AsyncSession, *, user_id: uuid.UUID, days: int) -> AnalyticsRead:
    """Requires `analytics_dashboard`; data is kept when Pro ends, only the view closes."""
    await billing_service.require_feature(session, user_id=user_id, feature="analytics_dashboard")
    first = today_ist() - dt.timedelta(days=days - 1)
    repo = AnalyticsRepository(session)
    views = await repo.daily_views(user_id, first)
    saves = await repo.daily_saves(user_id, ist_midnight(first))
    requests = await contacts_service.daily_requests_received(
        session, user_id=user_id, since=ist_midnight(first)
    )
    daily = [
        DailyCount(
            day=day,
            views=views.get(day, 0),
            saves=saves.get(day, 0),
            contact_requests=requests.get(day, 0),
        )
        for day in (first + dt.timedelta(days=n) for n in range(days))
    ]
    totals = {
        "views": sum(d.views for d in daily),
        "unique_viewers": await repo.unique_viewers(user_id, first),
        "saves": sum(d.saves for d in daily),
        "contact_requests": sum(d.contact_requests for d in daily),
    }
    totals["conversion_percent"] = (
        round(100 * totals["contact_requests"] / totals["views"]) if totals["views"] else 0
    )
    return AnalyticsRead(days=days, totals=totals, daily=daily)
