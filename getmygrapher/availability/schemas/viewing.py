"""What others see of a calendar (AV-9, BKG-5): day statuses and, where allowed, free and busy
times; never who booked, why, or what lies behind a hidden date."""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from getmygrapher.availability.schemas import DayStatus
from getmygrapher.core.schemas import ResponseModel


class OthersSlot(ResponseModel):
    starts_at: time
    ends_at: time
    # Booked, blocked and break time are all just busy to others.
    status: Literal["free", "busy"]


class OthersDay(ResponseModel):
    day: date
    status: DayStatus
    slots: list[OthersSlot]


class OthersCalendar(ResponseModel):
    """`visible: false` and nothing else for a viewer the calendar's visibility does not admit."""

    visible: bool
    # The calendar's zone, in which every day and time is written; null when not visible.
    timezone: str | None
    # False when the owner shows day statuses only (`show_partial_availability` off).
    shows_times: bool
    days: list[OthersDay]
