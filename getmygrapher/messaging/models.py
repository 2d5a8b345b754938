"""Conversations, their participants' pointers and settings, messages and what hangs off them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, deferred, mapped_column

from getmygrapher.core.db import Base, now_column, uuid_pk
from getmygrapher.core.enums import db_enum


class ConversationKind(enum.StrEnum):
    DIRECT = "direct"
    GROUP = "group"  # a job team (MSG-1)


class MessageKind(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    FILE = "file"
    VOICE = "voice"
    JOB_INQUIRY = "job_inquiry"
    BOOKING_CONFIRMATION = "booking_confirmation"
    CONTACT_SHARE = "contact_share"
    SYSTEM = "system"


# What a client may send (MSG-2); the rest only the server writes.
CLIENT_KINDS = frozenset(
    {
        MessageKind.TEXT,
        MessageKind.IMAGE,
        MessageKind.FILE,
        MessageKind.VOICE,
        MessageKind.JOB_INQUIRY,
    }
)


class ParticipantState(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"  # gone from this participant's list until a new message arrives


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Reaction(enum.StrEnum):
    LIKE = "like"
    LOVE = "love"
    LAUGH = "laugh"
    WOW = "wow"
    SAD = "sad"
    ANGRY = "angry"


class AttachmentKind(enum.StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"
    VOICE = "voice"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # MSG-1: one 1:1 conversation per unordered pair, held by the database.
        UniqueConstraint("user_low", "user_high", name="uq_conversations_pair"),
        CheckConstraint(
            "(kind = 'direct' AND user_low IS NOT NULL AND user_high IS NOT NULL "
            "AND user_low < user_high) OR (kind = 'group' AND user_low IS NULL "
            "AND user_high IS NULL AND job_id IS NOT NULL)",
            name="kind_shape",
        ),
        Index("ix_conversations_job_id", "job_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[ConversationKind] = mapped_column(db_enum(ConversationKind, "conversation_kind"))
    user_low: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_high: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The job it is about: a team's job, or the latest job two people talked about.
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    last_message_at: Mapped[datetime | None]
    last_preview: Mapped[str | None] = mapped_column(String(100))  # masked (MSG-2)
    last_sender_id: Mapped[uuid.UUID | None]
    booking_related: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = now_column()


class Participant(Base):
    """One person in one conversation: their read pointer (MSG-5), unread count kept as
    messages come and go (MSG-6) and their own settings (MSG-12)."""

    __tablename__ = "conversation_participants"
    __table_args__ = (
        # The conversation list: newest activity first, per person (MSG-19).
        Index(
            "ix_participants_user_activity",
            "user_id",
            text("last_activity_at DESC"),
            "conversation_id",
        ),
        Index("ix_participants_unread", "user_id", postgresql_where=text("unread_count > 0")),
        CheckConstraint("unread_count >= 0", name="unread_not_negative"),
        CheckConstraint("read_seq >= joined_seq", name="read_after_join"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_seq: Mapped[int] = mapped_column(Integer, server_default="0")  # sees seq > this
    read_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    delivered_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    unread_count: Mapped[int] = mapped_column(Integer, server_default="0")
    state: Mapped[ParticipantState] = mapped_column(
        db_enum(ParticipantState, "participant_state"),
        server_default=ParticipantState.ACTIVE.value,
    )
    muted_until: Mapped[datetime | None]
    priority: Mapped[Priority] = mapped_column(
        db_enum(Priority, "conversation_priority"), server_default=Priority.NORMAL.value
    )
    last_activity_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    left_at: Mapped[datetime | None]  # removed from a team
    joined_at: Mapped[datetime] = now_column()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        # A retried send returns the first message (MSG-2, GEN-6).
        UniqueConstraint(
            "conversation_id", "sender_id", "client_message_id", name="uq_messages_client_id"
        ),
        Index("ix_messages_search", "search_vector", postgresql_using="gin"),
        Index("ix_messages_sender", "sender_id", "created_at"),
        CheckConstraint("edit_count BETWEEN 0 AND 10", name="edits_in_range"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[MessageKind] = mapped_column(db_enum(MessageKind, "message_kind"))
    # As written, and with contact details replaced: which one a reader gets depends on the
    # consent between the two at the time of reading (MSG-10).
    body: Mapped[str] = mapped_column(Text, server_default="")
    body_masked: Mapped[str] = mapped_column(Text, server_default="")
    masked_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(10)), server_default="{}")
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    client_message_id: Mapped[str | None] = mapped_column(String(64))
    has_attachments: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    edit_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    search_vector: Mapped[Any] = deferred(
        mapped_column(
            TSVECTOR,
            Computed("to_tsvector('english', body_masked)", persisted=True),
            nullable=True,
        )
    )


class MessageEdit(Base):
    """Earlier versions stay provable (MSG-14)."""

    __tablename__ = "message_edits"
    __table_args__ = (Index("ix_message_edits_message", "message_id", "edited_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    body_masked: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class MessageReaction(Base):
    __tablename__ = "message_reactions"

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    reaction: Mapped[Reaction] = mapped_column(db_enum(Reaction, "reaction"), primary_key=True)
    created_at: Mapped[datetime] = now_column()


class Attachment(Base):
    """A file uploaded into a conversation, private to its participants (MSG-4); it belongs to
    a message once sent, and unsent ones are removed after a day."""

    __tablename__ = "message_attachments"
    __table_args__ = (
        Index("ix_attachments_message", "message_id"),
        Index("ix_attachments_unsent", "created_at", postgresql_where=text("message_id IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE")
    )
    kind: Mapped[AttachmentKind] = mapped_column(db_enum(AttachmentKind, "attachment_kind"))
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    keys: Mapped[dict[str, str]] = mapped_column(JSONB)  # rendition → storage key
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None]
    created_at: Mapped[datetime] = now_column()


class MessageTemplate(Base):
    """A user's own templates (MSG-16); the five system ones live in code."""

    __tablename__ = "message_templates"
    __table_args__ = (Index("ix_message_templates_user", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(String(1000))
    category: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = now_column()


class Presence(Base):
    """MSG-9: open sockets across every node, the last sign of activity, a chosen status."""

    __tablename__ = "presence"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    connections: Mapped[int] = mapped_column(Integer, server_default="0")
    busy: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    last_active_at: Mapped[datetime] = now_column()
    last_seen_at: Mapped[datetime] = now_column()
