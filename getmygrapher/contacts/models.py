"""Contact-sharing consent (MSG-10, CRQ-1): requests, per-field grants, and a shared timeline.

One model serves contact requests from a profile and share requests inside a conversation.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, uuid_pk
from getmygrapher.core.enums import db_enum


class ConsentStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ContactRequest(Base):
    __tablename__ = "contact_requests"
    __table_args__ = (
        # One pending request per pair, whichever side asked (CRQ-1, MSG-10).
        Index(
            "uq_contact_requests_pending_pair",
            text("least(requester_id, recipient_id)"),
            text("greatest(requester_id, recipient_id)"),
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_contact_requests_recipient", "recipient_id", "created_at"),
        Index("ix_contact_requests_requester", "requester_id", "created_at"),
        Index(
            "ix_contact_requests_expiry", "expires_at", postgresql_where=text("status = 'pending'")
        ),
        CheckConstraint("requester_id <> recipient_id", name="not_self"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    accepted_fields: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    note: Mapped[str | None] = mapped_column(String(500))
    conversation_id: Mapped[uuid.UUID | None]
    status: Mapped[ConsentStatus] = mapped_column(db_enum(ConsentStatus, "consent_status"))
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()


class ContactGrant(Base):
    """`owner` lets `grantee` see one of the owner's fields, until the owner revokes it."""

    __tablename__ = "contact_grants"
    __table_args__ = (
        Index(
            "uq_contact_grants_active",
            "owner_id",
            "grantee_id",
            "field",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index(
            "ix_contact_grants_grantee",
            "grantee_id",
            "owner_id",
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_requests.id", ondelete="CASCADE")
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    grantee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = now_column()
    revoked_at: Mapped[datetime | None]


class ContactEvent(Base):
    """Append-only: every request, answer, expiry and revocation, visible to both sides."""

    __tablename__ = "contact_events"
    __table_args__ = (Index("ix_contact_events_pair", "user_low", "user_high", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact_requests.id", ondelete="SET NULL")
    )
    user_low: Mapped[uuid.UUID]
    user_high: Mapped[uuid.UUID]
    actor_id: Mapped[uuid.UUID | None]  # None: the system (expiry)
    action: Mapped[str] = mapped_column(String(20))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    # The wall clock, not the transaction's start: one request can record two steps in order.
    at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
