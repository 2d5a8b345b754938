"""Synthetic data at scale: clients, professionals and jobs spread the way Indians are (mostly
around cities, some everywhere else), loaded with COPY. Seeded, so every run is the same."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Index, Table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateIndex

from getmygrapher.core import places
from getmygrapher.core.taxonomy import CATEGORIES, EXPERIENCE_BANDS, WORK_RADIUS_PRESETS_KM
from getmygrapher.core.time import IST, today_ist, utcnow
from getmygrapher.jobs.models import Job
from getmygrapher.notifications.models import DEFAULT_CHANNELS

SYNTHETIC_DOMAIN = "synthetic.getmygrapher.in"
BATCH = 20_000
# Most work is in and around cities; the rest is anywhere people live.
RURAL_SHARE = 0.15

EVENTS = (
    "wedding",
    "reception",
    "engagement",
    "haldi",
    "mehendi",
    "birthday party",
    "baby shower",
    "corporate event",
    "product launch",
    "conference",
    "fashion shoot",
    "maternity shoot",
    "newborn shoot",
    "concert",
    "music video",
    "podcast",
    "documentary",
    "restaurant menu",
    "real estate walkthrough",
    "college fest",
    "temple festival",
    "house warming",
    "brand campaign",
    "catalogue shoot",
    "stage play",
    "sports meet",
)
QUALITIES = (
    "candid",
    "traditional",
    "cinematic",
    "documentary-style",
    "studio",
    "outdoor",
    "drone",
    "same-day edit",
    "premium",
    "budget",
)
TEMPLATES = (
    "Need a {quality} {type_lower} for a {event} in {city}. About {guests} guests, {hours} hours "
    "of coverage. Please share similar work.",
    "{event_title} on {weekday}: looking for an experienced {type_lower}. {quality_title} style "
    "preferred, edited deliverables within two weeks.",
    "We are planning a {event} near {city} and want {quality} coverage. Equipment of your own "
    "is expected; travel within the city is paid.",
)
CATEGORY_WEIGHTS = {
    "Photography": 50,
    "Videography & Film": 25,
    "Audio Production": 8,
    "Design & Creative": 9,
    "Multi-Disciplinary": 8,
}
URGENCIES = ("Normal", "Normal", "Normal", "Normal", "Urgent", "Emergency")
BUDGET_TYPES = ("fixed", "fixed", "hourly", "project")
JOB_COLUMNS = (
    "id",
    "client_id",
    "status",
    "title",
    "description",
    "category",
    "professional_types",
    "positions",
    "job_date",
    "time_slots",
    "starts_at",
    "ends_at",
    "applications_close_at",
    "address",
    "city",
    "state",
    "pin_code",
    "lat",
    "lng",
    "budget_min",
    "budget_max",
    "budget_type",
    "negotiable",
    "urgency",
    "published_at",
    "created_at",
    "updated_at",
)


def job_indexes() -> list[Index]:
    table: Table = Job.__table__  # type: ignore[assignment]
    return sorted(table.indexes, key=lambda index: str(index.name))


@dataclass(frozen=True)
class Loaded:
    clients: list[uuid.UUID]
    professionals: list[uuid.UUID]
    jobs: int


class Geography:
    """Points drawn around populated places: big cities often, small towns sometimes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.places = [place for place, _ in places.populated_places()]
        weights = [population for _, population in places.populated_places()]
        self.cumulative = list(itertools.accumulate(weights))

    def city(self) -> places.Place:
        pick = self.rng.random() * self.cumulative[-1]
        return self.places[bisect.bisect_left(self.cumulative, pick)]

    def point(self) -> tuple[places.Place, float, float]:
        if self.rng.random() < RURAL_SHARE:
            place, spread = self.rng.choice(self.places), 0.35
        else:
            place, spread = self.city(), 0.08
        lat = min(37.59, max(6.01, self.rng.gauss(place.lat, spread)))
        lng = min(97.49, max(68.01, self.rng.gauss(place.lng, spread)))
        return place, round(lat, 6), round(lng, 6)


def _category(rng: random.Random) -> str:
    return rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]


def job_records(
    rng: random.Random, count: int, clients: Sequence[uuid.UUID]
) -> Iterator[tuple[Any, ...]]:
    """Published, open jobs with realistic text, dates, slots and budgets."""
    geography = Geography(rng)
    today, now = today_ist(), utcnow()
    for _ in range(count):
        place, lat, lng = geography.point()
        category = _category(rng)
        types = rng.sample(CATEGORIES[category]["types"], k=rng.choice((1, 1, 1, 2, 3)))
        event, quality = rng.choice(EVENTS), rng.choice(QUALITIES)
        date = today + dt.timedelta(days=rng.randint(1, 180))
        start_hour = rng.randint(6, 16)
        hours = rng.randint(2, 8)
        starts = dt.datetime.combine(date, dt.time(start_hour), tzinfo=IST).astimezone(dt.UTC)
        low = rng.randrange(500, 60_000, 500)
        high = min(100_000, low + rng.randrange(0, 40_000, 500))
        published = now - dt.timedelta(seconds=rng.randint(0, 60 * 86_400))
        description = rng.choice(TEMPLATES).format(
            quality=quality,
            quality_title=quality.capitalize(),
            type_lower=types[0].lower(),
            event=event,
            event_title=event.capitalize(),
            city=place.name,
            guests=rng.randrange(20, 800, 10),
            hours=hours,
            weekday=date.strftime("%A"),
        )
        yield (
            uuid.uuid4(),
            rng.choice(clients),
            "active",
            f"{types[0]} for a {event} in {place.name}"[:100],
            description,
            category,
            types,
            rng.choice((1, 1, 1, 2)),
            date,
            json.dumps([{"start": f"{start_hour:02}:00", "end": f"{start_hour + hours:02}:00"}]),
            starts,
            starts + dt.timedelta(hours=hours),
            starts,
            f"Near {place.name} town centre",
            place.name[:50],
            place.state,
            None,
            lat,
            lng,
            low,
            high,
            rng.choice(BUDGET_TYPES),
            rng.random() < 0.4,
            rng.choice(URGENCIES),
            published,
            published,
            published,
        )


def professional_records(rng: random.Random, ids: Sequence[uuid.UUID]) -> Iterator[tuple[Any, ...]]:
    geography = Geography(rng)
    for user_id in ids:
        place, lat, lng = geography.point()
        category = _category(rng)
        specs = CATEGORIES[category]["specializations"]
        chosen = rng.sample(specs, k=rng.randint(1, min(3, len(specs))))
        yield (
            user_id,
            category,
            rng.choice(CATEGORIES[category]["types"]),
            chosen,
            rng.choice(EXPERIENCE_BANDS),
            "per_day",
            rng.randrange(2000, 60_000, 500),
            lat,
            lng,
            place.name[:50],
            place.state,
            rng.choice(WORK_RADIUS_PRESETS_KM),
            f"{chosen[0]} around {place.name}.",
            80,
        )


async def _copy(
    connection: AsyncConnection,
    table: str,
    columns: Sequence[str],
    records: Iterator[tuple[Any, ...]],
    *,
    advance: Callable[[int], None],
) -> int:
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    total = 0
    while batch := list(itertools.islice(records, BATCH)):
        await driver.copy_records_to_table(table, records=batch, columns=list(columns))
        total += len(batch)
        advance(len(batch))
    return total


async def insert_users(
    connection: AsyncConnection,
    ids: Sequence[uuid.UUID],
    kind: str,
    password_hash: str | None,
    advance: Callable[[int], None],
) -> None:
    now = utcnow()
    records = (
        (
            user_id,
            f"{kind}-{user_id.hex[:12]}@{SYNTHETIC_DOMAIN}",
            True,
            password_hash,
            f"Synthetic {kind.title()}",
            now,
        )
        for user_id in ids
    )
    await _copy(
        connection,
        "users",
        ("id", "email", "email_verified", "password_hash", "full_name", "onboarded_at"),
        iter(records),
        advance=advance,
    )
    await connection.execute(
        text(
            "INSERT INTO notification_preferences (user_id, channels) "
            "SELECT unnest(CAST(:ids AS uuid[])), CAST(:channels AS jsonb)"
        ),
        {"ids": list(ids), "channels": json.dumps(DEFAULT_CHANNELS)},
    )
    await connection.execute(
        text("INSERT INTO calendar_settings (user_id) SELECT unnest(CAST(:ids AS uuid[]))"),
        {"ids": list(ids)},
    )
    await connection.execute(
        text(
            "INSERT INTO onboarding (user_id, status, completed_steps, completed_at) "
            "SELECT unnest(CAST(:ids AS uuid[])), 'completed', "
            "ARRAY['category_selection', 'type_selection', 'location_setup', 'basic_profile', "
            "'professional_details', 'availability_setup'], now()"
        ),
        {"ids": list(ids)},
    )


async def load(
    engine: AsyncEngine,
    *,
    jobs: int,
    professionals: int,
    clients: int,
    seed: int,
    password_hash: str | None = None,
    rebuild_indexes: bool = False,
    advance: Callable[[str, int], None] = lambda kind, n: None,
) -> Loaded:
    """Clients with onboarded accounts, professionals with full profiles, and open jobs.

    With `rebuild_indexes` the job indexes are dropped for the load and built again after it,
    which is much faster for millions of rows (for an empty database such as the benchmark's).
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    client_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(clients)]
    professional_ids = [
        uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(professionals)
    ]
    async with engine.begin() as connection:
        await insert_users(
            connection, client_ids, "client", password_hash, lambda n: advance("clients", n)
        )
        await insert_users(
            connection,
            professional_ids,
            "professional",
            password_hash,
            lambda n: advance("professionals", n),
        )
        await _copy(
            connection,
            "profiles",
            (
                "user_id",
                "category",
                "professional_type",
                "specializations",
                "experience",
                "pricing_type",
                "rate_rupees",
                "lat",
                "lng",
                "city",
                "state",
                "work_radius_km",
                "about",
                "completion_score",
            ),
            professional_records(rng, professional_ids),
            advance=lambda n: None,
        )
        indexes = job_indexes() if rebuild_indexes else []
        for index in indexes:
            await connection.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
        loaded = await _copy(
            connection,
            "jobs",
            JOB_COLUMNS,
            job_records(rng, jobs, client_ids) if client_ids else iter(()),
            advance=lambda n: advance("jobs", n),
        )
        for index in indexes:
            advance("indexes", 0)
            await connection.execute(
                text(str(CreateIndex(index).compile(dialect=postgresql.dialect())))  # type: ignore[no-untyped-call]
            )
            advance("indexes", 1)
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE jobs"))
        await autocommit.execute(text("VACUUM ANALYZE profiles"))
        await autocommit.execute(text("ANALYZE users"))
    return Loaded(clients=client_ids, professionals=professional_ids, jobs=loaded)
