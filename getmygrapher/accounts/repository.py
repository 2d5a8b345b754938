"""Every query on the accounts tables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import UserNotFound
from getmygrapher.accounts.models import (
    AuthMethod,
    AuthSession,
    EmailToken,
    EmailTokenPurpose,
    Identity,
    OAuthState,
    OtpPurpose,
    PhoneOtp,
    RecoveryCode,
    RefreshToken,
    User,
)
from getmygrapher.core.security import AccessClaims, AccountStatus, Principal, Role

_PRINCIPAL = text(
    """
    SELECT u.id, u.role, u.status, u.email_verified, u.phone_verified,
           u.onboarded_at IS NOT NULL AS onboarded, s.mfa_at IS NOT NULL AS mfa
    FROM auth_sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = :session_id AND s.user_id = :user_id
      AND s.revoked_at IS NULL AND s.expires_at > now()
    """
)


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Users ---------------------------------------------------------------------------------------

    async def insert_user(self, **values: object) -> User | None:
        """Insert unless the e-mail (or verified phone) is taken; None when it is."""
        stmt = pg_insert(User).values(**values).on_conflict_do_nothing().returning(User)
        return await self.session.scalar(stmt)

    async def get_user(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        stmt = select(User).where(User.id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def require_user(self, user_id: uuid.UUID, *, for_update: bool = False) -> User:
        user = await self.get_user(user_id, for_update=for_update)
        if user is None:
            raise UserNotFound("This account no longer exists.")
        return user

    async def get_users(self, user_ids: Sequence[uuid.UUID]) -> Sequence[User]:
        if not user_ids:
            return []
        return (await self.session.scalars(select(User).where(User.id.in_(user_ids)))).all()

    async def find_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def find_by_verified_phone(self, phone: str) -> User | None:
        return await self.session.scalar(
            select(User).where(User.phone == phone, User.phone_verified.is_(True))
        )

    async def phone_verified_elsewhere(self, phone: str, user_id: uuid.UUID) -> bool:
        stmt = (
            select(func.count())
            .select_from(User)
            .where(User.phone == phone, User.phone_verified.is_(True), User.id != user_id)
        )
        return bool(await self.session.scalar(stmt))

    async def load_principal(self, claims: AccessClaims) -> Principal | None:
        row = (
            await self.session.execute(
                _PRINCIPAL, {"session_id": claims.session_id, "user_id": claims.user_id}
            )
        ).one_or_none()
        if row is None:
            return None
        return Principal(
            id=row.id,
            session_id=claims.session_id,
            role=Role(row.role),
            status=AccountStatus(row.status),
            email_verified=row.email_verified,
            phone_verified=row.phone_verified,
            onboarding_completed=row.onboarded,
            mfa_satisfied=row.mfa,
        )

    async def live_sessions(self, session_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Of these sessions, those still valid for an account that is not suspended."""
        rows = await self.session.scalars(
            text(
                "SELECT s.id FROM auth_sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.id = ANY(CAST(:ids AS uuid[])) AND s.revoked_at IS NULL "
                "AND s.expires_at > now() AND u.status <> 'suspended'"
            ),
            {"ids": list(session_ids)},
        )
        return set(rows.all())

    # Identities ----------------------------------------------------------------------------------

    async def find_identity(self, provider: str, subject: str) -> Identity | None:
        return await self.session.scalar(
            select(Identity).where(Identity.provider == provider, Identity.subject == subject)
        )

    async def add_identity(
        self, user_id: uuid.UUID, provider: str, subject: str, email: str | None
    ) -> None:
        await self.session.execute(
            pg_insert(Identity)
            .values(
                user_id=user_id,
                provider=provider,
                subject=subject,
                email=email,
            )
            .on_conflict_do_nothing()
        )

    # Sessions ------------------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        user_id: uuid.UUID,
        method: AuthMethod,
        device: str | None,
        ip: str | None,
        expires_at: datetime,
        mfa_at: datetime | None,
    ) -> AuthSession:
        auth_session = AuthSession(
            user_id=user_id,
            method=method,
            device=device,
            ip=ip,
            expires_at=expires_at,
            mfa_at=mfa_at,
        )
        self.session.add(auth_session)
        await self.session.flush()
        return auth_session

    async def add_refresh_token(self, session_id: uuid.UUID, token_hash: str) -> None:
        self.session.add(RefreshToken(session_id=session_id, token_hash=token_hash))
        await self.session.flush()

    async def find_refresh_token(self, token_hash: str) -> tuple[RefreshToken, AuthSession] | None:
        """The token and its session, the session row locked so rotations happen one at a time."""
        token = await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        )
        if token is None:
            return None
        auth_session = await self.session.scalar(
            select(AuthSession).where(AuthSession.id == token.session_id).with_for_update()
        )
        if auth_session is None:  # the session row went with its account
            return None
        await self.session.refresh(token)
        return token, auth_session

    async def get_session(self, session_id: uuid.UUID) -> AuthSession | None:
        return await self.session.get(AuthSession, session_id)

    async def list_active_sessions(self, user_id: uuid.UUID) -> Sequence[AuthSession]:
        stmt = (
            select(AuthSession)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > func.now(),
            )
            .order_by(AuthSession.last_used_at.desc(), AuthSession.id)
            .limit(100)
        )
        return (await self.session.scalars(stmt)).all()

    async def revoke_sessions(
        self,
        user_id: uuid.UUID,
        *,
        reason: str,
        only: uuid.UUID | None = None,
        keep: uuid.UUID | None = None,
    ) -> int:
        stmt = (
            update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=func.now(), revoke_reason=reason)
        )
        if only is not None:
            stmt = stmt.where(AuthSession.id == only)
        if keep is not None:
            stmt = stmt.where(AuthSession.id != keep)
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    # E-mail tokens -------------------------------------------------------------------------------

    async def count_email_tokens_since(
        self, user_id: uuid.UUID, purpose: EmailTokenPurpose, since: datetime
    ) -> int:
        stmt = (
            select(func.count())
            .select_from(EmailToken)
            .where(
                EmailToken.user_id == user_id,
                EmailToken.purpose == purpose,
                EmailToken.created_at > since,
            )
        )
        return int(await self.session.scalar(stmt) or 0)

    async def add_email_token(
        self, *, user_id: uuid.UUID, purpose: EmailTokenPurpose, email: str, expires_at: datetime
    ) -> EmailToken:
        token = EmailToken(user_id=user_id, purpose=purpose, email=email, expires_at=expires_at)
        self.session.add(token)
        await self.session.flush()
        return token

    async def get_email_token(self, token_id: uuid.UUID) -> EmailToken | None:
        return await self.session.get(EmailToken, token_id)

    async def find_email_token(
        self, token_hash: str, purposes: Sequence[EmailTokenPurpose]
    ) -> EmailToken | None:
        """The token whatever its state (live, used or expired), without spending it."""
        stmt = select(EmailToken).where(
            EmailToken.token_hash == token_hash, EmailToken.purpose.in_(purposes)
        )
        return await self.session.scalar(stmt)

    async def claim_email_token(
        self, token_hash: str, purposes: Sequence[EmailTokenPurpose]
    ) -> EmailToken | None:
        """Mark a live token used and return it; a used or expired token returns None."""
        stmt = (
            update(EmailToken)
            .where(
                EmailToken.token_hash == token_hash,
                EmailToken.purpose.in_(purposes),
                EmailToken.used_at.is_(None),
                EmailToken.expires_at > func.now(),
            )
            .values(used_at=func.now())
            .returning(EmailToken)
        )
        return await self.session.scalar(stmt)

    async def expire_email_tokens(self, user_id: uuid.UUID, purpose: EmailTokenPurpose) -> None:
        await self.session.execute(
            update(EmailToken)
            .where(
                EmailToken.user_id == user_id,
                EmailToken.purpose == purpose,
                EmailToken.used_at.is_(None),
            )
            .values(used_at=func.now())
        )

    # Phone codes ---------------------------------------------------------------------------------

    async def latest_otp(
        self,
        *,
        phone: str,
        purpose: OtpPurpose,
        user_id: uuid.UUID | None = None,
        for_update: bool = False,
    ) -> PhoneOtp | None:
        stmt = (
            select(PhoneOtp)
            .where(PhoneOtp.phone == phone, PhoneOtp.purpose == purpose)
            .order_by(PhoneOtp.created_at.desc(), PhoneOtp.id.desc())
            .limit(1)
        )
        if user_id is not None:
            stmt = stmt.where(PhoneOtp.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def count_otps(
        self, *, since: datetime, phone: str | None = None, user_id: uuid.UUID | None = None
    ) -> int:
        stmt = select(func.count()).select_from(PhoneOtp).where(PhoneOtp.created_at > since)
        if phone is not None:
            stmt = stmt.where(PhoneOtp.phone == phone)
        if user_id is not None:
            stmt = stmt.where(PhoneOtp.user_id == user_id)
        return int(await self.session.scalar(stmt) or 0)

    async def add_otp(
        self, *, phone: str, purpose: OtpPurpose, user_id: uuid.UUID | None, expires_at: datetime
    ) -> PhoneOtp:
        otp = PhoneOtp(phone=phone, purpose=purpose, user_id=user_id, expires_at=expires_at)
        self.session.add(otp)
        await self.session.flush()
        return otp

    async def get_otp(self, otp_id: uuid.UUID) -> PhoneOtp | None:
        return await self.session.get(PhoneOtp, otp_id)

    async def lock_phone(self, phone: str) -> None:
        """Serialise code requests for one number, so parallel requests cannot pass the caps."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"otp:{phone}"}
        )

    # Second factor -------------------------------------------------------------------------------

    async def replace_recovery_codes(self, user_id: uuid.UUID, code_hashes: Sequence[str]) -> None:
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        self.session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in code_hashes)
        await self.session.flush()

    async def use_recovery_code(self, user_id: uuid.UUID, code_hash: str) -> bool:
        stmt = (
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=func.now())
            .returning(RecoveryCode.id)
        )
        return await self.session.scalar(stmt) is not None

    async def count_unused_recovery_codes(self, user_id: uuid.UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        return int(await self.session.scalar(stmt) or 0)

    # Google web flow -----------------------------------------------------------------------------

    async def add_oauth_state(self, state: OAuthState) -> None:
        await self.session.execute(delete(OAuthState).where(OAuthState.expires_at < func.now()))
        self.session.add(state)
        await self.session.flush()

    async def pop_oauth_state(self, state_hash: str) -> OAuthState | None:
        stmt = (
            delete(OAuthState)
            .where(OAuthState.state_hash == state_hash, OAuthState.expires_at > func.now())
            .returning(OAuthState)
        )
        return await self.session.scalar(stmt)

    # Deletion ------------------------------------------------------------------------------------

    async def erase_credentials(self, user_id: uuid.UUID) -> None:
        for model in (Identity, RecoveryCode, EmailToken, PhoneOtp, AuthSession):
            await self.session.execute(delete(model).where(model.user_id == user_id))

    async def users_due_for_purge(self, before: datetime, limit: int = 100) -> Sequence[uuid.UUID]:
        stmt = (
            select(User.id)
            .where(
                User.status == AccountStatus.PENDING_DELETION, User.deletion_requested_at <= before
            )
            .order_by(User.deletion_requested_at)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def delete_stale_secrets(self, before: datetime) -> None:
        """One-time secrets are useless once expired; keep a week for the rate-limit counts."""
        cutoff = before - timedelta(days=7)
        await self.session.execute(delete(PhoneOtp).where(PhoneOtp.expires_at < cutoff))
        await self.session.execute(delete(EmailToken).where(EmailToken.expires_at < cutoff))
        await self.session.execute(delete(OAuthState).where(OAuthState.expires_at < before))
