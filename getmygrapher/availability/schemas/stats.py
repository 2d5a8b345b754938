"""Calendar statistics for the owner (AV-10)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from getmygrapher.core.schemas import ResponseModel

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
HourBand = Literal["morning", "afternoon", "evening", "night"]


class WeekStats(ResponseModel):
    week: str  # ISO 8601, e.g. 2026-W49
    starts_on: date  # its Monday
    available_hours: float
    booked_hours: float
    bookings: int
    utilisation: float | None


class WeekdayStats(ResponseModel):
    weekday: Weekday
    bookings: int
    booked_hours: float


class HourBandStats(ResponseModel):
    # SRCH-4's bands: morning 06-12, afternoon 12-17, evening 17-21, night 21-23.
    band: HourBand
    booked_hours: float


class CalendarStats(ResponseModel):
    """Available time is the calendar's free slots; booked time is its confirmed, in-progress
    and completed bookings. Utilisation is booked ÷ (available + booked) hours, null when both
    are zero."""

    starts_on: date
    ends_on: date
    available_days: int
    available_hours: float
    booked_days: int
    booked_hours: float
    utilisation: float | None
    bookings: int
    average_booking_hours: float | None
    weekly: list[WeekStats]
    weekdays: list[WeekdayStats]
    busiest_weekday: Weekday | None
    hour_bands: list[HourBandStats]
    busiest_hour_band: HourBand | None
