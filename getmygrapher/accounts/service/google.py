"""Google sign-in: ID tokens from apps, and the web authorization-code flow with PKCE (AUTH-1)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.errors import GoogleSignInUnavailable, GoogleTokenRejected, InvalidToken
from getmygrapher.accounts.models import AuthMethod, OAuthState, User
from getmygrapher.accounts.repository import AccountRepository
from getmygrapher.accounts.schemas import GoogleAuthorization, MfaChallenge, TokenPair
from getmygrapher.accounts.service.context import AuthContext, Caller
from getmygrapher.accounts.service.sessions import create_account, start_session
from getmygrapher.core.errors import ServiceUnavailable
from getmygrapher.core.security import AccountStatus, AccountSuspended, hash_token
from getmygrapher.core.time import utcnow

JWKS_TTL_SECONDS = 3600
STATE_TTL = timedelta(minutes=10)
REJECTED = "Google did not vouch for this sign-in."


@dataclass
class GoogleKeys:
    """Google's signing keys, cached; an unknown key id triggers one refetch (key rotation)."""

    url: str
    http: httpx.AsyncClient
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = 0.0

    async def _refresh(self) -> None:
        try:
            response = await self.http.get(self.url, timeout=10)
            response.raise_for_status()
            jwks = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError):
            raise ServiceUnavailable("Google sign-in is unreachable; try again shortly.") from None
        self.keys = {key.key_id: key for key in jwks.keys if key.key_id}
        self.fetched_at = time.monotonic()

    async def key_for(self, kid: str) -> jwt.PyJWK:
        stale = time.monotonic() - self.fetched_at > JWKS_TTL_SECONDS
        if stale or kid not in self.keys:
            await self._refresh()
        if kid not in self.keys:
            raise GoogleTokenRejected(REJECTED)
        return self.keys[kid]


def _keys(ctx: AuthContext) -> GoogleKeys:
    settings = ctx.runtime.settings
    if not settings.google_configured:
        raise GoogleSignInUnavailable("Google sign-in is not enabled on this server.")
    existing = ctx.runtime.clients.get("google_keys")
    if isinstance(existing, GoogleKeys):
        return existing
    keys = GoogleKeys(url=settings.google_jwks_url, http=ctx.runtime.http)
    ctx.runtime.clients["google_keys"] = keys
    return keys


async def verify_id_token(
    ctx: AuthContext, id_token: str, *, nonce: str | None = None
) -> dict[str, Any]:
    """Signature, audience, issuer, expiry and a verified e-mail address, or rejection."""
    keys = _keys(ctx)
    settings = ctx.runtime.settings
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError:
        raise GoogleTokenRejected(REJECTED) from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise GoogleTokenRejected(REJECTED)
    key = await keys.key_for(header["kid"])
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=settings.google_client_id,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            leeway=30,
        )
    except jwt.PyJWTError:
        raise GoogleTokenRejected(REJECTED) from None
    if claims.get("iss") not in settings.google_issuers:
        raise GoogleTokenRejected(REJECTED)
    if claims.get("email_verified") not in (True, "true") or not claims.get("email"):
        raise GoogleTokenRejected("Google has not verified this e-mail address.")
    if nonce is not None and not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise GoogleTokenRejected(REJECTED)
    return claims


async def _account_for(session: AsyncSession, claims: dict[str, Any]) -> tuple[User, bool]:
    """The linked account, else the one with this verified address (linked now), else a new one."""
    repo = AccountRepository(session)
    subject, email = str(claims["sub"]), str(claims["email"]).strip().lower()
    identity = await repo.find_identity("google", subject)
    if identity is not None:
        return await repo.require_user(identity.user_id, for_update=True), False
    user = await repo.find_by_email(email)
    created = False
    if user is None:
        name = str(claims.get("name") or "")[:50].strip() or None
        user = await create_account(session, email=email, email_verified=True, full_name=name)
        if user is None:  # created by a parallel request a moment ago
            user = await repo.find_by_email(email)
            if user is None:
                raise GoogleTokenRejected(REJECTED)
        else:
            created = True
    elif not user.email_verified:
        # Someone registered this address without proving it; Google just proved who owns it.
        # Drop that unproven password and its sessions so a squatter cannot keep access.
        user.email_verified, user.password_hash = True, None
        await repo.revoke_sessions(user.id, reason="account_claimed_by_google")
    await repo.add_identity(user.id, "google", subject, email)
    return user, created


async def sign_in_with_id_token(
    session: AsyncSession, ctx: AuthContext, *, id_token: str, caller: Caller
) -> TokenPair | MfaChallenge:
    claims = await verify_id_token(ctx, id_token)
    return await _finish(session, ctx, claims=claims, caller=caller)


async def _finish(
    session: AsyncSession, ctx: AuthContext, *, claims: dict[str, Any], caller: Caller
) -> TokenPair | MfaChallenge:
    user, created = await _account_for(session, claims)
    if user.status is AccountStatus.SUSPENDED:
        raise AccountSuspended("This account is suspended.")
    if user.status is AccountStatus.DELETED:
        raise GoogleTokenRejected(REJECTED)
    return await start_session(
        session, ctx, user=user, method=AuthMethod.GOOGLE, caller=caller, created_account=created
    )


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def start_web_sign_in(session: AsyncSession, ctx: AuthContext) -> GoogleAuthorization:
    """The address to send the browser to; the PKCE verifier never leaves the server."""
    _keys(ctx)
    settings = ctx.runtime.settings
    redirect_uri = settings.google_redirect_uri or f"{settings.app_url}/auth/google/callback"
    state, verifier, nonce = (
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(64),
        secrets.token_urlsafe(16),
    )
    await AccountRepository(session).add_oauth_state(
        OAuthState(
            state_hash=hash_token(state),
            code_verifier=verifier,
            nonce=nonce,
            redirect_uri=redirect_uri,
            expires_at=utcnow() + STATE_TTL,
        )
    )
    query = urlencode(
        {
            "client_id": settings.google_client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
            "prompt": "select_account",
        }
    )
    return GoogleAuthorization(authorization_url=f"{settings.google_auth_url}?{query}", state=state)


async def finish_web_sign_in(
    session: AsyncSession, ctx: AuthContext, *, code: str, state: str, caller: Caller
) -> TokenPair | MfaChallenge:
    _keys(ctx)
    settings = ctx.runtime.settings
    pending = await AccountRepository(session).pop_oauth_state(hash_token(state))
    if pending is None:
        raise InvalidToken("This sign-in link has expired. Start again.")
    secret = (
        settings.google_client_secret.get_secret_value() if settings.google_client_secret else ""
    )
    try:
        response = await ctx.runtime.http.post(
            settings.google_token_url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": settings.google_client_id,
                "client_secret": secret,
                "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.code_verifier,
            },
            timeout=10,
        )
    except httpx.HTTPError:
        raise ServiceUnavailable("Google sign-in is unreachable; try again shortly.") from None
    if response.status_code != 200:
        raise GoogleTokenRejected("Google did not accept this sign-in code.")
    try:
        id_token = str(response.json()["id_token"])
    except (ValueError, KeyError):
        raise GoogleTokenRejected(REJECTED) from None
    claims = await verify_id_token(ctx, id_token, nonce=pending.nonce)
    return await _finish(session, ctx, claims=claims, caller=caller)
