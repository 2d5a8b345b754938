"""Searching one's own messages (MSG-15)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.pagination import clamp_limit, decode_cursor, encode_cursor
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal
from getmygrapher.messaging.models import Message
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import SearchHit, SearchPage
from getmygrapher.messaging.service.common import renderer_for


async def search(
    session: AsyncSession,
    runtime: Runtime,
    *,
    viewer: Principal,
    q: str,
    conversation_id: uuid.UUID | None,
    sender_id: uuid.UUID | None,
    has_attachment: bool | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int | None,
    cursor: str | None,
) -> SearchPage:
    """Only the caller's conversations and what they may see, masked as displayed, newest
    first, with a snippet; backed by the messages' text index."""
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    repo = MessagingRepository(session)
    rows = list(
        await repo.search(
            viewer.id,
            query=q,
            conversation_id=conversation_id,
            sender_id=sender_id,
            has_attachment=has_attachment,
            since=since,
            until=until,
            after=(after[0], after[1]) if after else None,
            limit=size,
        )
    )
    page = rows[:size]
    # Rendered per conversation (what the reader may see differs), each group at once.
    by_conversation: dict[uuid.UUID, list[Message]] = {}
    for message, _ in page:
        by_conversation.setdefault(message.conversation_id, []).append(message)
    rendered = {}
    for conversation_id, messages in by_conversation.items():
        conversation = await repo.conversation(conversation_id)
        assert conversation is not None  # noqa: S101 - joined a moment ago
        renderer = await renderer_for(session, runtime, conversation, viewer.id)
        for message, read in zip(messages, await renderer.many(session, messages), strict=True):
            rendered[message.id] = read
    hits = [SearchHit(message=rendered[message.id], snippet=snippet) for message, snippet in page]
    next_cursor = (
        encode_cursor((page[-1][0].created_at, page[-1][0].id))
        if len(rows) > size and page
        else None
    )
    return SearchPage(items=hits, next_cursor=next_cursor)
