"""Calendar time: wall-clock slots on a grid, in a zone, turned into instants and ranges.

A calendar stores a local date, wall-clock times and a zone (GEN-2); every overlap question is
asked of the instant range (`tstzrange`) the service writes beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.dialects.postgresql import Range

from getmygrapher.availability.models import SlotGrid
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.time import today_ist

OPENS, CLOSES = time(6, 0), time(23, 0)
HORIZON_DAYS = 365
MAX_RANGE_DAYS = 366
LONG_SLOT = timedelta(hours=6)
MAX_SLOT = timedelta(hours=12)
GRID_MINUTES = {
    SlotGrid.MIN_30: 30,
    SlotGrid.HOUR_1: 60,
    SlotGrid.HOURS_2: 120,
    SlotGrid.HOURS_4: 240,
    # A full-day calendar still places its times on the hour.
    SlotGrid.FULL_DAY: 60,
}
EARTH_RADIUS_KM = 6371.0088


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Kolkata")


def instant(day: date, at: time, zone_name: str) -> datetime:
    """The UTC instant of a wall-clock time on a local date."""
    return datetime.combine(day, at, tzinfo=zone(zone_name)).astimezone(UTC)


def span(day: date, starts: time, ends: time, zone_name: str) -> Range[datetime]:
    return Range(instant(day, starts, zone_name), instant(day, ends, zone_name), bounds="[)")


def minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def at_minutes(value: int) -> time:
    return time(value // 60, value % 60)


@dataclass(frozen=True)
class Interval:
    """A wall-clock interval on one day, validated against a grid (AV-2)."""

    starts: time
    ends: time

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=minutes(self.ends) - minutes(self.starts))

    @property
    def long(self) -> bool:
        return self.length > LONG_SLOT


def check_interval(
    starts: time, ends: time, grid: SlotGrid, *, field: str = "starts_at"
) -> Interval:
    """Between 06:00 and 23:00, start before end, on the grid, 30 min (1 h off the 30-minute
    grid) to 12 h."""
    if starts.second or starts.microsecond or ends.second or ends.microsecond:
        raise ValidationFailed.field(field, "off_grid", "Use whole minutes on your slot grid.")
    if starts >= ends:
        raise ValidationFailed.field("ends_at", "invalid_range", "The end must be after the start.")
    if starts < OPENS or ends > CLOSES:
        raise ValidationFailed.field(field, "outside_hours", "Slots lie between 06:00 and 23:00.")
    step = GRID_MINUTES[grid]
    offsets = (minutes(starts) - minutes(OPENS), minutes(ends) - minutes(OPENS))
    if offsets[0] % step or (offsets[1] % step and ends != CLOSES):
        raise ValidationFailed.field(
            field, "off_grid", f"Times must sit on your {step}-minute grid from 06:00."
        )
    interval = Interval(starts, ends)
    shortest = timedelta(minutes=30 if grid is SlotGrid.MIN_30 else 60)
    if interval.length < shortest:
        raise ValidationFailed.field(
            "ends_at", "too_short", f"A slot lasts at least {int(shortest.seconds / 60)} minutes."
        )
    if interval.length > MAX_SLOT:
        raise ValidationFailed.field("ends_at", "too_long", "A slot lasts at most 12 hours.")
    return interval


def check_day(day: date, *, now: datetime | None = None, field: str = "day") -> date:
    """From today (IST) to 365 days ahead (AV-2); earlier days are read-only (AV-6)."""
    today = today_ist(now)
    if day < today:
        raise ValidationFailed.field(field, "date_in_past", "Past days cannot be changed.")
    if day > today + timedelta(days=HORIZON_DAYS):
        raise ValidationFailed.field(
            field, "too_far_ahead", "Dates up to 365 days ahead can be planned."
        )
    return day


def check_range(start: date, end: date, *, limit: int = MAX_RANGE_DAYS) -> tuple[date, date]:
    """An inclusive date range of at most `limit` days, start first."""
    if end < start:
        raise ValidationFailed.field("to", "invalid_range", "`to` must not be before `from`.")
    if (end - start).days + 1 > limit:
        raise ValidationFailed.field("to", "range_too_long", f"Ask for at most {limit} days.")
    return start, end


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def great_circle_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def travel_time(km: float, speed_kmh: int) -> timedelta:
    """Whole minutes, rounded up: a professional cannot arrive early by rounding."""
    return timedelta(minutes=math.ceil(km / max(speed_kmh, 1) * 60))
