"""Another professional's availability (AV-8, AV-9, BKG-5): whom each visibility admits, and
the free and busy time they see. Nobody but the two parties sees who booked, or why."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.models import User
from getmygrapher.availability.errors import CalendarNotFound
from getmygrapher.availability.models import (
    Booking,
    BookingStatus,
    CalendarSettings,
    CalendarSlot,
    CalendarVisibility,
    SlotStatus,
)
from getmygrapher.availability.schemas.viewing import OthersCalendar, OthersDay, OthersSlot
from getmygrapher.availability.service import clock
from getmygrapher.availability.service.calendar import (
    day_status,
    effective_visibility,
    overrides_between,
    settings_for,
    slots_between,
)
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.security import AccountStatus, Principal
from getmygrapher.core.time import utcnow
from getmygrapher.moderation import service as moderation_service

VIEW_AHEAD_DAYS = 92
DEFAULT_VIEW_DAYS = 30
# A booking that took place, or will, connects its two parties (AV-8 "contacts").
SHARING_BOOKING = (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED)

# Contacts and professional profiles live in areas above this one; they answer through hooks
# that the registry connects. With none registered, nobody is admitted on their grounds.
PairCheck = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[bool]]
UserCheck = Callable[[AsyncSession, uuid.UUID], Awaitable[bool]]
_contact_checks: list[PairCheck] = []
_professional_checks: list[UserCheck] = []


def register_contact_check(check: PairCheck) -> None:
    """`check(session, owner_id, viewer_id)`: the two hold an accepted contact grant."""
    _contact_checks.append(check)


def register_professional_check(check: UserCheck) -> None:
    """`check(session, user_id)`: the user has a professional profile."""
    _professional_checks.append(check)


async def _is_contact(session: AsyncSession, owner_id: uuid.UUID, viewer_id: uuid.UUID) -> bool:
    shared = await session.scalar(
        select(
            exists().where(
                or_(
                    and_(Booking.professional_id == owner_id, Booking.client_id == viewer_id),
                    and_(Booking.professional_id == viewer_id, Booking.client_id == owner_id),
                ),
                Booking.status.in_(SHARING_BOOKING),
            )
        )
    )
    if shared:
        return True
    return any([await check(session, owner_id, viewer_id) for check in _contact_checks])


async def _is_professional(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return any([await check(session, user_id) for check in _professional_checks])


async def admits(session: AsyncSession, settings: CalendarSettings, viewer_id: uuid.UUID) -> bool:
    """AV-8: the owner and allowed users always; otherwise the effective visibility decides
    (anything but public lapses with Pro)."""
    if viewer_id == settings.user_id or viewer_id in settings.allowed_user_ids:
        return True
    visibility = await effective_visibility(session, settings)
    if visibility is CalendarVisibility.PUBLIC:
        return True
    if visibility is CalendarVisibility.PROFESSIONAL_NETWORK:
        return await _is_professional(session, viewer_id)
    if visibility is CalendarVisibility.CONTACTS_ONLY:
        return await _is_contact(session, settings.user_id, viewer_id)
    return False


def _view_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    last_day = today + timedelta(days=VIEW_AHEAD_DAYS)
    first = start or today
    if first > last_day:
        raise ValidationFailed.field(
            "from", "out_of_range", f"Others' calendars show up to {VIEW_AHEAD_DAYS} days ahead."
        )
    last = end or min(first + timedelta(days=DEFAULT_VIEW_DAYS), last_day)
    if last > last_day:
        raise ValidationFailed.field(
            "to", "out_of_range", f"Others' calendars show up to {VIEW_AHEAD_DAYS} days ahead."
        )
    return clock.check_range(first, last, limit=VIEW_AHEAD_DAYS + 1)


async def view_availability(
    session: AsyncSession,
    *,
    viewer: Principal,
    professional_id: uuid.UUID,
    start: date | None,
    end: date | None,
    now: datetime | None = None,
) -> OthersCalendar:
    """AV-9: day statuses and, where the owner shows them, free and busy times, for a viewer
    the visibility admits; `visible: false` and nothing else for any other. Unknown, suspended
    and blocked (either way) calendars are 404."""
    account = await session.scalar(select(User.status).where(User.id == professional_id))
    if account is not AccountStatus.ACTIVE:
        raise CalendarNotFound("This calendar does not exist or is not visible to you.")
    if viewer.id != professional_id and await moderation_service.is_blocked(
        session, viewer.id, professional_id
    ):
        raise CalendarNotFound("This calendar does not exist or is not visible to you.")
    settings = await settings_for(session, professional_id)
    now = now or utcnow()
    today = now.astimezone(clock.zone(settings.timezone)).date()
    first, last = _view_range(start, end, today)
    if not await admits(session, settings, viewer.id):
        return OthersCalendar(visible=False, timezone=None, shows_times=False, days=[])
    slots = await slots_between(session, professional_id, max(first, today), last)
    overrides = await overrides_between(session, professional_id, max(first, today), last)
    by_day: dict[date, list[CalendarSlot]] = defaultdict(list)
    for slot in slots:
        by_day[slot.day].append(slot)
    hidden = set(settings.hidden_dates)
    step = clock.GRID_MINUTES[settings.grid]
    days = []
    for day in clock.days(first, last):
        override = overrides.get(day)
        if day < today or day in hidden:
            days.append(OthersDay(day=day, status="unavailable", slots=[]))
        elif override is not None and override.blocked:
            days.append(OthersDay(day=day, status="blocked", slots=[]))
        else:
            shown = _ahead(by_day.get(day, []), now, step)
            days.append(
                OthersDay(
                    day=day,
                    status=day_status(False, (kind for _, _, kind in shown)),
                    slots=_free_busy(shown) if settings.show_partial_availability else [],
                )
            )
    return OthersCalendar(
        visible=True,
        timezone=settings.timezone,
        shows_times=settings.show_partial_availability,
        days=days,
    )


Shown = tuple[int, int, SlotStatus]


def _ahead(slots: Sequence[CalendarSlot], now: datetime, step: int) -> list[Shown]:
    """AV-6: time that has passed is never offered. Busy time under way stays busy; free time
    under way starts at the next grid time, or goes if nothing of it is left."""
    shown: list[Shown] = []
    for slot in slots:
        starts, ends = clock.minutes(slot.starts_at), clock.minutes(slot.ends_at)
        if clock.instant(slot.day, slot.ends_at, slot.timezone) <= now:
            continue
        if slot.status is SlotStatus.AVAILABLE and (
            clock.instant(slot.day, slot.starts_at, slot.timezone) < now
        ):
            local = now.astimezone(clock.zone(slot.timezone))
            passed = (
                local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
            )
            opens = clock.minutes(clock.OPENS)
            starts = opens + math.ceil((passed - opens) / step) * step
            if starts >= ends:
                continue
        shown.append((starts, ends, slot.status))
    return shown


def _free_busy(shown: Sequence[Shown]) -> list[OthersSlot]:
    """Free or busy only; touching time of one kind is one interval, so others cannot tell a
    booking from a block or a break."""
    merged: list[tuple[int, int, bool]] = []
    for starts, ends, status in sorted(shown):
        free = status is SlotStatus.AVAILABLE
        if merged and merged[-1][2] == free and merged[-1][1] == starts:
            merged[-1] = (merged[-1][0], ends, free)
        else:
            merged.append((starts, ends, free))
    return [
        OthersSlot(
            starts_at=clock.at_minutes(starts),
            ends_at=clock.at_minutes(ends),
            status="free" if free else "busy",
        )
        for starts, ends, free in merged
    ]
