"""The TOTP second factor and its recovery codes (AUTH-10)."""

from __future__ import annotations

import secrets

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import InvalidCode, TotpAlreadyEnabled, TotpNotEnabled
from getmygrapher.accounts.models import User
from getmygrapher.accounts.repository import AccountRepository
from getmygrapher.accounts.schemas import RecoveryCodes, TotpEnrolment
from getmygrapher.accounts.service.context import AuthContext
from getmygrapher.accounts.service.passwords import (
    check_attempt_limits,
    record_failure,
    verify_second_factor,
)
from getmygrapher.core import outbox
from getmygrapher.core.errors import Forbidden
from getmygrapher.core.security import Principal, keyed_hash
from getmygrapher.core.time import utcnow

RECOVERY_CODE_COUNT = 10
ISSUER_NAME = "GetMyGrapher"


async def _user(session: AsyncSession, principal: Principal) -> User:
    return await AccountRepository(session).require_user(principal.id, for_update=True)


async def start_enrolment(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal
) -> TotpEnrolment:
    """A new secret, active only once a code from it is confirmed."""
    user = await _user(session, principal)
    if user.totp_enabled_at is not None:
        raise TotpAlreadyEnabled("Two-step sign-in is already on.")
    secret = pyotp.random_base32()
    user.totp_secret = ctx.fernet.encrypt(secret.encode())
    user.totp_last_step = None
    label = user.email or user.phone or str(user.id)
    uri = pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=ISSUER_NAME)
    return TotpEnrolment(secret=secret, otpauth_uri=uri)


async def _new_recovery_codes(session: AsyncSession, ctx: AuthContext, user: User) -> RecoveryCodes:
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    hashes = [
        keyed_hash(ctx.runtime.settings.secret, "recovery", code.replace("-", "")) for code in codes
    ]
    await AccountRepository(session).replace_recovery_codes(user.id, hashes)
    return RecoveryCodes(recovery_codes=codes)


async def _require_code(session: AsyncSession, ctx: AuthContext, user: User, code: str) -> None:
    subjects = [f"user:{user.id}"]
    await check_attempt_limits(ctx, ctx.limits.mfa_failures, subjects, None)
    if not await verify_second_factor(session, ctx, user=user, code=code):
        await record_failure(ctx, ctx.limits.mfa_failures, subjects)
        raise InvalidCode("The code is not valid.")


async def confirm_enrolment(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal, code: str
) -> RecoveryCodes:
    """Turns the factor on, marks this session as confirmed, and returns 10 recovery codes."""
    user = await _user(session, principal)
    if user.totp_enabled_at is not None:
        raise TotpAlreadyEnabled("Two-step sign-in is already on.")
    if user.totp_secret is None:
        raise TotpNotEnabled("Start the set-up first.")
    await _require_code(session, ctx, user, code)
    user.totp_enabled_at = utcnow()
    current = await AccountRepository(session).get_session(principal.session_id)
    if current is not None:
        current.mfa_at = utcnow()
    return await _new_recovery_codes(session, ctx, user)


async def regenerate_recovery_codes(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal, code: str
) -> RecoveryCodes:
    user = await _user(session, principal)
    if user.totp_enabled_at is None:
        raise TotpNotEnabled("Two-step sign-in is off.")
    await _require_code(session, ctx, user, code)
    return await _new_recovery_codes(session, ctx, user)


async def disable(
    session: AsyncSession, ctx: AuthContext, *, principal: Principal, code: str
) -> None:
    """Staff keep their second factor: moderators and admins must use it."""
    user = await _user(session, principal)
    if user.totp_enabled_at is None:
        raise TotpNotEnabled("Two-step sign-in is off.")
    if principal.is_staff:
        raise Forbidden("Moderators and admins cannot turn off two-step sign-in.")
    await _require_code(session, ctx, user, code)
    user.totp_enabled_at, user.totp_secret, user.totp_last_step = None, None, None
    await AccountRepository(session).replace_recovery_codes(user.id, [])
    if user.email:
        await outbox.add(
            session,
            "accounts.send_security_notice",
            user_id=user.id,
            kind="totp_disabled",
            to=user.email,
        )
