"""Bulk edits and patterns through the API, and what they left in the database."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.factories import Person


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent while the test runs, in order."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


def inserts_into_slots(seen: list[str]) -> list[str]:
    return [s for s in seen if "INSERT INTO calendar_slots" in " ".join(s.split())]


def hours(*spans: tuple[str, str]) -> list[dict[str, str]]:
    return [{"starts_at": a, "ends_at": b} for a, b in spans]


async def bulk(api: AsyncClient, owner: Person, **body: Any) -> Response:
    return await api.post("/v1/me/calendar/bulk", json=body, headers=owner.headers)


async def bulk_ok(api: AsyncClient, owner: Person, **body: Any) -> dict[str, Any]:
    response = await bulk(api, owner, **body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def report_of(result: dict[str, Any], on: str) -> dict[str, Any]:
    [found] = [entry for entry in result["days"] if entry["day"] == on]
    return dict(found)


def changes(entry: dict[str, Any]) -> list[tuple[str, str | None, str | None, str | None]]:
    def short(value: str | None) -> str | None:
        return value[:5] if value else None

    return [
        (c["change"], short(c["starts_at"]), short(c["ends_at"]), c["status"])
        for c in entry["applied"]
    ]


def skips(entry: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [
        (s["reason"], s["starts_at"] and s["starts_at"][:5], s["ends_at"] and s["ends_at"][:5])
        for s in entry["skipped"]
    ]


async def slots_on(
    session: AsyncSession, owner: Person, on: str
) -> list[tuple[str, str, str, str | None]]:
    """(start, end, status, source) of the owner's slots on a day, in order."""
    rows = await session.execute(
        text(
            "SELECT starts_at, ends_at, status::text AS status, source FROM calendar_slots "
            "WHERE user_id = :u AND day = :d ORDER BY starts_at"
        ),
        {"u": owner.id, "d": dt.date.fromisoformat(on)},
    )
    return [
        (row.starts_at.strftime("%H:%M"), row.ends_at.strftime("%H:%M"), row.status, row.source)
        for row in rows
    ]


async def count_slots(session: AsyncSession, owner: Person, extra: str = "") -> int:
    sql = "SELECT count(*) FROM calendar_slots WHERE user_id = :u " + extra
    return int(await session.scalar(text(sql), {"u": owner.id}) or 0)


async def create_pattern(api: AsyncClient, owner: Person, **body: Any) -> dict[str, Any]:
    response = await api.post("/v1/me/calendar/patterns", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def weekly(days: dict[str, list[dict[str, str]]], **extra: Any) -> dict[str, Any]:
    return {"name": "Weekdays", "type": "weekly", "schedule": {"weekdays": days}, **extra}


def new_id() -> str:
    return str(uuid.uuid4())
