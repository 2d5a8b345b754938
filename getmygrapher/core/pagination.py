"""Keyset pagination with opaque cursors (GEN-5): no offsets, no unbounded lists."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from getmygrapher.core.errors import ValidationFailed

T = TypeVar("T")
CursorKey = tuple[Any, ...]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def clamp_limit(limit: int | None, *, default: int = DEFAULT_LIMIT) -> int:
    if limit is None:
        return default
    return max(1, min(limit, MAX_LIMIT))


Limit = Annotated[int | None, Query(ge=1, description="Page size; above 100 is clamped to 100.")]
Cursor = Annotated[str | None, Query(max_length=500, description="Opaque cursor from next_cursor.")]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, UUID):
        return {"u": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        if kind == "t":
            return datetime.fromisoformat(raw)
        if kind == "u":
            return UUID(raw)
    return value


def encode_cursor(key: CursorKey) -> str:
    raw = json.dumps([_encode_value(part) for part in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _fits(value: Any, expected: type) -> bool:
    if isinstance(value, bool):
        return expected is bool
    if expected is float:
        return isinstance(value, int | float) and math.isfinite(value)
    if expected is int:
        return isinstance(value, int) and -(2**31) <= value < 2**31
    return isinstance(value, expected)


def decode_cursor(
    cursor: str | None, *, arity: int, types: Sequence[type] | None = None
) -> CursorKey | None:
    """The key a cursor carries; `types` (by default a timestamp and an id when there are two
    parts) keeps a forged cursor from reaching the database with the wrong kinds of value."""
    if cursor is None:
        return None
    expected = types if types is not None else (datetime, UUID) if arity == 2 else None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != arity:
            raise ValueError("wrong arity")
        key = tuple(_decode_value(part) for part in parts)
        if expected is not None and not all(map(_fits, key, expected)):
            raise ValueError("wrong kinds of value")
        return key
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed.field(
            "cursor", "invalid_format", "The cursor is not one this server issued."
        ) from None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def to_page(rows: Sequence[T], *, limit: int, key: Callable[[T], CursorKey]) -> Page[T]:
    """`rows` was fetched with limit + 1; the extra row only says that there is more."""
    items, more = list(rows[:limit]), len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more and items else None)
