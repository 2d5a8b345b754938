"""E-mail verification, password reset and e-mail change (AUTH-4, AUTH-5, AUTH-13).

Secrets are born in the task that mails them, so no job argument ever carries one.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import EmailTaken, InvalidToken
from getmygrapher.accounts.models import EmailToken, EmailTokenPurpose, User
from getmygrapher.accounts.repository import AccountRepository
from getmygrapher.accounts.service.context import AuthContext, Caller
from getmygrapher.core import outbox
from getmygrapher.core.errors import RateLimited, ValidationFailed
from getmygrapher.core.mail import Mail
from getmygrapher.core.security import AccountStatus, Principal, hash_token, new_token
from getmygrapher.core.time import utcnow

VERIFY_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
MAX_TOKEN_LENGTH = 200  # as OpaqueToken


async def _mail(ctx: AuthContext, to: str, subject: str, text: str) -> None:
    await ctx.runtime.mailer.send(Mail(to=to, subject=subject, text=text))


async def _new_link_token(
    repo: AccountRepository, *, user: User, purpose: EmailTokenPurpose, email: str, ttl: timedelta
) -> str:
    token = new_token()
    row = await repo.add_email_token(
        user_id=user.id, purpose=purpose, email=email, expires_at=utcnow() + ttl
    )
    row.token_hash = hash_token(token)
    return token


# Without a web app, links open small HTML pages of the API (accounts/routes.py).
VERIFY_PAGE_PATH = "/v1/auth/verify-email/page"
RESET_PAGE_PATH = "/v1/auth/password/reset/page"


def _link(ctx: AuthContext, *, web_path: str, api_path: str, token: str) -> str:
    settings = ctx.runtime.settings
    if settings.web_app_url:
        return f"{settings.web_app_url.rstrip('/')}{web_path}?token={quote(token)}"
    return f"{settings.base_url}{api_path}?token={quote(token)}"


def _verify_link(ctx: AuthContext, token: str) -> str:
    return _link(ctx, web_path="/verify-email", api_path=VERIFY_PAGE_PATH, token=token)


def _reset_link(ctx: AuthContext, token: str) -> str:
    return _link(ctx, web_path="/reset-password", api_path=RESET_PAGE_PATH, token=token)


async def _link_token(
    session: AsyncSession, token: str, purposes: list[EmailTokenPurpose]
) -> tuple[EmailToken, User] | None:
    """A link's token and its account, read without spending the token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    repo = AccountRepository(session)
    row = await repo.find_email_token(hash_token(token), purposes)
    user = await repo.get_user(row.user_id) if row else None
    return (row, user) if row and user else None


# Verification ------------------------------------------------------------------------------------


async def send_verification_email(
    session: AsyncSession, ctx: AuthContext, *, user_id: uuid.UUID
) -> None:
    repo = AccountRepository(session)
    user = await repo.get_user(user_id)
    if (
        user is None
        or user.email is None
        or user.email_verified
        or user.status is not AccountStatus.ACTIVE
    ):
        return
    token = await _new_link_token(
        repo, user=user, purpose=EmailTokenPurpose.VERIFY_EMAIL, email=user.email, ttl=VERIFY_TTL
    )
    await _mail(
        ctx,
        user.email,
        "Verify your e-mail address for GetMyGrapher",
        "Welcome to GetMyGrapher.\n\nConfirm this address by opening the link below "
        f"within 24 hours:\n\n{_verify_link(ctx, token)}\n\n"
        "If you did not sign up, ignore this message.",
    )


async def send_signup_notice(
    session: AsyncSession, ctx: AuthContext, *, user_id: uuid.UUID
) -> None:
    """Sign-up with an address that already has an account: tell its owner, not the requester."""
    user = await AccountRepository(session).get_user(user_id)
    if user is None or user.email is None or user.status is AccountStatus.DELETED:
        return
    await _mail(
        ctx,
        user.email,
        "Someone tried to sign up with your address",
        "Someone tried to create a GetMyGrapher account with this e-mail address, "
        "which already has one. If it was you, sign in, or reset your password if you "
        "have forgotten it. Otherwise you can ignore this message.",
    )


async def resend_verification_email(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal
) -> None:
    """At most five verification mails an hour (AUTH-4)."""
    repo = AccountRepository(session)
    user = await repo.get_user(principal.id)
    if user is None or user.email is None or user.email_verified:
        return
    sent = await repo.count_email_tokens_since(
        user.id, EmailTokenPurpose.VERIFY_EMAIL, utcnow() - timedelta(hours=1)
    )
    limit = ctx.runtime.settings.verification_emails_per_hour
    if sent >= limit:
        raise RateLimited(
            "Too many verification e-mails; try again later.", retry_after=3600, limit=limit
        )
    await outbox.add(session, "accounts.send_verification_email", user_id=user.id)


async def verify_email(session: AsyncSession, ctx: AuthContext, *, token: str) -> None:
    """Single use, 24 hours. Also confirms a change of address (AUTH-13)."""
    repo = AccountRepository(session)
    row = await repo.claim_email_token(
        hash_token(token), [EmailTokenPurpose.VERIFY_EMAIL, EmailTokenPurpose.CHANGE_EMAIL]
    )
    if row is None:
        raise InvalidToken("This link is invalid, was already used, or has expired.")
    user = await repo.get_user(row.user_id, for_update=True)
    if user is None or user.status is not AccountStatus.ACTIVE:
        raise InvalidToken("This link is invalid, was already used, or has expired.")
    if row.purpose is EmailTokenPurpose.VERIFY_EMAIL:
        if user.email != row.email:
            raise InvalidToken("This link is for an address this account no longer uses.")
        user.email_verified = True
        return
    if user.pending_email != row.email:
        raise InvalidToken("This link is for an address change that was replaced.")
    old_email = user.email
    user.email, user.email_verified, user.pending_email = row.email, True, None
    user.version += 1
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise EmailTaken("Another account now uses this e-mail address.") from None
    if old_email:
        await outbox.add(
            session,
            "accounts.send_security_notice",
            user_id=user.id,
            kind="email_changed",
            to=old_email,
        )


async def verification_link_was_used(session: AsyncSession, *, token: str) -> bool:
    """Whether a verification link that no longer works was already used for the address
    its account now has verified (opened twice, or by a mail scanner first)."""
    found = await _link_token(
        session, token, [EmailTokenPurpose.VERIFY_EMAIL, EmailTokenPurpose.CHANGE_EMAIL]
    )
    if found is None:
        return False
    row, user = found
    return row.used_at is not None and user.email_verified and user.email == row.email


# E-mail change -----------------------------------------------------------------------------------


async def send_email_change(session: AsyncSession, ctx: AuthContext, *, user_id: uuid.UUID) -> None:
    repo = AccountRepository(session)
    user = await repo.get_user(user_id)
    if user is None or user.pending_email is None or user.status is not AccountStatus.ACTIVE:
        return
    target = user.pending_email
    if await repo.find_by_email(target) is not None:
        await _mail(
            ctx,
            target,
            "Someone tried to use your address",
            "A GetMyGrapher user asked to move their account to this address, which "
            "already has an account. Nothing has changed.",
        )
        return
    await repo.expire_email_tokens(user.id, EmailTokenPurpose.CHANGE_EMAIL)
    token = await _new_link_token(
        repo, user=user, purpose=EmailTokenPurpose.CHANGE_EMAIL, email=target, ttl=VERIFY_TTL
    )
    await _mail(
        ctx,
        target,
        "Confirm your new e-mail address for GetMyGrapher",
        "Open this link within 24 hours to use this address for your GetMyGrapher "
        f"account:\n\n{_verify_link(ctx, token)}",
    )
    if user.email:
        await _mail(
            ctx,
            user.email,
            "Your GetMyGrapher e-mail address is changing",
            f"A change of your account's address to {target} was requested. It takes "
            "effect only once the new address is confirmed. If this was not you, "
            "change your password now.",
        )


# Password reset ----------------------------------------------------------------------------------


async def request_password_reset(
    session: AsyncSession, ctx: AuthContext, *, email: str, caller: Caller
) -> None:
    """Always the same answer; mails only an existing, active account (AUTH-5)."""
    limiter, limit = ctx.runtime.rate_limiter, ctx.limits.password_resets
    await limiter.enforce(limit, f"ip:{caller.ip}", detail="Too many reset requests.")
    if not (await limiter.hit(limit, f"email:{email}")).allowed:
        return
    user = await AccountRepository(session).find_by_email(email)
    if user is not None and user.status in {AccountStatus.ACTIVE, AccountStatus.PENDING_DELETION}:
        await outbox.add(session, "accounts.send_password_reset", user_id=user.id)


async def send_password_reset(
    session: AsyncSession, ctx: AuthContext, *, user_id: uuid.UUID
) -> None:
    repo = AccountRepository(session)
    user = await repo.get_user(user_id)
    if user is None or user.email is None or user.status is AccountStatus.DELETED:
        return
    token = await _new_link_token(
        repo, user=user, purpose=EmailTokenPurpose.RESET_PASSWORD, email=user.email, ttl=RESET_TTL
    )
    link = _reset_link(ctx, token)
    await _mail(
        ctx,
        user.email,
        "Reset your GetMyGrapher password",
        f"Open this link within one hour to choose a new password:\n\n{link}\n\n"
        "If you did not ask for this, ignore this message; your password is unchanged.",
    )


async def reset_link_is_live(session: AsyncSession, *, token: str) -> bool:
    """Whether a reset link would still be accepted; asking does not spend it."""
    found = await _link_token(session, token, [EmailTokenPurpose.RESET_PASSWORD])
    if found is None:
        return False
    row, user = found
    return (
        row.used_at is None
        and row.expires_at > utcnow()
        and user.email == row.email
        and user.status is not AccountStatus.DELETED
    )


async def reset_password(
    session: AsyncSession, ctx: AuthContext, *, token: str, new_password: str
) -> None:
    """Single use, one hour; ends every session and tells the owner."""
    repo = AccountRepository(session)
    row = await repo.claim_email_token(hash_token(token), [EmailTokenPurpose.RESET_PASSWORD])
    user = await repo.get_user(row.user_id, for_update=True) if row else None
    if (
        row is None
        or user is None
        or user.email != row.email
        or user.status is AccountStatus.DELETED
    ):
        raise InvalidToken("This link is invalid, was already used, or has expired.")
    if user.email and new_password.lower() == user.email:
        raise ValidationFailed.field(
            "new_password", "not_allowed", "The password must not be your e-mail address"
        )
    user.password_hash = await ctx.passwords.hash(new_password)
    # Proving control of the mailbox verifies it.
    user.email_verified = True
    await repo.expire_email_tokens(user.id, EmailTokenPurpose.RESET_PASSWORD)
    await repo.revoke_sessions(user.id, reason="password_reset")
    await outbox.add(
        session,
        "accounts.send_security_notice",
        user_id=user.id,
        kind="password_reset",
        to=user.email,
    )


_NOTICES = {
    "password_reset": (
        "Your GetMyGrapher password was reset",
        "Your password was just reset and every session was signed out. If this "
        "was not you, reset it again now and contact support.",
    ),
    "password_changed": (
        "Your GetMyGrapher password was changed",
        "Your password was just changed. If this was not you, reset it now.",
    ),
    "email_changed": (
        "Your GetMyGrapher e-mail address was changed",
        "Your account no longer uses this address. If this was not you, contact support at once.",
    ),
    "deletion_scheduled": (
        "Your GetMyGrapher account will be deleted",
        "You asked us to delete your account. Sign in before the cooling-off "
        "period ends to cancel; after it, your data is erased.",
    ),
    "totp_disabled": (
        "Two-step sign-in was turned off",
        "Two-step sign-in was turned off for your account. If this was not you, "
        "reset your password now.",
    ),
}


async def send_security_notice(
    session: AsyncSession, ctx: AuthContext, *, user_id: uuid.UUID, kind: str, to: str | None
) -> None:
    if kind not in _NOTICES or not to:
        return
    subject, text = _NOTICES[kind]
    await _mail(ctx, to, subject, text)
