"""Instants are aware UTC; calendar logic (days, quota months) is Indian time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_ist(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(IST).date()


def ist_month_start(moment: datetime) -> date:
    """The first day of the IST calendar month that contains `moment`."""
    return moment.astimezone(IST).date().replace(day=1)


def next_month(first_day: date) -> date:
    return (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)


def ist_midnight(day: date) -> datetime:
    """00:00 IST of `day`, as an aware UTC instant."""
    return datetime.combine(day, time.min, tzinfo=IST).astimezone(UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months in IST, clamping to the last day of a shorter month."""
    local = moment.astimezone(IST)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    last_day = (next_month(date(year, month, 1)) - timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last_day)).astimezone(UTC)
