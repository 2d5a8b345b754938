"""The owner's calendar (AV-1, AV-2, AV-6, AV-8, AV-14): days with derived statuses, slots on the
grid that never overlap, date overrides, and the settings every booking request meets."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.models import User
from getmygrapher.availability.errors import PastDate, SlotBooked, SlotNotFound, SlotOverlap
from getmygrapher.availability.events import CalendarChanged
from getmygrapher.availability.models import (
    Booking,
    CalendarDay,
    CalendarSettings,
    CalendarSlot,
    CalendarVisibility,
    SlotGrid,
    SlotStatus,
)
from getmygrapher.availability.schemas import (
    CalendarRead,
    CalendarSettingsChange,
    CalendarSettingsRead,
    DayOverride,
    DayRead,
    DayStatus,
    SlotBooking,
    SlotChange,
    SlotIn,
    SlotRead,
)
from getmygrapher.availability.service import clock
from getmygrapher.billing import service as billing_service
from getmygrapher.core import realtime
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.security import Principal
from getmygrapher.core.time import today_ist

FREE = frozenset({SlotStatus.AVAILABLE})


async def settings_for(
    session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False
) -> CalendarSettings:
    """The calendar's settings row; `lock` serialises every change to one calendar (slots,
    bookings), so checks and writes see the same state (STYLE §12)."""
    await session.execute(
        pg_insert(CalendarSettings).values(user_id=user_id).on_conflict_do_nothing()
    )
    query = select(CalendarSettings).where(CalendarSettings.user_id == user_id)
    if lock:
        query = query.with_for_update()
    settings = await session.scalar(query.execution_options(populate_existing=True))
    assert settings is not None  # noqa: S101 - inserted just above when missing
    return settings


def day_status(blocked: bool, slots: Iterable[SlotStatus]) -> DayStatus:
    """AV-1, in its order: blocked, booked, partial, available, unavailable."""
    kinds = set(slots)
    free = SlotStatus.AVAILABLE in kinds
    if blocked:
        return "blocked"
    if SlotStatus.BOOKED in kinds and not free:
        return "booked"
    if free and kinds & {SlotStatus.BOOKED, SlotStatus.BLOCKED}:
        return "partial"
    if free:
        return "available"
    return "unavailable"


async def slots_between(
    session: AsyncSession, user_id: uuid.UUID, start: date, end: date
) -> Sequence[CalendarSlot]:
    return (
        await session.scalars(
            select(CalendarSlot)
            .where(CalendarSlot.user_id == user_id, CalendarSlot.day.between(start, end))
            .order_by(CalendarSlot.day, CalendarSlot.starts_at)
        )
    ).all()


async def overrides_between(
    session: AsyncSession, user_id: uuid.UUID, start: date, end: date
) -> dict[date, CalendarDay]:
    rows = await session.scalars(
        select(CalendarDay).where(
            CalendarDay.user_id == user_id, CalendarDay.day.between(start, end)
        )
    )
    return {row.day: row for row in rows}


def slot_read(slot: CalendarSlot, booking: SlotBooking | None = None) -> SlotRead:
    return SlotRead(
        id=slot.id,
        day=slot.day,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=slot.status.value,
        note=slot.note,
        hourly_rate=slot.hourly_rate,
        long=clock.Interval(slot.starts_at, slot.ends_at).long,
        source=slot.source,
        booking=booking,
    )


async def _slot_bookings(
    session: AsyncSession, slots: Sequence[CalendarSlot]
) -> dict[uuid.UUID, SlotBooking]:
    ids = {slot.booking_id for slot in slots if slot.booking_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Booking.id, Booking.reference, Booking.status, Booking.client_id, User.full_name)
        .join(User, User.id == Booking.client_id)
        .where(Booking.id.in_(ids))
    )
    return {
        row.id: SlotBooking(
            id=row.id,
            reference=row.reference,
            status=row.status,
            client_id=row.client_id,
            client_name=row.full_name,
        )
        for row in rows
    }


async def own_calendar(
    session: AsyncSession, *, owner: Principal, start: date, end: date, now: datetime | None = None
) -> CalendarRead:
    """AV-1: every day of the range, with booking references and client names for the owner."""
    clock.check_range(start, end)
    settings = await settings_for(session, owner.id)
    slots = await slots_between(session, owner.id, start, end)
    overrides = await overrides_between(session, owner.id, start, end)
    bookings = await _slot_bookings(session, slots)
    by_day: dict[date, list[CalendarSlot]] = defaultdict(list)
    for slot in slots:
        by_day[slot.day].append(slot)
    today = today_ist(now)
    days = []
    for day in clock.days(start, end):
        override = overrides.get(day)
        blocked = bool(override and override.blocked)
        day_slots = by_day.get(day, [])
        days.append(
            DayRead(
                day=day,
                status=day_status(blocked, (slot.status for slot in day_slots)),
                blocked=blocked,
                note=override.note if override else None,
                read_only=day < today,
                slots=[
                    slot_read(slot, bookings.get(slot.booking_id) if slot.booking_id else None)
                    for slot in day_slots
                ],
            )
        )
    return CalendarRead(timezone=settings.timezone, grid=settings.grid, days=days)


async def check_grid(session: AsyncSession, user_id: uuid.UUID, grid: SlotGrid) -> SlotGrid:
    """The 30-minute grid is Pro (AV-2); when Pro lapses the calendar falls back to 1 hour."""
    if grid is SlotGrid.MIN_30 and not await billing_service.has_feature(
        session, user_id=user_id, feature="fine_slot_granularity"
    ):
        return SlotGrid.HOUR_1
    return grid


async def overlapping(
    session: AsyncSession,
    user_id: uuid.UUID,
    day: date,
    starts: time,
    ends: time,
    *,
    zone_name: str,
    exclude: uuid.UUID | None = None,
) -> Sequence[CalendarSlot]:
    query = select(CalendarSlot).where(
        CalendarSlot.user_id == user_id,
        CalendarSlot.period.overlaps(clock.span(day, starts, ends, zone_name)),
    )
    if exclude is not None:
        query = query.where(CalendarSlot.id != exclude)
    return (await session.scalars(query)).all()


async def add_slot(
    session: AsyncSession, *, owner: Principal, data: SlotIn, now: datetime | None = None
) -> SlotRead:
    settings = await settings_for(session, owner.id, lock=True)
    clock.check_day(data.day, now=now)
    grid = await check_grid(session, owner.id, settings.grid)
    clock.check_interval(data.starts_at, data.ends_at, grid)
    if await overlapping(
        session, owner.id, data.day, data.starts_at, data.ends_at, zone_name=settings.timezone
    ):
        raise SlotOverlap("This time overlaps another slot on your calendar.")
    slot = CalendarSlot(
        user_id=owner.id,
        day=data.day,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        timezone=settings.timezone,
        period=clock.span(data.day, data.starts_at, data.ends_at, settings.timezone),
        status=SlotStatus(data.status),
        note=data.note,
        hourly_rate=data.hourly_rate,
    )
    session.add(slot)
    await session.flush()
    await _changed(session, owner.id, [data.day])
    return slot_read(slot)


async def _own_slot(
    session: AsyncSession, owner: Principal, slot_id: uuid.UUID, now: datetime | None
) -> CalendarSlot:
    slot = await session.scalar(
        select(CalendarSlot)
        .where(CalendarSlot.id == slot_id, CalendarSlot.user_id == owner.id)
        .with_for_update()
    )
    if slot is None:
        raise SlotNotFound("No slot of yours has this id.")
    if slot.status is SlotStatus.BOOKED:
        raise SlotBooked("Booked time changes only through its booking.")
    if slot.day < today_ist(now):
        raise PastDate("Past days are read-only.")
    return slot


async def change_slot(
    session: AsyncSession,
    *,
    owner: Principal,
    slot_id: uuid.UUID,
    data: SlotChange,
    now: datetime | None = None,
) -> SlotRead:
    settings = await settings_for(session, owner.id, lock=True)
    slot = await _own_slot(session, owner, slot_id, now)
    fields = data.model_fields_set
    starts = data.starts_at if "starts_at" in fields and data.starts_at else slot.starts_at
    ends = data.ends_at if "ends_at" in fields and data.ends_at else slot.ends_at
    if (starts, ends) != (slot.starts_at, slot.ends_at):
        grid = await check_grid(session, owner.id, settings.grid)
        clock.check_interval(starts, ends, grid)
        if await overlapping(
            session, owner.id, slot.day, starts, ends, zone_name=slot.timezone, exclude=slot.id
        ):
            raise SlotOverlap("This time overlaps another slot on your calendar.")
        slot.starts_at, slot.ends_at = starts, ends
        slot.period = clock.span(slot.day, starts, ends, slot.timezone)
    if "status" in fields:
        if data.status is None:
            raise ValidationFailed.field("status", "required", "Give the slot a status.")
        slot.status = SlotStatus(data.status)
    if "note" in fields:
        slot.note = data.note
    if "hourly_rate" in fields:
        slot.hourly_rate = data.hourly_rate
    slot.source = "manual"
    await session.flush()
    await _changed(session, owner.id, [slot.day])
    return slot_read(slot)


async def delete_slot(
    session: AsyncSession, *, owner: Principal, slot_id: uuid.UUID, now: datetime | None = None
) -> None:
    await settings_for(session, owner.id, lock=True)
    slot = await _own_slot(session, owner, slot_id, now)
    day = slot.day
    await session.delete(slot)
    await session.flush()
    await _changed(session, owner.id, [day])


async def set_day(
    session: AsyncSession,
    *,
    owner: Principal,
    day: date,
    data: DayOverride,
    now: datetime | None = None,
) -> DayRead:
    """AV-14: block the whole day, or lift the block; booked time is never altered."""
    await settings_for(session, owner.id, lock=True)
    clock.check_day(day, now=now)
    if data.blocked:
        await session.execute(
            pg_insert(CalendarDay)
            .values(user_id=owner.id, day=day, blocked=True, note=data.note)
            .on_conflict_do_update(
                index_elements=["user_id", "day"], set_={"blocked": True, "note": data.note}
            )
        )
    else:
        await session.execute(
            delete(CalendarDay).where(CalendarDay.user_id == owner.id, CalendarDay.day == day)
        )
    await _changed(session, owner.id, [day])
    calendar = await own_calendar(session, owner=owner, start=day, end=day, now=now)
    return calendar.days[0]


async def _changed(session: AsyncSession, user_id: uuid.UUID, changed: Iterable[date]) -> None:
    """AV-12: the owner's devices hear which days changed, once the change commits."""
    await realtime.emit(
        session,
        [user_id],
        CalendarChanged(days=sorted({d.isoformat() for d in changed})),
    )


async def effective_visibility(
    session: AsyncSession, settings: CalendarSettings
) -> CalendarVisibility:
    if settings.visibility is CalendarVisibility.PUBLIC:
        return settings.visibility
    if await billing_service.has_feature(
        session, user_id=settings.user_id, feature="calendar_privacy"
    ):
        return settings.visibility
    return CalendarVisibility.PUBLIC


async def read_settings(session: AsyncSession, *, owner: Principal) -> CalendarSettingsRead:
    settings = await settings_for(session, owner.id)
    return CalendarSettingsRead(
        visibility=settings.visibility,
        effective_visibility=await effective_visibility(session, settings),
        allowed_user_ids=list(settings.allowed_user_ids),
        hidden_dates=sorted(settings.hidden_dates),
        show_partial_availability=settings.show_partial_availability,
        allow_booking_requests=settings.allow_booking_requests,
        conflict_policy=settings.conflict_policy,
        lead_time_hours=settings.lead_time_hours,
        advance_booking_days=settings.advance_booking_days,
        grid=settings.grid,
        buffer_before_minutes=settings.buffer_before_minutes,
        buffer_after_minutes=settings.buffer_after_minutes,
        daily_booking_cap=settings.daily_booking_cap,
        travel_speed_kmh=settings.travel_speed_kmh,
        notify_requests=settings.notify_requests,
        notify_reminders=settings.notify_reminders,
        notify_conflicts=settings.notify_conflicts,
        timezone=settings.timezone,
        feed_active=settings.feed_token_hash is not None,
    )


async def change_settings(
    session: AsyncSession, *, owner: Principal, data: CalendarSettingsChange
) -> CalendarSettingsRead:
    """AV-8: anything but a public calendar needs `calendar_privacy`, the 30-minute grid needs
    `fine_slot_granularity`; fields left out keep their values."""
    settings = await settings_for(session, owner.id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    nullable = {"daily_booking_cap"}
    for field, value in changes.items():
        if value is None and field not in nullable:
            raise ValidationFailed.field(field, "required", "This setting cannot be cleared.")
    if changes.get("visibility", CalendarVisibility.PUBLIC) is not CalendarVisibility.PUBLIC:
        await billing_service.require_feature(session, user_id=owner.id, feature="calendar_privacy")
    if changes.get("grid") is SlotGrid.MIN_30:
        await billing_service.require_feature(
            session, user_id=owner.id, feature="fine_slot_granularity"
        )
    if "timezone" in changes and clock.zone(changes["timezone"]).key != changes["timezone"]:
        raise ValidationFailed.field("timezone", "invalid_choice", "Use an IANA time zone name.")
    if "allowed_user_ids" in changes:
        changes["allowed_user_ids"] = list(dict.fromkeys(changes["allowed_user_ids"]))
    if "hidden_dates" in changes:
        changes["hidden_dates"] = sorted(set(changes["hidden_dates"]))
    for field, value in changes.items():
        setattr(settings, field, value)
    await session.flush()
    return await read_settings(session, owner=owner)
