"""Fixed-window rate limits shared by every API node through PostgreSQL (GEN-7).

Counters are written on their own connection and committed at once, so a request that fails
(a wrong password) still counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from getmygrapher.core.errors import DomainError, RateLimited
from getmygrapher.core.security import client_ip
from getmygrapher.core.time import utcnow

_HIT = text(
    """
    INSERT INTO rate_limit_buckets (key, window_start, count, expires_at)
    VALUES (:key, :window_start, :amount, :expires_at)
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_buckets.count + :amount
    RETURNING count
    """
)
_PEEK = text(
    "SELECT count FROM rate_limit_buckets WHERE key = :key AND window_start = :window_start"
)
_RESET = text("DELETE FROM rate_limit_buckets WHERE key = :key")
_PURGE = text("DELETE FROM rate_limit_buckets WHERE expires_at < now()")


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: timedelta


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    count: int
    reset_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil((self.reset_at - utcnow()).total_seconds()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(self.reset_at.timestamp())),
        }


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


class RateLimiter:
    def __init__(self, engine: AsyncEngine, *, namespace: str = "") -> None:
        self.engine = engine
        self.namespace = namespace

    def _key(self, limit: Limit, subject: str) -> str:
        # Subjects are e-mail addresses, numbers and IPs: store only a digest of them.
        digest = hashlib.sha256(subject.encode()).hexdigest()[:40]
        return f"{self.namespace}{limit.name}:{digest}"

    async def hit(self, limit: Limit, subject: str, *, amount: int = 1) -> Decision:
        now = utcnow()
        start = _window_start(now, limit.window)
        async with self.engine.connect() as connection:
            count = await connection.scalar(
                _HIT,
                {
                    "key": self._key(limit, subject),
                    "window_start": start,
                    "amount": amount,
                    "expires_at": start + limit.window,
                },
            )
            await connection.commit()
        return Decision(
            allowed=(count or 0) <= limit.limit,
            limit=limit.limit,
            count=count or 0,
            reset_at=start + limit.window,
        )

    async def peek(self, limit: Limit, subject: str) -> Decision:
        now = utcnow()
        start = _window_start(now, limit.window)
        async with self.engine.connect() as connection:
            count = await connection.scalar(
                _PEEK, {"key": self._key(limit, subject), "window_start": start}
            )
        return Decision(
            allowed=(count or 0) < limit.limit,
            limit=limit.limit,
            count=count or 0,
            reset_at=start + limit.window,
        )

    async def reset(self, limit: Limit, subject: str) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(_RESET, {"key": self._key(limit, subject)})
            await connection.commit()

    async def enforce(self, limit: Limit, subject: str, *, detail: str) -> Decision:
        decision = await self.hit(limit, subject)
        if not decision.allowed:
            raise RateLimited(detail, retry_after=decision.retry_after, limit=limit.limit)
        return decision

    async def purge_expired(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(_PURGE)
            await connection.commit()


WRITES = "writes"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Providers retry on their own schedule; their requests are signed, not counted.
UNLIMITED_PREFIXES = ("/v1/webhooks/",)


async def limit_writes(request: Request, response: Response) -> None:
    """GEN-7: writes per minute, per signed-in user (or per IP for anonymous callers)."""
    if request.method not in _WRITE_METHODS or request.url.path.startswith(UNLIMITED_PREFIXES):
        return
    runtime = request.app.state.runtime
    subject = f"ip:{client_ip(request)}"
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        with contextlib.suppress(DomainError):
            subject = f"user:{request.app.state.token_signer.read(authorization[7:]).user_id}"
    limit = Limit(WRITES, runtime.settings.writes_per_minute, timedelta(minutes=1))
    decision = await runtime.rate_limiter.hit(limit, subject)
    response.headers.update(decision.headers())
    if not decision.allowed:
        raise RateLimited(
            "Too many requests; slow down.", retry_after=decision.retry_after, limit=limit.limit
        )
