"""E-mail and password: sign-up, sign-in with abuse limits, the second step, password change."""

from __future__ import annotations

import uuid

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import CaptchaRequired, InvalidCode, InvalidCredentials
from getmygrapher.accounts.models import AuthMethod, User
from getmygrapher.accounts.repository import AccountRepository
from getmygrapher.accounts.schemas import MfaChallenge, SignIn, SignUp, TokenPair
from getmygrapher.accounts.service.context import AuthContext, Caller
from getmygrapher.accounts.service.sessions import create_account, start_session
from getmygrapher.core import outbox
from getmygrapher.core.errors import RateLimited, ValidationFailed
from getmygrapher.core.ratelimit import Limit
from getmygrapher.core.security import AccountStatus, AccountSuspended, Principal, keyed_hash
from getmygrapher.core.time import utcnow

GENERIC_FAILURE = "The e-mail address or password is incorrect."


async def sign_up(session: AsyncSession, ctx: AuthContext, *, data: SignUp, caller: Caller) -> None:
    """The same answer whether or not the address is registered (no account enumeration)."""
    await ctx.runtime.rate_limiter.enforce(
        ctx.limits.signups_per_ip, caller.ip, detail="Too many sign-ups from this network."
    )
    # Hashing runs on both paths so they also take the same time.
    password_hash = await ctx.passwords.hash(data.password)
    user = await create_account(
        session, email=data.email, password_hash=password_hash, full_name=data.full_name
    )
    if user is not None:
        await outbox.add(session, "accounts.send_verification_email", user_id=user.id)
        return
    existing = await AccountRepository(session).find_by_email(data.email)
    if existing is not None:
        await outbox.add(session, "accounts.send_signup_notice", user_id=existing.id)


async def check_attempt_limits(
    ctx: AuthContext, limit: Limit, subjects: list[str], captcha_token: str | None
) -> None:
    """Refuse while a subject is over its failure limit; after a few, ask for a CAPTCHA."""
    limiter = ctx.runtime.rate_limiter
    decisions = [await limiter.peek(limit, subject) for subject in subjects]
    for decision in decisions:
        if decision.count >= limit.limit:
            raise RateLimited(
                "Too many failed attempts. Try again later.",
                retry_after=decision.retry_after,
                limit=limit.limit,
            )
    captcha = ctx.runtime.captcha
    if (
        captcha.enabled
        and max(d.count for d in decisions) >= ctx.runtime.settings.captcha_after_failures
    ):
        if not captcha_token:
            raise CaptchaRequired("Complete the CAPTCHA to continue.", captcha_required=True)
        if not await captcha.verify(captcha_token, subjects[0].removeprefix("ip:")):
            raise CaptchaRequired("The CAPTCHA was not solved.", captcha_required=True)


async def record_failure(ctx: AuthContext, limit: Limit, subjects: list[str]) -> None:
    for subject in subjects:
        await ctx.runtime.rate_limiter.hit(limit, subject)


async def clear_failures(ctx: AuthContext, limit: Limit, subjects: list[str]) -> None:
    for subject in subjects:
        await ctx.runtime.rate_limiter.reset(limit, subject)


async def sign_in(
    session: AsyncSession, ctx: AuthContext, *, data: SignIn, caller: Caller
) -> TokenPair | MfaChallenge:
    """Every failure looks the same; failures count per address and per IP (AUTH-3, AUTH-10)."""
    limit = ctx.limits.signin_failures
    subjects = [f"ip:{caller.ip}", f"account:{data.email}"]
    await check_attempt_limits(ctx, limit, subjects, data.captcha_token)
    user = await AccountRepository(session).find_by_email(data.email)
    usable = user is not None and user.status is not AccountStatus.DELETED
    valid = await ctx.passwords.verify(
        user.password_hash if usable and user else None, data.password
    )
    if not valid or user is None:
        await record_failure(ctx, limit, subjects)
        raise InvalidCredentials(GENERIC_FAILURE)
    await clear_failures(ctx, limit, subjects)
    _refuse_suspended(user)
    if ctx.passwords.hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = await ctx.passwords.hash(data.password)
    return await start_session(session, ctx, user=user, method=AuthMethod.PASSWORD, caller=caller)


def _refuse_suspended(user: User) -> None:
    if user.status is AccountStatus.SUSPENDED:
        raise AccountSuspended("This account is suspended.")


async def complete_mfa(
    session: AsyncSession, ctx: AuthContext, *, mfa_token: str, code: str, caller: Caller
) -> TokenPair | MfaChallenge:
    """The second step of a sign-in: a TOTP code, or one of the recovery codes."""
    claims = ctx.signer.read_purpose(mfa_token, "mfa")
    repo = AccountRepository(session)
    user = await repo.get_user(uuid.UUID(claims["sub"]), for_update=True)
    if user is None or user.totp_enabled_at is None:
        raise InvalidCredentials("The sign-in has expired. Start again.")
    limit = ctx.limits.mfa_failures
    subjects = [f"user:{user.id}"]
    await check_attempt_limits(ctx, limit, subjects, None)
    if not await verify_second_factor(session, ctx, user=user, code=code):
        await record_failure(ctx, limit, subjects)
        raise InvalidCode("The code is not valid.")
    await clear_failures(ctx, limit, subjects)
    _refuse_suspended(user)
    method = AuthMethod(claims.get("method", AuthMethod.PASSWORD.value))
    return await start_session(session, ctx, user=user, method=method, caller=caller, mfa=True)


async def verify_second_factor(
    session: AsyncSession, ctx: AuthContext, *, user: User, code: str
) -> bool:
    """A TOTP code accepted once (replay-safe), or an unused recovery code."""
    code = code.strip().replace(" ", "").replace("-", "")
    if code.isdigit() and len(code) == 6 and user.totp_secret:
        totp = pyotp.TOTP(ctx.fernet.decrypt(user.totp_secret).decode())
        now = utcnow()
        for offset in (0, -1, 1):
            step = totp.timecode(now) + offset
            if totp.generate_otp(step) == code:
                if user.totp_last_step is not None and step <= user.totp_last_step:
                    return False
                user.totp_last_step = step
                return True
        return False
    return await AccountRepository(session).use_recovery_code(
        user.id, keyed_hash(ctx.runtime.settings.secret, "recovery", code.lower())
    )


async def change_password(
    session: AsyncSession,
    ctx: AuthContext,
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
) -> None:
    """Keeps this session, ends the others, and tells the owner."""
    repo = AccountRepository(session)
    user = await repo.require_user(principal.id, for_update=True)
    limit, subjects = ctx.limits.signin_failures, [f"account:{user.email or user.id}"]
    await check_attempt_limits(ctx, limit, subjects, None)
    if not await ctx.passwords.verify(user.password_hash, current_password):
        await record_failure(ctx, limit, subjects)
        raise InvalidCredentials("The current password is incorrect.")
    if user.email and new_password.lower() == user.email:
        raise ValidationFailed.field(
            "new_password", "not_allowed", "The password must not be your e-mail address"
        )
    user.password_hash = await ctx.passwords.hash(new_password)
    await repo.revoke_sessions(user.id, reason="password_changed", keep=principal.session_id)
    if user.email:
        await outbox.add(
            session,
            "accounts.send_security_notice",
            user_id=user.id,
            kind="password_changed",
            to=user.email,
        )
