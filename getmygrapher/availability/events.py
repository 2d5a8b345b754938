"""Realtime events of calendars and bookings (AV-12): the owner's devices hear calendar changes,
both parties hear booking changes."""

from __future__ import annotations

from typing import Any, Literal

from getmygrapher.core.realtime import RealtimeEvent


class CalendarChanged(RealtimeEvent):
    type: Literal["calendar.changed"] = "calendar.changed"
    days: list[str]


class BookingChanged(RealtimeEvent):
    type: Literal["booking.changed"] = "booking.changed"
    event: str
    booking: dict[str, Any]
