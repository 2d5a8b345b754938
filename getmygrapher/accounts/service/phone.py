"""Phone codes: verifying a number and signing in with it (AUTH-9, AUTH-12)."""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import InvalidCode, PhoneTaken
from getmygrapher.accounts.models import AuthMethod, OtpPurpose, PhoneOtp
from getmygrapher.accounts.repository import AccountRepository
from getmygrapher.accounts.schemas import MfaChallenge, TokenPair
from getmygrapher.accounts.service.context import AuthContext, Caller
from getmygrapher.accounts.service.passwords import (
    check_attempt_limits,
    clear_failures,
    record_failure,
)
from getmygrapher.accounts.service.sessions import create_account, start_session
from getmygrapher.core import outbox
from getmygrapher.core.errors import RateLimited
from getmygrapher.core.security import AccountStatus, AccountSuspended, Principal, keyed_hash
from getmygrapher.core.sms import Sms
from getmygrapher.core.time import utcnow

OTP_TTL = timedelta(minutes=10)
INVALID = "The code is not valid. Check it or ask for a new one."


def _code_hash(ctx: AuthContext, otp: PhoneOtp, code: str) -> str:
    return keyed_hash(ctx.runtime.settings.secret, "otp", str(otp.id), otp.phone, code)


async def _issue(
    session: AsyncSession,
    ctx: AuthContext,
    *,
    phone: str,
    purpose: OtpPurpose,
    user_id: uuid.UUID | None,
    caller: Caller,
    captcha_token: str | None,
) -> None:
    """Caps: one code a minute, 5 an hour and 10 a day per number and per account, per IP too."""
    settings = ctx.runtime.settings
    await check_attempt_limits(ctx, ctx.limits.otp_failures, [f"phone:{phone}"], captcha_token)
    repo = AccountRepository(session)
    await repo.lock_phone(phone)
    now = utcnow()
    latest = await repo.latest_otp(phone=phone, purpose=purpose)
    if latest is not None:
        wait = settings.otp_resend_seconds - (now - latest.created_at).total_seconds()
        if wait > 0:
            raise RateLimited(
                "Wait a moment before asking for another code.", retry_after=int(wait) + 1
            )
    caps: list[tuple[str | None, uuid.UUID | None, str]] = [(phone, None, "this number")]
    if user_id is not None:
        caps.append((None, user_id, "this account"))
    for by_phone, by_user, whom in caps:
        for window, limit in (
            (timedelta(hours=1), settings.otp_per_hour),
            (timedelta(days=1), settings.otp_per_day),
        ):
            sent = await repo.count_otps(since=now - window, phone=by_phone, user_id=by_user)
            if sent >= limit:
                raise RateLimited(
                    f"Too many codes for {whom}; try again later.",
                    retry_after=int(window.total_seconds()),
                    limit=limit,
                )
    await ctx.runtime.rate_limiter.enforce(
        ctx.limits.otp_per_ip, caller.ip, detail="Too many codes requested from this network."
    )
    otp = await repo.add_otp(
        phone=phone, purpose=purpose, user_id=user_id, expires_at=now + OTP_TTL
    )
    await outbox.add(session, "accounts.send_otp", otp_id=otp.id)


async def send_otp(session: AsyncSession, ctx: AuthContext, *, otp_id: uuid.UUID) -> None:
    """Runs in a task: the code is born here, stored only as a keyed hash, and sent once."""
    otp = await AccountRepository(session).get_otp(otp_id)
    if (
        otp is None
        or otp.code_hash is not None
        or otp.consumed_at is not None
        or otp.expires_at <= utcnow()
    ):
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    otp.code_hash = _code_hash(ctx, otp, code)
    await ctx.runtime.sms.send(
        Sms(
            to=otp.phone,
            variables={"otp": code, "minutes": "10"},
            text=f"{code} is your GetMyGrapher verification code. It is valid for 10 minutes. "
            "Do not share it with anyone.",
        )
    )


async def request_sign_in_code(
    session: AsyncSession,
    ctx: AuthContext,
    *,
    phone: str,
    caller: Caller,
    captcha_token: str | None,
) -> None:
    """Known or not, the number gets a code; an unknown one becomes an account on sign-in."""
    await _issue(
        session,
        ctx,
        phone=phone,
        purpose=OtpPurpose.SIGN_IN,
        user_id=None,
        caller=caller,
        captcha_token=captcha_token,
    )


async def _check_code(
    session: AsyncSession, ctx: AuthContext, *, otp: PhoneOtp | None, phone: str, code: str
) -> None:
    """Five wrong tries spend a code; each wrong try is kept although the request fails."""
    subjects = [f"phone:{phone}"]
    now = utcnow()
    if (
        otp is None
        or otp.code_hash is None
        or otp.consumed_at is not None
        or otp.expires_at <= now
        or otp.attempts >= ctx.runtime.settings.otp_max_attempts
    ):
        await record_failure(ctx, ctx.limits.otp_failures, subjects)
        raise InvalidCode(INVALID)
    if not hmac.compare_digest(otp.code_hash, _code_hash(ctx, otp, code)):
        otp.attempts += 1
        await session.flush()
        await record_failure(ctx, ctx.limits.otp_failures, subjects)
        raise InvalidCode(
            INVALID, attempts_left=max(0, ctx.runtime.settings.otp_max_attempts - otp.attempts)
        )
    otp.consumed_at = now
    await clear_failures(ctx, ctx.limits.otp_failures, subjects)


async def sign_in_with_code(
    session: AsyncSession,
    ctx: AuthContext,
    *,
    phone: str,
    code: str,
    caller: Caller,
    captcha_token: str | None,
) -> TokenPair | MfaChallenge:
    await check_attempt_limits(ctx, ctx.limits.otp_failures, [f"phone:{phone}"], captcha_token)
    repo = AccountRepository(session)
    otp = await repo.latest_otp(phone=phone, purpose=OtpPurpose.SIGN_IN, for_update=True)
    await _check_code(session, ctx, otp=otp, phone=phone, code=code)
    user, created = await repo.find_by_verified_phone(phone), False
    if user is None:
        user = await create_account(session, phone=phone, phone_verified=True)
        if user is None:  # verified by someone else between the two statements
            raise PhoneTaken("This number was just verified on another account.")
        created = True
    if user.status is AccountStatus.SUSPENDED:
        raise AccountSuspended("This account is suspended.")
    if user.status is AccountStatus.DELETED:
        raise InvalidCode(INVALID)
    return await start_session(
        session, ctx, user=user, method=AuthMethod.PHONE, caller=caller, created_account=created
    )


async def change_phone(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal, phone: str, caller: Caller
) -> None:
    """Setting a number clears its verification and sends a code to it."""
    repo = AccountRepository(session)
    if await repo.phone_verified_elsewhere(phone, principal.id):
        raise PhoneTaken("This number is verified on another account.")
    user = await repo.require_user(principal.id, for_update=True)
    if user.phone != phone:
        user.phone, user.phone_verified = phone, False
        user.version += 1
    elif user.phone_verified:
        return
    await _issue(
        session,
        ctx,
        phone=phone,
        purpose=OtpPurpose.VERIFY_PHONE,
        user_id=user.id,
        caller=caller,
        captcha_token=None,
    )


async def verify_phone(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal, code: str
) -> None:
    repo = AccountRepository(session)
    user = await repo.require_user(principal.id, for_update=True)
    if user.phone is None:
        raise InvalidCode(INVALID)
    otp = await repo.latest_otp(
        phone=user.phone, purpose=OtpPurpose.VERIFY_PHONE, user_id=user.id, for_update=True
    )
    await _check_code(session, ctx, otp=otp, phone=user.phone, code=code)
    user.phone_verified = True
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise PhoneTaken("This number was just verified on another account.") from None
