"""The owner's calendar as a file, and the private subscription feed (AV-11).

Exports carry everything the owner sees (AV-1). The feed is read by calendar apps at a URL
that is its only credential, so it lists busy time alone: no client, reference or note.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar, Event, Timezone
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.models import User
from getmygrapher.availability.errors import FeedNotFound
from getmygrapher.availability.models import (
    Booking,
    CalendarOperation,
    CalendarSettings,
    CalendarSlot,
    SlotStatus,
)
from getmygrapher.availability.schemas.exports import (
    CalendarExport,
    ExportBooking,
    ExportEvent,
    ExportFormat,
    FeedIssued,
)
from getmygrapher.availability.service import clock
from getmygrapher.availability.service.calendar import (
    overrides_between,
    settings_for,
    slots_between,
)
from getmygrapher.core.ratelimit import Limit
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import AccountStatus, Principal, hash_token, new_token
from getmygrapher.core.time import utcnow

UID_DOMAIN = "getmygrapher.in"
PRODID = "-//GetMyGrapher//Calendar 1.0//EN"
FEED_PATH = "/v1/calendar-feeds/{token}.ics"
# The feed shows a month of history and the whole planning horizon.
FEED_PAST_DAYS = 30
# Calendar apps poll every 15 minutes to a few hours; a token or an address asking far more
# often is a leaked URL being scraped or tokens being guessed.
FEED_PER_TOKEN = Limit("calendar-feed-token", 60, timedelta(hours=1))
FEED_PER_IP = Limit("calendar-feed-ip", 300, timedelta(hours=1))
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
CSV_HEADER = (
    "uid",
    "kind",
    "day",
    "starts_at",
    "ends_at",
    "timezone",
    "status",
    "booking_reference",
    "booking_status",
    "client_name",
    "note",
)
MEDIA_TYPES = {
    "ics": "text/calendar; charset=utf-8",
    "csv": "text/csv; charset=utf-8; header=present",
    "json": "application/json",
}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


@dataclass(frozen=True)
class _Event:
    read: ExportEvent
    timezone: str


async def _log(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    kind: str,
    file_format: str,
    status: str,
    detail: dict[str, Any],
) -> CalendarOperation:
    operation = CalendarOperation(
        user_id=user_id, kind=kind, format=file_format, status=status, detail=detail
    )
    session.add(operation)
    await session.flush()
    return operation


async def _events(
    session: AsyncSession,
    owner_id: uuid.UUID,
    start: date,
    end: date,
    *,
    zone_name: str,
    busy_only: bool = False,
) -> list[_Event]:
    """Slots, and whole blocked days, in order; `busy_only` keeps booked and blocked time."""
    slots = await slots_between(session, owner_id, start, end)
    overrides = await overrides_between(session, owner_id, start, end)
    if busy_only:
        slots = [s for s in slots if s.status in {SlotStatus.BOOKED, SlotStatus.BLOCKED}]
    bookings = {} if busy_only else await _bookings(session, slots)
    events = [
        _Event(
            ExportEvent(
                uid=f"{owner_id}-{day:%Y%m%d}@{UID_DOMAIN}",
                kind="day",
                day=day,
                starts_at=None,
                ends_at=None,
                status="blocked",
                note=None if busy_only else override.note,
            ),
            zone_name,
        )
        for day, override in sorted(overrides.items())
        if override.blocked
    ]
    events += [
        _Event(
            ExportEvent(
                uid=f"{slot.id}@{UID_DOMAIN}",
                kind="slot",
                day=slot.day,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                status=slot.status.value,
                note=None if busy_only else slot.note,
                booking=bookings.get(slot.booking_id) if slot.booking_id else None,
            ),
            slot.timezone,
        )
        for slot in slots
    ]
    events.sort(
        key=lambda event: (event.read.day, event.read.kind, event.read.starts_at or time.min)
    )
    return events


async def _bookings(
    session: AsyncSession, slots: Iterable[CalendarSlot]
) -> dict[uuid.UUID, ExportBooking]:
    ids = {slot.booking_id for slot in slots if slot.booking_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Booking.id, Booking.reference, Booking.status, User.full_name)
        .join(User, User.id == Booking.client_id)
        .where(Booking.id.in_(ids))
    )
    return {
        row.id: ExportBooking(
            reference=row.reference, status=row.status.value, client_name=row.full_name
        )
        for row in rows
    }


def _summary(event: ExportEvent, *, private: bool) -> str:
    if event.status == "booked":
        if private or event.booking is None:
            return "Booked"
        who = f" with {event.booking.client_name}" if event.booking.client_name else ""
        return f"Booked {event.booking.reference}{who}"
    if private:
        return "Busy"
    return {"available": "Available", "blocked": "Blocked", "break": "Break"}[event.status]


def ics(
    events: Sequence[_Event], *, zone_name: str, name: str, private: bool, now: datetime
) -> bytes:
    """RFC 5545: times with the calendar's TZID and a VTIMEZONE for every zone used, one
    stable UID per slot, text escaped by the library."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone_name)
    if private:
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    for tzid in dict.fromkeys([zone_name, *(event.timezone for event in events)]):
        calendar.add_component(Timezone.from_tzid(clock.zone(tzid).key))
    for item in events:
        event, vevent = item.read, Event()
        vevent.add("uid", event.uid)
        vevent.add("dtstamp", now)
        if event.starts_at is None or event.ends_at is None:
            vevent.add("dtstart", event.day)
            vevent.add("dtend", event.day + timedelta(days=1))
        else:
            tz = clock.zone(item.timezone)
            vevent.add("dtstart", datetime.combine(event.day, event.starts_at, tzinfo=tz))
            vevent.add("dtend", datetime.combine(event.day, event.ends_at, tzinfo=tz))
        vevent.add("summary", _summary(event, private=private))
        if event.note:
            vevent.add("description", event.note)
        vevent.add("transp", "TRANSPARENT" if event.status == "available" else "OPAQUE")
        vevent.add("status", "CONFIRMED")
        if private:
            vevent.add("class", "PRIVATE")
        else:
            vevent.add("categories", [event.status])
        calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _cell(value: str | None) -> str:
    """A text cell a spreadsheet will not run: a leading =, +, - or @ makes a formula."""
    if not value:
        return ""
    return f"'{value}" if value[0] in "=+-@\t\r" else value


def _csv(events: Sequence[_Event]) -> bytes:
    """RFC 4180: a header row, every field quoted, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in events:
        event, booking = item.read, item.read.booking
        writer.writerow(
            [
                event.uid,
                event.kind,
                event.day.isoformat(),
                event.starts_at.strftime("%H:%M") if event.starts_at else "",
                event.ends_at.strftime("%H:%M") if event.ends_at else "",
                item.timezone,
                event.status,
                booking.reference if booking else "",
                booking.status if booking else "",
                _cell(booking.client_name if booking else None),
                _cell(event.note),
            ]
        )
    return buffer.getvalue().encode()


async def export_calendar(
    session: AsyncSession,
    *,
    owner: Principal,
    file_format: ExportFormat,
    start: date,
    end: date,
    now: datetime | None = None,
) -> ExportFile:
    """AV-11: up to 366 days of the owner's calendar as ICS, CSV or JSON, logged."""
    clock.check_range(start, end)
    now = now or utcnow()
    settings = await settings_for(session, owner.id)
    events = await _events(session, owner.id, start, end, zone_name=settings.timezone)
    if file_format == "ics":
        content = ics(
            events,
            zone_name=settings.timezone,
            name="GetMyGrapher calendar",
            private=False,
            now=now,
        )
    elif file_format == "csv":
        content = _csv(events)
    else:
        content = (
            CalendarExport(
                timezone=settings.timezone,
                starts_on=start,
                ends_on=end,
                exported_at=now,
                events=[event.read for event in events],
            )
            .model_dump_json()
            .encode()
        )
    await _log(
        session,
        owner.id,
        kind="export",
        file_format=file_format,
        status="completed",
        detail={"from": start.isoformat(), "to": end.isoformat(), "events": len(events)},
    )
    return ExportFile(
        content=content,
        media_type=MEDIA_TYPES[file_format],
        filename=f"getmygrapher-calendar-{start:%Y%m%d}-{end:%Y%m%d}.{file_format}",
    )


# The private feed --------------------------------------------------------------------------------


async def issue_feed(
    session: AsyncSession, runtime: Runtime, *, owner: Principal, now: datetime | None = None
) -> FeedIssued:
    """A new secret feed URL, shown once; any earlier URL stops working. Only the token's
    SHA-256 is stored. Locks the calendar's settings row."""
    settings = await settings_for(session, owner.id, lock=True)
    replaced = settings.feed_token_hash is not None
    token = new_token(32)
    settings.feed_token_hash = hash_token(token)
    await _log(
        session,
        owner.id,
        kind="feed",
        file_format="ics",
        status="completed",
        detail={"action": "regenerated" if replaced else "issued"},
    )
    return FeedIssued(
        url=runtime.settings.base_url + FEED_PATH.format(token=token),
        issued_at=now or utcnow(),
    )


async def revoke_feed(session: AsyncSession, *, owner: Principal) -> None:
    """The feed URL stops working at once; revoking twice is harmless. Locks the calendar's
    settings row."""
    settings = await settings_for(session, owner.id, lock=True)
    if settings.feed_token_hash is None:
        return
    settings.feed_token_hash = None
    await _log(
        session,
        owner.id,
        kind="feed",
        file_format="ics",
        status="completed",
        detail={"action": "revoked"},
    )


async def read_feed(
    session: AsyncSession,
    runtime: Runtime,
    *,
    token: str,
    client_ip: str,
    now: datetime | None = None,
) -> bytes:
    """The anonymous ICS feed: booked time as "Booked", blocked time as "Busy", nothing about
    clients. Counted per address and per token before the token is looked at, so guessing
    tokens is as slow as reading one."""
    digest = hash_token(token)
    await runtime.rate_limiter.enforce(
        FEED_PER_IP, client_ip, detail="Too many calendar feed requests from this address."
    )
    await runtime.rate_limiter.enforce(
        FEED_PER_TOKEN, digest, detail="This calendar feed is read too often; try again later."
    )
    settings = (
        await session.scalar(
            select(CalendarSettings)
            .join(User, User.id == CalendarSettings.user_id)
            .where(
                CalendarSettings.feed_token_hash == digest,
                User.status == AccountStatus.ACTIVE,
            )
        )
        if _TOKEN.match(token)
        else None
    )
    if settings is None:
        raise FeedNotFound("No calendar feed has this address.")
    now = now or utcnow()
    today = now.astimezone(clock.zone(settings.timezone)).date()
    events = await _events(
        session,
        settings.user_id,
        today - timedelta(days=FEED_PAST_DAYS),
        today + timedelta(days=clock.HORIZON_DAYS),
        zone_name=settings.timezone,
        busy_only=True,
    )
    return ics(events, zone_name=settings.timezone, name="GetMyGrapher", private=True, now=now)
