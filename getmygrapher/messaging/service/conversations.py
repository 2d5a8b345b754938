"""Conversations: start one, teams, the list, history, read pointers and each person's
settings (MSG-1, MSG-3, MSG-5, MSG-6, MSG-12, MSG-19)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.billing import service as billing_service
from getmygrapher.contacts import service as contacts_service
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.pagination import clamp_limit, decode_cursor, encode_cursor
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow
from getmygrapher.messaging import events
from getmygrapher.messaging.errors import NotAllowed, UserNotFound
from getmygrapher.messaging.models import (
    Conversation,
    ConversationKind,
    MessageKind,
    Participant,
    ParticipantState,
    Priority,
)
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import (
    ContactShareState,
    ConversationCreate,
    ConversationRead,
    ConversationsPage,
    GroupCreate,
    MessageIn,
    MessageRead,
    MessagesPage,
)
from getmygrapher.messaging.service.common import (
    counterpart,
    job_facts,
    member,
    renderer_for,
    summaries,
    tell,
)
from getmygrapher.messaging.service.sending import post_system, send
from getmygrapher.moderation import service as moderation_service
from getmygrapher.notifications import service as notifications_service

MESSAGE_PAGE = 50  # GEN-5: message history pages hold 50 unless asked otherwise
MUTES = {"8h": dt.timedelta(hours=8), "1w": dt.timedelta(weeks=1)}
FOREVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Started:
    conversation: ConversationRead
    message: MessageRead
    created: bool


async def _reachable(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> None:
    """MSG-1, GEN-15: someone suspended, erased, or blocked either way is not there (404)."""
    account = await accounts_service.account_summary(session, user_id=b)
    if account is None or not account.usable or await moderation_service.is_blocked(session, a, b):
        raise UserNotFound("No one you can message has this id.")


async def open_direct(
    session: AsyncSession, a: uuid.UUID, b: uuid.UUID, *, job_id: uuid.UUID | None = None
) -> tuple[Conversation, bool]:
    """The pair's 1:1 conversation, made if needed, counting against no quota: for what the
    system opens (applications, hires, bookings, accepted contact requests)."""
    repo = MessagingRepository(session)
    conversation = await repo.insert_direct(a, b, created_by=a, job_id=job_id)
    if conversation is None:
        existing = await repo.direct_between(a, b)
        assert existing is not None  # noqa: S101 - the unique key just said so
        return existing, False
    for user_id in sorted((a, b)):
        await repo.add_participant(conversation.id, user_id, joined_seq=0)
    return conversation, True


async def _open_counted(
    session: AsyncSession,
    initiator: uuid.UUID,
    other: uuid.UUID,
    *,
    job_id: uuid.UUID | None = None,
) -> tuple[Conversation, bool]:
    """What a person starts: only with someone reachable, and a new conversation uses one
    unit of the initiator's monthly `messaging_limit` in the same transaction (MSG-1)."""
    await _reachable(session, initiator, other)
    conversation, created = await open_direct(session, initiator, other, job_id=job_id)
    if created:
        await billing_service.consume(session, user_id=initiator, feature="messaging_limit")
    return conversation, created


async def start_direct(
    session: AsyncSession, runtime: Runtime, *, initiator: Principal, data: ConversationCreate
) -> Started:
    """A new 1:1 conversation comes with its first message and, on Free, uses one
    `messaging_limit` unit in the same transaction; an existing one is returned and the
    message added to it, as a reply (MSG-1)."""
    other = data.participant_id
    if other == initiator.id:
        raise ValidationFailed.field("participant_id", "not_allowed", "Not with yourself.")
    if data.job_id is not None and await job_facts(session, data.job_id) is None:
        raise ValidationFailed.field("job_id", "not_allowed", "No such job.")
    conversation, created = await _open_counted(session, initiator.id, other, job_id=data.job_id)
    message = await send(
        session, runtime, sender=initiator, conversation_id=conversation.id, data=data.message
    )
    return Started(
        await get_conversation(session, viewer=initiator, conversation_id=conversation.id),
        message,
        created,
    )


async def open_from_profile(
    session: AsyncSession,
    runtime: Runtime,
    initiator: Principal,
    other: uuid.UUID,
    note: str | None,
) -> tuple[uuid.UUID, bool]:
    """CRQ-1 `message`: the pair's conversation, a new one counted like any started one
    (MSG-1); the request's note, when there is one, becomes its next message."""
    conversation, created = await _open_counted(session, initiator.id, other)
    if note:
        await send(
            session,
            runtime,
            sender=initiator,
            conversation_id=conversation.id,
            data=MessageIn(text=note),
        )
    return conversation.id, created


async def create_group(
    session: AsyncSession, runtime: Runtime, *, owner: Principal, data: GroupCreate
) -> Started:
    """A job team: the job's owner with that job's hired professionals (2 to 20 people)."""
    facts = await job_facts(session, data.job_id)
    if facts is None or facts.client_id != owner.id:
        raise ValidationFailed.field("job_id", "not_allowed", "Teams are for your own jobs.")
    wanted = set(data.participant_ids) - {owner.id}
    if not wanted or not wanted <= facts.hired_ids:
        raise ValidationFailed.field(
            "participant_ids", "not_allowed", "Add only professionals hired for this job."
        )
    repo = MessagingRepository(session)
    conversation = await repo.insert_group(job_id=facts.id, created_by=owner.id)
    for user_id in sorted({owner.id, *wanted}):
        await repo.add_participant(conversation.id, user_id, joined_seq=0)
    message = await send(
        session, runtime, sender=owner, conversation_id=conversation.id, data=data.message
    )
    return Started(
        await get_conversation(session, viewer=owner, conversation_id=conversation.id),
        message,
        True,
    )


async def change_members(
    session: AsyncSession,
    *,
    owner: Principal,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    add: bool,
) -> ConversationRead:
    """Only the job's owner changes a team, and only with that job's hired professionals; a
    new member sees only what is sent after joining."""
    conversation, _ = await member(session, owner.id, conversation_id, lock=True)
    if conversation.kind is not ConversationKind.GROUP or conversation.created_by != owner.id:
        raise NotAllowed("Only the job's owner changes this team.")
    repo = MessagingRepository(session)
    present = [p.user_id for p in await repo.participants(conversation.id)]
    names = await summaries(session, [user_id])
    if add:
        assert conversation.job_id is not None  # noqa: S101 - a team has its job
        facts = await job_facts(session, conversation.job_id)
        if facts is None or user_id not in facts.hired_ids:
            raise ValidationFailed.field(
                "user_id", "not_allowed", "Add only professionals hired for this job."
            )
        if user_id not in present:
            if len(present) >= 20:
                raise ValidationFailed.field("user_id", "out_of_range", "At most 20 people.")
            await repo.add_participant(conversation.id, user_id, joined_seq=conversation.last_seq)
            await post_system(
                session,
                conversation,
                text=f"{names[user_id].full_name} joined.",
                data={"event": "member_added", "user_id": str(user_id)},
            )
    elif user_id in present:
        if user_id == owner.id:
            raise ValidationFailed.field("user_id", "not_allowed", "The owner stays.")
        await post_system(
            session,
            conversation,
            text=f"{names[user_id].full_name} left.",
            data={"event": "member_removed", "user_id": str(user_id)},
        )
        await repo.remove_participant(conversation.id, user_id)
    return await get_conversation(session, viewer=owner, conversation_id=conversation.id)


# Reading -----------------------------------------------------------------------------------


async def _share_states(
    session: AsyncSession, viewer_id: uuid.UUID, others: dict[uuid.UUID, uuid.UUID | None]
) -> dict[uuid.UUID, ContactShareState]:
    """Where contact sharing stands with the other person of each 1:1 conversation."""
    pairs = {cid: other for cid, other in others.items() if other is not None}
    consent = await contacts_service.consent_with(
        session, viewer_id=viewer_id, others=list(set(pairs.values()))
    )
    states = {}
    for conversation_id, other in pairs.items():
        found = consent[other]
        if found.pending is not None:
            state = (
                "requested_by_me"
                if found.pending.requester_id == viewer_id
                else "requested_by_them"
            )
        else:
            state = "shared" if found.fields_i_see else "none"
        states[conversation_id] = ContactShareState(
            state=state,
            request_id=found.pending.id if found.pending else None,
            fields_i_see=sorted(found.fields_i_see),
        )
    return states


async def _reads(
    session: AsyncSession, viewer: Principal, rows: list[tuple[Participant, Conversation]]
) -> list[ConversationRead]:
    repo = MessagingRepository(session)
    others = await repo.others_of([c.id for _, c in rows], viewer.id)
    people = await summaries(session, {u for ids in others.values() for u in ids})
    blocked = await moderation_service.blocked_ids(session, viewer.id)
    states = await _share_states(
        session, viewer.id, {c.id: counterpart(c, viewer.id) for _, c in rows}
    )
    now = utcnow()
    return [
        ConversationRead(
            id=c.id,
            kind=c.kind,
            job_id=c.job_id,
            participants=[people[u] for u in others.get(c.id, [])],
            preview=c.last_preview,
            last_message_at=c.last_message_at,
            last_seq=c.last_seq,
            unread_count=p.unread_count,
            read_seq=p.read_seq,
            state=p.state,
            blocked=bool(set(others.get(c.id, [])) & blocked) and c.kind is ConversationKind.DIRECT,
            muted_until=p.muted_until if p.muted_until and p.muted_until > now else None,
            priority=p.priority,
            booking_related=c.booking_related,
            contact_share=states.get(c.id),
            created_at=c.created_at,
        )
        for p, c in rows
    ]


async def list_conversations(
    session: AsyncSession, *, viewer: Principal, view: str, limit: int | None, cursor: str | None
) -> ConversationsPage:
    """Latest activity first (MSG-19), keyset-paged, with the total unread badge."""
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    repo = MessagingRepository(session)
    rows = list(
        await repo.list_for(
            viewer.id, view=view, after=(after[0], after[1]) if after else None, limit=size
        )
    )
    page = rows[:size]
    next_cursor = (
        encode_cursor((page[-1][0].last_activity_at, page[-1][1].id))
        if len(rows) > size and page
        else None
    )
    return ConversationsPage(
        items=await _reads(session, viewer, page),
        next_cursor=next_cursor,
        unread_total=await repo.unread_total(viewer.id),
    )


async def get_conversation(
    session: AsyncSession, *, viewer: Principal, conversation_id: uuid.UUID
) -> ConversationRead:
    conversation, participant = await member(session, viewer.id, conversation_id)
    [read] = await _reads(session, viewer, [(participant, conversation)])
    return read


async def unread_total(session: AsyncSession, *, viewer: Principal) -> int:
    return await MessagingRepository(session).unread_total(viewer.id)


async def history(
    session: AsyncSession,
    runtime: Runtime,
    *,
    viewer: Principal,
    conversation_id: uuid.UUID,
    before: int | None,
    after: int | None,
    limit: int | None,
) -> MessagesPage:
    """MSG-3: newest first before a sequence number, or oldest first after one; deleted
    messages stay as numbered tombstones; a member sees nothing from before joining."""
    if before is not None and after is not None:
        raise ValidationFailed.field("before", "not_allowed", "Give before or after, not both.")
    conversation, participant = await member(session, viewer.id, conversation_id)
    size = clamp_limit(limit, default=MESSAGE_PAGE)
    rows = list(
        await MessagingRepository(session).history(
            conversation.id, floor=participant.joined_seq, before=before, after=after, limit=size
        )
    )
    renderer = await renderer_for(session, runtime, conversation, viewer.id)
    return MessagesPage(
        items=await renderer.many(session, rows[:size]),
        has_more=len(rows) > size,
        read_seq=participant.read_seq,
    )


# Pointers ----------------------------------------------------------------------------------


async def mark_read(
    session: AsyncSession, *, reader: Principal, conversation_id: uuid.UUID, seq: int
) -> ConversationRead:
    """MSG-5: the pointer only moves forward, and nothing else changes; the others hear of
    it unless the reader keeps receipts off."""
    conversation, _ = await member(session, reader.id, conversation_id)
    repo = MessagingRepository(session)
    participant = await repo.participant(conversation.id, reader.id, for_update=True)
    assert participant is not None  # noqa: S101 - a member a statement ago
    target = min(seq, conversation.last_seq)
    if target > participant.read_seq:
        participant.read_seq = target
        participant.delivered_seq = max(participant.delivered_seq, target)
        participant.unread_count = await repo.unread_after(conversation.id, reader.id, target)
        await session.flush()
        preferences = await notifications_service.chat_preferences(session, [reader.id])
        event = events.MessageRead(
            conversation_id=conversation.id, user_id=reader.id, read_seq=target
        )
        if preferences[reader.id].read_receipts:
            await tell(session, conversation.id, event)
        else:
            await tell(session, conversation.id, event, only=[reader.id])  # their devices
    return await get_conversation(session, viewer=reader, conversation_id=conversation.id)


async def mark_unread(
    session: AsyncSession, *, reader: Principal, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> ConversationRead:
    """MSG-5: the pointer moves back to just before the chosen message."""
    conversation, participant = await member(session, reader.id, conversation_id)
    repo = MessagingRepository(session)
    message = await repo.message(message_id)
    if (
        message is None
        or message.conversation_id != conversation.id
        or message.seq <= participant.joined_seq
    ):
        raise ValidationFailed.field("message_id", "not_allowed", "Not a message of this chat.")
    locked = await repo.participant(conversation.id, reader.id, for_update=True)
    assert locked is not None  # noqa: S101
    locked.read_seq = max(locked.joined_seq, min(locked.read_seq, message.seq - 1))
    locked.unread_count = await repo.unread_after(conversation.id, reader.id, locked.read_seq)
    await session.flush()
    await tell(
        session,
        conversation.id,
        events.ConversationUpdated(conversation_id=conversation.id, change="unread"),
        only=[reader.id],
    )
    return await get_conversation(session, viewer=reader, conversation_id=conversation.id)


async def mark_delivered(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID, seq: int
) -> None:
    """A device acknowledged messages up to `seq` (MSG-5); senders hear of it."""
    conversation, participant = await member(session, user_id, conversation_id)
    target = min(seq, conversation.last_seq)
    if target <= max(participant.delivered_seq, participant.read_seq):
        return
    repo = MessagingRepository(session)
    locked = await repo.participant(conversation.id, user_id, for_update=True)
    assert locked is not None  # noqa: S101
    locked.delivered_seq = max(locked.delivered_seq, target)
    await session.flush()
    await tell(
        session,
        conversation.id,
        events.MessageDelivered(
            conversation_id=conversation.id, user_id=user_id, delivered_seq=target
        ),
    )


# Each person's settings (MSG-12) -------------------------------------------------------------


async def configure(
    session: AsyncSession,
    *,
    user: Principal,
    conversation_id: uuid.UUID,
    state: ParticipantState | None = None,
    mute: str | None = None,
    unmute: bool = False,
    priority: Priority | None = None,
) -> ConversationRead:
    conversation, _ = await member(session, user.id, conversation_id)
    repo = MessagingRepository(session)
    participant = await repo.participant(conversation.id, user.id, for_update=True)
    assert participant is not None  # noqa: S101
    if state is not None:
        participant.state = state
    if mute is not None:
        participant.muted_until = FOREVER if mute == "forever" else utcnow() + MUTES[mute]
    if unmute:
        participant.muted_until = None
    if priority is not None:
        participant.priority = priority
    await session.flush()
    await tell(
        session,
        conversation.id,
        events.ConversationUpdated(conversation_id=conversation.id, change="settings"),
        only=[user.id],
    )
    return await get_conversation(session, viewer=user, conversation_id=conversation.id)


# What other areas post ------------------------------------------------------------------------


async def post_between(
    session: AsyncSession,
    a: uuid.UUID,
    b: uuid.UUID,
    *,
    text: str,
    kind: MessageKind = MessageKind.SYSTEM,
    job_id: uuid.UUID | None = None,
    data: dict[str, object] | None = None,
) -> uuid.UUID:
    """A server message in the pair's conversation, opened if needed without using anyone's
    quota (MSG-1, MSG-18): applications, hires, contact sharing."""
    conversation, _ = await open_direct(session, a, b, job_id=job_id)
    await post_system(
        session, conversation, text=text, kind=kind, job_id=job_id, data=dict(data or {})
    )
    return conversation.id


async def post_booking_event(
    session: AsyncSession,
    professional_id: uuid.UUID,
    client_id: uuid.UUID,
    text: str,
    data: dict[str, object],
) -> None:
    """A booking's steps in the pair's conversation; a confirmation is a booking card."""
    kind = (
        MessageKind.BOOKING_CONFIRMATION
        if data.get("event") == "booking.confirmed"
        else MessageKind.SYSTEM
    )
    await post_between(session, professional_id, client_id, text=text, kind=kind, data=data)


async def in_conversation_with(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """Whether two people share a conversation (PRV-1 connections, MSG-9 presence)."""
    return await MessagingRepository(session).share_a_conversation(a, b)
