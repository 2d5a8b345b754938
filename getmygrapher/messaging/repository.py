"""Every query on the messaging tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.messaging.models import (
    Attachment,
    Conversation,
    ConversationKind,
    Message,
    MessageEdit,
    MessageReaction,
    MessageTemplate,
    Participant,
    ParticipantState,
    Presence,
)


def pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if a < b else (b, a)


def _locked(stmt: Select[Any]) -> Select[Any]:
    """FOR UPDATE, and the locked row's values replace any copy this session already holds:
    a row read before the lock may be stale by the time the lock is granted."""
    return stmt.with_for_update().execution_options(populate_existing=True)


class MessagingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Conversations -------------------------------------------------------------------------

    async def conversation(
        self, conversation_id: uuid.UUID, *, for_update: bool = False
    ) -> Conversation | None:
        stmt = select(Conversation).where(Conversation.id == conversation_id)
        if for_update:
            stmt = _locked(stmt)
        return await self.session.scalar(stmt)

    async def direct_between(self, a: uuid.UUID, b: uuid.UUID) -> Conversation | None:
        low, high = pair(a, b)
        return await self.session.scalar(
            select(Conversation).where(Conversation.user_low == low, Conversation.user_high == high)
        )

    async def insert_direct(
        self, a: uuid.UUID, b: uuid.UUID, *, created_by: uuid.UUID, job_id: uuid.UUID | None
    ) -> Conversation | None:
        """None when the pair already has one (the unique key decides, even in parallel)."""
        low, high = pair(a, b)
        return await self.session.scalar(
            pg_insert(Conversation)
            .values(
                kind=ConversationKind.DIRECT,
                user_low=low,
                user_high=high,
                created_by=created_by,
                job_id=job_id,
            )
            .on_conflict_do_nothing(constraint="uq_conversations_pair")
            .returning(Conversation)
        )

    async def insert_group(self, *, job_id: uuid.UUID, created_by: uuid.UUID) -> Conversation:
        conversation = Conversation(
            kind=ConversationKind.GROUP, job_id=job_id, created_by=created_by
        )
        self.session.add(conversation)
        await self.session.flush()
        return conversation

    async def add_participant(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID, *, joined_seq: int
    ) -> None:
        """Adds, or brings back someone removed: they see only what follows (MSG-1)."""
        await self.session.execute(
            pg_insert(Participant)
            .values(
                conversation_id=conversation_id,
                user_id=user_id,
                joined_seq=joined_seq,
                read_seq=joined_seq,
            )
            .on_conflict_do_update(
                index_elements=["conversation_id", "user_id"],
                set_={
                    "joined_seq": joined_seq,
                    "read_seq": joined_seq,
                    "unread_count": 0,
                    "left_at": None,
                    "state": ParticipantState.ACTIVE,
                },
                where=Participant.left_at.is_not(None),
            )
        )

    async def participant(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
    ) -> Participant | None:
        stmt = select(Participant).where(
            Participant.conversation_id == conversation_id,
            Participant.user_id == user_id,
            Participant.left_at.is_(None),
        )
        if for_update:
            stmt = _locked(stmt)
        return await self.session.scalar(stmt)

    async def participants(self, conversation_id: uuid.UUID) -> Sequence[Participant]:
        rows = await self.session.scalars(
            select(Participant)
            .where(Participant.conversation_id == conversation_id, Participant.left_at.is_(None))
            .order_by(Participant.user_id)
        )
        return rows.all()

    async def others_of(
        self, conversation_ids: Sequence[uuid.UUID], user_id: uuid.UUID
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        if not conversation_ids:
            return {}
        rows = await self.session.execute(
            select(Participant.conversation_id, Participant.user_id)
            .where(
                Participant.conversation_id.in_(conversation_ids),
                Participant.user_id != user_id,
                Participant.left_at.is_(None),
            )
            .order_by(Participant.conversation_id, Participant.user_id)
        )
        found: dict[uuid.UUID, list[uuid.UUID]] = {cid: [] for cid in conversation_ids}
        for conversation_id, other in rows:
            found[conversation_id].append(other)
        return found

    async def remove_participant(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            update(Participant)
            .where(
                Participant.conversation_id == conversation_id,
                Participant.user_id == user_id,
                Participant.left_at.is_(None),
            )
            .values(left_at=func.now(), unread_count=0)
        )
        return bool(getattr(result, "rowcount", 0))

    async def next_seq(
        self,
        conversation_id: uuid.UUID,
        *,
        preview: str,
        sender_id: uuid.UUID | None,
        job_id: uuid.UUID | None,
    ) -> int:
        """Locks the conversation until commit: sends to it happen one after the other."""
        values: dict[str, Any] = {
            "last_seq": Conversation.last_seq + 1,
            "last_message_at": func.clock_timestamp(),
            "last_preview": preview[:100],
            "last_sender_id": sender_id,
        }
        if job_id is not None:
            values["job_id"] = job_id
        seq = await self.session.scalar(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values)
            .returning(Conversation.last_seq)
        )
        assert seq is not None  # noqa: S101 - the caller holds the conversation
        return int(seq)

    async def after_message(
        self, conversation_id: uuid.UUID, *, seq: int, sender_id: uuid.UUID | None
    ) -> None:
        """Unread +1 for the others (an archived, unmuted conversation comes back to the
        inbox; a deleted one reappears), and the sender has read up to their own message."""
        await self.session.execute(
            text(
                "UPDATE conversation_participants SET "
                "unread_count = CASE WHEN user_id = :sender THEN 0 ELSE unread_count + 1 END, "
                "read_seq = CASE WHEN user_id = :sender THEN :seq ELSE read_seq END, "
                "last_activity_at = clock_timestamp(), "
                "state = CASE WHEN state = 'deleted' THEN CAST('active' AS participant_state) "
                "  WHEN state = 'archived' AND user_id IS DISTINCT FROM :sender "
                "   AND (muted_until IS NULL OR muted_until < now()) "
                "  THEN CAST('active' AS participant_state) ELSE state END "
                "WHERE conversation_id = :conversation AND left_at IS NULL"
            ),
            {"sender": sender_id, "seq": seq, "conversation": conversation_id},
        )

    async def list_for(
        self,
        user_id: uuid.UUID,
        *,
        view: str,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[tuple[Participant, Conversation]]:
        stmt = (
            select(Participant, Conversation)
            .join(Conversation, Conversation.id == Participant.conversation_id)
            .where(Participant.user_id == user_id, Participant.left_at.is_(None))
        )
        if view == "archived":
            stmt = stmt.where(Participant.state == ParticipantState.ARCHIVED)
        else:
            stmt = stmt.where(Participant.state == ParticipantState.ACTIVE)
        if view == "unread":
            stmt = stmt.where(Participant.unread_count > 0)
        elif view == "job_related":
            stmt = stmt.where(Conversation.job_id.is_not(None))
        elif view == "booking_related":
            stmt = stmt.where(Conversation.booking_related.is_(True))
        elif view == "contact_requests":
            stmt = stmt.where(
                text(
                    "EXISTS (SELECT 1 FROM contact_requests r WHERE r.status = 'pending' "
                    "AND r.expires_at > now() AND conversations.kind = 'direct' "
                    "AND least(r.requester_id, r.recipient_id) = conversations.user_low "
                    "AND greatest(r.requester_id, r.recipient_id) = conversations.user_high)"
                )
            )
        if after is not None:
            stmt = stmt.where(
                func.row(Participant.last_activity_at, Participant.conversation_id)
                < func.row(after[0], after[1])
            )
        stmt = stmt.order_by(
            Participant.last_activity_at.desc(), Participant.conversation_id.desc()
        ).limit(limit + 1)
        return [(row[0], row[1]) for row in await self.session.execute(stmt)]

    async def unread_total(self, user_id: uuid.UUID) -> int:
        """Over the conversations with something unread only (a partial index), leaving out
        archived and muted ones (MSG-6)."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Participant.unread_count), 0)).where(
                Participant.user_id == user_id,
                Participant.unread_count > 0,
                Participant.state == ParticipantState.ACTIVE,
                Participant.left_at.is_(None),
                or_(Participant.muted_until.is_(None), Participant.muted_until < func.now()),
            )
        )
        return int(total or 0)

    async def share_a_conversation(self, a: uuid.UUID, b: uuid.UUID) -> bool:
        mine = select(Participant.conversation_id).where(
            Participant.user_id == a, Participant.left_at.is_(None)
        )
        found = await self.session.scalar(
            select(func.count())
            .select_from(Participant)
            .where(
                Participant.user_id == b,
                Participant.left_at.is_(None),
                Participant.conversation_id.in_(mine),
            )
        )
        return bool(found)

    async def contacts_of(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Everyone who shares a conversation with this user."""
        mine = select(Participant.conversation_id).where(
            Participant.user_id == user_id, Participant.left_at.is_(None)
        )
        rows = await self.session.scalars(
            select(Participant.user_id)
            .distinct()
            .where(
                Participant.conversation_id.in_(mine),
                Participant.user_id != user_id,
                Participant.left_at.is_(None),
            )
        )
        return list(rows.all())

    # Messages ------------------------------------------------------------------------------

    async def add(self, row: Message | Attachment | MessageTemplate | MessageEdit) -> None:
        self.session.add(row)
        await self.session.flush()

    async def message(self, message_id: uuid.UUID, *, for_update: bool = False) -> Message | None:
        stmt = select(Message).where(Message.id == message_id)
        if for_update:
            stmt = _locked(stmt)
        return await self.session.scalar(stmt)

    async def by_client_id(
        self, conversation_id: uuid.UUID, sender_id: uuid.UUID, client_message_id: str
    ) -> Message | None:
        return await self.session.scalar(
            select(Message).where(
                Message.conversation_id == conversation_id,
                Message.sender_id == sender_id,
                Message.client_message_id == client_message_id,
            )
        )

    async def history(
        self,
        conversation_id: uuid.UUID,
        *,
        floor: int,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> Sequence[Message]:
        stmt = select(Message).where(
            Message.conversation_id == conversation_id, Message.seq > floor
        )
        if after is not None:
            stmt = stmt.where(Message.seq > after).order_by(Message.seq)
        else:
            if before is not None:
                stmt = stmt.where(Message.seq < before)
            stmt = stmt.order_by(Message.seq.desc())
        return (await self.session.scalars(stmt.limit(limit + 1))).all()

    async def unread_after(self, conversation_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.seq > seq,
                Message.deleted_at.is_(None),
                or_(Message.sender_id.is_(None), Message.sender_id != user_id),
            )
        )
        return int(count or 0)

    async def forget_unread(self, message: Message) -> None:
        """A deleted message no longer counts as unread for anyone who had not read it."""
        conditions = [
            Participant.conversation_id == message.conversation_id,
            Participant.read_seq < message.seq,
            Participant.joined_seq < message.seq,
            Participant.unread_count > 0,
            Participant.left_at.is_(None),
        ]
        if message.sender_id is not None:
            conditions.append(Participant.user_id != message.sender_id)
        await self.session.execute(
            update(Participant).where(*conditions).values(unread_count=Participant.unread_count - 1)
        )

    async def edits(self, message_id: uuid.UUID) -> Sequence[MessageEdit]:
        rows = await self.session.scalars(
            select(MessageEdit)
            .where(MessageEdit.message_id == message_id)
            .order_by(MessageEdit.edited_at)
        )
        return rows.all()

    async def react(self, message_id: uuid.UUID, user_id: uuid.UUID, reaction: str) -> bool:
        created = await self.session.scalar(
            pg_insert(MessageReaction)
            .values(message_id=message_id, user_id=user_id, reaction=reaction)
            .on_conflict_do_nothing()
            .returning(MessageReaction.message_id)
        )
        return created is not None

    async def unreact(self, message_id: uuid.UUID, user_id: uuid.UUID, reaction: str) -> bool:
        result = await self.session.execute(
            delete(MessageReaction).where(
                MessageReaction.message_id == message_id,
                MessageReaction.user_id == user_id,
                MessageReaction.reaction == reaction,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def clear_reactions(self, message_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(MessageReaction).where(MessageReaction.message_id == message_id)
        )

    async def reaction_counts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(MessageReaction.message_id, MessageReaction.reaction, func.count())
            .where(MessageReaction.message_id.in_(ids))
            .group_by(MessageReaction.message_id, MessageReaction.reaction)
        )
        counts: dict[uuid.UUID, dict[str, int]] = {}
        for message_id, reaction, count in rows:
            counts.setdefault(message_id, {})[reaction.value] = int(count)
        return counts

    async def my_reactions(
        self, ids: Sequence[uuid.UUID], user_id: uuid.UUID
    ) -> dict[uuid.UUID, list[str]]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(MessageReaction.message_id, MessageReaction.reaction)
            .where(MessageReaction.message_id.in_(ids), MessageReaction.user_id == user_id)
            .order_by(MessageReaction.reaction)
        )
        mine: dict[uuid.UUID, list[str]] = {}
        for message_id, reaction in rows:
            mine.setdefault(message_id, []).append(reaction.value)
        return mine

    async def search(
        self,
        user_id: uuid.UUID,
        *,
        query: str,
        conversation_id: uuid.UUID | None,
        sender_id: uuid.UUID | None,
        has_attachment: bool | None,
        since: dt.datetime | None,
        until: dt.datetime | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Any]:
        """Only the caller's conversations and what they may see (MSG-15), newest first."""
        tsquery = func.websearch_to_tsquery("english", query)
        stmt = (
            select(
                Message,
                func.ts_headline(
                    "english",
                    Message.body_masked,
                    tsquery,
                    "StartSel=«, StopSel=», MaxWords=20, MinWords=8",
                ).label("snippet"),
            )
            .join(
                Participant,
                and_(
                    Participant.conversation_id == Message.conversation_id,
                    Participant.user_id == user_id,
                    Participant.left_at.is_(None),
                    Message.seq > Participant.joined_seq,
                ),
            )
            .where(Message.search_vector.op("@@")(tsquery), Message.deleted_at.is_(None))
        )
        if conversation_id is not None:
            stmt = stmt.where(Message.conversation_id == conversation_id)
        if sender_id is not None:
            stmt = stmt.where(Message.sender_id == sender_id)
        if has_attachment is not None:
            stmt = stmt.where(Message.has_attachments.is_(has_attachment))
        if since is not None:
            stmt = stmt.where(Message.created_at >= since)
        if until is not None:
            stmt = stmt.where(Message.created_at < until)
        if after is not None:
            stmt = stmt.where(
                func.row(Message.created_at, Message.id) < func.row(after[0], after[1])
            )
        stmt = stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)
        return (await self.session.execute(stmt)).all()

    # Attachments ---------------------------------------------------------------------------

    async def attachments_of(
        self, message_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Attachment]]:
        if not message_ids:
            return {}
        rows = await self.session.scalars(
            select(Attachment)
            .where(Attachment.message_id.in_(message_ids))
            .order_by(Attachment.created_at, Attachment.id)
        )
        found: dict[uuid.UUID, list[Attachment]] = {}
        for row in rows:
            assert row.message_id is not None  # noqa: S101 - selected by it
            found.setdefault(row.message_id, []).append(row)
        return found

    async def unsent_attachments(
        self, ids: Sequence[uuid.UUID], *, uploader_id: uuid.UUID, conversation_id: uuid.UUID
    ) -> Sequence[Attachment]:
        rows = await self.session.scalars(
            select(Attachment)
            .where(
                Attachment.id.in_(ids),
                Attachment.uploader_id == uploader_id,
                Attachment.conversation_id == conversation_id,
                Attachment.message_id.is_(None),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return rows.all()

    async def link_attachments(self, ids: Sequence[uuid.UUID], message_id: uuid.UUID) -> None:
        await self.session.execute(
            update(Attachment).where(Attachment.id.in_(ids)).values(message_id=message_id)
        )

    async def remove_attachments(self, message_id: uuid.UUID) -> list[str]:
        """Deletes the rows; returns the files' keys for the clean-up job."""
        rows = (
            await self.session.scalars(
                delete(Attachment)
                .where(Attachment.message_id == message_id)
                .returning(Attachment.keys)
            )
        ).all()
        return [key for keys in rows for key in keys.values()]

    async def attachment(self, attachment_id: uuid.UUID) -> Attachment | None:
        return await self.session.get(Attachment, attachment_id)

    async def stale_attachments(
        self, before: dt.datetime, limit: int = 500
    ) -> Sequence[Attachment]:
        rows = await self.session.scalars(
            select(Attachment)
            .where(Attachment.message_id.is_(None), Attachment.created_at < before)
            .limit(limit)
        )
        return rows.all()

    async def delete_attachments(self, ids: Sequence[uuid.UUID]) -> None:
        if ids:
            await self.session.execute(delete(Attachment).where(Attachment.id.in_(ids)))

    # Templates -----------------------------------------------------------------------------

    async def templates(self, user_id: uuid.UUID) -> Sequence[MessageTemplate]:
        rows = await self.session.scalars(
            select(MessageTemplate)
            .where(MessageTemplate.user_id == user_id)
            .order_by(MessageTemplate.created_at, MessageTemplate.id)
        )
        return rows.all()

    async def template(self, template_id: uuid.UUID, user_id: uuid.UUID) -> MessageTemplate | None:
        return await self.session.scalar(
            select(MessageTemplate).where(
                MessageTemplate.id == template_id, MessageTemplate.user_id == user_id
            )
        )

    async def lock_templates(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"templates:{user_id}"},
        )

    # Presence ------------------------------------------------------------------------------

    async def presence_connected(self, user_id: uuid.UUID, delta: int) -> int:
        """The user's open sockets on every node, after this change."""
        count = await self.session.scalar(
            pg_insert(Presence)
            .values(user_id=user_id, connections=max(delta, 0))
            .on_conflict_do_update(
                index_elements=["user_id"],
                set_={
                    "connections": func.greatest(Presence.connections + delta, 0),
                    "last_seen_at": func.now(),
                    "last_active_at": func.now(),
                },
            )
            .returning(Presence.connections)
        )
        return int(count or 0)

    async def presence_touch(self, user_id: uuid.UUID, *, busy: bool | None = None) -> None:
        values: dict[str, Any] = {"last_active_at": func.now(), "last_seen_at": func.now()}
        if busy is not None:
            values["busy"] = busy
        await self.session.execute(
            pg_insert(Presence)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )

    async def presence_seen(self, user_ids: Sequence[uuid.UUID]) -> None:
        # One array parameter, not thousands of bound values.
        await self.session.execute(
            text(
                "UPDATE presence SET last_seen_at = now() WHERE user_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": list(user_ids)},
        )

    async def presences(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Presence]:
        if not user_ids:
            return {}
        rows = await self.session.scalars(select(Presence).where(Presence.user_id.in_(user_ids)))
        return {row.user_id: row for row in rows}

    # Accounts leaving ----------------------------------------------------------------------

    async def erase(self, user_id: uuid.UUID) -> list[str]:
        """DATA-2: their messages stay in others' histories without content (and out of
        previews and realtime logs); their attachments' files go; templates, presence and
        realtime log go."""
        keys = [
            key
            for row in await self.session.scalars(
                select(Attachment.keys).where(Attachment.uploader_id == user_id)
            )
            for key in row.values()
        ]
        await self.session.execute(delete(Attachment).where(Attachment.uploader_id == user_id))
        await self.session.execute(
            update(Message)
            .where(Message.sender_id == user_id)
            .values(
                body="",
                body_masked="",
                masked_kinds=[],
                data={},
                deleted_at=func.coalesce(Message.deleted_at, func.now()),
            )
        )
        await self.session.execute(
            delete(MessageEdit).where(
                MessageEdit.message_id.in_(select(Message.id).where(Message.sender_id == user_id))
            )
        )
        await self.session.execute(
            delete(MessageTemplate).where(MessageTemplate.user_id == user_id)
        )
        await self.session.execute(delete(Presence).where(Presence.user_id == user_id))
        await self.session.execute(
            update(Conversation)
            .where(Conversation.last_sender_id == user_id)
            .values(last_preview=None)
        )
        # Their own log, and their messages as others' logs carried them.
        await self.session.execute(
            text(
                "DELETE FROM realtime_events WHERE user_id = :u "
                "OR payload #>> '{message,sender_id}' = CAST(:u AS text)"
            ),
            {"u": user_id},
        )
        await self.session.execute(
            text("DELETE FROM realtime_cursors WHERE user_id = :u"), {"u": user_id}
        )
        return keys
