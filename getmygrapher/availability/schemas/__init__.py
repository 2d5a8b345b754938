"""Request and response bodies of calendars and bookings."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import Field

from getmygrapher.availability.models import (
    BookingSource,
    BookingStatus,
    CalendarVisibility,
    ConflictPolicy,
    ConflictStatus,
    ConflictType,
    SlotGrid,
)
from getmygrapher.core.schemas import PlainText, RequestModel, ResponseModel

SlotNote = Annotated[str, PlainText(0, 200)]
BookingText = Annotated[str, PlainText(0, 500)]
Reason = Annotated[str, PlainText(1, 300)]
Rupees = Annotated[int, Field(ge=500, le=100_000)]
DayStatus = Literal["available", "partial", "unavailable", "booked", "blocked"]
EditableSlotStatus = Literal["available", "blocked", "break"]
AdvanceDays = Literal[7, 14, 30, 90, 180, 365]


class SlotIn(RequestModel):
    day: date
    starts_at: time
    ends_at: time
    status: EditableSlotStatus = "available"
    note: SlotNote | None = None
    hourly_rate: Rupees | None = None


class SlotChange(RequestModel):
    starts_at: time | None = None
    ends_at: time | None = None
    status: EditableSlotStatus | None = None
    note: SlotNote | None = None
    hourly_rate: Rupees | None = None


class SlotBooking(ResponseModel):
    id: uuid.UUID
    reference: str
    status: BookingStatus
    client_id: uuid.UUID
    client_name: str | None


class SlotRead(ResponseModel):
    id: uuid.UUID
    day: date
    starts_at: time
    ends_at: time
    status: Literal["available", "booked", "blocked", "break"]
    note: str | None
    hourly_rate: int | None
    # Over six hours: allowed, but worth a second look (AV-2).
    long: bool
    source: str
    booking: SlotBooking | None = None


class DayRead(ResponseModel):
    day: date
    status: DayStatus
    blocked: bool
    note: str | None
    read_only: bool
    slots: list[SlotRead]


class CalendarRead(ResponseModel):
    timezone: str
    grid: SlotGrid
    days: list[DayRead]


class DayOverride(RequestModel):
    blocked: bool
    note: SlotNote | None = None


class CalendarSettingsRead(ResponseModel):
    visibility: CalendarVisibility
    # What applies now: anything but public lapses with Pro and returns on upgrade (AV-8).
    effective_visibility: CalendarVisibility
    allowed_user_ids: list[uuid.UUID]
    hidden_dates: list[date]
    show_partial_availability: bool
    allow_booking_requests: bool
    conflict_policy: ConflictPolicy
    lead_time_hours: int
    advance_booking_days: int
    grid: SlotGrid
    buffer_before_minutes: int
    buffer_after_minutes: int
    daily_booking_cap: int | None
    travel_speed_kmh: int
    notify_requests: bool
    notify_reminders: bool
    notify_conflicts: bool
    timezone: str
    feed_active: bool


class CalendarSettingsChange(RequestModel):
    visibility: CalendarVisibility | None = None
    allowed_user_ids: Annotated[list[uuid.UUID], Field(max_length=200)] | None = None
    hidden_dates: Annotated[list[date], Field(max_length=366)] | None = None
    show_partial_availability: bool | None = None
    allow_booking_requests: bool | None = None
    conflict_policy: ConflictPolicy | None = None
    lead_time_hours: Annotated[int, Field(ge=0, le=720)] | None = None
    advance_booking_days: AdvanceDays | None = None
    grid: SlotGrid | None = None
    buffer_before_minutes: Annotated[int, Field(ge=0, le=240)] | None = None
    buffer_after_minutes: Annotated[int, Field(ge=0, le=240)] | None = None
    daily_booking_cap: Annotated[int, Field(ge=1, le=20)] | None = None
    travel_speed_kmh: Annotated[int, Field(ge=5, le=120)] | None = None
    notify_requests: bool | None = None
    notify_reminders: bool | None = None
    notify_conflicts: bool | None = None
    timezone: Annotated[str, Field(min_length=3, max_length=64)] | None = None


class Place(RequestModel):
    location: Annotated[str, PlainText(2, 200)] | None = None
    lat: Annotated[float, Field(ge=6.0, le=37.6)]
    lng: Annotated[float, Field(ge=68.0, le=97.5)]


class BookingRequestIn(RequestModel):
    day: date
    starts_at: time
    ends_at: time
    message: BookingText | None = None
    amount: Rupees | None = None
    # On location: where the work happens, for the professional's travel time.
    place: Place | None = None


class TimeProposal(RequestModel):
    day: date
    starts_at: time
    ends_at: time


class BookingDecision(RequestModel):
    reason: Reason | None = None


class BookingCancel(RequestModel):
    reason: Reason


class ConflictRead(ResponseModel):
    id: uuid.UUID
    booking_id: uuid.UUID
    type: ConflictType
    status: ConflictStatus
    detail: str
    alternatives: list[dict[str, str]]
    created_at: datetime


class ConflictResolve(RequestModel):
    action: Literal["ignore", "resolve"]


class RescheduleRead(ResponseModel):
    id: uuid.UUID
    proposed_by: uuid.UUID
    day: date
    starts_at: time
    ends_at: time
    status: str
    expires_at: datetime


class Party(ResponseModel):
    id: uuid.UUID
    name: str | None


class BookingRead(ResponseModel):
    id: uuid.UUID
    reference: str
    source: BookingSource
    status: BookingStatus
    professional: Party
    client: Party
    job_id: uuid.UUID | None
    application_id: uuid.UUID | None
    day: date
    starts_at: time
    ends_at: time
    timezone: str
    starts_at_utc: datetime
    ends_at_utc: datetime
    amount: int | None
    message: str | None
    location: str | None
    hold_until: datetime | None
    expires_at: datetime | None
    decline_reason: str | None
    cancelled_by: uuid.UUID | None
    cancel_reason: str | None
    cancelled_at: datetime | None
    completed_at: datetime | None
    reschedule_count: int
    conflicts: list[ConflictRead]
    reschedule: RescheduleRead | None
    version: int
    created_at: datetime
