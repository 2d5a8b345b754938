"""messaging, realtime and blocks

Conversations with a per-participant read pointer and unread count, messages numbered per
conversation (stored as written and with contact details masked), attachments, reactions,
edits, templates, presence; each user's realtime log and its cursor; blocks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 14:23:56.550451
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUMS = (
    "conversation_kind",
    "participant_state",
    "conversation_priority",
    "message_kind",
    "attachment_kind",
    "reaction",
)


def upgrade() -> None:
    op.create_table(
        "realtime_cursors",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_realtime_cursors")),
    )
    op.create_table(
        "realtime_events",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("user_id", "seq", name=op.f("pk_realtime_events")),
    )
    op.create_index(
        "ix_realtime_events_created_at", "realtime_events", ["created_at"], unique=False
    )
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.UUID(), nullable=False),
        sa.Column("blocked_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("blocker_id <> blocked_id", name=op.f("ck_blocks_not_self")),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["users.id"],
            name=op.f("fk_blocks_blocked_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["users.id"],
            name=op.f("fk_blocks_blocker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_blocks")),
    )
    op.create_index("ix_blocks_blocked_id", "blocks", ["blocked_id"], unique=False)
    op.create_table(
        "message_templates",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_templates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
    )
    op.create_index(
        "ix_message_templates_user", "message_templates", ["user_id", "created_at"], unique=False
    )
    op.create_table(
        "presence",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("connections", sa.Integer(), server_default="0", nullable=False),
        sa.Column("busy", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "last_active_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_presence_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_presence")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.Enum("direct", "group", name="conversation_kind"), nullable=False),
        sa.Column("user_low", sa.UUID(), nullable=True),
        sa.Column("user_high", sa.UUID(), nullable=True),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("last_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_preview", sa.String(length=100), nullable=True),
        sa.Column("last_sender_id", sa.UUID(), nullable=True),
        sa.Column("booking_related", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'direct' AND user_low IS NOT NULL AND user_high IS NOT NULL AND user_low < user_high) OR (kind = 'group' AND user_low IS NULL AND user_high IS NULL AND job_id IS NOT NULL)",
            name=op.f("ck_conversations_kind_shape"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_conversations_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_conversations_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_high"],
            ["users.id"],
            name=op.f("fk_conversations_user_high_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_low"],
            ["users.id"],
            name=op.f("fk_conversations_user_low_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("user_low", "user_high", name="uq_conversations_pair"),
    )
    op.create_index("ix_conversations_job_id", "conversations", ["job_id"], unique=False)
    op.create_table(
        "conversation_participants",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("joined_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("read_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivered_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unread_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "archived", "deleted", name="participant_state"),
            server_default="active",
            nullable=False,
        ),
        sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "priority",
            sa.Enum("low", "normal", "high", "urgent", name="conversation_priority"),
            server_default="normal",
            nullable=False,
        ),
        sa.Column(
            "last_activity_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "read_seq >= joined_seq", name=op.f("ck_conversation_participants_read_after_join")
        ),
        sa.CheckConstraint(
            "unread_count >= 0", name=op.f("ck_conversation_participants_unread_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_participants_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversation_participants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "conversation_id", "user_id", name=op.f("pk_conversation_participants")
        ),
    )
    op.create_index(
        "ix_participants_unread",
        "conversation_participants",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("unread_count > 0"),
    )
    op.create_index(
        "ix_participants_user_activity",
        "conversation_participants",
        ["user_id", sa.literal_column("last_activity_at DESC"), "conversation_id"],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.UUID(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "text",
                "image",
                "file",
                "voice",
                "job_inquiry",
                "booking_confirmation",
                "contact_share",
                "system",
                name="message_kind",
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("body_masked", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "masked_kinds", sa.ARRAY(sa.String(length=10)), server_default="{}", nullable=False
        ),
        sa.Column("reply_to_id", sa.UUID(), nullable=True),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column(
            "data", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("client_message_id", sa.String(length=64), nullable=True),
        sa.Column("has_attachments", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("edit_count", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('english', body_masked)", persisted=True),
            nullable=True,
        ),
        sa.CheckConstraint("edit_count BETWEEN 0 AND 10", name=op.f("ck_messages_edits_in_range")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_messages_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["messages.id"],
            name=op.f("fk_messages_reply_to_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_messages_sender_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint(
            "conversation_id", "sender_id", "client_message_id", name="uq_messages_client_id"
        ),
        sa.UniqueConstraint("conversation_id", "seq", name=op.f("uq_messages_conversation_id_seq")),
    )
    op.create_index(
        "ix_messages_search", "messages", ["search_vector"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_messages_sender", "messages", ["sender_id", "created_at"], unique=False)
    op.create_table(
        "message_attachments",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("uploader_id", sa.UUID(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column(
            "kind", sa.Enum("image", "document", "voice", name="attachment_kind"), nullable=False
        ),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_message_attachments_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_message_attachments_uploader_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attachments")),
    )
    op.create_index("ix_attachments_message", "message_attachments", ["message_id"], unique=False)
    op.create_index(
        "ix_attachments_unsent",
        "message_attachments",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("message_id IS NULL"),
    )
    op.create_table(
        "message_edits",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_masked", sa.Text(), nullable=False),
        sa.Column(
            "edited_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_edits_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_edits")),
    )
    op.create_index(
        "ix_message_edits_message", "message_edits", ["message_id", "edited_at"], unique=False
    )
    op.create_table(
        "message_reactions",
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "reaction",
            sa.Enum("like", "love", "laugh", "wow", "sad", "angry", name="reaction"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_reactions_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_reactions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "message_id", "user_id", "reaction", name=op.f("pk_message_reactions")
        ),
    )


def downgrade() -> None:
    op.drop_table("message_reactions")
    op.drop_index("ix_message_edits_message", table_name="message_edits")
    op.drop_table("message_edits")
    op.drop_index(
        "ix_attachments_unsent",
        table_name="message_attachments",
        postgresql_where=sa.text("message_id IS NULL"),
    )
    op.drop_index("ix_attachments_message", table_name="message_attachments")
    op.drop_table("message_attachments")
    op.drop_index("ix_messages_sender", table_name="messages")
    op.drop_index("ix_messages_search", table_name="messages", postgresql_using="gin")
    op.drop_table("messages")
    op.drop_index("ix_participants_user_activity", table_name="conversation_participants")
    op.drop_index(
        "ix_participants_unread",
        table_name="conversation_participants",
        postgresql_where=sa.text("unread_count > 0"),
    )
    op.drop_table("conversation_participants")
    op.drop_index("ix_conversations_job_id", table_name="conversations")
    op.drop_table("conversations")
    op.drop_table("presence")
    op.drop_index("ix_message_templates_user", table_name="message_templates")
    op.drop_table("message_templates")
    op.drop_index("ix_blocks_blocked_id", table_name="blocks")
    op.drop_table("blocks")
    op.drop_index("ix_realtime_events_created_at", table_name="realtime_events")
    op.drop_table("realtime_events")
    op.drop_table("realtime_cursors")
    for name in ENUMS:
        op.execute(f"DROP TYPE IF EXISTS {name}")
