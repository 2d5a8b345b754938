"""Passwords, tokens and the signed-in principal every route's audience is checked against."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cachetools import LRUCache
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.config import Settings
from getmygrapher.core.db import DbSession
from getmygrapher.core.errors import Forbidden, Unauthorized
from getmygrapher.core.time import utcnow


class Role(enum.StrEnum):
    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    PENDING_DELETION = "pending_deletion"
    DELETED = "deleted"


# Passwords ---------------------------------------------------------------------------------------


class Passwords:
    """argon2id; hashing runs in a worker thread so sign-ups never stall the event loop."""

    def __init__(self, settings: Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=1,
        )
        # Verified against when the account does not exist, so both paths cost the same.
        self._decoy = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return (
                    self.hasher.verify(password_hash or self._decoy, password)
                    and password_hash is not None
                )
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check)


# Opaque tokens -----------------------------------------------------------------------------------


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Opaque tokens are high-entropy: a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(secret: bytes, *parts: str) -> str:
    """For low-entropy secrets (6-digit codes): useless without the server key."""
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def derive_key(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


# Access tokens -----------------------------------------------------------------------------------

ISSUER = "getmygrapher"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    role: Role


# Access tokens already verified, by their text: a client sends the same one with every request
# for its lifetime, and verifying it again cost a twentieth of a nearby search's server time.
# Only the clock can change a verified token's answer, so a hit checks its expiry alone.
VERIFIED_TOKENS = 10_000


class TokenSigner:
    def __init__(self, settings: Settings) -> None:
        self.key = derive_key(settings.secret, "access-token")
        self.ttl = timedelta(minutes=settings.access_token_minutes)
        self._verified: LRUCache[str, tuple[AccessClaims, float]] = LRUCache(VERIFIED_TOKENS)

    def issue(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, role: Role, now: datetime | None = None
    ) -> tuple[str, datetime]:
        now = now or utcnow()
        expires_at = now + self.ttl
        payload = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": str(session_id),
            "role": role.value,
            "typ": "access",
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        return jwt.encode(payload, self.key, algorithm=ALGORITHM), expires_at

    def issue_purpose(self, purpose: str, subject: str, *, minutes: int, **claims: Any) -> str:
        now = utcnow()
        payload = {
            "iss": ISSUER,
            "sub": subject,
            "typ": purpose,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=minutes)).timestamp()),
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm=ALGORITHM)

    def read_purpose(self, token: str, purpose: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "typ"]},
            )
        except jwt.PyJWTError:
            raise Unauthorized("The token is invalid or has expired.") from None
        if claims.get("typ") != purpose:
            raise Unauthorized("The token is invalid or has expired.")
        return claims

    def read(self, token: str) -> AccessClaims:
        verified = self._verified.get(token)
        if verified is not None and verified[1] > time.time():  # as PyJWT checks `exp`
            return verified[0]
        claims = self.read_purpose(token, "access")
        try:
            access = AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                role=Role(claims["role"]),
            )
        except (KeyError, ValueError):
            raise Unauthorized("The token is invalid or has expired.") from None
        self._verified[token] = (access, float(claims["exp"]))
        return access


# The principal -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    session_id: uuid.UUID
    role: Role
    status: AccountStatus
    email_verified: bool
    phone_verified: bool
    onboarding_completed: bool
    mfa_satisfied: bool

    @property
    def is_verified(self) -> bool:
        return self.email_verified or self.phone_verified

    @property
    def is_staff(self) -> bool:
        return self.role in {Role.MODERATOR, Role.ADMIN}

    @property
    def acts_as_staff(self) -> bool:
        """Staff powers need the second factor too (AUTH-10), wherever they are checked."""
        return self.is_staff and self.mfa_satisfied


class VerificationRequired(Forbidden):
    code = "verification_required"


class OnboardingIncomplete(Forbidden):
    code = "onboarding_incomplete"


class AccountSuspended(Forbidden):
    code = "account_suspended"


class MfaRequired(Forbidden):
    code = "mfa_required"


PrincipalLoader = Callable[[AsyncSession, AccessClaims], Awaitable[Principal | None]]

_bearer = HTTPBearer(auto_error=False, description="Access token from /v1/auth/*")


def client_ip(request: Request) -> str:
    hops: int = request.app.state.runtime.settings.trusted_proxy_hops
    if hops:
        forwarded = [
            part.strip()
            for part in request.headers.get("x-forwarded-for", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.client.host if request.client else "unknown"


async def optional_principal(
    request: Request,
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    claims = request.app.state.token_signer.read(credentials.credentials)
    loader: PrincipalLoader = request.app.state.principal_loader
    principal = await loader(db, claims)
    if principal is None:
        raise Unauthorized("The session has ended. Please sign in again.")
    if principal.status is AccountStatus.SUSPENDED:
        raise AccountSuspended("This account is suspended.")
    request.state.principal = principal
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized("Sign in to continue.", headers={"WWW-Authenticate": "Bearer"})
    return principal


async def verified_principal(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if not principal.is_verified:
        raise VerificationRequired("Verify your e-mail address or phone number first.")
    return principal


async def onboarded_principal(
    principal: Annotated[Principal, Depends(verified_principal)],
) -> Principal:
    if not principal.onboarding_completed:
        raise OnboardingIncomplete("Finish onboarding first.")
    return principal


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Staff endpoints: the role, and a session confirmed with a second factor (AUTH-10)."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden("You do not have permission to do this.")
        if principal.is_staff and not principal.mfa_satisfied:
            raise MfaRequired("Moderators and admins must sign in with a second factor.")
        return principal

    return check


OptionalUser = Annotated[Principal | None, Depends(optional_principal)]
CurrentUser = Annotated[Principal, Depends(current_principal)]
VerifiedUser = Annotated[Principal, Depends(verified_principal)]
OnboardedUser = Annotated[Principal, Depends(onboarded_principal)]
Moderator = Annotated[Principal, Depends(require_role(Role.MODERATOR, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
