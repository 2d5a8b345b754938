"""ASGI middleware: request ids, body size limit, metrics and an access log without secrets."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from fastapi import Request, params
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from getmygrapher.core.errors import UnsupportedMediaType, problem_json

log = structlog.get_logger("getmygrapher.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request to response",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )


class RequestContextMiddleware:
    """Outermost: gives every request an id, limits its body, measures and logs it."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int, max_upload_bytes: int
    ) -> None:
        self.app, self.metrics = app, metrics
        self.max_body_bytes, self.max_upload_bytes = max_body_bytes, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        status = 500
        started = time.perf_counter()
        # Uploads (multipart) may be larger than JSON bodies; each file is checked again.
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._reject(send, request_id, 413 if declared.isdigit() else 400)
            self._observe(scope, 413, started)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Rendered by the app's own handler as a 413 problem.
                    raise StarletteHTTPException(413, "The request body is too large.")
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Server-side time up to the response (PERF-1), for clients and benchmarks.
                elapsed_ms = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    (b"server-timing", f"app;dur={elapsed_ms:.2f}".encode()),
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        finally:
            self._observe(scope, status, started)

    async def _reject(self, send: Send, request_id: str, status: int) -> None:
        detail = (
            "The request body is too large."
            if status == 413
            else "The Content-Length header is invalid."
        )
        body = problem_json(
            status, "payload_too_large" if status == 413 else "malformed_request", detail
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route: Any = scope.get("route")
        template = getattr(route, "path", "unmatched")
        method = scope.get("method", "GET")
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(elapsed)
        log.info(
            "request",
            method=method,
            route=template,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )


_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _accepts(media_type: str, *, form: bool) -> bool:
    if form:
        return media_type in _FORM_TYPES
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def require_declared_media_type(request: Request) -> None:
    """A body in a type the operation does not read is refused as such (415), instead of
    being parsed by guesswork and failing validation in a way that hides the real mistake."""
    route = request.scope.get("route")
    body_field = getattr(route, "body_field", None)
    if body_field is None:
        return
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return  # no body: validation says what is missing
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    form = isinstance(body_field.field_info, params.Form)
    if not _accepts(media_type, form=form):
        expected = "multipart/form-data" if form else "application/json"
        raise UnsupportedMediaType(f"Send this request's body as {expected}.")


def if_match_version(if_match: str | None) -> int | None:
    """The row version an `If-Match` header names (`"3"` or `W/"3"`); -1 for anything else,
    which matches no version and so gets 412; None when the header is absent."""
    if if_match is None:
        return None
    cleaned = if_match.strip().removeprefix("W/").strip('"')
    return int(cleaned) if cleaned.isdigit() and len(cleaned) < 10 else -1
