"""Examples for JSON schemas: a plausible instance built from the schema's own constraints and
the field names, so that every schema of the API document shows what a value looks like."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_UUID = "5f0c2a8e-3b1d-4c6a-9e7f-2d4b6a8c0e13"
_FORMATS: Mapping[str, Any] = {
    "uuid": _UUID,
    "date-time": "2026-12-05T10:30:00+05:30",
    "date": "2026-12-20",
    "time": "10:30:00",
    "email": "asha.menon@example.in",
    "uri": "https://getmygrapher.in/asha-menon",
    "binary": "",
    "duration": "P1D",
}

# By field name: what a photographer in Kochi or a client in Mumbai would send.
_STRINGS: Mapping[str, str] = {
    "email": "asha.menon@example.in",
    "new_email": "asha.menon@example.in",
    "phone": "+919876543210",
    "pin_code": "682001",
    "city": "Kochi",
    "state": "Kerala",
    "full_name": "Asha Menon",
    "name": "Asha Menon",
    "display_name": "Asha Menon",
    "title": "Wedding photographer for a two-day ceremony",
    "headline": "Candid wedding and portrait photographer",
    "description": "Two-day Kerala Hindu wedding in Kochi: candid and traditional coverage.",
    "bio": "Candid wedding photographer in Kochi with eight years of experience.",
    "text": "Hello! Are you free on 20 December for a wedding shoot in Kochi?",
    "body": "Hello! Are you free on 20 December for a wedding shoot in Kochi?",
    "message": "I would love to cover your wedding; my portfolio is on my profile.",
    "cover_letter": "I would love to cover your wedding; my portfolio is on my profile.",
    "reason": "Shared contact details against the rules.",
    "note": "Met at the Kochi Biennale.",
    "notes": "Met at the Kochi Biennale.",
    "password": "monsoon-lens-2026",
    "new_password": "monsoon-lens-2026",
    "current_password": "monsoon-lens-2026",
    "code": "123456",
    "currency": "INR",
    "q": "wedding candid",
    "query": "wedding candid",
    "cursor": "eyJrIjpbIjIwMjYtMTItMDUiXX0",
    "next_cursor": "eyJrIjpbIjIwMjYtMTItMDUiXX0",
    "token": "q8Zr0b3v1XJmS6uWc4Yt9nLp2KdA7fHe",
    "refresh_token": "q8Zr0b3v1XJmS6uWc4Yt9nLp2KdA7fHe",
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI1ZjBjIn0.c2lnbmF0dXJl",
    "token_type": "bearer",
    "address": "MG Road, Ernakulam",
    "locality": "Ernakulam",
    "instagram": "asha.frames",
    "brand": "Canon",
    "model": "EOS R6 Mark II",
    "make": "Canon",
    "lens": "RF 24-70mm F2.8 L IS USM",
    "razorpay_order_id": "order_NsP1B5Xq9zYb2c",
    "razorpay_payment_id": "pay_NsP1C7Lm3kQw8d",
    "razorpay_subscription_id": "sub_NsP1D2Hf6tRv4e",
    "razorpay_signature": "9a3f" * 16,
}
_NUMBERS: Mapping[str, float] = {
    "lat": 9.9312,
    "latitude": 9.9312,
    "lng": 76.2673,
    "longitude": 76.2673,
    "radius_km": 25,
    "distance_km": 3.4,
    "limit": 20,
    "years": 8,
    "version": 1,
}


def example_for(schema: Mapping[str, Any], components: Mapping[str, Any], *, hint: str = "") -> Any:
    """An instance of `schema` (references resolved in `components`), or None when no value
    that the schema accepts could be built."""
    return _Builder(components).build(schema, hint.lower(), depth=0)


class _Builder:
    def __init__(self, components: Mapping[str, Any]) -> None:
        self.components = components

    def build(self, schema: Mapping[str, Any], hint: str, depth: int) -> Any:  # noqa: C901 - one branch per JSON Schema keyword
        if depth > 6:
            return None
        for key in ("examples", "example"):
            if key in schema and depth > 0:
                value = schema[key]
                return value[0] if key == "examples" and isinstance(value, list) else value
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        if "$ref" in schema:
            name = str(schema["$ref"]).rsplit("/", 1)[-1]
            target = self.components.get(name)
            return None if target is None else self.build(target, hint, depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
                for option in options:
                    value = self.build(option, hint, depth + 1)
                    if value is not None:
                        return value
                return None
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.build(part, hint, depth + 1)
                if isinstance(value, dict):
                    merged |= value
            return merged or None
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, hint, depth)
        if kind == "string":
            return self._string(schema, hint)
        if kind in {"integer", "number"}:
            return self._number(schema, hint, integer=kind == "integer")
        if kind == "boolean":
            return hint.startswith(("is_", "has_", "can_")) or hint in {"publish", "available"}
        if kind == "null":
            return None
        return {} if not schema else None

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any] | None:
        required = set(schema.get("required", ()))
        value: dict[str, Any] = {}
        for name, subschema in schema.get("properties", {}).items():
            item = self.build(subschema, name.lower(), depth + 1)
            if item is None and name in required and not _accepts_null(subschema):
                return None
            if item is not None or name in required:
                value[name] = item
        return value

    def _array(self, schema: Mapping[str, Any], hint: str, depth: int) -> list[Any]:
        items = schema.get("items", {})
        item = self.build(items, hint.removesuffix("s"), depth + 1) if items else None
        count = max(1, int(schema.get("minItems", 1)))
        if item is None or schema.get("maxItems") == 0:
            return []
        if schema.get("uniqueItems") and count > 1:
            return []
        return [item] * count

    def _string(self, schema: Mapping[str, Any], hint: str) -> str | None:
        candidates = []
        if hint in _STRINGS:
            candidates.append(_STRINGS[hint])
        if hint.endswith("_url") or hint == "url":
            candidates.append("https://getmygrapher.in/asha-menon")
        if hint.endswith("_id") or hint == "id":
            candidates.append(_UUID)
        if hint.endswith("_on") or hint in {"date", "from", "to"}:
            candidates.append("2026-12-20")
        if hint.endswith("_at"):
            candidates.append("2026-12-05T10:30:00+05:30")
        if schema.get("format") in _FORMATS:
            candidates.insert(0, _FORMATS[schema["format"]])
        candidates.append(hint.replace("_", " ") or "text")
        candidates.append("Kochi")
        for candidate in candidates:
            fitted = _fit(candidate, schema)
            if fitted is not None:
                return fitted
        return None

    def _number(self, schema: Mapping[str, Any], hint: str, *, integer: bool) -> float | None:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if hint in _NUMBERS:
            value: float = _NUMBERS[hint]
        elif hint.endswith("_paise"):
            value = 2_500_000
        elif hint.endswith(("_rupees", "_inr")) or hint in {"min", "max", "amount", "rate"}:
            value = 25_000
        elif hint.endswith("_count") or hint in {"count", "total", "used", "remaining"}:
            value = 3
        else:
            value = 1
        if low is not None and value < low:
            value = low + (1 if "exclusiveMinimum" in schema else 0)
        if high is not None and value > high:
            value = high - (1 if "exclusiveMaximum" in schema else 0)
        return int(value) if integer else value


def _accepts_null(schema: Mapping[str, Any]) -> bool:
    options = schema.get("anyOf", []) + schema.get("oneOf", [])
    kinds = schema.get("type")
    return any(o.get("type") == "null" for o in options) or (
        isinstance(kinds, list) and "null" in kinds
    )


def _fit(candidate: str, schema: Mapping[str, Any]) -> str | None:
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    value = candidate
    if high is not None and len(value) > int(high):
        value = value[: int(high)].rstrip()
    if len(value) < low:
        value = (value + " " + "x" * low)[: max(low, len(value))]
        value = value.ljust(low, "x")
    pattern = schema.get("pattern")
    if pattern is not None and re.search(pattern, value) is None:
        return None
    if high is not None and len(value) > int(high):
        return None
    return value if len(value) >= low else None
