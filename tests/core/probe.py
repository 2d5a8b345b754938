"""A router mounted only in tests, to drive core building blocks through real HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import Field
from sqlalchemy import text

from getmygrapher.core import outbox
from getmygrapher.core.db import DbSession
from getmygrapher.core.idempotency import IdempotencyKey
from getmygrapher.core.pagination import Cursor, Limit, Page, clamp_limit, decode_cursor, to_page
from getmygrapher.core.schemas import PlainText, RequestModel
from getmygrapher.core.security import CurrentUser, Moderator, OnboardedUser, VerifiedUser
from getmygrapher.core.tasks import task

router = APIRouter(prefix="/probe")
RECORDED: list[str] = []


@task("probe.record")
async def record(note: str, user_id: uuid.UUID) -> None:
    assert isinstance(user_id, uuid.UUID)
    RECORDED.append(note)


class Note(RequestModel):
    text: Annotated[str, PlainText(1, 50)]
    count: Annotated[int, Field(ge=0, le=10)] = 0


class NoteRead(RequestModel):
    id: uuid.UUID
    text: str


@router.post("/notes", status_code=status.HTTP_201_CREATED)
async def create_note(
    body: Note, db: DbSession, user: CurrentUser, idempotency: IdempotencyKey
) -> NoteRead:
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    note_id = uuid.uuid4()
    await db.execute(
        text(
            "INSERT INTO audit_log (id, action, target_type, target_id) "
            "VALUES (:id, 'probe.note', 'note', :text)"
        ),
        {"id": note_id, "text": body.text},
    )
    await outbox.add(db, "probe.record", note=body.text, user_id=user.id)
    result = NoteRead(id=note_id, text=body.text)
    await idempotency.remember(db, user.id, result, status_code=201)
    return result


@router.get("/verified")
async def verified_only(user: VerifiedUser) -> dict[str, str]:
    return {"id": str(user.id)}


@router.get("/onboarded")
async def onboarded_only(user: OnboardedUser) -> dict[str, str]:
    return {"id": str(user.id)}


@router.get("/moderation")
async def moderators_only(user: Moderator) -> dict[str, str]:
    return {"id": str(user.id)}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@router.get("/numbers")
async def numbers(limit: Limit = None, cursor: Cursor = None) -> Page[int]:
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=1)
    start = int(after[0]) if after else 0
    rows = list(range(start + 1, min(start + size + 2, 251)))
    return to_page(rows, limit=size, key=lambda n: (n,))
