"""Calendars at scale: 200,000 professionals with six months of slots; one professional reads
their month, clients send booking requests, and a professional applies a year-long weekly
pattern. Server time from the `Server-Timing` header; every loop bounded in count and time."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from getmygrapher.cli import synthetic
from getmygrapher.cli.bench import Result, _server_ms, _timed
from getmygrapher.core.config import Settings
from getmygrapher.core.security import Role, TokenSigner
from getmygrapher.core.time import today_ist

MONTH_TARGET_P99_MS = 20.0
BOOKING_TARGET_P99_MS = 30.0
PATTERN_TARGET_MS = 200.0
BATCH = 20_000  # professionals per slot-loading statement


@dataclass(frozen=True)
class CalendarOptions:
    professionals: int = 200_000
    days: int = 183  # six months
    clients: int = 2_000
    requests: int = 300
    patterns: int = 20
    seed: int = 2026


@dataclass
class Loaded:
    professionals: list[uuid.UUID]
    clients: list[uuid.UUID]
    tokens: dict[uuid.UUID, str]


async def load(
    engine: AsyncEngine, settings: Settings, options: CalendarOptions, console: Console
) -> Loaded:
    """Professionals with a 1-hour-grid calendar (no lead time, a year's horizon) and, on five
    weekdays of every week, a morning and an afternoon slot for six months; all set-based."""
    rng = random.Random(f"calendar-{options.seed}")  # noqa: S311 - benchmark data
    professionals = [
        uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(options.professionals)
    ]
    clients = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(options.clients)]
    started = time.perf_counter()
    async with engine.begin() as connection:
        await synthetic.insert_users(connection, professionals, "calendar", None, lambda n: None)
        await synthetic.insert_users(connection, clients, "booker", None, lambda n: None)
        await connection.execute(
            text(
                "INSERT INTO calendar_settings (user_id, lead_time_hours, advance_booking_days) "
                "SELECT unnest(CAST(:ids AS uuid[])), 0, 365 ON CONFLICT (user_id) DO UPDATE "
                "SET lead_time_hours = 0, advance_booking_days = 365"
            ),
            {"ids": professionals},
        )
    first = today_ist() + timedelta(days=1)
    for start in range(0, len(professionals), BATCH):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO calendar_slots (user_id, day, starts_at, ends_at, period, status,"
                    "  source) "
                    "SELECT p.id, d.day, h.starts_at, h.ends_at, tstzrange("
                    "  (d.day + h.starts_at) AT TIME ZONE 'Asia/Kolkata',"
                    "  (d.day + h.ends_at) AT TIME ZONE 'Asia/Kolkata', '[)'), "
                    "  'available', 'pattern' "
                    "FROM unnest(CAST(:ids AS uuid[])) AS p(id) "
                    "CROSS JOIN (SELECT CAST(g AS date) AS day FROM generate_series("
                    "  CAST(:first AS date), CAST(:first AS date) + CAST(:days AS int) - 1,"
                    "  interval '1 day') g"
                    "  WHERE extract(isodow FROM g) <= 5) AS d "
                    "CROSS JOIN (VALUES (time '09:00', time '13:00'), (time '14:00', time '18:00'))"
                    "  AS h(starts_at, ends_at)"
                ),
                {"ids": professionals[start : start + BATCH], "first": first, "days": options.days},
            )
        console.print(
            f"  slots for {min(start + BATCH, len(professionals)):,} professionals "
            f"({time.perf_counter() - started:.0f} s)"
        )
    async with engine.begin() as connection:
        rows = await connection.execute(
            text(
                "INSERT INTO auth_sessions (user_id, method, device, ip, expires_at) "
                "SELECT unnest(CAST(:ids AS uuid[])), 'password', 'benchmark', '127.0.0.1', "
                "  now() + interval '1 day' RETURNING id, user_id"
            ),
            {"ids": professionals[: options.requests + options.patterns] + clients},
        )
        signer = TokenSigner(settings)
        tokens = {
            row.user_id: signer.issue(user_id=row.user_id, session_id=row.id, role=Role.USER)[0]
            for row in rows
        }
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE calendar_slots, calendar_settings"))
        count = await connection.scalar(text("SELECT count(*) FROM calendar_slots"))
    console.print(
        f"loaded {len(professionals):,} calendars with {count:,} slots in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return Loaded(professionals, clients, tokens)


async def measure(
    base: str, loaded: Loaded, options: CalendarOptions, console: Console
) -> list[Result]:
    """The three scenarios against the API at `base`, over the calendars `load` made."""
    rng = random.Random(options.seed)  # noqa: S311 - benchmark inputs
    readers = loaded.professionals[: options.requests]
    first = today_ist() + timedelta(days=1)
    results: list[Result] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def month() -> tuple[float, int]:
            owner = rng.choice(readers)
            start = first + timedelta(days=rng.randrange(0, options.days - 31))
            response = await client.get(
                "/v1/me/calendar",
                params={"from": start.isoformat(), "to": (start + timedelta(days=30)).isoformat()},
                headers={"Authorization": f"Bearer {loaded.tokens[owner]}"},
            )
            return _server_ms(response), len(response.json()["days"])

        for _ in range(10):
            await month()
        console.print("  HTTP  one professional's month")
        results.append(
            await _timed(
                Result("calendar month", "http", target_p99_ms=MONTH_TARGET_P99_MS),
                options.requests,
                month,
            )
        )

        async def booking() -> tuple[float, int]:
            professional = rng.choice(loaded.professionals)
            booker = rng.choice(loaded.clients)
            day = first + timedelta(days=rng.randrange(0, options.days))
            while day.isoweekday() > 5:
                day += timedelta(days=1)
            hour = rng.choice((9, 10, 11, 14, 15, 16))
            response = await client.post(
                f"/v1/professionals/{professional}/bookings",
                json={
                    "day": day.isoformat(),
                    "starts_at": f"{hour:02}:00",
                    "ends_at": f"{hour + 2:02}:00",
                },
                headers={
                    "Authorization": f"Bearer {loaded.tokens[booker]}",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )
            if response.status_code == 409:  # the same pair and date drawn twice
                return _server_ms_any(response), 0
            return _server_ms(response), 1

        console.print("  HTTP  booking request")
        results.append(
            await _timed(
                Result("booking request", "http", target_p99_ms=BOOKING_TARGET_P99_MS),
                options.requests,
                booking,
            )
        )

        owners = iter(loaded.professionals[options.requests : options.requests + options.patterns])

        async def pattern() -> tuple[float, int]:
            owner = next(owners)
            response = await client.post(
                "/v1/me/calendar/patterns",
                json=_year_pattern(first),
                headers={"Authorization": f"Bearer {loaded.tokens[owner]}"},
            )
            return _server_ms(response), 1

        console.print("  HTTP  a year-long weekly pattern")
        results.append(
            await _timed(
                Result("year-long pattern applied", "http", target_p99_ms=PATTERN_TARGET_MS),
                options.patterns,
                pattern,
            )
        )
    return results


def _server_ms_any(response: httpx.Response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _year_pattern(first: Any) -> dict[str, Any]:
    """Evenings every day for a year: 365 slots in one statement, none over the loaded ones."""
    evenings = [{"starts_at": "18:00", "ends_at": "21:00"}]
    return {
        "name": "Evenings all year",
        "type": "weekly",
        "schedule": {"weekdays": dict.fromkeys(WEEK, evenings)},
        "starts_on": first.isoformat(),
        "ends_on": (first + timedelta(days=364)).isoformat(),
    }
