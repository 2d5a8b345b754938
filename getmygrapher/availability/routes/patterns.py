"""HTTP endpoints of bulk calendar actions (AV-3) and recurring patterns (AV-4, AV-5)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response, status

from getmygrapher.availability.schemas.bulk import BulkEdit, BulkResult
from getmygrapher.availability.schemas.patterns import (
    PatternChange,
    PatternIn,
    PatternPreview,
    PatternRead,
    PatternTemplate,
)
from getmygrapher.availability.service import bulk, patterns
from getmygrapher.core.db import DbSession
from getmygrapher.core.http import if_match_version
from getmygrapher.core.idempotency import IdempotencyKey
from getmygrapher.core.pagination import (
    Cursor,
    Limit,
    Page,
    clamp_limit,
    decode_cursor,
    encode_cursor,
)
from getmygrapher.core.security import CurrentUser

patterns_router = APIRouter(prefix="/v1/me/calendar", tags=["calendar"])


@patterns_router.post("/bulk", operation_id="bulk_edit_calendar")
async def bulk_edit_calendar(body: BulkEdit, db: DbSession, user: CurrentUser) -> BulkResult:
    """AV-3: one action over up to 366 dates, in one transaction; for each date, what was
    applied and what was skipped, and why. Booked time is never changed."""
    return await bulk.bulk_edit(db, owner=user, data=body)


@patterns_router.get("/pattern-templates", operation_id="list_pattern_templates")
async def list_pattern_templates(user: CurrentUser) -> list[PatternTemplate]:
    """AV-5: starting points for a weekly pattern."""
    return patterns.list_templates()


@patterns_router.get("/patterns", operation_id="list_patterns")
async def list_patterns(
    db: DbSession, user: CurrentUser, limit: Limit = None, cursor: Cursor = None
) -> Page[PatternRead]:
    key = decode_cursor(cursor, arity=2, types=(datetime, uuid.UUID))
    items, last = await patterns.list_patterns(
        db, owner=user, limit=clamp_limit(limit), after=(key[0], key[1]) if key else None
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last else None)


@patterns_router.post(
    "/patterns", status_code=status.HTTP_201_CREATED, operation_id="create_pattern"
)
async def create_pattern(
    body: PatternIn, db: DbSession, user: CurrentUser, idempotency: IdempotencyKey
) -> PatternRead:
    """AV-4: at most 5 active; an active pattern fills its slots up to the booking horizon."""
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    created = await patterns.create_pattern(db, owner=user, data=body)
    await idempotency.remember(db, user.id, created, status_code=201)
    return created


@patterns_router.post("/patterns/preview", operation_id="preview_pattern")
async def preview_pattern(
    db: DbSession,
    user: CurrentUser,
    body: Annotated[PatternIn | None, Body()] = None,
    pattern_id: Annotated[uuid.UUID | None, Query()] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> PatternPreview:
    """AV-4: a pattern sent in the body (not stored) or a stored one (`pattern_id`), over at
    most 366 days: the slots it gives and its clashes with bookings. Nothing is written."""
    return await patterns.preview_pattern(
        db, owner=user, data=body, pattern_id=pattern_id, first=start, last=end
    )


@patterns_router.get("/patterns/{pattern_id}", operation_id="get_pattern")
async def get_pattern(pattern_id: uuid.UUID, db: DbSession, user: CurrentUser) -> PatternRead:
    return await patterns.get_pattern(db, owner=user, pattern_id=pattern_id)


@patterns_router.patch("/patterns/{pattern_id}", operation_id="update_pattern")
async def update_pattern(
    pattern_id: uuid.UUID,
    body: PatternChange,
    db: DbSession,
    user: CurrentUser,
    if_match: Annotated[str | None, Header()] = None,
) -> PatternRead:
    """AV-4: only the fields sent change; `active` pauses and resumes. A stale `If-Match`
    (the `version` read) gets 412."""
    return await patterns.update_pattern(
        db, owner=user, pattern_id=pattern_id, data=body, if_match=if_match_version(if_match)
    )


@patterns_router.delete(
    "/patterns/{pattern_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_pattern"
)
async def delete_pattern(pattern_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    """Its future free slots go; booked time and past days stay."""
    await patterns.delete_pattern(db, owner=user, pattern_id=pattern_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
