"""Domain errors and the one place that turns any failure into RFC 9457 problem+json."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from http import HTTPStatus
from typing import Any, ClassVar, cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger(__name__)

PROBLEM_TYPE_BASE = "https://getmygrapher.in/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

Extension = str | int | float | bool | None | list[Any] | dict[str, Any]


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    # Errors raised after a counted attempt (a wrong OTP, say) keep what the request wrote so far.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Extension,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        self.headers = dict(headers or {})
        self.extensions = extensions


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "not_authenticated"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class PreconditionFailed(DomainError):
    status, code = 412, "stale_version"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(DomainError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(DomainError):
    status, code = 422, "validation_failed"

    @classmethod
    def field(cls, field: str, code: str, message: str) -> ValidationFailed:
        return cls(message, errors=[{"field": field, "code": code, "message": message}])


class RateLimited(DomainError):
    status, code = 429, "rate_limited"

    def __init__(self, detail: str, *, retry_after: int, limit: int | None = None) -> None:
        headers = {"Retry-After": str(max(1, retry_after))}
        if limit is not None:
            headers |= {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"}
        super().__init__(detail, headers=headers, retry_after=max(1, retry_after))


class ServiceUnavailable(DomainError):
    status, code = 503, "service_unavailable"


class QuotaExceeded(DomainError):
    status, code = 402, "quota_exceeded"

    def __init__(self, *, feature: str, limit: int, used: int, resets_at: datetime | None) -> None:
        super().__init__(
            f"The monthly limit for {feature} is reached ({used} of {limit}).",
            feature=feature,
            limit=limit,
            used=used,
            resets_at=resets_at.isoformat() if resets_at else None,
        )


class ProRequired(DomainError):
    status, code = 403, "pro_required"


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    detail: str,
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "errors": list(errors),
        "request_id": getattr(request.state, "request_id", None),
    }
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_CONTENT_TYPE
    )


# Pydantic error types → the stable validation codes of SPEC §20.
_VALIDATION_CODES = {
    "missing": "required_field",
    "extra_forbidden": "not_allowed",
    "string_too_short": "invalid_length",
    "string_too_long": "invalid_length",
    "too_short": "invalid_length",
    "too_long": "invalid_length",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "literal_error": "invalid_format",
    "enum": "invalid_format",
}

# SPEC §20: the codes a failing field may carry.
VALIDATION_CODES = frozenset(
    {
        "required_field",
        "invalid_format",
        "invalid_length",
        "invalid_file_type",
        "file_too_large",
        "out_of_range",
        "duplicate",
        "not_allowed",
        "contact_info_not_allowed",
        "content_blocked",
    }
)


def _field_path(location: Sequence[int | str]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        kind = str(error.get("type", ""))
        code = _VALIDATION_CODES.get(kind) or (
            kind if kind in VALIDATION_CODES else "invalid_format"
        )
        message = str(error.get("msg", "Invalid value"))
        errors.append(
            {
                "field": _field_path(error.get("loc", ())),
                "code": code,
                "message": message.removeprefix("Value error, "),
            }
        )
    return errors


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(DomainError, exc)
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return problem(
            request,
            status=400,
            code="malformed_request",
            detail="The request body is not valid JSON.",
        )
    errors = _validation_errors(exc)
    return problem(
        request,
        status=422,
        code="validation_failed",
        detail="Some fields are missing or invalid.",
        errors=errors,
    )


_HTTP_CODES = {
    400: "malformed_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = "Nothing was found at this address."
    return problem(request, status=exc.status_code, code=code, detail=detail, headers=exc.headers)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A constraint the service did not anticipate: the request conflicts with stored data.
    log.warning("integrity_error", error=type(getattr(exc, "orig", exc)).__name__)
    return problem(
        request,
        status=409,
        code="conflict",
        detail="The request conflicts with the current state of the resource.",
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database_unavailable", error=type(exc).__name__)
    return problem(
        request,
        status=503,
        code="service_unavailable",
        detail="The service is temporarily unavailable. Please retry shortly.",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", error=type(exc).__name__)
    return problem(
        request,
        status=500,
        code="internal_error",
        detail="Something went wrong on our side. It has been logged.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeoutError, _database_unavailable)
    app.add_exception_handler(DBAPIError, _dbapi_error)
    # The database refusing connections surfaces as OSError from the driver.
    app.add_exception_handler(OSError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


async def _dbapi_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(DBAPIError, exc)
    if exc.connection_invalidated:
        return await _database_unavailable(request, exc)
    return await _unexpected(request, exc)


def problem_json(status: int, code: str, detail: str) -> bytes:
    """A problem body for places outside the exception handlers (middleware)."""
    return json.dumps(
        {
            "type": PROBLEM_TYPE_BASE + code,
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "code": code,
            "errors": [],
        }
    ).encode()
