"""HTTP endpoints of the owner's calendar and of bookings."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from getmygrapher.availability.models import BookingStatus, ConflictStatus
from getmygrapher.availability.schemas import (
    BookingCancel,
    BookingDecision,
    BookingRead,
    BookingRequestIn,
    CalendarRead,
    CalendarSettingsChange,
    CalendarSettingsRead,
    ConflictRead,
    ConflictResolve,
    DayOverride,
    DayRead,
    SlotChange,
    SlotIn,
    SlotRead,
    TimeProposal,
)
from getmygrapher.availability.service import bookings, calendar
from getmygrapher.core.db import DbSession
from getmygrapher.core.idempotency import RequiredIdempotencyKey
from getmygrapher.core.pagination import (
    Cursor,
    Limit,
    Page,
    clamp_limit,
    decode_cursor,
    encode_cursor,
)
from getmygrapher.core.security import CurrentUser, VerifiedUser
from getmygrapher.core.time import today_ist

calendar_router = APIRouter(prefix="/v1/me/calendar", tags=["calendar"])
bookings_router = APIRouter(prefix="/v1", tags=["bookings"])

From = Annotated[date | None, Query(alias="from", description="First day (default today, IST).")]
To = Annotated[
    date | None, Query(alias="to", description="Last day, inclusive (default 30 days on).")
]


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    first = start or today_ist()
    return first, end or first + timedelta(days=30)


@calendar_router.get("", operation_id="get_my_calendar")
async def get_my_calendar(
    db: DbSession, user: CurrentUser, start: From = None, end: To = None
) -> CalendarRead:
    """AV-1: up to 366 days with slots, booking references and client names."""
    first, last = _range(start, end)
    return await calendar.own_calendar(db, owner=user, start=first, end=last)


@calendar_router.post("/slots", status_code=status.HTTP_201_CREATED, operation_id="add_slot")
async def add_slot(body: SlotIn, db: DbSession, user: CurrentUser) -> SlotRead:
    return await calendar.add_slot(db, owner=user, data=body)


@calendar_router.patch("/slots/{slot_id}", operation_id="change_slot")
async def change_slot(
    slot_id: uuid.UUID, body: SlotChange, db: DbSession, user: CurrentUser
) -> SlotRead:
    return await calendar.change_slot(db, owner=user, slot_id=slot_id, data=body)


@calendar_router.delete(
    "/slots/{slot_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_slot"
)
async def delete_slot(slot_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    await calendar.delete_slot(db, owner=user, slot_id=slot_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@calendar_router.put("/days/{day}", operation_id="set_calendar_day")
async def set_calendar_day(
    day: date, body: DayOverride, db: DbSession, user: CurrentUser
) -> DayRead:
    """AV-14: block a whole day, or lift the block."""
    return await calendar.set_day(db, owner=user, day=day, data=body)


@calendar_router.get("/settings", operation_id="get_calendar_settings")
async def get_calendar_settings(db: DbSession, user: CurrentUser) -> CalendarSettingsRead:
    return await calendar.read_settings(db, owner=user)


@calendar_router.patch("/settings", operation_id="change_calendar_settings")
async def change_calendar_settings(
    body: CalendarSettingsChange, db: DbSession, user: CurrentUser
) -> CalendarSettingsRead:
    return await calendar.change_settings(db, owner=user, data=body)


@calendar_router.get("/conflicts", operation_id="list_booking_conflicts")
async def list_booking_conflicts(
    db: DbSession,
    user: CurrentUser,
    status_filter: Annotated[ConflictStatus | None, Query(alias="status")] = None,
) -> list[ConflictRead]:
    """BKG-9: conflicts on the caller's calendar, newest first."""
    return await bookings.list_conflicts(db, professional=user, status=status_filter)


@calendar_router.post("/conflicts/{conflict_id}/resolve", operation_id="resolve_booking_conflict")
async def resolve_booking_conflict(
    conflict_id: uuid.UUID, body: ConflictResolve, db: DbSession, user: CurrentUser
) -> ConflictRead:
    return await bookings.resolve_conflict(
        db, professional=user, conflict_id=conflict_id, action=body.action
    )


@bookings_router.post(
    "/professionals/{professional_id}/bookings",
    status_code=status.HTTP_201_CREATED,
    operation_id="request_booking",
)
async def request_booking(
    professional_id: uuid.UUID,
    body: BookingRequestIn,
    db: DbSession,
    user: VerifiedUser,
    idempotency: RequiredIdempotencyKey,
) -> BookingRead:
    """BKG-2 ("Book now", PV-2): a verified client asks for a time."""
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    created = await bookings.request_booking(
        db, requester=user, professional_id=professional_id, data=body
    )
    await idempotency.remember(db, user.id, created, status_code=201)
    return created


@bookings_router.get("/me/bookings", operation_id="list_my_bookings")
async def list_my_bookings(
    db: DbSession,
    user: CurrentUser,
    role: Annotated[Literal["professional", "client"], Query()] = "client",
    when: Annotated[Literal["upcoming", "past"], Query()] = "upcoming",
    status_filter: Annotated[list[BookingStatus] | None, Query(alias="status")] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[BookingRead]:
    """BKG-6: upcoming soonest first, past newest first."""
    key = decode_cursor(cursor, arity=2, types=(datetime, uuid.UUID))
    items, last = await bookings.list_bookings(
        db,
        user=user,
        role=role,
        statuses=status_filter,
        start=start,
        end=end,
        when=when,
        limit=clamp_limit(limit),
        after=(key[0], key[1]) if key else None,
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last else None)


@bookings_router.get("/bookings/{booking_id}", operation_id="get_booking")
async def get_booking(booking_id: uuid.UUID, db: DbSession, user: CurrentUser) -> BookingRead:
    return await bookings.get_booking(db, user=user, booking_id=booking_id)


@bookings_router.post("/bookings/{booking_id}/confirm", operation_id="confirm_booking")
async def confirm_booking(booking_id: uuid.UUID, db: DbSession, user: CurrentUser) -> BookingRead:
    return await bookings.confirm(db, professional=user, booking_id=booking_id)


@bookings_router.post("/bookings/{booking_id}/decline", operation_id="decline_booking")
async def decline_booking(
    booking_id: uuid.UUID, body: BookingDecision, db: DbSession, user: CurrentUser
) -> BookingRead:
    return await bookings.decline(db, professional=user, booking_id=booking_id, reason=body.reason)


@bookings_router.post("/bookings/{booking_id}/cancel", operation_id="cancel_booking")
async def cancel_booking(
    booking_id: uuid.UUID, body: BookingCancel, db: DbSession, user: CurrentUser
) -> BookingRead:
    return await bookings.cancel(db, user=user, booking_id=booking_id, reason=body.reason)


@bookings_router.post("/bookings/{booking_id}/complete", operation_id="complete_booking")
async def complete_booking(booking_id: uuid.UUID, db: DbSession, user: CurrentUser) -> BookingRead:
    return await bookings.complete(db, user=user, booking_id=booking_id)


@bookings_router.post("/bookings/{booking_id}/reschedule", operation_id="propose_booking_time")
async def propose_booking_time(
    booking_id: uuid.UUID, body: TimeProposal, db: DbSession, user: CurrentUser
) -> BookingRead:
    """BKG-7: the original time stays booked until the other party accepts."""
    return await bookings.propose_time(db, user=user, booking_id=booking_id, data=body)


@bookings_router.post(
    "/bookings/{booking_id}/reschedule/accept", operation_id="accept_booking_time"
)
async def accept_booking_time(
    booking_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> BookingRead:
    return await bookings.answer_reschedule(db, user=user, booking_id=booking_id, accept=True)


@bookings_router.post(
    "/bookings/{booking_id}/reschedule/decline", operation_id="decline_booking_time"
)
async def decline_booking_time(
    booking_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> BookingRead:
    return await bookings.answer_reschedule(db, user=user, booking_id=booking_id, accept=False)
