"""Calendar statistics for the owner (AV-10), computed in SQL.

Available time is the calendar's free slots; booked time is its confirmed, in-progress and
completed bookings (their slots are `booked`, so the two never count the same hour twice).
"""

from __future__ import annotations

from datetime import date
from typing import Any, get_args

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.schemas.stats import (
    CalendarStats,
    HourBand,
    HourBandStats,
    Weekday,
    WeekdayStats,
    WeekStats,
)
from getmygrapher.availability.service import clock
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.security import Principal

WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
BANDS: tuple[HourBand, ...] = get_args(HourBand)

_TOTALS = text(
    """
    WITH free AS (
        SELECT day, EXTRACT(EPOCH FROM ends_at - starts_at) / 60 AS minutes
        FROM calendar_slots
        WHERE user_id = :owner AND day BETWEEN :start AND :end AND status = 'available'
    ), held AS (
        SELECT day, EXTRACT(EPOCH FROM ends_at - starts_at) / 60 AS minutes
        FROM bookings
        WHERE professional_id = :owner AND day BETWEEN :start AND :end
          AND status IN ('confirmed', 'in_progress', 'completed')
    )
    SELECT
        (SELECT count(DISTINCT day) FROM free) AS available_days,
        (SELECT coalesce(sum(minutes), 0) FROM free) AS available_minutes,
        (SELECT count(DISTINCT day) FROM held) AS booked_days,
        (SELECT coalesce(sum(minutes), 0) FROM held) AS booked_minutes,
        (SELECT count(*) FROM held) AS bookings
    """
)

# Every ISO week the range touches, Monday first, with only the range's days counted.
_WEEKS = text(
    """
    WITH weeks AS (
        SELECT generate_series(
            date_trunc('week', CAST(CAST(:start AS date) AS timestamp)),
            date_trunc('week', CAST(CAST(:end AS date) AS timestamp)),
            interval '1 week'
        )::date AS starts_on
    ), free AS (
        SELECT date_trunc('week', CAST(day AS timestamp))::date AS starts_on,
               sum(EXTRACT(EPOCH FROM ends_at - starts_at) / 60) AS minutes
        FROM calendar_slots
        WHERE user_id = :owner AND day BETWEEN :start AND :end AND status = 'available'
        GROUP BY 1
    ), held AS (
        SELECT date_trunc('week', CAST(day AS timestamp))::date AS starts_on,
               sum(EXTRACT(EPOCH FROM ends_at - starts_at) / 60) AS minutes,
               count(*) AS bookings
        FROM bookings
        WHERE professional_id = :owner AND day BETWEEN :start AND :end
          AND status IN ('confirmed', 'in_progress', 'completed')
        GROUP BY 1
    )
    SELECT to_char(weeks.starts_on, 'IYYY-"W"IW') AS week, weeks.starts_on,
           coalesce(free.minutes, 0) AS available_minutes,
           coalesce(held.minutes, 0) AS booked_minutes,
           coalesce(held.bookings, 0) AS bookings
    FROM weeks
    LEFT JOIN free ON free.starts_on = weeks.starts_on
    LEFT JOIN held ON held.starts_on = weeks.starts_on
    ORDER BY weeks.starts_on
    """
)

_WEEKDAYS = text(
    """
    SELECT CAST(EXTRACT(ISODOW FROM day) AS integer) AS weekday, count(*) AS bookings,
           sum(EXTRACT(EPOCH FROM ends_at - starts_at) / 60) AS minutes
    FROM bookings
    WHERE professional_id = :owner AND day BETWEEN :start AND :end
      AND status IN ('confirmed', 'in_progress', 'completed')
    GROUP BY 1
    """
)

# SRCH-4's times of day; a booking counts in each band by the minutes it spends there.
_BANDS = text(
    """
    SELECT bands.band,
           -- LEAST and GREATEST skip NULLs: a band that met no booking must count nothing.
           coalesce(sum(CASE WHEN b.id IS NULL THEN 0 ELSE GREATEST(0, EXTRACT(EPOCH FROM
               LEAST(b.ends_at, bands.ends_at) - GREATEST(b.starts_at, bands.starts_at)) / 60)
           END), 0) AS minutes
    FROM (VALUES ('morning', time '06:00', time '12:00'),
                 ('afternoon', time '12:00', time '17:00'),
                 ('evening', time '17:00', time '21:00'),
                 ('night', time '21:00', time '23:00')) AS bands (band, starts_at, ends_at)
    LEFT JOIN bookings AS b
      ON b.professional_id = :owner AND b.day BETWEEN :start AND :end
     AND b.status IN ('confirmed', 'in_progress', 'completed')
     AND b.starts_at < bands.ends_at AND b.ends_at > bands.starts_at
    GROUP BY bands.band
    """
)


def _hours(minutes: Any) -> float:
    return round(float(minutes or 0) / 60, 2)


def _share(booked: Any, available: Any) -> float | None:
    total = float(booked or 0) + float(available or 0)
    return round(float(booked or 0) / total, 4) if total else None


async def calendar_stats(
    session: AsyncSession, *, owner: Principal, start: date, end: date
) -> CalendarStats:
    """AV-10: for the owner only, over at most 366 days."""
    clock.check_range(start, end)
    for name, day in (("from", start), ("to", end)):
        if day in {date.min, date.max}:  # which the database reads as -infinity and infinity
            raise ValidationFailed.field(name, "out_of_range", "Use a real calendar date.")
    params = {"owner": owner.id, "start": start, "end": end}
    totals = (await session.execute(_TOTALS, params)).one()
    weeks = (await session.execute(_WEEKS, params)).all()
    by_weekday = {row.weekday: row for row in (await session.execute(_WEEKDAYS, params)).all()}
    by_band = {row.band: row.minutes for row in (await session.execute(_BANDS, params)).all()}
    weekdays = [
        WeekdayStats(
            weekday=name,
            bookings=by_weekday[n].bookings if n in by_weekday else 0,
            booked_hours=_hours(by_weekday[n].minutes) if n in by_weekday else 0.0,
        )
        for n, name in enumerate(WEEKDAYS, start=1)
    ]
    bands = [HourBandStats(band=band, booked_hours=_hours(by_band.get(band))) for band in BANDS]
    # Ties go to the earlier weekday and the earlier band.
    busiest_day = max(weekdays, key=lambda w: (w.bookings, w.booked_hours), default=None)
    busiest_band = max(bands, key=lambda b: b.booked_hours, default=None)
    return CalendarStats(
        starts_on=start,
        ends_on=end,
        available_days=totals.available_days,
        available_hours=_hours(totals.available_minutes),
        booked_days=totals.booked_days,
        booked_hours=_hours(totals.booked_minutes),
        utilisation=_share(totals.booked_minutes, totals.available_minutes),
        bookings=totals.bookings,
        average_booking_hours=(
            _hours(float(totals.booked_minutes) / totals.bookings) if totals.bookings else None
        ),
        weekly=[
            WeekStats(
                week=row.week,
                starts_on=row.starts_on,
                available_hours=_hours(row.available_minutes),
                booked_hours=_hours(row.booked_minutes),
                bookings=row.bookings,
                utilisation=_share(row.booked_minutes, row.available_minutes),
            )
            for row in weeks
        ],
        weekdays=weekdays,
        busiest_weekday=busiest_day.weekday if busiest_day and busiest_day.bookings else None,
        hour_bands=bands,
        busiest_hour_band=(
            busiest_band.band if busiest_band and busiest_band.booked_hours else None
        ),
    )
