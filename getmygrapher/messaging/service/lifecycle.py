"""Messaging and the rest of the product: what other areas post, account deletion and
export, and the clean-ups that keep tables small."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.contacts.models import ContactEvent
from getmygrapher.core import outbox
from getmygrapher.core.time import utcnow
from getmygrapher.messaging import events
from getmygrapher.messaging.models import Message, MessageKind, Participant
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.service.common import summaries, tell
from getmygrapher.messaging.service.conversations import open_direct
from getmygrapher.messaging.service.sending import post_system

UNSENT_ATTACHMENTS_FOR = dt.timedelta(days=1)
CONSENT_WORDS = {
    "requested": "asked to share contact details",
    "accepted": "shared contact details",
    "declined": "declined to share contact details",
    "cancelled": "withdrew the request to share contact details",
    "expired": "A request to share contact details expired",
    "revoked": "stopped sharing contact details",
}


async def on_consent_event(session: AsyncSession, event: ContactEvent) -> None:
    """MSG-10: every step of a contact request appears in the pair's conversation as a
    `contact_share` message, and both sides' sockets hear of it."""
    conversation, _ = await open_direct(session, event.user_low, event.user_high)
    words = CONSENT_WORDS.get(event.action, event.action)
    fields = ", ".join(event.fields) or "contact details"
    if event.actor_id is None:
        text_ = f"{words} ({fields})."
    else:
        name = (await summaries(session, [event.actor_id]))[event.actor_id].full_name
        text_ = f"{name} {words} ({fields})."
    await post_system(
        session,
        conversation,
        text=text_,
        kind=MessageKind.CONTACT_SHARE,
        data={
            "action": event.action,
            "fields": list(event.fields),
            "actor_id": str(event.actor_id) if event.actor_id else None,
            "request_id": str(event.request_id) if event.request_id else None,
        },
    )
    await tell(
        session,
        conversation.id,
        events.ContactShareUpdated(
            conversation_id=conversation.id, action=event.action, fields=list(event.fields)
        ),
    )


async def purge_events(session: AsyncSession, *, keep_days: int) -> int:
    """Realtime logs older than the retention (MSG-8: at least 7 days)."""
    result = await session.execute(
        text("DELETE FROM realtime_events WHERE created_at < now() - make_interval(days => :d)"),
        {"d": keep_days},
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_unsent_attachments(session: AsyncSession) -> int:
    repo = MessagingRepository(session)
    rows = await repo.stale_attachments(utcnow() - UNSENT_ATTACHMENTS_FOR)
    keys = [key for row in rows for key in row.keys.values()]
    await repo.delete_attachments([row.id for row in rows])
    if keys:
        await outbox.add(session, "messaging.delete_files", keys=keys)
    return len(rows)


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """DATA-2: sent messages stay in others' histories without content ("Deleted user")."""
    keys = await MessagingRepository(session).erase(user_id)
    if keys:
        await outbox.add(session, "messaging.delete_files", keys=keys)


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    """DATA-1: the conversations one is in and the messages one sent."""
    conversations = (
        await session.scalars(
            select(Participant.conversation_id).where(Participant.user_id == user_id)
        )
    ).all()
    sent = (
        await session.scalars(
            select(Message).where(Message.sender_id == user_id).order_by(Message.created_at)
        )
    ).all()
    return {
        "conversations": [str(c) for c in conversations],
        "messages": [
            {
                "id": str(m.id),
                "conversation_id": str(m.conversation_id),
                "kind": m.kind.value,
                "text": m.body,
                "created_at": m.created_at.isoformat(),
                "deleted": m.deleted_at is not None,
            }
            for m in sent
        ],
    }
