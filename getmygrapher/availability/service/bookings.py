"""Bookings (BKG-1…BKG-9): requests from a profile or a hire, the state machine, never a double
booking, buffers and travel time, reschedules, conflicts, and the time they mark on calendars.

Every change to one professional's bookings first locks that professional's calendar settings
row, so checks and writes see one state; the exclusion constraint over active bookings is the
last word if anything ever slipped past.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.models import User
from getmygrapher.availability.errors import (
    BookingNotFound,
    BookingsClosed,
    BookingTransition,
    DuplicateRequest,
    SlotUnavailable,
    TooManyReschedules,
)
from getmygrapher.availability.events import BookingChanged
from getmygrapher.availability.models import (
    FINAL_BOOKING,
    Booking,
    BookingConflict,
    BookingReschedule,
    BookingSource,
    BookingStatus,
    CalendarDay,
    CalendarSettings,
    CalendarSlot,
    ConflictPolicy,
    ConflictStatus,
    ConflictType,
    SlotStatus,
)
from getmygrapher.availability.schemas import (
    BookingRead,
    BookingRequestIn,
    ConflictRead,
    Party,
    RescheduleRead,
    TimeProposal,
)
from getmygrapher.availability.service import clock
from getmygrapher.availability.service.calendar import settings_for
from getmygrapher.core import realtime
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.security import AccountStatus, Principal, Role
from getmygrapher.core.time import utcnow
from getmygrapher.moderation import service as moderation_service
from getmygrapher.notifications import service as notifications_service

# A pending request holds its time from other requests for this long (they meet the
# conflict policy), so two clients do not both plan on one afternoon.
HOLD = timedelta(minutes=30)
PENDING_LIFETIME = timedelta(hours=48)
RESCHEDULE_LIFETIME = timedelta(hours=48)
AUTO_COMPLETE_AFTER = timedelta(hours=24)
MAX_RESCHEDULES = 3
ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# Messaging sits above this area: the pair's conversation hears of bookings through a hook.
BookingMessenger = Callable[
    [AsyncSession, uuid.UUID, uuid.UUID, str, dict[str, object]], Awaitable[None]
]
_messengers: list[BookingMessenger] = []


def on_booking_message(messenger: BookingMessenger) -> None:
    _messengers.append(messenger)


# -- reading ------------------------------------------------------------------------------------


def current_status(booking: Booking, now: datetime) -> BookingStatus:
    """What the clock says the booking is, whether or not the task has stored it (GEN-12)."""
    status = booking.status
    if status is BookingStatus.PENDING and booking.expires_at and now >= booking.expires_at:
        return BookingStatus.EXPIRED
    if status is BookingStatus.CONFIRMED and now >= booking.starts_at_utc:
        status = BookingStatus.IN_PROGRESS
    if status is BookingStatus.IN_PROGRESS and now >= booking.ends_at_utc + AUTO_COMPLETE_AFTER:
        return BookingStatus.COMPLETED
    return status


async def _names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {row.id: row.full_name for row in rows}


async def read_many(
    session: AsyncSession, bookings: Sequence[Booking], *, now: datetime | None = None
) -> list[BookingRead]:
    if not bookings:
        return []
    now = now or utcnow()
    ids = [b.id for b in bookings]
    names = await _names(
        session, {b.client_id for b in bookings} | {b.professional_id for b in bookings}
    )
    conflicts: dict[uuid.UUID, list[ConflictRead]] = {}
    for row in await session.scalars(
        select(BookingConflict)
        .where(BookingConflict.booking_id.in_(ids))
        .order_by(BookingConflict.created_at, BookingConflict.id)
    ):
        conflicts.setdefault(row.booking_id, []).append(ConflictRead.model_validate(row))
    reschedules = {
        row.booking_id: RescheduleRead.model_validate(row)
        for row in await session.scalars(
            select(BookingReschedule).where(
                BookingReschedule.booking_id.in_(ids), BookingReschedule.status == "pending"
            )
        )
    }
    return [
        BookingRead(
            id=b.id,
            reference=b.reference,
            source=b.source,
            status=current_status(b, now),
            professional=Party(id=b.professional_id, name=names.get(b.professional_id)),
            client=Party(id=b.client_id, name=names.get(b.client_id)),
            job_id=b.job_id,
            application_id=b.application_id,
            day=b.day,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            timezone=b.timezone,
            starts_at_utc=b.starts_at_utc,
            ends_at_utc=b.ends_at_utc,
            amount=b.amount,
            message=b.message,
            location=b.location,
            hold_until=b.hold_until if b.status is BookingStatus.PENDING else None,
            expires_at=b.expires_at,
            decline_reason=b.decline_reason,
            cancelled_by=b.cancelled_by,
            cancel_reason=b.cancel_reason,
            cancelled_at=b.cancelled_at,
            completed_at=b.completed_at,
            reschedule_count=b.reschedule_count,
            conflicts=conflicts.get(b.id, []),
            reschedule=reschedules.get(b.id),
            version=b.version,
            created_at=b.created_at,
        )
        for b in bookings
    ]


async def read_one(
    session: AsyncSession, booking: Booking, now: datetime | None = None
) -> BookingRead:
    return (await read_many(session, [booking], now=now))[0]


async def _party_booking(
    session: AsyncSession, user: Principal, booking_id: uuid.UUID, *, lock: bool = False
) -> Booking:
    """BKG-5: only the two parties (and admins) see a booking; anyone else gets 404."""
    query = select(Booking).where(Booking.id == booking_id)
    if lock:
        query = query.with_for_update()
    booking = await session.scalar(query.execution_options(populate_existing=True))
    if booking is None or not (
        user.id in (booking.professional_id, booking.client_id) or user.role is Role.ADMIN
    ):
        raise BookingNotFound("No booking you can see has this id.")
    return booking


async def get_booking(
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID, now: datetime | None = None
) -> BookingRead:
    return await read_one(session, await _party_booking(session, user, booking_id), now)


async def list_bookings(
    session: AsyncSession,
    *,
    user: Principal,
    role: str,
    statuses: Sequence[BookingStatus] | None,
    start: date | None,
    end: date | None,
    when: str,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    now: datetime | None = None,
) -> tuple[list[BookingRead], tuple[datetime, uuid.UUID] | None]:
    """BKG-6: as professional or client; upcoming soonest first, past newest first."""
    now = now or utcnow()
    column = Booking.professional_id if role == "professional" else Booking.client_id
    query = select(Booking).where(column == user.id)
    if start is not None:
        query = query.where(Booking.day >= start)
    if end is not None:
        query = query.where(Booking.day <= end)
    upcoming = when == "upcoming"
    if upcoming:
        query = query.where(Booking.ends_at_utc > now)
        order = (Booking.starts_at_utc.asc(), Booking.id.asc())
        if after is not None:
            query = query.where(
                or_(
                    Booking.starts_at_utc > after[0],
                    and_(Booking.starts_at_utc == after[0], Booking.id > after[1]),
                )
            )
    else:
        query = query.where(Booking.ends_at_utc <= now)
        order = (Booking.starts_at_utc.desc(), Booking.id.desc())
        if after is not None:
            query = query.where(
                or_(
                    Booking.starts_at_utc < after[0],
                    and_(Booking.starts_at_utc == after[0], Booking.id < after[1]),
                )
            )
    rows = list((await session.scalars(query.order_by(*order).limit(limit * 3 + 1))).all())
    if statuses:
        wanted = set(statuses)
        rows = [b for b in rows if current_status(b, now) in wanted]
    more = len(rows) > limit
    page = rows[:limit]
    key = (page[-1].starts_at_utc, page[-1].id) if more and page else None
    return await read_many(session, page, now=now), key


# -- the checks every booking time meets ---------------------------------------------------------


@dataclass(frozen=True)
class Window:
    day: date
    starts: time
    ends: time
    zone: str

    @property
    def begin(self) -> datetime:
        return clock.instant(self.day, self.starts, self.zone)

    @property
    def end(self) -> datetime:
        return clock.instant(self.day, self.ends, self.zone)

    def label(self) -> str:
        return f"{self.day.isoformat()} {self.starts:%H:%M} to {self.ends:%H:%M}"


def _window(settings: CalendarSettings, day: date, starts: time, ends: time) -> Window:
    """BKG-2: between 06:00 and 23:00 and 30 min (1 h off the 30-minute grid) to 12 h."""
    if starts >= ends:
        raise ValidationFailed.field("ends_at", "invalid_range", "The end must be after the start.")
    if starts < clock.OPENS or ends > clock.CLOSES:
        raise ValidationFailed.field(
            "starts_at", "outside_hours", "Bookings lie between 06:00 and 23:00."
        )
    length = clock.Interval(starts, ends).length
    shortest = timedelta(minutes=30 if settings.grid.value == "30min" else 60)
    if length < shortest or length > clock.MAX_SLOT:
        raise ValidationFailed.field(
            "ends_at",
            "invalid_length",
            f"A booking lasts from {int(shortest.total_seconds() // 60)} minutes to 12 hours.",
        )
    return Window(day, starts, ends, settings.timezone)


def _check_notice(settings: CalendarSettings, window: Window, now: datetime) -> None:
    """Lead time and the advance-booking window (BKG-2)."""
    if window.begin < now + timedelta(hours=settings.lead_time_hours):
        raise ValidationFailed.field(
            "starts_at",
            "lead_time",
            f"This professional needs {settings.lead_time_hours} hours' notice.",
        )
    if window.begin > now + timedelta(days=settings.advance_booking_days):
        raise ValidationFailed.field(
            "day",
            "beyond_booking_window",
            f"This professional takes bookings up to {settings.advance_booking_days} days ahead.",
        )


@dataclass(frozen=True)
class Clash:
    type: ConflictType
    detail: str
    range: str | None = None
    missing_minutes: int | None = None


async def _active_around(
    session: AsyncSession,
    professional_id: uuid.UUID,
    window: Window,
    reach: timedelta,
    exclude: uuid.UUID | None,
) -> Sequence[Booking]:
    query = select(Booking).where(
        Booking.professional_id == professional_id,
        Booking.status.in_(ACTIVE),
        Booking.starts_at_utc < window.end + reach,
        Booking.ends_at_utc > window.begin - reach,
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude)
    return (await session.scalars(query.order_by(Booking.starts_at_utc))).all()


def _gap_needed(
    settings: CalendarSettings,
    earlier: tuple[datetime, float | None, float | None],
    later: tuple[datetime, float | None, float | None],
) -> timedelta:
    """Buffers after the earlier and before the later booking, or the drive between two
    on-location bookings, whichever is longer."""
    buffers = timedelta(minutes=settings.buffer_after_minutes + settings.buffer_before_minutes)
    if None in (earlier[1], earlier[2], later[1], later[2]):
        return buffers
    km = clock.great_circle_km(earlier[1], earlier[2], later[1], later[2])  # type: ignore[arg-type]
    return max(buffers, clock.travel_time(km, settings.travel_speed_kmh))


async def clashes(
    session: AsyncSession,
    settings: CalendarSettings,
    window: Window,
    *,
    place: tuple[float | None, float | None],
    exclude: uuid.UUID | None = None,
    now: datetime,
) -> list[Clash]:
    """Everything that keeps this time from being booked: active bookings (overlap, buffers,
    travel time), blocked time, the daily cap."""
    found: list[Clash] = []
    reach = timedelta(hours=12)
    for other in await _active_around(session, settings.user_id, window, reach, exclude):
        other_range = f"{other.day.isoformat()} {other.starts_at:%H:%M} to {other.ends_at:%H:%M}"
        if other.starts_at_utc < window.end and other.ends_at_utc > window.begin:
            found.append(
                Clash(ConflictType.DOUBLE_BOOKING, "Another booking holds this time.", other_range)
            )
            continue
        if other.ends_at_utc <= window.begin:
            gap = window.begin - other.ends_at_utc
            needed = _gap_needed(
                settings, (other.ends_at_utc, other.lat, other.lng), (window.begin, *place)
            )
        else:
            gap = other.starts_at_utc - window.end
            needed = _gap_needed(
                settings, (window.end, *place), (other.starts_at_utc, other.lat, other.lng)
            )
        if gap < needed:
            missing = int((needed - gap).total_seconds() // 60)
            found.append(
                Clash(
                    ConflictType.OVERLAP,
                    f"{missing} more minutes are needed between this and the booking at "
                    f"{other_range} (buffers and travel time).",
                    other_range,
                    missing,
                )
            )
    blocked = await session.scalar(
        select(func.count())
        .select_from(CalendarSlot)
        .where(
            CalendarSlot.user_id == settings.user_id,
            CalendarSlot.status == SlotStatus.BLOCKED,
            CalendarSlot.period.overlaps(
                clock.span(window.day, window.starts, window.ends, window.zone)
            ),
        )
    )
    day_blocked = await session.scalar(
        select(CalendarDay.blocked).where(
            CalendarDay.user_id == settings.user_id, CalendarDay.day == window.day
        )
    )
    if blocked or day_blocked:
        found.append(
            Clash(ConflictType.AVAILABILITY_CONFLICT, "This time is blocked on the calendar.")
        )
    if settings.daily_booking_cap is not None:
        taken = await session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(
                Booking.professional_id == settings.user_id,
                Booking.day == window.day,
                Booking.status.in_(ACTIVE),
                Booking.id != (exclude or uuid.UUID(int=0)),
            )
        )
        if (taken or 0) >= settings.daily_booking_cap:
            found.append(
                Clash(
                    ConflictType.AVAILABILITY_CONFLICT,
                    f"This professional takes at most {settings.daily_booking_cap} bookings a day.",
                )
            )
    return found


async def _free_intervals(
    session: AsyncSession, settings: CalendarSettings, day: date
) -> list[tuple[int, int]]:
    """The day's available time in minutes, merged where slots touch."""
    rows = await session.execute(
        select(CalendarSlot.starts_at, CalendarSlot.ends_at)
        .where(
            CalendarSlot.user_id == settings.user_id,
            CalendarSlot.day == day,
            CalendarSlot.status == SlotStatus.AVAILABLE,
        )
        .order_by(CalendarSlot.starts_at)
    )
    merged: list[tuple[int, int]] = []
    for starts, ends in rows:
        a, b = clock.minutes(starts), clock.minutes(ends)
        if merged and merged[-1][1] >= a:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


async def _held_by_others(
    session: AsyncSession,
    settings: CalendarSettings,
    window: Window,
    exclude: uuid.UUID | None,
    now: datetime,
) -> bool:
    query = (
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.professional_id == settings.user_id,
            Booking.status == BookingStatus.PENDING,
            Booking.hold_until > now,
            Booking.starts_at_utc < window.end,
            Booking.ends_at_utc > window.begin,
        )
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude)
    return bool(await session.scalar(query))


async def _in_free_time(session: AsyncSession, settings: CalendarSettings, window: Window) -> bool:
    a, b = clock.minutes(window.starts), clock.minutes(window.ends)
    return any(
        lo <= a and b <= hi for lo, hi in await _free_intervals(session, settings, window.day)
    )


async def _alternatives(
    session: AsyncSession, settings: CalendarSettings, window: Window, now: datetime
) -> list[dict[str, str]]:
    """Up to three of the nearest free times of the same length (BKG-2, flexible booking),
    searched on the same day and the seven after it, on the hour or half hour."""
    length = clock.minutes(window.ends) - clock.minutes(window.starts)
    wanted = clock.minutes(window.starts)
    found: list[tuple[int, dict[str, str]]] = []
    for offset in range(8):
        day = window.day + timedelta(days=offset)
        for lo, hi in await _free_intervals(session, settings, day):
            start = lo + (-lo % 30)
            while start + length <= hi:
                candidate = Window(
                    day, clock.at_minutes(start), clock.at_minutes(start + length), window.zone
                )
                usable = (candidate.day, candidate.starts) != (window.day, window.starts) and (
                    candidate.begin >= now + timedelta(hours=settings.lead_time_hours)
                )
                if usable and not await clashes(
                    session, settings, candidate, place=(None, None), now=now
                ):
                    distance = offset * 24 * 60 + abs(start - wanted)
                    found.append(
                        (
                            distance,
                            {
                                "day": day.isoformat(),
                                "starts_at": f"{candidate.starts:%H:%M}",
                                "ends_at": f"{candidate.ends:%H:%M}",
                            },
                        )
                    )
                start += 30
        if len(found) >= 3 and offset >= 1:
            break
    return [item for _, item in sorted(found, key=lambda pair: pair[0])[:3]]


# -- telling both sides --------------------------------------------------------------------------

_WORDS = {
    "requested": "requested a booking",
    "confirmed": "confirmed the booking",
    "declined": "declined the booking",
    "cancelled": "cancelled the booking",
    "completed": "marked the booking complete",
    "expired": "The booking request expired",
    "cancelled_by_erasure": "The booking was cancelled because an account is being deleted",
    "reschedule_proposed": "proposed a new time",
    "rescheduled": "accepted the new time",
    "reschedule_declined": "kept the original time",
}
_NOTIFICATION_TYPES = {
    "requested": "booking_request",
    "confirmed": "booking_confirmation",
}


async def _announce(
    session: AsyncSession, booking: Booking, event: str, *, actor: uuid.UUID | None, now: datetime
) -> None:
    """A notification for the other side, a realtime event for both (AV-12), a line in the
    pair's conversation (MSG-18)."""
    names = await _names(session, {booking.professional_id, booking.client_id})
    who = names.get(actor) if actor else None
    phrase = _WORDS[event]
    when = f"{booking.day:%d %b %Y}, {booking.starts_at:%H:%M} to {booking.ends_at:%H:%M}"
    text = (
        f"{who or 'Someone'} {phrase}: {booking.reference}, {when}."
        if actor
        else f"{phrase}: {booking.reference}, {when}."
    )
    recipients = [u for u in (booking.professional_id, booking.client_id) if u != actor]
    for user_id in recipients:
        await notifications_service.notify(
            session,
            user_id=user_id,
            type_=_NOTIFICATION_TYPES.get(event, "booking_update"),
            title=text,
            body=booking.decline_reason or booking.cancel_reason or "",
            target_type="booking",
            target_id=booking.id,
        )
    read = await read_one(session, booking, now)
    await realtime.emit(
        session,
        [booking.professional_id, booking.client_id],
        BookingChanged(
            event=event,
            booking={
                "id": str(booking.id),
                "reference": booking.reference,
                "status": read.status.value,
            },
        ),
    )
    data: dict[str, object] = {
        "event": f"booking.{event}",
        "booking_id": str(booking.id),
        "reference": booking.reference,
    }
    for messenger in _messengers:
        await messenger(session, booking.professional_id, booking.client_id, text, data)


# -- marking the calendar ------------------------------------------------------------------------


async def _mark_booked(session: AsyncSession, booking: Booking) -> None:
    """BKG-4: the booking's time becomes one `booked` slot; slots it covers are split around
    it, and what it took is remembered so a cancellation gives it back."""
    pieces = (
        await session.scalars(
            select(CalendarSlot)
            .where(
                CalendarSlot.user_id == booking.professional_id,
                CalendarSlot.period.overlaps(booking.period),
            )
            .with_for_update()
        )
    ).all()
    a, b = clock.minutes(booking.starts_at), clock.minutes(booking.ends_at)
    free_minutes = 0
    for slot in pieces:
        lo, hi = clock.minutes(slot.starts_at), clock.minutes(slot.ends_at)
        if slot.status is SlotStatus.AVAILABLE:
            free_minutes += min(b, hi) - max(a, lo)
        await session.delete(slot)
        await session.flush()
        for left, right in ((lo, a), (b, hi)):
            if right - left > 0 and (left, right) != (lo, hi) and slot.day == booking.day:
                session.add(
                    CalendarSlot(
                        user_id=slot.user_id,
                        day=slot.day,
                        starts_at=clock.at_minutes(left),
                        ends_at=clock.at_minutes(right),
                        timezone=slot.timezone,
                        period=clock.span(
                            slot.day, clock.at_minutes(left), clock.at_minutes(right), slot.timezone
                        ),
                        status=slot.status,
                        note=slot.note,
                        hourly_rate=slot.hourly_rate,
                        pattern_id=slot.pattern_id,
                        source=slot.source,
                    )
                )
    # A hire may run outside the calendar's hours; the calendar shows the part inside them.
    starts, ends = max(booking.starts_at, clock.OPENS), min(booking.ends_at, clock.CLOSES)
    if starts >= ends:
        await session.flush()
        return
    session.add(
        CalendarSlot(
            user_id=booking.professional_id,
            day=booking.day,
            starts_at=starts,
            ends_at=ends,
            timezone=booking.timezone,
            period=clock.span(booking.day, starts, ends, booking.timezone),
            status=SlotStatus.BOOKED,
            # Time that was wholly free returns to free on cancellation; anything else goes.
            previous_status=SlotStatus.AVAILABLE if free_minutes >= b - a else None,
            booking_id=booking.id,
            source="booking",
        )
    )
    await session.flush()


async def _release(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """On cancellation, future booked time returns to what it was before."""
    slot = await session.scalar(
        select(CalendarSlot).where(CalendarSlot.booking_id == booking.id).with_for_update()
    )
    if slot is None:
        return
    if slot.previous_status is not None and booking.starts_at_utc > now:
        slot.status, slot.previous_status, slot.booking_id = slot.previous_status, None, None
        slot.source = "manual"
    else:
        await session.delete(slot)
    await session.flush()


# -- creating ------------------------------------------------------------------------------------


def _reference() -> str:
    return "GMG-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


async def _professional(
    session: AsyncSession, professional_id: uuid.UUID, requester: uuid.UUID
) -> None:
    user = await session.scalar(select(User).where(User.id == professional_id))
    if (
        user is None
        or user.deleted_at is not None
        or user.status is not AccountStatus.ACTIVE
        or await moderation_service.is_blocked(session, requester, professional_id)
    ):
        raise BookingNotFound("No professional you can book has this id.")


async def request_booking(
    session: AsyncSession,
    *,
    requester: Principal,
    professional_id: uuid.UUID,
    data: BookingRequestIn,
    now: datetime | None = None,
) -> BookingRead:
    """BKG-2: a verified requester asks for a time; the conflict policy decides what happens
    when it is not free."""
    now = now or utcnow()
    if professional_id == requester.id:
        raise ValidationFailed.field("professional_id", "self_booking", "You cannot book yourself.")
    await _professional(session, professional_id, requester.id)
    settings = await settings_for(session, professional_id, lock=True)
    if not settings.allow_booking_requests:
        raise BookingsClosed("This professional does not take booking requests.")
    window = _window(settings, data.day, data.starts_at, data.ends_at)
    _check_notice(settings, window, now)
    duplicate = await session.scalar(
        select(Booking.id).where(
            Booking.client_id == requester.id,
            Booking.professional_id == professional_id,
            Booking.day == data.day,
            Booking.status == BookingStatus.PENDING,
            Booking.expires_at > now,
        )
    )
    if duplicate is not None:
        raise DuplicateRequest("You already have a pending request with them on this date.")
    await _expire_stale_request(session, requester.id, professional_id, data.day, now)
    place = (data.place.lat, data.place.lng) if data.place else (None, None)
    found = await clashes(session, settings, window, place=place, now=now)
    if not await _in_free_time(session, settings, window):
        found.append(Clash(ConflictType.AVAILABILITY_CONFLICT, "This time is not marked free."))
    if await _held_by_others(session, settings, window, None, now):
        found.append(Clash(ConflictType.OVERLAP, "Another request is holding this time."))
    booking = Booking(
        reference=_reference(),
        professional_id=professional_id,
        client_id=requester.id,
        source=BookingSource.DIRECT_REQUEST,
        status=BookingStatus.PENDING,
        day=window.day,
        starts_at=window.starts,
        ends_at=window.ends,
        timezone=window.zone,
        period=clock.span(window.day, window.starts, window.ends, window.zone),
        starts_at_utc=window.begin,
        ends_at_utc=window.end,
        amount=data.amount,
        message=data.message,
        location=data.place.location if data.place else None,
        lat=place[0],
        lng=place[1],
        hold_until=min(now + HOLD, window.begin),
        expires_at=min(now + PENDING_LIFETIME, window.begin),
    )
    if found and settings.conflict_policy is ConflictPolicy.AUTO_DECLINE:
        booking.status, booking.responded_at = BookingStatus.DECLINED, now
        booking.decline_reason = found[0].detail
        booking.hold_until = None
    session.add(booking)
    await session.flush()
    alternatives = (
        await _alternatives(session, settings, window, now)
        if found and settings.conflict_policy is ConflictPolicy.FLEXIBLE_BOOKING
        else []
    )
    for clash in found:
        session.add(
            BookingConflict(
                booking_id=booking.id,
                type=clash.type,
                detail=clash.detail,
                alternatives=alternatives,
                status=ConflictStatus.RESOLVED
                if booking.status is BookingStatus.DECLINED
                else ConflictStatus.PENDING,
                resolved_at=now if booking.status is BookingStatus.DECLINED else None,
            )
        )
    await session.flush()
    await _announce(session, booking, "requested", actor=requester.id, now=now)
    if booking.status is BookingStatus.DECLINED:
        await _announce(session, booking, "declined", actor=professional_id, now=now)
    return await read_one(session, booking, now)


async def _expire_stale_request(
    session: AsyncSession,
    client_id: uuid.UUID,
    professional_id: uuid.UUID,
    day: date,
    now: datetime,
) -> None:
    """A pending request past its expiry frees its place in the one-pending-per-date rule even
    before the task has stored that."""
    stale = await session.scalars(
        select(Booking)
        .where(
            Booking.client_id == client_id,
            Booking.professional_id == professional_id,
            Booking.day == day,
            Booking.status == BookingStatus.PENDING,
        )
        .with_for_update()
    )
    for booking in stale:
        booking.status = BookingStatus.EXPIRED
    await session.flush()


@dataclass(frozen=True)
class HireSlot:
    day: date
    starts: time
    ends: time


async def book_from_hire(
    session: AsyncSession,
    *,
    professional_id: uuid.UUID,
    client_id: uuid.UUID,
    job_id: uuid.UUID,
    application_id: uuid.UUID,
    slots: Sequence[HireSlot],
    amount: int | None,
    place: tuple[float | None, float | None],
    location: str | None,
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """JOB-14: a hire creates a confirmed booking for each of the job's slots under the BKG-4
    checks; any clash refuses the whole hire (the caller's transaction rolls back)."""
    now = now or utcnow()
    settings = await settings_for(session, professional_id, lock=True)
    created: list[uuid.UUID] = []
    for slot in slots:
        window = Window(slot.day, slot.starts, slot.ends, settings.timezone)
        if window.begin <= now:
            continue  # a slot already under way is not booked after the fact
        found = await clashes(session, settings, window, place=place, now=now)
        if found:
            _refuse(found[0])
        booking = Booking(
            reference=_reference(),
            professional_id=professional_id,
            client_id=client_id,
            source=BookingSource.JOB_HIRE,
            status=BookingStatus.CONFIRMED,
            job_id=job_id,
            application_id=application_id,
            day=window.day,
            starts_at=window.starts,
            ends_at=window.ends,
            timezone=window.zone,
            period=clock.span(window.day, window.starts, window.ends, window.zone),
            starts_at_utc=window.begin,
            ends_at_utc=window.end,
            amount=amount,
            location=location,
            lat=place[0],
            lng=place[1],
            responded_at=now,
        )
        session.add(booking)
        await _flush_active(session)
        await _mark_booked(session, booking)
        await _announce(session, booking, "confirmed", actor=None, now=now)
        created.append(booking.id)
    return created


def _refuse(clash: Clash) -> None:
    raise SlotUnavailable(
        clash.detail,
        clashing_range=clash.range,
        missing_minutes=clash.missing_minutes,
        conflict_type=clash.type.value,
    )


async def _flush_active(session: AsyncSession) -> None:
    """The exclusion constraint, should anything have slipped past the checks."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise SlotUnavailable("Another booking holds this time.") from error


# -- moving through the states -------------------------------------------------------------------


async def _locked(
    session: AsyncSession, user: Principal, booking_id: uuid.UUID, now: datetime
) -> tuple[Booking, CalendarSettings]:
    """Lock the professional's calendar, then the booking (always in this order), and store
    what the clock already decided."""
    peek = await _party_booking(session, user, booking_id)
    settings = await settings_for(session, peek.professional_id, lock=True)
    booking = await _party_booking(session, user, booking_id, lock=True)
    settled = current_status(booking, now)
    if settled is not booking.status:
        booking.status = settled
        if settled is BookingStatus.COMPLETED:
            booking.completed_at = booking.ends_at_utc + AUTO_COMPLETE_AFTER
        await session.flush()
    return booking, settings


def _transition(booking: Booking, allowed: tuple[BookingStatus, ...], action: str) -> None:
    if booking.status not in allowed:
        raise BookingTransition(f"A booking that is {booking.status.value} cannot be {action}.")


async def confirm(
    session: AsyncSession,
    *,
    professional: Principal,
    booking_id: uuid.UUID,
    now: datetime | None = None,
) -> BookingRead:
    """BKG-3/BKG-4: the professional confirms; the time is re-checked in this transaction, so
    of two overlapping requests only one can ever be confirmed."""
    now = now or utcnow()
    booking, settings = await _locked(session, professional, booking_id, now)
    if booking.professional_id != professional.id:
        raise BookingTransition("Only the professional confirms a booking.")
    _transition(booking, (BookingStatus.PENDING,), "confirmed")
    window = Window(booking.day, booking.starts_at, booking.ends_at, booking.timezone)
    found = await clashes(
        session, settings, window, place=(booking.lat, booking.lng), exclude=booking.id, now=now
    )
    if found:
        _refuse(found[0])
    booking.status, booking.responded_at, booking.hold_until = BookingStatus.CONFIRMED, now, None
    booking.version += 1
    await _flush_active(session)
    await _mark_booked(session, booking)
    await _resolve_conflicts(session, booking, now)
    await _flag_overlapping_requests(session, booking)
    await _announce(session, booking, "confirmed", actor=professional.id, now=now)
    return await read_one(session, booking, now)


async def _resolve_conflicts(session: AsyncSession, booking: Booking, now: datetime) -> None:
    for conflict in await session.scalars(
        select(BookingConflict).where(
            BookingConflict.booking_id == booking.id,
            BookingConflict.status == ConflictStatus.PENDING,
        )
    ):
        conflict.status, conflict.resolved_at = ConflictStatus.RESOLVED, now
    await session.flush()


async def _flag_overlapping_requests(session: AsyncSession, booking: Booking) -> None:
    """BKG-9: pending requests over the time just confirmed get a double-booking conflict."""
    others = await session.scalars(
        select(Booking).where(
            Booking.professional_id == booking.professional_id,
            Booking.status == BookingStatus.PENDING,
            Booking.id != booking.id,
            Booking.starts_at_utc < booking.ends_at_utc,
            Booking.ends_at_utc > booking.starts_at_utc,
        )
    )
    for other in others:
        session.add(
            BookingConflict(
                booking_id=other.id,
                type=ConflictType.DOUBLE_BOOKING,
                detail=f"{booking.reference} was confirmed for this time.",
            )
        )
    await session.flush()


async def decline(
    session: AsyncSession,
    *,
    professional: Principal,
    booking_id: uuid.UUID,
    reason: str | None,
    now: datetime | None = None,
) -> BookingRead:
    now = now or utcnow()
    booking, _ = await _locked(session, professional, booking_id, now)
    if booking.professional_id != professional.id:
        raise BookingTransition("Only the professional declines a request.")
    _transition(booking, (BookingStatus.PENDING,), "declined")
    booking.status, booking.responded_at, booking.decline_reason = (
        BookingStatus.DECLINED,
        now,
        reason,
    )
    booking.hold_until, booking.version = None, booking.version + 1
    await _resolve_conflicts(session, booking, now)
    await session.flush()
    await _announce(session, booking, "declined", actor=professional.id, now=now)
    return await read_one(session, booking, now)


async def cancel(
    session: AsyncSession,
    *,
    user: Principal,
    booking_id: uuid.UUID,
    reason: str,
    now: datetime | None = None,
) -> BookingRead:
    """The requester withdraws a pending request; either party cancels a confirmed booking
    with a reason (BKG-3). Future time returns to what it was."""
    now = now or utcnow()
    booking, _ = await _locked(session, user, booking_id, now)
    if booking.status is BookingStatus.PENDING and user.id != booking.client_id:
        raise BookingTransition("The professional declines a request rather than cancelling it.")
    _transition(booking, (BookingStatus.PENDING, BookingStatus.CONFIRMED), "cancelled")
    was_active = booking.status is BookingStatus.CONFIRMED
    booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
    booking.cancelled_by, booking.cancel_reason = user.id, reason
    booking.hold_until, booking.version = None, booking.version + 1
    await session.flush()
    if was_active:
        await _release(session, booking, now)
    await _close_reschedule(session, booking, "cancelled", now)
    await _announce(session, booking, "cancelled", actor=user.id, now=now)
    return await read_one(session, booking, now)


async def complete(
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID, now: datetime | None = None
) -> BookingRead:
    """Either party, once the booking has ended (BKG-3); reviews open from here (RAT-2)."""
    now = now or utcnow()
    booking, _ = await _locked(session, user, booking_id, now)
    _transition(booking, (BookingStatus.IN_PROGRESS,), "completed yet")
    if now < booking.ends_at_utc:
        raise BookingTransition("A booking is completed after its end time.")
    booking.status, booking.completed_at, booking.completed_by = (
        BookingStatus.COMPLETED,
        now,
        user.id,
    )
    booking.version += 1
    await session.flush()
    await _announce(session, booking, "completed", actor=user.id, now=now)
    return await read_one(session, booking, now)


# -- rescheduling --------------------------------------------------------------------------------


async def propose_time(
    session: AsyncSession,
    *,
    user: Principal,
    booking_id: uuid.UUID,
    data: TimeProposal,
    now: datetime | None = None,
) -> BookingRead:
    """BKG-7: either party proposes; the original time stays booked until the other accepts."""
    now = now or utcnow()
    booking, settings = await _locked(session, user, booking_id, now)
    _transition(booking, (BookingStatus.CONFIRMED,), "rescheduled")
    if booking.reschedule_count >= MAX_RESCHEDULES:
        raise TooManyReschedules("A booking can be rescheduled at most 3 times.")
    window = _window(settings, data.day, data.starts_at, data.ends_at)
    _check_notice(settings, window, now)
    await _close_reschedule(session, booking, "replaced", now)
    session.add(
        BookingReschedule(
            booking_id=booking.id,
            proposed_by=user.id,
            day=window.day,
            starts_at=window.starts,
            ends_at=window.ends,
            expires_at=now + RESCHEDULE_LIFETIME,
        )
    )
    await session.flush()
    await _announce(session, booking, "reschedule_proposed", actor=user.id, now=now)
    return await read_one(session, booking, now)


async def _open_reschedule(
    session: AsyncSession, booking: Booking, now: datetime
) -> BookingReschedule | None:
    return await session.scalar(
        select(BookingReschedule)
        .where(
            BookingReschedule.booking_id == booking.id,
            BookingReschedule.status == "pending",
            BookingReschedule.expires_at > now,
        )
        .with_for_update()
    )


async def _close_reschedule(
    session: AsyncSession, booking: Booking, status: str, now: datetime
) -> None:
    for row in await session.scalars(
        select(BookingReschedule).where(
            BookingReschedule.booking_id == booking.id, BookingReschedule.status == "pending"
        )
    ):
        row.status, row.decided_at = status if row.expires_at > now else "expired", now
    await session.flush()


async def answer_reschedule(
    session: AsyncSession,
    *,
    user: Principal,
    booking_id: uuid.UUID,
    accept: bool,
    now: datetime | None = None,
) -> BookingRead:
    """The other party accepts (the checks run again and the booking moves in this
    transaction) or declines (nothing moves)."""
    now = now or utcnow()
    booking, settings = await _locked(session, user, booking_id, now)
    proposal = await _open_reschedule(session, booking, now)
    if proposal is None:
        raise BookingTransition("There is no open proposal for this booking.")
    if proposal.proposed_by == user.id:
        raise BookingTransition("The other party answers a proposal.")
    _transition(booking, (BookingStatus.CONFIRMED,), "rescheduled")
    if not accept:
        proposal.status, proposal.decided_at = "declined", now
        await session.flush()
        await _announce(session, booking, "reschedule_declined", actor=user.id, now=now)
        return await read_one(session, booking, now)
    window = _window(settings, proposal.day, proposal.starts_at, proposal.ends_at)
    _check_notice(settings, window, now)
    found = await clashes(
        session, settings, window, place=(booking.lat, booking.lng), exclude=booking.id, now=now
    )
    if found:
        _refuse(found[0])
    await _release(session, booking, now)
    booking.day, booking.starts_at, booking.ends_at = window.day, window.starts, window.ends
    booking.period = clock.span(window.day, window.starts, window.ends, window.zone)
    booking.starts_at_utc, booking.ends_at_utc = window.begin, window.end
    booking.reschedule_count += 1
    booking.reminded = []
    booking.version += 1
    proposal.status, proposal.decided_at = "accepted", now
    await _flush_active(session)
    await _mark_booked(session, booking)
    await _announce(session, booking, "rescheduled", actor=user.id, now=now)
    return await read_one(session, booking, now)


# -- conflicts -----------------------------------------------------------------------------------


async def list_conflicts(
    session: AsyncSession, *, professional: Principal, status: ConflictStatus | None
) -> list[ConflictRead]:
    query = (
        select(BookingConflict)
        .join(Booking, Booking.id == BookingConflict.booking_id)
        .where(Booking.professional_id == professional.id)
        .order_by(BookingConflict.created_at.desc(), BookingConflict.id.desc())
        .limit(200)
    )
    if status is not None:
        query = query.where(BookingConflict.status == status)
    return [ConflictRead.model_validate(row) for row in await session.scalars(query)]


async def resolve_conflict(
    session: AsyncSession,
    *,
    professional: Principal,
    conflict_id: uuid.UUID,
    action: str,
    now: datetime | None = None,
) -> ConflictRead:
    """BKG-9: the professional ignores a conflict or marks it resolved (declining or proposing
    another time go through their own operations)."""
    now = now or utcnow()
    conflict = await session.scalar(
        select(BookingConflict)
        .join(Booking, Booking.id == BookingConflict.booking_id)
        .where(BookingConflict.id == conflict_id, Booking.professional_id == professional.id)
        .with_for_update(of=BookingConflict)
    )
    if conflict is None:
        raise BookingNotFound("No conflict of yours has this id.")
    if conflict.status is not ConflictStatus.PENDING:
        raise BookingTransition("This conflict is already settled.")
    conflict.status = ConflictStatus.IGNORED if action == "ignore" else ConflictStatus.RESOLVED
    conflict.resolved_at = now
    await session.flush()
    return ConflictRead.model_validate(conflict)


# -- the clock's own moves (GEN-12) --------------------------------------------------------------


async def advance_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 500
) -> int:
    """Store what the clock decided: expired requests, started and finished bookings, lapsed
    proposals. Idempotent and safe on several nodes (SKIP LOCKED)."""
    now = now or utcnow()
    due = (
        await session.scalars(
            select(Booking)
            .where(
                or_(
                    and_(Booking.status == BookingStatus.PENDING, Booking.expires_at <= now),
                    and_(Booking.status == BookingStatus.CONFIRMED, Booking.starts_at_utc <= now),
                    and_(
                        Booking.status == BookingStatus.IN_PROGRESS,
                        Booking.ends_at_utc <= now - AUTO_COMPLETE_AFTER,
                    ),
                )
            )
            .order_by(Booking.starts_at_utc)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for booking in due:
        settled = current_status(booking, now)
        booking.status = settled
        if settled is BookingStatus.EXPIRED:
            booking.hold_until = None
            await _announce(session, booking, "expired", actor=None, now=now)
        elif settled is BookingStatus.COMPLETED:
            booking.completed_at = booking.ends_at_utc + AUTO_COMPLETE_AFTER
            await _announce(session, booking, "completed", actor=None, now=now)
    await session.flush()
    return len(due)


async def remind_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 500
) -> int:
    """BKG-8: both parties hear 24 h and 2 h before the start, once each."""
    now = now or utcnow()
    sent = 0
    for mark, ahead in (("24h", timedelta(hours=24)), ("2h", timedelta(hours=2))):
        rows = (
            await session.scalars(
                select(Booking)
                .where(
                    Booking.status == BookingStatus.CONFIRMED,
                    Booking.starts_at_utc > now,
                    Booking.starts_at_utc <= now + ahead,
                    ~Booking.reminded.contains([mark]),
                )
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for booking in rows:
            booking.reminded = [*booking.reminded, mark]
            for user_id in (booking.professional_id, booking.client_id):
                await notifications_service.notify(
                    session,
                    user_id=user_id,
                    type_="booking_reminder",
                    title=(
                        f"{booking.reference} starts at {booking.starts_at:%H:%M} "
                        f"on {booking.day:%d %b}"
                    ),
                    body=booking.location or "",
                    target_type="booking",
                    target_id=booking.id,
                )
            sent += 1
    await session.flush()
    return sent


def is_final(status: BookingStatus) -> bool:
    return status in FINAL_BOOKING


async def completed_between(
    session: AsyncSession, a: uuid.UUID, b: uuid.UUID, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Completed bookings of a pair, for the reviews area (RAT-2)."""
    now = now or utcnow()
    rows = await session.scalars(
        select(Booking).where(
            or_(
                and_(Booking.professional_id == a, Booking.client_id == b),
                and_(Booking.professional_id == b, Booking.client_id == a),
            )
        )
    )
    return [
        {"id": row.id, "completed_at": row.completed_at}
        for row in rows
        if current_status(row, now) is BookingStatus.COMPLETED
    ]


# -- an erased account ---------------------------------------------------------------------------

ERASED_REASON = "The other person is deleting their account."


async def cancel_for_erasure(
    session: AsyncSession, *, user_id: uuid.UUID, now: datetime | None = None
) -> int:
    """DATA-2, when deletion is asked for (and again at erasure, for anything left): the
    person's requests and bookings still ahead end, announced to the other side as the
    system's doing; the other side's booked time returns to what it was."""
    now = now or utcnow()
    active = (
        await session.scalars(
            select(Booking)
            .where(
                or_(Booking.professional_id == user_id, Booking.client_id == user_id),
                Booking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)),
            )
            .order_by(Booking.id)
            .with_for_update()
        )
    ).all()
    for booking in active:
        was_confirmed = booking.status is BookingStatus.CONFIRMED
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        booking.cancelled_by, booking.cancel_reason = None, ERASED_REASON
        booking.hold_until, booking.version = None, booking.version + 1
        await session.flush()
        if was_confirmed:
            await _release(session, booking, now)
        await _close_reschedule(session, booking, "cancelled", now)
        await _announce(session, booking, "cancelled_by_erasure", actor=None, now=now)
    return len(active)
