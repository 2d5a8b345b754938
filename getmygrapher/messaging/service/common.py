"""Shared pieces of messaging: membership, consent-aware rendering, summaries, fan-out."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.contacts import service as contacts_service
from getmygrapher.core import realtime
from getmygrapher.core.runtime import Runtime
from getmygrapher.messaging.errors import ConversationNotFound
from getmygrapher.messaging.models import (
    Attachment,
    Conversation,
    ConversationKind,
    Message,
    Participant,
)
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import AttachmentRead, MessageRead, PersonSummary
from getmygrapher.notifications import service as notifications_service
from getmygrapher.profiles import service as profiles_service

NOT_FOUND = "No conversation of yours has this id."
SIGNED_URL_SECONDS = 15 * 60  # MSG-4


@dataclass(frozen=True)
class JobFacts:
    """What messaging needs to know about a job (JOB-13, MSG-1, MSG-2)."""

    id: uuid.UUID
    client_id: uuid.UUID
    title: str
    active: bool
    hired_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


JobLookup = Callable[[AsyncSession, uuid.UUID], Awaitable[JobFacts | None]]
_JOBS: list[JobLookup] = []


def register_job_lookup(lookup: JobLookup) -> None:
    _JOBS[:] = [lookup]


async def job_facts(session: AsyncSession, job_id: uuid.UUID) -> JobFacts | None:
    return await _JOBS[0](session, job_id) if _JOBS else None


async def member(
    session: AsyncSession,
    user_id: uuid.UUID,
    conversation_id: uuid.UUID,
    *,
    lock: bool = False,
) -> tuple[Conversation, Participant]:
    """The conversation and the caller's place in it; 404 for anyone else (never 403, so
    ids reveal nothing). With `lock`, the conversation row is held until commit."""
    repo = MessagingRepository(session)
    conversation = await repo.conversation(conversation_id, for_update=lock)
    participant = await repo.participant(conversation_id, user_id) if conversation else None
    if conversation is None or participant is None:
        raise ConversationNotFound(NOT_FOUND)
    return conversation, participant


def counterpart(conversation: Conversation, user_id: uuid.UUID) -> uuid.UUID | None:
    if conversation.kind is not ConversationKind.DIRECT:
        return None
    return conversation.user_high if conversation.user_low == user_id else conversation.user_low


async def reveals(session: AsyncSession, conversation: Conversation) -> bool:
    """MSG-10: contact details typed into a 1:1 conversation show only while both hold a
    grant from the other; in a team they are always hidden."""
    if conversation.kind is not ConversationKind.DIRECT:
        return False
    assert conversation.user_low is not None  # noqa: S101 - a direct conversation's pair
    assert conversation.user_high is not None  # noqa: S101
    return await contacts_service.mutual(session, conversation.user_low, conversation.user_high)


async def summaries(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, PersonSummary]:
    """Public summaries: name, type and city, never contact details."""
    ids = list(dict.fromkeys(user_ids))
    accounts = await accounts_service.account_summaries(session, user_ids=ids)
    profiles = await profiles_service.profiles_of(session, user_ids=ids)
    found = {}
    for user_id in ids:
        account, profile = accounts.get(user_id), profiles.get(user_id)
        usable = account is not None and account.usable
        found[user_id] = PersonSummary(
            id=user_id,
            full_name=account.full_name if usable and account else "Deleted user",
            professional_type=profile.professional_type if profile and usable else None,
            city=profile.city if profile and usable else None,
        )
    return found


def attachment_read(runtime: Runtime | None, row: Attachment) -> AttachmentRead:
    """With links signed for 15 minutes when a runtime (its storage) is given."""
    read = AttachmentRead(
        id=row.id,
        kind=row.kind.value,
        content_type=row.content_type,
        filename=row.filename,
        size_bytes=row.size_bytes,
        width=row.width,
        height=row.height,
        duration_seconds=row.duration_seconds,
    )
    if runtime is None:
        return read
    storage, thumb = runtime.storage, row.keys.get("thumb")
    return read.model_copy(
        update={
            "url": storage.url(row.keys["original"], public=False, expires_in=SIGNED_URL_SECONDS),
            "thumbnail_url": storage.url(thumb, public=False, expires_in=SIGNED_URL_SECONDS)
            if thumb
            else None,
        }
    )


@dataclass
class Renderer:
    """Renders messages for one reader of one conversation, with what they may see."""

    runtime: Runtime | None
    reveal: bool
    viewer_id: uuid.UUID | None = None
    # The others' pointers and whether receipts are shown, for the status of own messages.
    others: Sequence[Participant] = ()
    receipts: bool = False

    def status(self, message: Message) -> str | None:
        if self.viewer_id is None or message.sender_id != self.viewer_id or not self.others:
            return None
        if self.receipts and all(p.read_seq >= message.seq for p in self.others):
            return "read"
        if all(max(p.delivered_seq, p.read_seq) >= message.seq for p in self.others):
            return "delivered"
        return "sent"

    def render(
        self,
        message: Message,
        *,
        attachments: Sequence[Attachment] = (),
        counts: dict[str, int] | None = None,
        mine: Sequence[str] = (),
    ) -> MessageRead:
        deleted = message.deleted_at is not None
        return MessageRead(
            id=message.id,
            conversation_id=message.conversation_id,
            seq=message.seq,
            sender_id=message.sender_id,
            kind=message.kind,
            text="" if deleted else (message.body if self.reveal else message.body_masked),
            masked=[] if deleted or self.reveal else list(message.masked_kinds),
            attachments=[] if deleted else [attachment_read(self.runtime, a) for a in attachments],
            reply_to_id=message.reply_to_id,
            job_id=message.job_id,
            data={} if deleted else dict(message.data),
            reactions={} if deleted else counts or {},
            my_reactions=[] if deleted else list(mine),
            edit_count=message.edit_count,
            edited_at=message.edited_at,
            deleted=deleted,
            created_at=message.created_at,
            status=self.status(message),
            client_message_id=message.client_message_id
            if message.sender_id == self.viewer_id
            else None,
        )

    async def many(self, session: AsyncSession, messages: Sequence[Message]) -> list[MessageRead]:
        repo = MessagingRepository(session)
        ids = [m.id for m in messages]
        attachments = await repo.attachments_of([m.id for m in messages if m.has_attachments])
        counts = await repo.reaction_counts(ids)
        mine = await repo.my_reactions(ids, self.viewer_id) if self.viewer_id else {}
        return [
            self.render(
                m,
                attachments=attachments.get(m.id, ()),
                counts=counts.get(m.id),
                mine=mine.get(m.id, ()),
            )
            for m in messages
        ]


async def renderer_for(
    session: AsyncSession, runtime: Runtime, conversation: Conversation, viewer_id: uuid.UUID
) -> Renderer:
    participants = await MessagingRepository(session).participants(conversation.id)
    others = [p for p in participants if p.user_id != viewer_id]
    preferences = await notifications_service.chat_preferences(
        session, [viewer_id, *[p.user_id for p in others]]
    )
    # MSG-5: receipts show only between people who both keep them on.
    receipts = preferences[viewer_id].read_receipts and all(
        preferences[p.user_id].read_receipts for p in others
    )
    return Renderer(runtime, await reveals(session, conversation), viewer_id, others, receipts)


async def members(session: AsyncSession, conversation_id: uuid.UUID) -> list[uuid.UUID]:
    return [p.user_id for p in await MessagingRepository(session).participants(conversation_id)]


async def tell(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    event: realtime.RealtimeEvent,
    *,
    only: Iterable[uuid.UUID] | None = None,
) -> None:
    """Every current member (re-checked now, MSG-8), or only some of them."""
    recipients = await members(session, conversation_id)
    if only is not None:
        allowed = set(only)
        recipients = [user_id for user_id in recipients if user_id in allowed]
    await realtime.emit(session, recipients, event)
