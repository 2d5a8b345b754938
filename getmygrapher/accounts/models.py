"""Accounts, identities, sessions and the one-time secrets of the sign-in flows."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from getmygrapher.core.db import Base, now_column, touched_column, uuid_pk
from getmygrapher.core.enums import db_enum
from getmygrapher.core.security import AccountStatus, Role


class EmailTokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a secret
    CHANGE_EMAIL = "change_email"


class OtpPurpose(enum.StrEnum):
    SIGN_IN = "sign_in"
    VERIFY_PHONE = "verify_phone"


class AuthMethod(enum.StrEnum):
    PASSWORD = "password"  # noqa: S105 - a sign-in method, not a secret
    GOOGLE = "google"
    PHONE = "phone"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # A number can be verified on only one account (AUTH-9).
        Index(
            "uq_users_verified_phone", "phone", unique=True, postgresql_where=text("phone_verified")
        ),
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint("phone ~ '^\\+91[6-9][0-9]{9}$'", name="phone_e164_india"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    email_verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    pending_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(13), index=True)
    phone_verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[Role] = mapped_column(db_enum(Role, "user_role"), server_default=Role.USER.value)
    status: Mapped[AccountStatus] = mapped_column(
        db_enum(AccountStatus, "account_status"), server_default=AccountStatus.ACTIVE.value
    )
    suspended_until: Mapped[datetime | None]
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # Fernet-encrypted
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]  # a code is accepted once (replay protection)
    onboarded_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    deletion_requested_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = touched_column()


class Identity(Base):
    """An external sign-in (Google) linked to an account."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = now_column()


class AuthSession(Base):
    __tablename__ = "auth_sessions"
    __table_args__ = (
        Index(
            "ix_auth_sessions_user_id_active",
            "user_id",
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    method: Mapped[AuthMethod] = mapped_column(db_enum(AuthMethod, "auth_method"))
    device: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(100))
    mfa_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()
    last_used_at: Mapped[datetime] = now_column()
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(50))


class RefreshToken(Base):
    """Every refresh token a session was given; only the one not yet replaced is valid."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = now_column()
    replaced_at: Mapped[datetime | None]


class EmailToken(Base):
    __tablename__ = "email_tokens"
    __table_args__ = (Index("ix_email_tokens_user_purpose", "user_id", "purpose", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[EmailTokenPurpose] = mapped_column(
        db_enum(EmailTokenPurpose, "email_token_purpose")
    )
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()


class PhoneOtp(Base):
    __tablename__ = "phone_otps"
    __table_args__ = (
        Index("ix_phone_otps_phone_created_at", "phone", "created_at"),
        Index("ix_phone_otps_user_created_at", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(13))
    purpose: Mapped[OtpPurpose] = mapped_column(db_enum(OtpPurpose, "otp_purpose"))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()


class OAuthState(Base):
    """A pending web sign-in with Google: the PKCE verifier stays on the server."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = now_column()
