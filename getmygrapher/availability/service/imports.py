"""Busy time from another calendar becomes blocked time on the owner's (AV-11).

A file is read whole before anything is written: one that cannot be read stores nothing but
the failed operation. Readable events are cut into days in the owner's zone, kept between
06:00 and 23:00, widened to the grid and merged; time that meets an existing slot, booked or
not, is skipped and reported, and the rest is written in one statement.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from icalendar import Calendar
from icalendar.cal.component import Component
from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.errors import CalendarFileTooLarge, InvalidCalendarFile
from getmygrapher.availability.events import CalendarChanged
from getmygrapher.availability.models import CalendarOperation, CalendarSlot, SlotStatus
from getmygrapher.availability.schemas.exports import ImportIgnored, ImportReport, ImportSkip
from getmygrapher.availability.service import clock
from getmygrapher.availability.service.calendar import check_grid, settings_for, slots_between
from getmygrapher.core import realtime
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow

MAX_FILE_BYTES = 1024 * 1024
MAX_EVENTS = 1000
OPENS, CLOSES = clock.minutes(clock.OPENS), clock.minutes(clock.CLOSES)
LONGEST = int(clock.MAX_SLOT.total_seconds() // 60)
ImportFormat = Literal["ics", "csv"]


@dataclass(frozen=True)
class Busy:
    """One busy event: aware instants, or whole days `[starts, ends)` for an all-day event."""

    uid: str
    starts: datetime | date
    ends: datetime | date


@dataclass
class Parsed:
    events: int = 0
    busy: list[Busy] = field(default_factory=list)
    free: int = 0
    recurring: int = 0


def _invalid(message: str, code: str = "invalid_format") -> InvalidCalendarFile:
    return InvalidCalendarFile(
        message, errors=[{"field": "file", "code": code, "message": message}]
    )


def _too_many(count: int) -> InvalidCalendarFile:
    return _invalid(
        f"A file holds at most {MAX_EVENTS:,} events; this one has {count:,}.", "out_of_range"
    )


# Reading ---------------------------------------------------------------------------------------


def _when(event: Component, name: str, uid: str, zone: tzinfo) -> datetime | date:
    try:
        value = event.decoded(name)
    except (KeyError, ValueError, TypeError) as error:
        raise _invalid(f"Event {uid} has no readable {name}.") from error
    if isinstance(value, datetime):
        # A floating time (no zone) is wall-clock time in the owner's zone.
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return value
    raise _invalid(f"Event {uid} has no readable {name}.")


def _ends(event: Component, starts: datetime | date, uid: str, zone: tzinfo) -> datetime | date:
    if "DTEND" in event:
        ends = _when(event, "DTEND", uid, zone)
    elif "DURATION" in event:
        duration = event.decoded("DURATION")
        if not isinstance(duration, timedelta):
            raise _invalid(f"Event {uid} has no readable DURATION.")
        if isinstance(starts, datetime):
            ends = starts + duration
        else:
            ends = starts + timedelta(days=max(1, duration.days))
    else:
        # RFC 5545 §3.6.1: a date alone lasts the day; a time alone takes no time.
        ends = starts if isinstance(starts, datetime) else starts + timedelta(days=1)
    if isinstance(starts, datetime) != isinstance(ends, datetime):
        raise _invalid(f"Event {uid} mixes a date and a time.")
    return ends


def parse_ics(data: bytes, zone: tzinfo) -> Parsed:
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise _invalid("This is not an iCalendar (.ics) file.") from error
    if not isinstance(calendar, Component) or calendar.name != "VCALENDAR":
        raise _invalid("This is not an iCalendar (.ics) file.")
    events = calendar.walk("VEVENT")
    if len(events) > MAX_EVENTS:
        raise _too_many(len(events))
    parsed = Parsed(events=len(events))
    for index, event in enumerate(events, start=1):
        uid = str(event.get("UID") or f"event-{index}")
        transparent = str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT"
        if transparent or str(event.get("STATUS", "")).upper() == "CANCELLED":
            parsed.free += 1
            continue
        try:
            starts = _when(event, "DTSTART", uid, zone)
            ends = _ends(event, starts, uid, zone)
            if isinstance(starts, datetime) and isinstance(ends, datetime):
                starts, ends = starts.astimezone(zone), ends.astimezone(zone)
        except OverflowError as error:
            raise _invalid(f"Event {uid} lies outside the calendar's years.") from error
        if "RRULE" in event:
            parsed.recurring += 1
        if ends <= starts:
            parsed.free += 1
            continue
        parsed.busy.append(Busy(uid, starts, ends))
    return parsed


def parse_csv(data: bytes, zone: tzinfo) -> Parsed:
    """Our own export's columns: `day`, `starts_at`, `ends_at`, and optionally `uid`,
    `timezone` and `status` (available rows are free time). Empty times mean the whole day."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        header = set(reader.fieldnames or [])
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_EVENTS:
                raise _too_many(len(rows) + sum(1 for _ in reader))
    except (UnicodeDecodeError, csv.Error) as error:
        raise _invalid("This is not a UTF-8 CSV file.") from error
    if not {"day", "starts_at", "ends_at"} <= header:
        raise _invalid("A CSV calendar needs the columns day, starts_at and ends_at.")
    parsed = Parsed(events=len(rows))
    for line, row in enumerate(rows, start=2):
        uid = (row.get("uid") or "").strip() or f"row-{line}"
        if (row.get("status") or "").strip().lower() == "available":
            parsed.free += 1
            continue
        try:
            day = date.fromisoformat((row.get("day") or "").strip())
            starts_text, ends_text = (row.get(k) or "" for k in ("starts_at", "ends_at"))
            if not starts_text.strip() and not ends_text.strip():
                parsed.busy.append(Busy(uid, day, day + timedelta(days=1)))
                continue
            row_zone = clock.zone(row["timezone"].strip()) if row.get("timezone") else zone
            starts = datetime.combine(day, time.fromisoformat(starts_text.strip()), row_zone)
            ends = datetime.combine(day, time.fromisoformat(ends_text.strip()), row_zone)
            starts, ends = starts.astimezone(zone), ends.astimezone(zone)
        except (ValueError, OverflowError) as error:
            raise _invalid(f"Row {line} needs an ISO date and HH:MM times.") from error
        if ends <= starts:
            parsed.free += 1
            continue
        parsed.busy.append(Busy(uid, starts, ends))
    return parsed


# Cutting into slots ----------------------------------------------------------------------------


@dataclass
class Piece:
    day: date
    starts: int  # minutes from midnight, wall-clock in the owner's zone
    ends: int
    uids: list[str]


def _clip(starts: int, ends: int) -> tuple[int, int] | None:
    starts, ends = max(starts, OPENS), min(ends, CLOSES)
    return (starts, ends) if starts < ends else None


def _cut(busy: Busy, zone: tzinfo, first: date, last: date) -> list[Piece]:
    """The event's time on each local day from `first` to `last`, within opening hours."""
    pieces = []
    if isinstance(busy.starts, datetime) and isinstance(busy.ends, datetime):
        local_start, local_end = busy.starts.astimezone(zone), busy.ends.astimezone(zone)
        final = (local_end - timedelta(microseconds=1)).date()
        day = max(local_start.date(), first)
        while day <= min(final, last):
            starts = clock.minutes(local_start.time()) if day == local_start.date() else 0
            ends = 24 * 60
            if day == local_end.date():
                ends = clock.minutes(local_end.time()) + (
                    1 if local_end.second or local_end.microsecond else 0
                )
            if (clipped := _clip(starts, ends)) is not None:
                pieces.append(Piece(day, *clipped, [busy.uid]))
            day += timedelta(days=1)
        return pieces
    day = max(busy.starts, first)
    while day < busy.ends and day <= last:
        pieces.append(Piece(day, OPENS, CLOSES, [busy.uid]))
        day += timedelta(days=1)
    return pieces


def _widen(piece: Piece, step: int) -> Piece:
    """Blocked time sits on the owner's grid, widened so it still covers the whole event."""
    starts = OPENS + (piece.starts - OPENS) // step * step
    ends = min(CLOSES, OPENS + math.ceil((piece.ends - OPENS) / step) * step)
    return Piece(piece.day, starts, ends, piece.uids)


def _merge(pieces: Sequence[Piece]) -> list[Piece]:
    """Touching and overlapping time of one day becomes one piece, then pieces longer than
    the 12-hour slot limit (AV-2) are split."""
    merged: list[Piece] = []
    for piece in sorted(pieces, key=lambda p: (p.day, p.starts, p.ends)):
        last = merged[-1] if merged else None
        if last is not None and last.day == piece.day and piece.starts <= last.ends:
            last.ends = max(last.ends, piece.ends)
            last.uids.extend(uid for uid in piece.uids if uid not in last.uids)
        else:
            merged.append(Piece(piece.day, piece.starts, piece.ends, list(piece.uids)))
    split = []
    for piece in merged:
        starts = piece.starts
        while starts < piece.ends:
            ends = min(piece.ends, starts + LONGEST)
            split.append(Piece(piece.day, starts, ends, piece.uids))
            starts = ends
    return split


@dataclass
class _Ignored:
    past: int = 0
    too_far_ahead: int = 0
    outside_hours: int = 0


def _why_nothing(busy: Busy, zone: tzinfo, now: datetime, last: date) -> str:
    if isinstance(busy.starts, datetime) and isinstance(busy.ends, datetime):
        if busy.ends <= now:
            return "past"
        return "too_far_ahead" if busy.starts.astimezone(zone).date() > last else "outside_hours"
    if busy.ends <= now.astimezone(zone).date():
        return "past"
    return "too_far_ahead" if busy.starts > last else "outside_hours"


# The use-case -----------------------------------------------------------------------------------


def _format(filename: str | None, content_type: str | None) -> ImportFormat:
    name, kind = (filename or "").lower(), (content_type or "").split(";")[0].strip().lower()
    if name.endswith(".csv") or kind in {"text/csv", "application/csv"}:
        return "csv"
    return "ics"


async def import_calendar(
    session: AsyncSession,
    *,
    owner: Principal,
    data: bytes,
    filename: str | None,
    content_type: str | None,
    now: datetime | None = None,
) -> ImportReport:
    """AV-11: busy events of an ICS or CSV file (at most 1 MB and 1,000 events) become blocked
    slots, in one transaction; time meeting any existing slot is skipped and reported. Past
    time and time beyond the 365-day horizon are left out. Locks the calendar's settings row."""
    settings = await settings_for(session, owner.id, lock=True)
    file_format = _format(filename, content_type)
    zone = clock.zone(settings.timezone)
    try:
        if len(data) > MAX_FILE_BYTES:
            raise CalendarFileTooLarge("A calendar file is at most 1 MB.", field="file")
        if not data.strip():
            raise _invalid("The file is empty.", "required_field")
        parsed = parse_csv(data, zone) if file_format == "csv" else parse_ics(data, zone)
    except (InvalidCalendarFile, CalendarFileTooLarge) as error:
        session.add(
            CalendarOperation(
                user_id=owner.id,
                kind="import",
                format=file_format,
                status="failed",
                detail={"reason": error.detail, "bytes": len(data)},
            )
        )
        await session.flush()
        raise
    now = now or utcnow()
    today = now.astimezone(zone).date()
    last = today + timedelta(days=clock.HORIZON_DAYS)
    step = clock.GRID_MINUTES[await check_grid(session, owner.id, settings.grid)]
    ignored, pieces = _Ignored(), []
    for busy in parsed.busy:
        cut = [
            piece
            for piece in _cut(busy, zone, today, last)
            if clock.instant(piece.day, clock.at_minutes(piece.ends), settings.timezone) > now
        ]
        if not cut:
            reason = _why_nothing(busy, zone, now, last)
            setattr(ignored, reason, getattr(ignored, reason) + 1)
        pieces += [_widen(piece, step) for piece in cut]
    created, skipped = await _write(session, owner.id, _merge(pieces), settings.timezone)
    if created:
        days = sorted({row["day"].isoformat() for row in created})
        await realtime.emit(session, [owner.id], CalendarChanged(days=days))
    ignored_read = ImportIgnored(
        free=parsed.free,
        past=ignored.past,
        too_far_ahead=ignored.too_far_ahead,
        outside_hours=ignored.outside_hours,
        recurring=parsed.recurring,
    )
    operation = CalendarOperation(
        user_id=owner.id,
        kind="import",
        format=file_format,
        status="completed",
        detail={
            "events": parsed.events,
            "created": len(created),
            "skipped": len(skipped),
            "ignored": ignored_read.model_dump(),
        },
    )
    session.add(operation)
    await session.flush()
    return ImportReport(
        operation_id=operation.id,
        format=file_format,
        events=parsed.events,
        created=len(created),
        skipped=skipped,
        ignored=ignored_read,
    )


async def _write(
    session: AsyncSession, owner_id: uuid.UUID, pieces: Sequence[Piece], zone_name: str
) -> tuple[list[dict[str, Any]], list[ImportSkip]]:
    if not pieces:
        return [], []
    existing: dict[date, list[tuple[datetime, datetime, SlotStatus]]] = defaultdict(list)
    for slot in await slots_between(
        session, owner_id, min(p.day for p in pieces), max(p.day for p in pieces)
    ):
        existing[slot.day].append(
            (
                clock.instant(slot.day, slot.starts_at, slot.timezone),
                clock.instant(slot.day, slot.ends_at, slot.timezone),
                slot.status,
            )
        )
    rows: list[dict[str, Any]] = []
    skipped: list[ImportSkip] = []
    for piece in pieces:
        starts, ends = clock.at_minutes(piece.starts), clock.at_minutes(piece.ends)
        lower = clock.instant(piece.day, starts, zone_name)
        upper = clock.instant(piece.day, ends, zone_name)
        # A slot kept in another zone may sit on a neighbouring local date.
        around = [
            slot
            for day in (piece.day - timedelta(days=1), piece.day, piece.day + timedelta(days=1))
            for slot in existing.get(day, [])
        ]
        met = [slot for slot in around if slot[0] < upper and lower < slot[1]]
        if met:
            booked = any(status is SlotStatus.BOOKED for _, _, status in met)
            skipped.append(
                ImportSkip(
                    day=piece.day,
                    starts_at=starts,
                    ends_at=ends,
                    reason="overlaps_booking" if booked else "overlaps_slot",
                    uids=piece.uids,
                )
            )
            continue
        rows.append(
            {
                "user_id": owner_id,
                "day": piece.day,
                "starts_at": starts,
                "ends_at": ends,
                "timezone": zone_name,
                "period": Range(lower, upper, bounds="[)"),
                "status": SlotStatus.BLOCKED,
                "source": "import",
            }
        )
    if rows:
        await session.execute(insert(CalendarSlot), rows)
    return rows, skipped
