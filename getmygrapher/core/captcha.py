"""The CAPTCHA port, asked for after repeated failures (AUTH-10). Disabled unless configured."""

from __future__ import annotations

from typing import Protocol

import httpx
import structlog

log = structlog.get_logger(__name__)


class Captcha(Protocol):
    enabled: bool

    async def verify(self, token: str, remote_ip: str | None) -> bool: ...


class NoCaptcha:
    enabled = False

    async def verify(self, token: str, remote_ip: str | None) -> bool:
        return True


class SiteVerifyCaptcha:
    """reCAPTCHA, hCaptcha and Turnstile share this protocol: POST secret + response → success."""

    enabled = True

    def __init__(self, http: httpx.AsyncClient, *, verify_url: str, secret: str) -> None:
        self.http, self.verify_url, self.secret = http, verify_url, secret

    async def verify(self, token: str, remote_ip: str | None) -> bool:
        data = {"secret": self.secret, "response": token}
        if remote_ip:
            data["remoteip"] = remote_ip
        try:
            response = await self.http.post(self.verify_url, data=data, timeout=10)
            return response.status_code == 200 and response.json().get("success") is True
        except (httpx.HTTPError, ValueError):
            log.warning("captcha_unreachable")
            return False
