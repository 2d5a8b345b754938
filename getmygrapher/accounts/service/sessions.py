"""Accounts coming into being, sessions, token rotation and sign-out (AUTH-6, AUTH-7, AUTH-11)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import InvalidToken, RefreshTokenReused, SessionNotFound
from getmygrapher.accounts.models import AuthMethod, AuthSession, User
from getmygrapher.accounts.repository import AccountRepository
from getmygrapher.accounts.schemas import MfaChallenge, SessionRead, TokenPair
from getmygrapher.accounts.service.context import AuthContext, Caller
from getmygrapher.core import personal_data
from getmygrapher.core.errors import Unauthorized
from getmygrapher.core.security import AccessClaims, AccountStatus, Principal, hash_token, new_token
from getmygrapher.core.time import utcnow


async def create_account(session: AsyncSession, **values: object) -> User | None:
    """The account and everything it starts with, in the caller's transaction (AUTH-11).

    Returns None when the e-mail address (or verified phone) already has an account.
    """
    user = await AccountRepository(session).insert_user(**values)
    if user is None:
        return None
    await personal_data.account_created(session, user_id=user.id)
    return user


async def load_principal(session: AsyncSession, claims: AccessClaims) -> Principal | None:
    """Who an access token speaks for, or None when its session has ended."""
    return await AccountRepository(session).load_principal(claims)


async def live_sessions(session: AsyncSession, session_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these sessions may still act: open websockets of the others are closed."""
    if not session_ids:
        return set()
    return await AccountRepository(session).live_sessions(session_ids)


async def start_session(
    session: AsyncSession,
    ctx: AuthContext,
    *,
    user: User,
    method: AuthMethod,
    caller: Caller,
    mfa: bool = False,
    created_account: bool = False,
) -> TokenPair | MfaChallenge:
    """Sign `user` in, or ask for the second factor first when they have one."""
    if user.totp_enabled_at is not None and not mfa:
        token = ctx.signer.issue_purpose("mfa", str(user.id), minutes=5, method=method.value)
        return MfaChallenge(mfa_token=token)
    now = utcnow()
    if user.status is AccountStatus.PENDING_DELETION:
        # Signing in during the cooling-off period cancels the deletion (DATA-2).
        user.status, user.deletion_requested_at = AccountStatus.ACTIVE, None
    user.last_sign_in_at = now
    repo = AccountRepository(session)
    auth_session = await repo.create_session(
        user_id=user.id,
        method=method,
        device=caller.device,
        ip=caller.ip,
        expires_at=now + timedelta(days=ctx.runtime.settings.refresh_token_days),
        mfa_at=now if mfa else None,
    )
    return await _issue_tokens(
        repo, ctx, user=user, auth_session=auth_session, created_account=created_account
    )


async def _issue_tokens(
    repo: AccountRepository,
    ctx: AuthContext,
    *,
    user: User,
    auth_session: AuthSession,
    created_account: bool = False,
) -> TokenPair:
    refresh_token = new_token()
    await repo.add_refresh_token(auth_session.id, hash_token(refresh_token))
    access_token, access_expires_at = ctx.signer.issue(
        user_id=user.id, session_id=auth_session.id, role=user.role
    )
    return TokenPair(
        access_token=access_token,
        access_token_expires_at=access_expires_at,
        refresh_token=refresh_token,
        refresh_token_expires_at=auth_session.expires_at,
        session_id=auth_session.id,
        created_account=created_account,
    )


async def refresh_session(
    session: AsyncSession, ctx: AuthContext, *, refresh_token: str
) -> TokenPair:
    """Rotate: the presented token is spent; presenting a spent one ends the session.

    Locks the session row, so two uses of one token are judged one after the other.
    """
    repo = AccountRepository(session)
    found = await repo.find_refresh_token(hash_token(refresh_token))
    if found is None:
        raise InvalidToken("The refresh token is not valid.")
    token, auth_session = found
    now = utcnow()
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        raise Unauthorized("The session has ended. Please sign in again.")
    if token.replaced_at is not None:
        await repo.revoke_sessions(
            auth_session.user_id, reason="refresh_token_reused", only=auth_session.id
        )
        raise RefreshTokenReused("This refresh token was already used; the session is ended.")
    user = await repo.get_user(auth_session.user_id)
    if user is None or user.status not in {AccountStatus.ACTIVE}:
        raise Unauthorized("The session has ended. Please sign in again.")
    token.replaced_at = now
    auth_session.last_used_at = now
    return await _issue_tokens(repo, ctx, user=user, auth_session=auth_session)


async def list_sessions(session: AsyncSession, *, principal: Principal) -> Sequence[SessionRead]:
    rows = await AccountRepository(session).list_active_sessions(principal.id)
    return [
        SessionRead(
            id=row.id,
            method=row.method.value,
            device=row.device,
            city=row.city,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            current=row.id == principal.session_id,
        )
        for row in rows
    ]


async def revoke_session(
    session: AsyncSession, *, principal: Principal, session_id: uuid.UUID
) -> None:
    revoked = await AccountRepository(session).revoke_sessions(
        principal.id, reason="revoked_by_user", only=session_id
    )
    if not revoked:
        raise SessionNotFound("No active session of yours has this id.")


async def sign_out(session: AsyncSession, *, principal: Principal, all_sessions: bool) -> None:
    await AccountRepository(session).revoke_sessions(
        principal.id, reason="signed_out", only=None if all_sessions else principal.session_id
    )
