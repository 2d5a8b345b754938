"""A person's calendar and bookings in their data export (DATA-1) and at erasure (DATA-2)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import (
    AvailabilityPattern,
    Booking,
    BookingReschedule,
    CalendarDay,
    CalendarOperation,
    CalendarSettings,
    CalendarSlot,
)
from getmygrapher.availability.service.bookings import cancel_for_erasure
from getmygrapher.availability.service.settings import get_settings

TABLES = frozenset(
    {
        "calendar_settings",
        "calendar_slots",
        "calendar_days",
        "availability_patterns",
        "calendar_operations",
        "bookings",
        "booking_reschedules",
    }
)


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    """The own calendar (settings, slots, day overrides, patterns, imports and exports) and
    every booking on either side, with what the person wrote; the other side's own notes and
    reasons are theirs and are left out."""
    slots = await session.scalars(
        select(CalendarSlot)
        .where(CalendarSlot.user_id == user_id)
        .order_by(CalendarSlot.day, CalendarSlot.starts_at)
    )
    days = await session.scalars(
        select(CalendarDay).where(CalendarDay.user_id == user_id).order_by(CalendarDay.day)
    )
    patterns = await session.scalars(
        select(AvailabilityPattern)
        .where(AvailabilityPattern.user_id == user_id)
        .order_by(AvailabilityPattern.created_at)
    )
    operations = await session.scalars(
        select(CalendarOperation)
        .where(CalendarOperation.user_id == user_id)
        .order_by(CalendarOperation.created_at)
    )
    bookings = await session.scalars(
        select(Booking)
        .where(or_(Booking.professional_id == user_id, Booking.client_id == user_id))
        .order_by(Booking.starts_at_utc)
    )
    return {
        "calendar_settings": await get_settings(session, user_id=user_id),
        "calendar": {
            "slots": [
                {
                    "day": s.day.isoformat(),
                    "starts_at": s.starts_at.isoformat(),
                    "ends_at": s.ends_at.isoformat(),
                    "status": s.status.value,
                    "source": s.source,
                    "note": s.note,
                }
                for s in slots
            ],
            "days": [
                {"day": d.day.isoformat(), "blocked": d.blocked, "note": d.note} for d in days
            ],
            "patterns": [
                {
                    "name": p.name,
                    "type": p.type.value,
                    "rrule": p.rrule,
                    "schedule": p.schedule,
                    "starts_on": p.starts_on.isoformat(),
                    "ends_on": p.ends_on.isoformat() if p.ends_on else None,
                    "exdates": [d.isoformat() for d in p.exdates],
                    "active": p.active,
                }
                for p in patterns
            ],
            "operations": [
                {
                    "kind": o.kind,
                    "format": o.format,
                    "status": o.status,
                    "at": o.created_at.isoformat(),
                }
                for o in operations
            ],
        },
        "bookings": [_booking(b, user_id) for b in bookings],
    }


def _booking(booking: Booking, user_id: uuid.UUID) -> dict[str, Any]:
    as_client = booking.client_id == user_id
    return {
        "reference": booking.reference,
        "role": "client" if as_client else "professional",
        "with_user_id": str(booking.professional_id if as_client else booking.client_id),
        "status": booking.status.value,
        "day": booking.day.isoformat(),
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "amount_rupees": booking.amount,
        "location": booking.location,
        # The request's message is the client's; notes and a decline are the professional's.
        "message": booking.message if as_client else None,
        "notes": None if as_client else booking.notes,
        "decline_reason": None if as_client else booking.decline_reason,
        "cancel_reason": booking.cancel_reason if booking.cancelled_by == user_id else None,
        "created_at": booking.created_at.isoformat(),
    }


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Requests and bookings still ahead are cancelled for the other side; the own calendar
    goes; bookings that happened stay in the other side's history under the pseudonymous id,
    without anything the erased person wrote."""
    await cancel_for_erasure(session, user_id=user_id)
    for model in (CalendarSlot, CalendarDay, AvailabilityPattern, CalendarOperation):
        await session.execute(delete(model).where(model.user_id == user_id))
    await session.execute(delete(CalendarSettings).where(CalendarSettings.user_id == user_id))
    await session.execute(
        update(Booking)
        .where(Booking.client_id == user_id)
        .values(message=None, location=None, lat=None, lng=None)
    )
    await session.execute(
        update(Booking)
        .where(Booking.professional_id == user_id)
        .values(notes=None, decline_reason=None)
    )
    await session.execute(
        update(Booking).where(Booking.cancelled_by == user_id).values(cancel_reason=None)
    )
    await session.execute(
        delete(BookingReschedule).where(
            BookingReschedule.proposed_by == user_id, BookingReschedule.status == "pending"
        )
    )
