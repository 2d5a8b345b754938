"""Accounts made through the real services, with sessions and access tokens."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.accounts.models import AuthMethod, User
from getmygrapher.accounts.schemas import TokenPair
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from getmygrapher.core.time import utcnow

PASSWORD = "Kochi-sunset-2026"
_counter = itertools.count(1)


@dataclass
class Person:
    user: User
    tokens: TokenPair
    password: str = PASSWORD
    totp_secret: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def email(self) -> str:
        assert self.user.email
        return self.user.email

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.access_token}"}


async def make_user(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    email_verified: bool = True,
    phone: str | None = None,
    phone_verified: bool = False,
    role: Role = Role.USER,
    onboarded: bool = False,
    full_name: str | None = "Meera Nair",
    totp: bool = False,
) -> Person:
    ctx = accounts_service.AuthContext.of(runtime)
    email = email or f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@example.in"
    user = await accounts_service.create_account(
        session,
        email=email,
        email_verified=email_verified,
        phone=phone,
        phone_verified=phone_verified,
        password_hash=await ctx.passwords.hash(password),
        full_name=full_name,
        role=role,
        onboarded_at=utcnow() if onboarded else None,
    )
    assert user is not None
    secret = None
    if totp:
        secret = pyotp.random_base32()
        user.totp_secret = ctx.fernet.encrypt(secret.encode())
        user.totp_enabled_at = utcnow()
    tokens = await accounts_service.start_session(
        session,
        ctx,
        user=user,
        method=AuthMethod.PASSWORD,
        caller=accounts_service.Caller(ip="10.0.0.1", device="pytest"),
        mfa=totp,
    )
    assert isinstance(tokens, TokenPair)
    await session.commit()
    return Person(user=user, tokens=tokens, password=password, totp_secret=secret)
