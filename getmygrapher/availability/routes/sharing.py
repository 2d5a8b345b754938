"""HTTP endpoints that take a calendar beyond its owner's screen: others' view (AV-9), export,
the private feed and import (AV-11), and the owner's statistics (AV-10)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from getmygrapher.availability.schemas.exports import (
    CalendarExport,
    ExportFormat,
    FeedIssued,
    ImportReport,
)
from getmygrapher.availability.schemas.stats import CalendarStats
from getmygrapher.availability.schemas.viewing import OthersCalendar
from getmygrapher.availability.service import exports, imports, stats, viewing
from getmygrapher.core.db import DbSession
from getmygrapher.core.security import CurrentUser, client_ip
from getmygrapher.core.time import next_month, today_ist

sharing_router = APIRouter(prefix="/v1", tags=["calendar"])

From = Annotated[date | None, Query(alias="from", description="First day.")]
To = Annotated[date | None, Query(alias="to", description="Last day, inclusive.")]
_ICS_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//GetMyGrapher//Calendar 1.0//EN\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:Asia/Kolkata\r\n…\r\nEND:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nUID:5f0c…@getmygrapher.in\r\nDTSTART;TZID=Asia/Kolkata:20261205T090000\r\n"
    "DTEND;TZID=Asia/Kolkata:20261205T130000\r\nSUMMARY:Booked\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
_CSV_EXAMPLE = (
    '"uid","kind","day","starts_at","ends_at","timezone","status","booking_reference",'
    '"booking_status","client_name","note"\r\n'
    '"5f0c…@getmygrapher.in","slot","2026-12-05","09:00","13:00","Asia/Kolkata","booked",'
    '"GMG-7K2Q9P","confirmed","Arjun Menon",""\r\n'
)


LAST_DAY = date.max - timedelta(days=1)  # the database reads date.max as infinity


def _plus(day: date, days: int) -> date:
    """`day` plus `days`, stopping at the last date there is (range checks then refuse it)."""
    return day + timedelta(days=days) if day <= LAST_DAY - timedelta(days=days) else LAST_DAY


@sharing_router.get(
    "/professionals/{professional_id}/availability", operation_id="get_professional_availability"
)
async def get_professional_availability(
    professional_id: uuid.UUID, db: DbSession, user: CurrentUser, start: From = None, end: To = None
) -> OthersCalendar:
    """AV-9: up to 92 days ahead (default 30 from today), as the calendar's visibility allows:
    day statuses and, unless the owner hides times, free and busy intervals."""
    return await viewing.view_availability(
        db, viewer=user, professional_id=professional_id, start=start, end=end
    )


@sharing_router.get(
    "/me/calendar/export",
    operation_id="export_my_calendar",
    response_model=CalendarExport,
    responses={
        200: {
            "description": "The file, as an attachment: ICS (RFC 5545), CSV (RFC 4180) or JSON.",
            "content": {
                "text/calendar": {"schema": {"type": "string"}, "example": _ICS_EXAMPLE},
                "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            },
        }
    },
)
async def export_my_calendar(
    db: DbSession,
    user: CurrentUser,
    file_format: Annotated[ExportFormat, Query(alias="format")] = "ics",
    start: From = None,
    end: To = None,
) -> Response:
    """AV-11: up to 366 days (default a year from today) with references, client names and
    notes; each export is logged."""
    first = start or today_ist()
    exported = await exports.export_calendar(
        db, owner=user, file_format=file_format, start=first, end=end or _plus(first, 365)
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@sharing_router.post(
    "/me/calendar/feed", status_code=status.HTTP_201_CREATED, operation_id="issue_calendar_feed"
)
async def issue_calendar_feed(request: Request, db: DbSession, user: CurrentUser) -> FeedIssued:
    """A secret subscription URL, shown only now; issuing again replaces the old one."""
    return await exports.issue_feed(db, request.app.state.runtime, owner=user)


@sharing_router.delete(
    "/me/calendar/feed",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revoke_calendar_feed",
)
async def revoke_calendar_feed(db: DbSession, user: CurrentUser) -> Response:
    await exports.revoke_feed(db, owner=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@sharing_router.get(
    "/calendar-feeds/{token}.ics",
    operation_id="read_calendar_feed",
    response_class=Response,
    responses={
        200: {
            "description": "Booked and blocked time, without client details.",
            "content": {"text/calendar": {"schema": {"type": "string"}, "example": _ICS_EXAMPLE}},
        }
    },
)
async def read_calendar_feed(token: str, request: Request, db: DbSession) -> Response:
    """Anonymous: the token in the URL is the credential. Rate-limited per token and address."""
    content = await exports.read_feed(
        db, request.app.state.runtime, token=token, client_ip=client_ip(request)
    )
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
        },
    )


@sharing_router.post("/me/calendar/import", operation_id="import_calendar")
async def import_calendar(
    db: DbSession,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="ICS or CSV, at most 1 MB and 1,000 events")],
) -> ImportReport:
    """AV-11: busy events become blocked time; overlaps with existing slots, bookings above all,
    are skipped and reported. Nothing is stored from a file that cannot be read."""
    data = await file.read(imports.MAX_FILE_BYTES + 1)
    return await imports.import_calendar(
        db, owner=user, data=data, filename=file.filename, content_type=file.content_type
    )


@sharing_router.get("/me/calendar/stats", operation_id="get_calendar_stats")
async def get_calendar_stats(
    db: DbSession, user: CurrentUser, start: From = None, end: To = None
) -> CalendarStats:
    """AV-10: up to 366 days; by default the current month (IST)."""
    first = start or today_ist().replace(day=1)
    last = end or (
        next_month(first.replace(day=1)) - timedelta(days=1)
        if first.year < date.max.year
        else LAST_DAY
    )
    return await stats.calendar_stats(db, owner=user, start=first, end=last)
