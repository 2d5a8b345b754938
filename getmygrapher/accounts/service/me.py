"""The own account: read, edit, delete; roles and admins (AUTH-13, DATA-2, ADM-1)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import InvalidCredentials, RecentSignInRequired, UserNotFound
from getmygrapher.accounts.models import User
from getmygrapher.accounts.repository import AccountRepository
from getmygrapher.accounts.schemas import MeRead, UpdateMe
from getmygrapher.accounts.service.context import AuthContext
from getmygrapher.accounts.service.sessions import create_account
from getmygrapher.core import audit, outbox, personal_data
from getmygrapher.core.errors import PreconditionFailed
from getmygrapher.core.security import AccountStatus, Principal, Role
from getmygrapher.core.time import utcnow


def _read(user: User) -> MeRead:
    return MeRead.masked(
        MeRead(
            id=user.id,
            email=user.email,
            email_verified=user.email_verified,
            pending_email=user.pending_email,
            phone=user.phone,
            phone_verified=user.phone_verified,
            full_name=user.full_name,
            role=user.role,
            status=user.status,
            totp_enabled=user.totp_enabled_at is not None,
            has_password=user.password_hash is not None,
            onboarding_completed=user.onboarded_at is not None,
            deletion_requested_at=user.deletion_requested_at,
            created_at=user.created_at,
            version=user.version,
        )
    )


async def _own(session: AsyncSession, principal: Principal, *, for_update: bool = False) -> User:
    return await AccountRepository(session).require_user(principal.id, for_update=for_update)


async def get_me(session: AsyncSession, *, principal: Principal) -> MeRead:
    return _read(await _own(session, principal))


async def update_me(
    session: AsyncSession, *, principal: Principal, data: UpdateMe, if_match: int | None
) -> MeRead:
    """Name now; a new e-mail address only once it is verified (AUTH-13)."""
    user = await _own(session, principal, for_update=True)
    if if_match is not None and if_match != user.version:
        raise PreconditionFailed(
            "The account changed since you read it.", current_version=user.version
        )
    changed = False
    if "full_name" in data.model_fields_set and data.full_name != user.full_name:
        user.full_name, changed = data.full_name, True
    if data.email is not None and data.email not in {user.email, user.pending_email}:
        user.pending_email, changed = data.email, True
        await outbox.add(session, "accounts.send_email_change", user_id=user.id)
    if changed:
        user.version += 1
        await session.flush()
    return _read(user)


async def request_deletion(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal, password: str | None
) -> None:
    """Needs a recent sign-in (or the password); ends every session at once (DATA-2).

    The data is erased when the cooling-off period ends, unless the user signs in before.
    """
    repo = AccountRepository(session)
    user = await _own(session, principal, for_update=True)
    current = await repo.get_session(principal.session_id)
    recent = current is not None and utcnow() - current.created_at < timedelta(
        minutes=ctx.runtime.settings.recent_auth_minutes
    )
    if password is not None:
        if not await ctx.passwords.verify(user.password_hash, password):
            raise InvalidCredentials("The password is incorrect.")
    elif not recent:
        raise RecentSignInRequired("Sign in again (or give your password) to delete the account.")
    now = utcnow()
    user.status, user.deletion_requested_at = AccountStatus.PENDING_DELETION, now
    user.version += 1
    await repo.revoke_sessions(user.id, reason="account_deletion")
    await personal_data.deletion_requested(session, user_id=user.id)
    grace = timedelta(days=ctx.runtime.settings.account_deletion_grace_days)
    await outbox.add(session, "accounts.purge_account", user_id=user.id, scheduled_at=now + grace)
    if user.email and user.email_verified:
        await outbox.add(
            session,
            "accounts.send_security_notice",
            user_id=user.id,
            kind="deletion_scheduled",
            to=user.email,
        )
    await audit.record(
        session,
        actor_id=user.id,
        action="account.deletion_requested",
        target_type="user",
        target_id=user.id,
    )


async def purge_account(session: AsyncSession, ctx: AuthContext, *, user_id: uuid.UUID) -> bool:
    """Erase personal data once the cooling-off period is over; a pseudonymous id remains."""
    repo = AccountRepository(session)
    user = await repo.get_user(user_id, for_update=True)
    if (
        user is None
        or user.status is not AccountStatus.PENDING_DELETION
        or user.deletion_requested_at is None
    ):
        return False  # cancelled by a sign-in, or already erased
    grace = timedelta(days=ctx.runtime.settings.account_deletion_grace_days)
    if user.deletion_requested_at + grace > utcnow():
        return False
    await personal_data.erase_user(session, user_id=user.id)
    user.email = user.pending_email = user.phone = user.full_name = None
    user.password_hash = None
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    user.email_verified = user.phone_verified = False
    user.status, user.deleted_at = AccountStatus.DELETED, utcnow()
    user.version += 1
    await session.flush()
    await audit.record(
        session, actor_id=None, action="account.erased", target_type="user", target_id=user.id
    )
    return True


async def purge_due_accounts(session: AsyncSession, ctx: AuthContext) -> int:
    """The scheduled sweep behind the per-account jobs (GEN-12: never rely on one job alone)."""
    grace = timedelta(days=ctx.runtime.settings.account_deletion_grace_days)
    due = await AccountRepository(session).users_due_for_purge(utcnow() - grace)
    return sum([await purge_account(session, ctx, user_id=user_id) for user_id in due])


async def set_role(
    session: AsyncSession, *, actor: Principal, user_id: uuid.UUID, role: Role, reason: str
) -> MeRead:
    """Admins only; audited; the user's sessions end so the new role applies at once (AUTH-6)."""
    repo = AccountRepository(session)
    user = await repo.get_user(user_id, for_update=True)
    if user is None or user.status is AccountStatus.DELETED:
        raise UserNotFound("No such user.")
    if user.role is not role:
        previous = user.role
        user.role = role
        user.version += 1
        await repo.revoke_sessions(user.id, reason="role_changed")
        await audit.record(
            session,
            actor_id=actor.id,
            action="user.role_changed",
            target_type="user",
            target_id=user.id,
            reason=reason,
            previous=previous.value,
            role=role.value,
        )
    return _read(user)


async def create_admin(
    session: AsyncSession, ctx: AuthContext, *, email: str, password: str, full_name: str | None
) -> tuple[User, bool]:
    """For the command line: make (or promote) a verified admin account."""
    password_hash = await ctx.passwords.hash(password)
    user = await create_account(
        session,
        email=email,
        email_verified=True,
        password_hash=password_hash,
        full_name=full_name,
        role=Role.ADMIN,
    )
    if user is not None:
        await audit.record(
            session,
            actor_id=None,
            action="user.role_changed",
            target_type="user",
            target_id=user.id,
            reason="create-admin",
            role=Role.ADMIN.value,
        )
        return user, True
    existing = await AccountRepository(session).find_by_email(email)
    if existing is None:  # pragma: no cover - the insert above found this address taken
        raise UserNotFound("The account with this address vanished; run the command again.")
    existing.role, existing.email_verified, existing.password_hash = Role.ADMIN, True, password_hash
    await AccountRepository(session).revoke_sessions(existing.id, reason="role_changed")
    await audit.record(
        session,
        actor_id=None,
        action="user.role_changed",
        target_type="user",
        target_id=existing.id,
        reason="create-admin",
        role=Role.ADMIN.value,
    )
    return existing, False


async def contact_email(session: AsyncSession, *, user_id: uuid.UUID) -> str | None:
    """Where to send a transactional mail: the verified address of an account still in use."""
    user = await AccountRepository(session).get_user(user_id)
    if (
        user is None
        or not user.email
        or not user.email_verified
        or user.status is AccountStatus.DELETED
    ):
        return None
    return user.email


async def account_exists(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    """An account that is still in use (not erased)."""
    user = await AccountRepository(session).get_user(user_id)
    return user is not None and user.status is not AccountStatus.DELETED


async def display_name(session: AsyncSession, *, user_id: uuid.UUID) -> str | None:
    user = await AccountRepository(session).get_user(user_id)
    return user.full_name if user else None


async def mark_onboarding_complete(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Called by the profiles area when onboarding completes; the access gates read it."""
    user = await AccountRepository(session).get_user(user_id, for_update=True)
    if user is not None and user.onboarded_at is None:
        user.onboarded_at = utcnow()


@dataclass(frozen=True)
class AccountSummary:
    """What other areas may know about an account; contact data only for consent checks."""

    id: uuid.UUID
    full_name: str | None
    email: str | None
    email_verified: bool
    phone: str | None
    phone_verified: bool
    status: AccountStatus
    role: Role
    onboarded: bool

    @property
    def usable(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    @property
    def verified(self) -> bool:
        return self.email_verified or self.phone_verified


def _summary(user: User) -> AccountSummary:
    return AccountSummary(
        id=user.id,
        full_name=user.full_name,
        email=user.email,
        email_verified=user.email_verified,
        phone=user.phone,
        phone_verified=user.phone_verified,
        status=user.status,
        role=user.role,
        onboarded=user.onboarded_at is not None,
    )


async def account_summary(session: AsyncSession, *, user_id: uuid.UUID) -> AccountSummary | None:
    user = await AccountRepository(session).get_user(user_id)
    return _summary(user) if user else None


async def account_summaries(
    session: AsyncSession, *, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AccountSummary]:
    users = await AccountRepository(session).get_users(user_ids)
    return {user.id: _summary(user) for user in users}


async def set_full_name(session: AsyncSession, *, user_id: uuid.UUID, full_name: str) -> None:
    user = await AccountRepository(session).require_user(user_id, for_update=True)
    if user.full_name != full_name:
        user.full_name = full_name
        user.version += 1


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    """DATA-1: the account itself; sign-in secrets are never exported."""
    user = await AccountRepository(session).get_user(user_id)
    return {
        "account": {
            "id": str(user_id),
            "full_name": user.full_name if user else None,
            "email": user.email if user else None,
            "phone": user.phone if user else None,
            "email_verified": user.email_verified if user else None,
            "phone_verified": user.phone_verified if user else None,
            "role": user.role.value if user else None,
        }
    }


async def erase_sign_in(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """DATA-2: every way to sign in (identities, codes, tokens, sessions); the user row itself
    is made pseudonymous by `purge_account` after every area has erased its own rows."""
    await AccountRepository(session).erase_credentials(user_id)
