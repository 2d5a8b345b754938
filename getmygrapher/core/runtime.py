"""What requests and tasks share: settings, the database and the ports to the outside world."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from getmygrapher.core.captcha import Captcha
from getmygrapher.core.config import Settings
from getmygrapher.core.mail import Mailer
from getmygrapher.core.ratelimit import RateLimiter
from getmygrapher.core.realtime import Broker
from getmygrapher.core.sms import SmsSender
from getmygrapher.core.storage import Storage


@dataclass
class Runtime:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    mailer: Mailer
    sms: SmsSender
    captcha: Captcha
    rate_limiter: RateLimiter
    http: httpx.AsyncClient
    storage: Storage
    # Wakes the processes holding websockets (core/realtime.py).
    broker: Broker
    # Domain-owned clients (Google keys, Razorpay) keyed by name, built lazily by their domain.
    clients: dict[str, Any] = field(default_factory=dict)
    # Pools this runtime opened and must close.
    engines: list[AsyncEngine] = field(default_factory=list)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.broker.aclose()
        for engine in self.engines:
            await engine.dispose()
