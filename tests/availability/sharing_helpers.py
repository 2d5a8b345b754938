"""Calendars for the sharing tests: slots through the API, bookings straight into the tables
(as a confirmed hire leaves them), and the owner's settings."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, time, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import (
    Booking,
    BookingSource,
    BookingStatus,
    CalendarSlot,
    SlotStatus,
)
from getmygrapher.availability.service import clock
from getmygrapher.core.time import today_ist
from tests.factories import Person

ZONE = "Asia/Kolkata"


def ahead(days: int) -> date:
    return today_ist() + timedelta(days=days)


def at(value: str) -> time:
    return time.fromisoformat(value)


async def add_slot(
    api: AsyncClient,
    person: Person,
    day: date,
    starts: str,
    ends: str,
    status: str = "available",
    **extra: Any,
) -> dict[str, Any]:
    response = await api.post(
        "/v1/me/calendar/slots",
        headers=person.headers,
        json={"day": day.isoformat(), "starts_at": starts, "ends_at": ends, "status": status}
        | extra,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def put_slot(
    session: AsyncSession,
    person: Person,
    day: date,
    starts: str,
    ends: str,
    status: SlotStatus = SlotStatus.AVAILABLE,
) -> CalendarSlot:
    """Straight into the table, for days the API no longer lets anyone change (the past)."""
    slot = CalendarSlot(
        user_id=person.id,
        day=day,
        starts_at=at(starts),
        ends_at=at(ends),
        timezone=ZONE,
        period=clock.span(day, at(starts), at(ends), ZONE),
        status=status,
    )
    session.add(slot)
    await session.commit()
    return slot


async def make_booking(
    session: AsyncSession,
    professional: Person,
    client: Person,
    day: date,
    starts: str,
    ends: str,
    *,
    status: BookingStatus = BookingStatus.CONFIRMED,
    notes: str | None = None,
    with_slot: bool = True,
) -> Booking:
    """A booking as a hire leaves it: the row and, while active, one `booked` slot."""
    start, end = at(starts), at(ends)
    booking = Booking(
        reference="GMG-" + secrets.token_hex(3).upper(),
        professional_id=professional.id,
        client_id=client.id,
        source=BookingSource.DIRECT_REQUEST,
        status=status,
        day=day,
        starts_at=start,
        ends_at=end,
        timezone=ZONE,
        period=clock.span(day, start, end, ZONE),
        starts_at_utc=clock.instant(day, start, ZONE),
        ends_at_utc=clock.instant(day, end, ZONE),
        notes=notes,
        location="Bolgatty Palace, Kochi",
    )
    session.add(booking)
    await session.flush()
    if with_slot:
        session.add(
            CalendarSlot(
                user_id=professional.id,
                day=day,
                starts_at=start,
                ends_at=end,
                timezone=ZONE,
                period=booking.period,
                status=SlotStatus.BOOKED,
                booking_id=booking.id,
                source="booking",
            )
        )
    await session.commit()
    return booking


async def settings(api: AsyncClient, person: Person, **changes: Any) -> dict[str, Any]:
    response = await api.patch("/v1/me/calendar/settings", headers=person.headers, json=changes)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def end_pro(session: AsyncSession, person: Person) -> None:
    """Pro lapses: the period ended days ago, with no grace left."""
    await session.execute(
        text(
            "UPDATE subscriptions SET current_period_end = now() - interval '3 days', "
            "grace_until = NULL WHERE user_id = :id"
        ),
        {"id": person.id},
    )
    await session.commit()


async def block(api: AsyncClient, blocker: Person, blocked_id: uuid.UUID) -> None:
    response = await api.put(f"/v1/blocks/{blocked_id}", headers=blocker.headers)
    assert response.status_code in {200, 201, 204}, response.text
