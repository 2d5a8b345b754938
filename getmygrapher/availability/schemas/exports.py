"""Export, the private feed and import of calendars (AV-11)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Literal

from getmygrapher.core.schemas import ResponseModel

ExportFormat = Literal["ics", "csv", "json"]


class ExportBooking(ResponseModel):
    reference: str
    status: str
    client_name: str | None


class ExportEvent(ResponseModel):
    # Stable across exports: `<slot id>@getmygrapher.in`, or the owner and date for a blocked day.
    uid: str
    kind: Literal["slot", "day"]
    day: date
    # Null for a whole blocked day.
    starts_at: time | None
    ends_at: time | None
    status: Literal["available", "booked", "blocked", "break"]
    note: str | None
    booking: ExportBooking | None = None


class CalendarExport(ResponseModel):
    """The JSON export: the owner's own calendar, with booking references and client names."""

    timezone: str
    starts_on: date
    ends_on: date
    exported_at: datetime
    events: list[ExportEvent]


class FeedIssued(ResponseModel):
    """Shown once: only a digest of the token is kept, so a lost URL is replaced, not recovered."""

    url: str
    issued_at: datetime


class ImportSkip(ResponseModel):
    day: date
    starts_at: time
    ends_at: time
    reason: Literal["overlaps_booking", "overlaps_slot"]
    # The file's UIDs of the events behind this time.
    uids: list[str]


class ImportIgnored(ResponseModel):
    """Events that became no blocked time, by why."""

    free: int  # TRANSP:TRANSPARENT, cancelled, or an available row
    past: int
    too_far_ahead: int  # more than 365 days ahead
    outside_hours: int  # nothing between 06:00 and 23:00
    # Recurring events: only the first occurrence is imported.
    recurring: int


class ImportReport(ResponseModel):
    operation_id: uuid.UUID
    format: Literal["ics", "csv"]
    events: int
    created: int
    skipped: list[ImportSkip]
    ignored: ImportIgnored
