"""Stand-ins for an SMS gateway and a CAPTCHA siteverify service, speaking their HTTP protocols."""

from __future__ import annotations

import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SMS_KEY = "sms-test-key"
CAPTCHA_SECRET = "captcha-test-secret"
CAPTCHA_PASS = "solved-captcha"


class SmsGateway:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/send", self.send, methods=["POST"])])

    async def send(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {SMS_KEY}":
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        payload = await request.json()
        with self.lock:
            self.messages.append(payload)
        return JSONResponse({"status": "queued"})

    def codes_for(self, phone: str) -> list[str]:
        with self.lock:
            return [m["variables"]["otp"] for m in self.messages if m["to"] == phone]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


class CaptchaService:
    def __init__(self) -> None:
        self.calls = 0
        self.app = Starlette(routes=[Route("/siteverify", self.verify, methods=["POST"])])

    async def verify(self, request: Request) -> JSONResponse:
        self.calls += 1
        form = await request.form()
        ok = form.get("secret") == CAPTCHA_SECRET and form.get("response") == CAPTCHA_PASS
        return JSONResponse({"success": ok})
