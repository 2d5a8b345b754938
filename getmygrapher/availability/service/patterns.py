"""Recurring patterns (AV-4, AV-5): weekly, bi-weekly, monthly and custom schedules stored as
an RFC 5545 rule and exception dates, filled into slots up to the owner's booking horizon, and
previewed against bookings.

A pattern fills free time only. Its hours go around every slot already on the calendar (booked,
blocked, a break, another pattern's, the owner's own), so the day is the union of its patterns
and booked time is never touched; a date with an override (AV-14) gets nothing. A fill is one
INSERT … SELECT over the expanded dates, however many there are.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.errors import PatternNotFound, TooManyPatterns
from getmygrapher.availability.models import (
    AvailabilityPattern,
    CalendarDay,
    CalendarSettings,
    PatternType,
    SlotGrid,
)
from getmygrapher.availability.schemas.patterns import (
    WEEKDAYS,
    CustomSchedule,
    FillRead,
    HoursIn,
    MonthlySchedule,
    PatternChange,
    PatternIn,
    PatternPreview,
    PatternRead,
    PatternTemplate,
    PreviewConflict,
    PreviewDay,
    PreviewSlot,
    Schedule,
    WeeklySchedule,
)
from getmygrapher.availability.service import clock, schedules
from getmygrapher.availability.service.calendar import _changed, check_grid, settings_for
from getmygrapher.core.errors import PreconditionFailed, ValidationFailed
from getmygrapher.core.security import Principal
from getmygrapher.core.time import today_ist

MAX_ACTIVE = 5
MAX_LENGTH_DAYS = 365
_SCHEDULE: TypeAdapter[Schedule] = TypeAdapter(Schedule)


# Templates (AV-5) --------------------------------------------------------------------------------


def _hours(*spans: tuple[str, str]) -> list[HoursIn]:
    return [HoursIn.model_validate({"starts_at": a, "ends_at": b}) for a, b in spans]


def _template(key: str, name: str, days: dict[str, list[HoursIn]]) -> PatternTemplate:
    return PatternTemplate(
        key=key,
        name=name,
        type="weekly",
        schedule=WeeklySchedule.model_validate({"weekdays": days}),
    )


_WORK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
TEMPLATES = (
    _template(
        "standard_work_week",
        "Standard Work Week",
        {day: _hours(("09:00", "17:00")) for day in _WORK_DAYS},
    ),
    _template(
        "weekend_photographer",
        "Weekend Photographer",
        {day: _hours(("08:00", "12:00"), ("14:00", "18:00")) for day in ("saturday", "sunday")},
    ),
    _template(
        "evening_sessions",
        "Evening Sessions",
        {day: _hours(("17:00", "21:00")) for day in _WORK_DAYS}
        | {day: _hours(("16:00", "22:00")) for day in ("saturday", "sunday")},
    ),
    _template(
        "flexible_schedule",
        "Flexible Schedule",
        {day: _hours(("10:00", "13:00"), ("15:00", "18:00")) for day in ("monday", "wednesday")}
        | {
            "friday": _hours(("10:00", "13:00"), ("15:00", "18:00")),
            "saturday": _hours(("09:00", "15:00")),
        },
    ),
)


def list_templates() -> list[PatternTemplate]:
    return list(TEMPLATES)


# A schedule, checked and compiled ----------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    """A pattern's rule and the hours of each date it yields."""

    rule: str
    schedule: Schedule
    by_weekday: dict[int, tuple[clock.Interval, ...]] = field(default_factory=dict)
    by_month_day: dict[int, tuple[clock.Interval, ...]] = field(default_factory=dict)
    every: tuple[clock.Interval, ...] = ()

    def hours_on(self, day: date) -> tuple[clock.Interval, ...]:
        if isinstance(self.schedule, WeeklySchedule):
            return self.by_weekday.get(day.weekday(), ())
        if isinstance(self.schedule, MonthlySchedule):
            return self.by_month_day.get(day.day, ())
        return self.every


_SCHEDULE_FOR: dict[PatternType, tuple[type[Schedule], str]] = {
    PatternType.WEEKLY: (WeeklySchedule, "`weekdays`"),
    PatternType.BI_WEEKLY: (WeeklySchedule, "`weekdays`"),
    PatternType.MONTHLY: (MonthlySchedule, "`month_days`"),
    PatternType.CUSTOM: (CustomSchedule, "`rrule` and `hours`"),
}


def compile_schedule(kind: PatternType, schedule: Schedule, grid: SlotGrid | None) -> Compiled:
    """The rule and hours of a schedule; `grid=None` for a stored one, checked when saved."""
    expected, shape = _SCHEDULE_FOR[kind]
    if not isinstance(schedule, expected):
        raise ValidationFailed.field(
            "schedule", "invalid_format", f"A {kind.value} pattern's schedule has {shape}."
        )
    if isinstance(schedule, WeeklySchedule):
        by_weekday = {
            WEEKDAYS.index(day): schedules.check_hours(hours, grid, path=f"schedule.weekdays.{day}")
            for day, hours in schedule.weekdays.items()
        }
        every = 2 if kind is PatternType.BI_WEEKLY else 1
        rule = schedules.weekly_rule(schedule.weekdays, every=every)
        return Compiled(rule, _sorted(schedule), by_weekday=by_weekday)
    if isinstance(schedule, MonthlySchedule):
        by_month_day = {
            day: schedules.check_hours(hours, grid, path=f"schedule.month_days.{day}")
            for day, hours in schedule.month_days.items()
        }
        return Compiled(
            schedules.monthly_rule(schedule.month_days),
            _sorted(schedule),
            by_month_day=by_month_day,
        )
    every_time = schedules.check_hours(schedule.hours, grid, path="schedule.hours")
    rule = schedules.check_custom_rule(schedule.rrule)
    return Compiled(rule, CustomSchedule(rrule=rule, hours=_as_hours(every_time)), every=every_time)


def _as_hours(intervals: Sequence[clock.Interval]) -> list[HoursIn]:
    return [HoursIn(starts_at=item.starts, ends_at=item.ends) for item in intervals]


def _sorted(schedule: WeeklySchedule | MonthlySchedule) -> Schedule:
    if isinstance(schedule, WeeklySchedule):
        return WeeklySchedule(
            weekdays={
                day: sorted(schedule.weekdays[day], key=lambda h: h.starts_at)
                for day in WEEKDAYS
                if day in schedule.weekdays
            }
        )
    return MonthlySchedule(
        month_days={
            day: sorted(hours, key=lambda h: h.starts_at)
            for day, hours in sorted(schedule.month_days.items())
        }
    )


def _stored(pattern: AvailabilityPattern) -> Compiled:
    compiled = compile_schedule(pattern.type, _SCHEDULE.validate_python(pattern.schedule), None)
    # The stored rule wins: it is what the owner saw when they saved it.
    return Compiled(
        pattern.rrule,
        compiled.schedule,
        by_weekday=compiled.by_weekday,
        by_month_day=compiled.by_month_day,
        every=compiled.every,
    )


def _check_end(starts_on: date, ends_on: date | None) -> None:
    if ends_on is None:
        return
    if ends_on < starts_on:
        raise ValidationFailed.field("ends_on", "invalid_range", "The end is before the start.")
    if ends_on > starts_on + timedelta(days=MAX_LENGTH_DAYS):
        raise ValidationFailed.field(
            "ends_on", "out_of_range", "A pattern ends at most 365 days after it starts."
        )


def _check_dates(starts_on: date, ends_on: date | None, now: datetime | None) -> None:
    clock.check_day(starts_on, now=now, field="starts_on")
    _check_end(starts_on, ends_on)


# Filling the calendar ----------------------------------------------------------------------------

# The period is computed here from the day, the wall-clock time and the zone; the pattern's
# hours minus every slot already there (of any kind) are the pieces it adds.
_FILL = text(
    """
    WITH wanted AS (
        SELECT w.day,
               tstzrange((w.day + w.starts_at) AT TIME ZONE CAST(:tz AS text),
                         (w.day + w.ends_at) AT TIME ZONE CAST(:tz AS text), '[)') AS period
        FROM unnest(CAST(:days AS date[]), CAST(:starts AS time[]), CAST(:ends AS time[]))
            AS w(day, starts_at, ends_at)
        WHERE NOT EXISTS (
            SELECT 1 FROM calendar_days d
            WHERE d.user_id = CAST(:user_id AS uuid) AND d.day = w.day)
    ), pieces AS (
        SELECT w.day, piece
        FROM wanted w
        CROSS JOIN LATERAL unnest(tstzmultirange(w.period) - coalesce(
            (SELECT range_agg(s.period) FROM calendar_slots s
             WHERE s.user_id = CAST(:user_id AS uuid) AND s.period && w.period),
            tstzmultirange())) AS piece
    )
    INSERT INTO calendar_slots
        (user_id, day, starts_at, ends_at, timezone, period, status, pattern_id, source)
    SELECT CAST(:user_id AS uuid), p.day,
           (lower(p.piece) AT TIME ZONE CAST(:tz AS text))::time,
           (upper(p.piece) AT TIME ZONE CAST(:tz AS text))::time,
           CAST(:tz AS text), p.piece, 'available', CAST(:pattern_id AS uuid), 'pattern'
    FROM pieces p
    WHERE upper(p.piece) - lower(p.piece) >= make_interval(mins => CAST(:shortest AS int))
    RETURNING day
    """
)

# What the pattern made and nobody has changed since: a slot the owner edited is `manual`, and
# booked time belongs to its booking.
_REMOVE = text(
    """
    DELETE FROM calendar_slots
    WHERE user_id = CAST(:user_id AS uuid) AND pattern_id = CAST(:pattern_id AS uuid)
      AND source = 'pattern' AND status <> 'booked' AND day >= CAST(:today AS date)
    RETURNING day
    """
)


def horizon(settings: CalendarSettings, today: date) -> date:
    """The last day a pattern fills: the advance-booking window, within the 365-day calendar."""
    return today + timedelta(days=min(settings.advance_booking_days, clock.HORIZON_DAYS))


def expand(
    compiled: Compiled,
    *,
    starts_on: date,
    ends_on: date | None,
    exdates: Sequence[date],
    first: date,
    last: date,
) -> list[tuple[date, clock.Interval]]:
    if ends_on is not None:
        last = min(last, ends_on)
    return [
        (day, interval)
        for day in schedules.occurrences(
            compiled.rule, starts_on=starts_on, first=first, last=last, exdates=exdates
        )
        for interval in compiled.hours_on(day)
    ]


def _arrays(plan: Sequence[tuple[date, clock.Interval]]) -> dict[str, Any]:
    return {
        "days": [day for day, _ in plan],
        "starts": [interval.starts for _, interval in plan],
        "ends": [interval.ends for _, interval in plan],
    }


async def _fill(
    session: AsyncSession,
    settings: CalendarSettings,
    pattern: AvailabilityPattern,
    compiled: Compiled,
    *,
    first: date,
    last: date,
) -> list[date]:
    plan = expand(
        compiled,
        starts_on=pattern.starts_on,
        ends_on=pattern.ends_on,
        exdates=pattern.exdates,
        first=first,
        last=last,
    )
    if not plan:
        return []
    grid = await check_grid(session, settings.user_id, settings.grid)
    rows = await session.execute(
        _FILL,
        _arrays(plan)
        | {
            "user_id": settings.user_id,
            "pattern_id": pattern.id,
            "tz": settings.timezone,
            "shortest": 30 if grid is SlotGrid.MIN_30 else 60,
        },
    )
    return [row.day for row in rows]


async def _apply(
    session: AsyncSession,
    settings: CalendarSettings,
    pattern: AvailabilityPattern,
    compiled: Compiled,
    *,
    today: date,
    remove: bool,
) -> tuple[FillRead, set[date]]:
    """Take the pattern's own future slots away (`remove`), then fill up to the horizon if it
    is active. Precondition: the calendar's settings row is locked."""
    removed: list[date] = []
    if remove:
        rows = await session.execute(
            _REMOVE, {"user_id": settings.user_id, "pattern_id": pattern.id, "today": today}
        )
        removed = [row.day for row in rows]
    added: list[date] = []
    if pattern.active:
        end = horizon(settings, today)
        added = await _fill(
            session, settings, pattern, compiled, first=max(today, pattern.starts_on), last=end
        )
        pattern.filled_until = end
    else:
        pattern.filled_until = None
    return FillRead(added=len(added), removed=len(removed)), set(removed) | set(added)


# Reading -----------------------------------------------------------------------------------------


def _row(pattern: AvailabilityPattern) -> dict[str, Any]:
    return {
        "id": pattern.id,
        "name": pattern.name,
        "type": pattern.type,
        "rrule": pattern.rrule,
        "starts_on": pattern.starts_on,
        "ends_on": pattern.ends_on,
        "exdates": sorted(pattern.exdates),
        "active": pattern.active,
        "filled_until": pattern.filled_until,
        "version": pattern.version,
        "created_at": pattern.created_at,
        "updated_at": pattern.updated_at,
    }


def _read(pattern: AvailabilityPattern, fill: FillRead | None = None) -> PatternRead:
    return PatternRead.model_validate(_row(pattern) | {"schedule": pattern.schedule, "fill": fill})


async def _own(
    session: AsyncSession, owner_id: uuid.UUID, pattern_id: uuid.UUID, *, lock: bool = False
) -> AvailabilityPattern:
    query = select(AvailabilityPattern).where(
        AvailabilityPattern.id == pattern_id, AvailabilityPattern.user_id == owner_id
    )
    if lock:
        query = query.with_for_update()
    pattern = await session.scalar(query.execution_options(populate_existing=True))
    if pattern is None:
        raise PatternNotFound("No pattern of yours has this id.")
    return pattern


async def get_pattern(
    session: AsyncSession, *, owner: Principal, pattern_id: uuid.UUID
) -> PatternRead:
    return _read(await _own(session, owner.id, pattern_id))


async def list_patterns(
    session: AsyncSession,
    *,
    owner: Principal,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> tuple[list[PatternRead], tuple[datetime, uuid.UUID] | None]:
    """The owner's patterns, oldest first, by (created_at, id)."""
    query = select(AvailabilityPattern).where(AvailabilityPattern.user_id == owner.id)
    if after is not None:
        query = query.where(
            tuple_(AvailabilityPattern.created_at, AvailabilityPattern.id) > tuple_(*after)
        )
    rows = (
        await session.scalars(
            query.order_by(AvailabilityPattern.created_at, AvailabilityPattern.id).limit(limit + 1)
        )
    ).all()
    page = list(rows[:limit])
    last = (page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return [_read(pattern) for pattern in page], last


# Writing -----------------------------------------------------------------------------------------


async def _check_active_cap(
    session: AsyncSession, owner_id: uuid.UUID, *, besides: uuid.UUID | None = None
) -> None:
    query = select(func.count()).where(
        AvailabilityPattern.user_id == owner_id, AvailabilityPattern.active.is_(True)
    )
    if besides is not None:
        query = query.where(AvailabilityPattern.id != besides)
    if (await session.scalar(query) or 0) >= MAX_ACTIVE:
        raise TooManyPatterns(
            f"At most {MAX_ACTIVE} patterns can be active; pause one first.", limit=MAX_ACTIVE
        )


async def create_pattern(
    session: AsyncSession, *, owner: Principal, data: PatternIn, now: datetime | None = None
) -> PatternRead:
    """AV-4: store the pattern and, if active, fill its slots up to the booking horizon in one
    statement. Takes the calendar's lock first."""
    settings = await settings_for(session, owner.id, lock=True)
    today = today_ist(now)
    grid = await check_grid(session, owner.id, settings.grid)
    compiled = compile_schedule(data.type, data.schedule, grid)
    starts_on = data.starts_on or today
    _check_dates(starts_on, data.ends_on, now)
    if data.active:
        await _check_active_cap(session, owner.id)
    pattern = AvailabilityPattern(
        user_id=owner.id,
        name=data.name,
        type=data.type,
        rrule=compiled.rule,
        exdates=sorted(set(data.exdates)),
        schedule=compiled.schedule.model_dump(mode="json"),
        starts_on=starts_on,
        ends_on=data.ends_on,
        active=data.active,
    )
    session.add(pattern)
    await session.flush()
    fill, changed = await _apply(session, settings, pattern, compiled, today=today, remove=False)
    await session.flush()
    await session.refresh(pattern)
    if changed:
        await _changed(session, owner.id, changed)
    return _read(pattern, fill)


def _new_dates(
    pattern: AvailabilityPattern, data: PatternChange, today: date, now: datetime | None
) -> tuple[date, date | None]:
    """A moved start is from today; an end sent is not past and within 365 days of the start."""
    sent = data.model_fields_set
    starts_on = data.starts_on or pattern.starts_on
    ends_on = data.ends_on if "ends_on" in sent else pattern.ends_on
    if starts_on != pattern.starts_on:
        clock.check_day(starts_on, now=now, field="starts_on")
    if {"starts_on", "ends_on"} & sent:
        if ends_on is not None and ends_on < today:
            raise ValidationFailed.field("ends_on", "date_in_past", "The end has passed.")
        _check_end(starts_on, ends_on)
    return starts_on, ends_on


_REFILLING = frozenset({"type", "schedule", "starts_on", "ends_on", "exdates", "active"})


async def update_pattern(
    session: AsyncSession,
    *,
    owner: Principal,
    pattern_id: uuid.UUID,
    data: PatternChange,
    if_match: int | None = None,
    now: datetime | None = None,
) -> PatternRead:
    """AV-4: change what was sent; a change to when or how it recurs (or pausing, resuming)
    removes the pattern's own future free slots and fills again. Stale `If-Match` → 412.
    Takes the calendar's lock, then the pattern's."""
    settings = await settings_for(session, owner.id, lock=True)
    pattern = await _own(session, owner.id, pattern_id, lock=True)
    if if_match is not None and if_match != pattern.version:
        raise PreconditionFailed(
            "The pattern changed since you read it.", current_version=pattern.version
        )
    sent = data.model_fields_set
    for name in sent - {"ends_on"}:
        if getattr(data, name) is None:
            raise ValidationFailed.field(name, "required_field", "This field cannot be cleared.")
    today = today_ist(now)
    kind = data.type or pattern.type
    if kind is not pattern.type and "schedule" not in sent:
        raise ValidationFailed.field("schedule", "required_field", "A new type needs its schedule.")
    compiled = _stored(pattern)
    if data.schedule is not None:
        grid = await check_grid(session, owner.id, settings.grid)
        compiled = compile_schedule(kind, data.schedule, grid)
    starts_on, ends_on = _new_dates(pattern, data, today, now)
    if data.active and not pattern.active:
        await _check_active_cap(session, owner.id, besides=pattern.id)
    pattern.name = data.name or pattern.name
    pattern.type = kind
    pattern.rrule = compiled.rule
    pattern.schedule = compiled.schedule.model_dump(mode="json")
    pattern.starts_on, pattern.ends_on = starts_on, ends_on
    if data.exdates is not None:
        pattern.exdates = sorted(set(data.exdates))
    if data.active is not None:
        pattern.active = data.active
    pattern.version += 1
    fill: FillRead | None = None
    changed: set[date] = set()
    if sent & _REFILLING:
        fill, changed = await _apply(session, settings, pattern, compiled, today=today, remove=True)
    await session.flush()
    await session.refresh(pattern)
    if changed:
        await _changed(session, owner.id, changed)
    return _read(pattern, fill)


async def delete_pattern(
    session: AsyncSession, *, owner: Principal, pattern_id: uuid.UUID, now: datetime | None = None
) -> None:
    """Its future free slots go; past ones stay as history, no longer linked (AV-6)."""
    settings = await settings_for(session, owner.id, lock=True)
    pattern = await _own(session, owner.id, pattern_id, lock=True)
    rows = await session.execute(
        _REMOVE, {"user_id": owner.id, "pattern_id": pattern.id, "today": today_ist(now)}
    )
    removed = {row.day for row in rows}
    await session.delete(pattern)
    await session.flush()
    if removed:
        await _changed(session, settings.user_id, removed)


# Preview -----------------------------------------------------------------------------------------

_CONFLICTS = text(
    """
    WITH wanted AS (
        SELECT w.day,
               tstzrange((w.day + w.starts_at) AT TIME ZONE CAST(:tz AS text),
                         (w.day + w.ends_at) AT TIME ZONE CAST(:tz AS text), '[)') AS period
        FROM unnest(CAST(:days AS date[]), CAST(:starts AS time[]), CAST(:ends AS time[]))
            AS w(day, starts_at, ends_at)
    )
    SELECT w.day, 'booking' AS kind, b.id AS booking_id, b.reference,
           b.starts_at, b.ends_at
    FROM wanted w
    JOIN bookings b ON b.professional_id = CAST(:user_id AS uuid)
        AND b.status IN ('confirmed', 'in_progress') AND b.period && w.period
    UNION
    SELECT w.day, 'booked_slot', s.booking_id, NULL, s.starts_at, s.ends_at
    FROM wanted w
    JOIN calendar_slots s ON s.user_id = CAST(:user_id AS uuid)
        AND s.status = 'booked' AND s.period && w.period
    WHERE NOT EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.id = s.booking_id AND b.status IN ('confirmed', 'in_progress'))
    ORDER BY 1, 5
    """
)


async def preview_pattern(
    session: AsyncSession,
    *,
    owner: Principal,
    data: PatternIn | None = None,
    pattern_id: uuid.UUID | None = None,
    first: date | None = None,
    last: date | None = None,
    now: datetime | None = None,
) -> PatternPreview:
    """AV-4: the slots a pattern (sent, or stored) gives for up to 366 days and the booked time
    it runs into; nothing is written."""
    if (data is None) == (pattern_id is None):
        raise ValidationFailed.field(
            "pattern_id", "required_field", "Send a pattern body or a pattern_id, not both."
        )
    settings = await settings_for(session, owner.id)
    today = today_ist(now)
    if data is not None:
        grid = await check_grid(session, owner.id, settings.grid)
        compiled = compile_schedule(data.type, data.schedule, grid)
        starts_on, ends_on, exdates = data.starts_on or today, data.ends_on, data.exdates
        _check_dates(starts_on, ends_on, now)
    else:
        assert pattern_id is not None  # noqa: S101 - one of the two, checked above
        pattern = await _own(session, owner.id, pattern_id)
        compiled = _stored(pattern)
        starts_on, ends_on, exdates = pattern.starts_on, pattern.ends_on, pattern.exdates
    first = first or max(today, starts_on)
    last = last or max(first, horizon(settings, today))
    clock.check_range(first, last)
    if last > today + timedelta(days=clock.HORIZON_DAYS):
        raise ValidationFailed.field(
            "to", "too_far_ahead", "Dates up to 365 days ahead can be previewed."
        )
    plan = expand(
        compiled, starts_on=starts_on, ends_on=ends_on, exdates=exdates, first=first, last=last
    )
    by_day: dict[date, list[PreviewSlot]] = defaultdict(list)
    for day, interval in plan:
        by_day[day].append(PreviewSlot(starts_at=interval.starts, ends_at=interval.ends))
    conflicts: dict[date, list[PreviewConflict]] = defaultdict(list)
    overridden: set[date] = set()
    if plan:
        rows = await session.execute(
            _CONFLICTS, _arrays(plan) | {"user_id": owner.id, "tz": settings.timezone}
        )
        for row in rows:
            conflicts[row.day].append(
                PreviewConflict(
                    kind=row.kind,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    booking_id=row.booking_id,
                    reference=row.reference,
                )
            )
        overridden = set(
            (
                await session.scalars(
                    select(CalendarDay.day).where(
                        CalendarDay.user_id == owner.id, CalendarDay.day.between(first, last)
                    )
                )
            ).all()
        )
    days = [
        PreviewDay(
            day=day,
            slots=slots,
            overridden=day in overridden,
            conflicts=conflicts.get(day, []),
        )
        for day, slots in sorted(by_day.items())
    ]
    return PatternPreview(
        first_day=first,
        last_day=last,
        slot_count=len(plan),
        conflict_count=sum(len(found) for found in conflicts.values()),
        days=days,
    )


# The daily extension -----------------------------------------------------------------------------

_DUE = text(
    """
    SELECT p.id FROM availability_patterns p
    JOIN calendar_settings s ON s.user_id = p.user_id
    WHERE p.active
      AND (p.ends_on IS NULL OR p.ends_on >= CAST(:today AS date))
      AND (p.filled_until IS NULL
           OR (p.filled_until < CAST(:today AS date) + LEAST(s.advance_booking_days, :horizon)
               AND (p.ends_on IS NULL OR p.filled_until < p.ends_on)))
    ORDER BY p.user_id, p.id
    LIMIT :limit
    """
)


async def due_patterns(
    session: AsyncSession, *, limit: int, now: datetime | None = None
) -> list[uuid.UUID]:
    """Active patterns whose slots stop short of their owner's horizon."""
    rows = await session.scalars(
        _DUE, {"today": today_ist(now), "horizon": clock.HORIZON_DAYS, "limit": limit}
    )
    return list(rows)


async def extend_pattern(
    session: AsyncSession, *, pattern_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Fill the days between the pattern's `filled_until` and today's horizon; a second run
    finds nothing to do. Takes the calendar's lock, then the pattern's."""
    owner_id = await session.scalar(
        select(AvailabilityPattern.user_id).where(AvailabilityPattern.id == pattern_id)
    )
    if owner_id is None:
        return 0  # deleted since it was listed
    settings = await settings_for(session, owner_id, lock=True)
    pattern = await session.scalar(
        select(AvailabilityPattern)
        .where(AvailabilityPattern.id == pattern_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    today = today_ist(now)
    end = horizon(settings, today)
    if pattern is None or not pattern.active:
        return 0
    if pattern.filled_until is not None and pattern.filled_until >= end:
        return 0  # extended by an earlier run
    first = max(today, pattern.starts_on)
    if pattern.filled_until is not None:
        first = max(first, pattern.filled_until + timedelta(days=1))
    added = await _fill(session, settings, pattern, _stored(pattern), first=first, last=end)
    pattern.filled_until = end
    await session.flush()
    if added:
        await _changed(session, owner_id, added)
    return len(added)
