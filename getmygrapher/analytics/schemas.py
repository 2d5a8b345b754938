"""Response models of the analytics summary."""

from __future__ import annotations

import datetime as dt

from getmygrapher.core.schemas import ResponseModel


class DailyCount(ResponseModel):
    day: dt.date
    views: int
    saves: int
    contact_requests: int


class AnalyticsRead(ResponseModel):
    days: int
    totals: dict[str, int]
    daily: list[DailyCount]
