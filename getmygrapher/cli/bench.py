"""The benchmark: a seeded data set loaded with COPY into a scratch database, the real API in its
own process, and p50/p95/p99 of each question asked through HTTP, as bare SQL, and written the
naive way (DESIGN.md §10, SPEC.md §21). Every loop is bounded in count and time."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from getmygrapher.accounts import service as accounts_service
from getmygrapher.accounts.models import AuthMethod
from getmygrapher.accounts.schemas import TokenPair
from getmygrapher.billing.service.lifecycle import grant_by_admin
from getmygrapher.cli import synthetic
from getmygrapher.core import migrate, places
from getmygrapher.core.config import Settings
from getmygrapher.core.db import create_engine, create_sessionmaker, transaction
from getmygrapher.core.taxonomy import CATEGORIES
from getmygrapher.jobs import discovery
from getmygrapher.main import build_runtime

if TYPE_CHECKING:
    from getmygrapher.cli.bench_calendar import CalendarOptions
    from getmygrapher.cli.bench_messaging import MessagingOptions

TARGET_P50_MS, TARGET_P99_MS = 10.0, 50.0  # PERF-1
PROFILE_TARGET_P99_MS = 20.0
SCENARIO_SECONDS = 60.0  # a scenario stops early rather than run past this
WORDS = (
    "wedding",
    "reception",
    "product launch",
    "maternity shoot",
    "concert",
    "podcast",
    "drone",
    "candid wedding",
    "corporate event",
    "catalogue",
    "weding",
    "fashion",
)


@dataclass
class Result:
    name: str
    kind: str  # http | sql | naive | ws
    target_p99_ms: float | None = None  # when set, only p99 is judged
    # What is measured: time inside the server for HTTP, end to end for sockets.
    server_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    note: str = ""

    def percentile(self, q: int) -> float:
        values = self.server_ms
        if len(values) < 2:
            return values[0] if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "samples": len(self.server_ms),
            "p50_ms": round(self.percentile(50), 3),
            "p95_ms": round(self.percentile(95), 3),
            "p99_ms": round(self.percentile(99), 3),
            "client_p50_ms": round(statistics.median(self.client_ms), 3)
            if self.client_ms
            else None,
            "mean_rows": round(statistics.fmean(self.rows), 1) if self.rows else None,
            "throughput_rps": round(len(self.server_ms) / self.elapsed_s, 1)
            if self.elapsed_s
            else None,
            "target_p99_ms": self.target_p99_ms,
            "note": self.note,
        }


@dataclass(frozen=True)
class Options:
    discovery: bool = True
    messaging: bool = True
    jobs: int = 1_000_000
    professionals: int = 200_000
    clients: int = 20_000
    requests: int = 300
    naive_requests: int = 10
    concurrent_requests: int = 2000
    seed: int = 2026
    output: Path = Path("var/bench/results.json")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def api_server(database_url: str, secret_key: str, log: Path) -> Iterator[tuple[str, int]]:
    """The real API in its own process (no worker), on 127.0.0.1 only: its URL and pid; what
    it logs (warnings and errors) goes to `log`."""
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "RUN_WORKER": "false",
        "LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WRITES_PER_MINUTE": "100000",
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "getmygrapher.cli", "serve", "--no-worker"],
            env=env,
            stdout=output,
            stderr=output,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            if process.poll() is not None:
                raise RuntimeError("the API server exited while starting")
            time.sleep(0.2)
        else:
            raise RuntimeError("the API server did not start within 60 s")
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


class Workload:
    """Seeded questions: centres near where people are, words people type."""

    def __init__(self, seed: int, professionals: list[uuid.UUID]) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - benchmark inputs, not secrets
        self.geography = synthetic.Geography(self.rng)
        self.professionals = professionals

    def centre(self) -> dict[str, float]:
        _, lat, lng = self.geography.point()
        return {"lat": lat, "lng": lng}

    def filters(self) -> dict[str, Any]:
        types = CATEGORIES["Photography"]["types"]
        low = self.rng.randrange(5_000, 40_000, 5_000)
        return {
            "professional_types": self.rng.sample(types, 2),
            "urgency": ["Urgent", "Emergency"],
            "budget_min": low,
            "budget_max": low + 20_000,
        }

    def word(self) -> str:
        return self.rng.choice(WORDS)

    def profile(self) -> uuid.UUID:
        return self.rng.choice(self.professionals)


def _http_scenarios(work: Workload) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "nearby 5 km": lambda: work.centre() | {"radius_km": 5},
        "nearby 25 km": lambda: work.centre() | {"radius_km": 25},
        "nearby 100 km": lambda: work.centre() | {"radius_km": 100},
        "nearby 500 km": lambda: work.centre() | {"radius_km": 500},
        "nearby 25 km, filtered": lambda: work.centre() | {"radius_km": 25} | work.filters(),
        "nearby 100 km, filtered": lambda: work.centre() | {"radius_km": 100} | work.filters(),
        "nearby 500 km, filtered": lambda: work.centre() | {"radius_km": 500} | work.filters(),
        "nearby 100 km, newest first": lambda: (
            work.centre() | {"radius_km": 100, "sort": "date_posted"}
        ),
        "nearby 100 km, 100 per page": lambda: work.centre() | {"radius_km": 100, "limit": 100},
        "search, no location": lambda: {"q": work.word(), "radius_km": 500},
        "search 25 km": lambda: work.centre() | {"q": work.word(), "radius_km": 25},
        "search 100 km": lambda: work.centre() | {"q": work.word(), "radius_km": 100},
        "search 500 km, filtered": lambda: (
            work.centre() | {"q": work.word(), "radius_km": 500} | work.filters()
        ),
    }


def _sql_params(params: dict[str, Any], centre: tuple[float, float]) -> discovery.Query:
    q = params.get("q")
    return discovery.Query(
        lat=params.get("lat", centre[0]),
        lng=params.get("lng", centre[1]),
        radius_km=float(params["radius_km"]),
        sort=params.get("sort") or ("relevance" if q else "distance"),
        text=q,
        professional_types=params.get("professional_types", ()),
        urgencies=params.get("urgency", ()),
        budget_min=params.get("budget_min"),
        budget_max=params.get("budget_max"),
        limit=int(params.get("limit", 20)),
    )


async def _timed(
    result: Result, count: int, once: Callable[[], Awaitable[tuple[float, int]]]
) -> Result:
    started = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter()
        server_ms, rows = await once()
        result.client_ms.append((time.perf_counter() - before) * 1000)
        result.server_ms.append(server_ms)
        result.rows.append(rows)
        if time.perf_counter() - started > SCENARIO_SECONDS:
            break
    result.elapsed_s = time.perf_counter() - started
    return result


def _server_ms(response: httpx.Response) -> float:
    response.raise_for_status()
    return float(response.headers["server-timing"].split("dur=")[1])


async def _http(
    client: httpx.AsyncClient,
    name: str,
    make: Callable[[], dict[str, Any]],
    count: int,
    headers: dict[str, str],
) -> Result:
    async def once() -> tuple[float, int]:
        response = await client.get("/v1/jobs", params=make(), headers=headers)
        return _server_ms(response), len(response.json()["items"])

    for _ in range(10):  # warm the connection pool and the plan cache
        await once()
    return await _timed(Result(name, "http"), count, once)


async def _pages(
    client: httpx.AsyncClient, work: Workload, count: int, headers: dict[str, str]
) -> Result:
    """Pages 2 to 5 of nearby 25 km, by cursor: a deep page costs what the first does."""
    result = Result("nearby 25 km, pages 2-5", "http")
    started = time.perf_counter()
    for _ in range(max(1, count // 4)):
        params = work.centre() | {"radius_km": 25}
        cursor = (await client.get("/v1/jobs", params=params, headers=headers)).json()[
            "next_cursor"
        ]
        for _page in range(4):
            if cursor is None:
                break
            before = time.perf_counter()
            response = await client.get(
                "/v1/jobs", params=params | {"cursor": cursor}, headers=headers
            )
            result.client_ms.append((time.perf_counter() - before) * 1000)
            result.server_ms.append(_server_ms(response))
            result.rows.append(len(response.json()["items"]))
            cursor = response.json()["next_cursor"]
        if time.perf_counter() - started > SCENARIO_SECONDS:
            break
    result.elapsed_s = time.perf_counter() - started
    return result


async def _profiles(client: httpx.AsyncClient, work: Workload, count: int) -> Result:
    async def once() -> tuple[float, int]:
        response = await client.get(f"/v1/profiles/{work.profile()}")
        return _server_ms(response), 1

    for _ in range(10):
        await once()
    return await _timed(Result("public profile read", "http"), count, once)


async def _throughput(base: str, work: Workload, headers: dict[str, str], count: int) -> Result:
    """Nearby 25 km from 16 clients at once, for at most `count` requests or 20 s."""
    result = Result("nearby 25 km, 16 concurrent clients", "http")
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while len(result.server_ms) < count and time.perf_counter() - started < 20:
                before = time.perf_counter()
                response = await client.get(
                    "/v1/jobs", params=work.centre() | {"radius_km": 25}, headers=headers
                )
                result.client_ms.append((time.perf_counter() - before) * 1000)
                result.server_ms.append(_server_ms(response))

        await asyncio.gather(*[worker() for _ in range(16)])
    result.elapsed_s = time.perf_counter() - started
    return result


async def _sql(
    engine: AsyncEngine,
    name: str,
    make: Callable[[], dict[str, Any]],
    centre: tuple[float, float],
    count: int,
) -> Result:
    """The database's share: the same questions through `discovery.run`, without HTTP,
    authentication or serialisation."""
    sessions = create_sessionmaker(engine)

    async def once() -> tuple[float, int]:
        query = _sql_params(make(), centre)
        async with sessions() as session, session.begin():
            before = time.perf_counter()
            rows = await discovery.run(session, query)
            return (time.perf_counter() - before) * 1000, len(rows)

    for _ in range(5):
        await once()
    return await _timed(Result(name, "sql"), count, once)


async def _naive(
    engine: AsyncEngine, name: str, sql: str, make: Callable[[], dict[str, Any]], count: int
) -> Result:
    async with engine.connect() as connection:
        # The naive plan, as written: no parallel workers to hide the full scan.
        await connection.execute(text("SET max_parallel_workers_per_gather = 0"))

        async def once() -> tuple[float, int]:
            before = time.perf_counter()
            rows = (await connection.execute(text(sql), make())).all()
            return (time.perf_counter() - before) * 1000, len(rows)

        return await _timed(Result(name, "naive"), count, once)


async def _viewer(settings: Settings, url: str) -> str:
    """A signed-in Pro member (500 km reach) without a base, as the benchmark's caller; the
    centre of a search without a location is then Kochi (JOB-8)."""
    runtime = build_runtime(settings, url)
    try:
        ctx = accounts_service.AuthContext.of(runtime)
        async with transaction(runtime.sessionmaker) as session:
            user = await accounts_service.create_account(
                session,
                email=f"bench-{uuid.uuid4().hex[:8]}@{synthetic.SYNTHETIC_DOMAIN}",
                email_verified=True,
                full_name="Bench Caller",
                onboarded_at=dt.datetime.now(dt.UTC),
            )
            assert user is not None  # noqa: S101 - a fresh address
            await grant_by_admin(
                session, actor_id=user.id, user_id=user.id, months=1, reason="benchmark"
            )
            tokens = await accounts_service.start_session(
                session,
                ctx,
                user=user,
                method=AuthMethod.PASSWORD,
                caller=accounts_service.Caller(ip="127.0.0.1", device="bench"),
                mfa=False,
            )
        assert isinstance(tokens, TokenPair)  # noqa: S101 - no second factor asked
        return str(tokens.access_token)
    finally:
        await runtime.aclose()


async def measure(
    settings: Settings,
    url: str,
    options: Options,
    console: Console,
    chat: MessagingOptions | None = None,
    calendar: CalendarOptions | None = None,
) -> dict[str, Any]:
    engine = create_engine(url, pool_size=4)
    results: list[Result] = []
    extra: dict[str, Any] = {}
    load_seconds = 0.0
    assert settings.secret_key is not None  # noqa: S101 - set by run()
    try:
        if options.discovery:
            load_seconds = await _discovery(settings, url, engine, options, console, results)
        if chat is not None:
            from getmygrapher.cli import bench_messaging

            with api_server(url, settings.secret_key.get_secret_value(), _log(options)) as (
                base,
                pid,
            ):
                found, extra = await bench_messaging.measure(
                    engine, settings, base, pid, chat, console
                )
            results.extend(found)
        if calendar is not None:
            from getmygrapher.cli import bench_calendar

            loaded = await bench_calendar.load(engine, settings, calendar, console)
            with api_server(url, settings.secret_key.get_secret_value(), _log(options)) as (
                base,
                _pid,
            ):
                console.print("calendars: a month, booking requests, a year-long pattern")
                results.extend(await bench_calendar.measure(base, loaded, calendar, console))
    finally:
        await engine.dispose()
    return _report(results, options, load_seconds, console, extra)


async def _discovery(
    settings: Settings,
    url: str,
    engine: AsyncEngine,
    options: Options,
    console: Console,
    results: list[Result],
) -> float:
    """Jobs near and by words, as HTTP, bare SQL and naive SQL; returns the load time."""
    with Progress(console=console, transient=True) as progress:
        bars = {
            kind: progress.add_task(f"loading {kind}", total=total)
            for kind, total in (
                ("clients", options.clients),
                ("professionals", options.professionals),
                ("jobs", options.jobs),
                ("indexes", len(synthetic.job_indexes())),
            )
        }
        load_started = time.perf_counter()
        loaded = await synthetic.load(
            engine,
            jobs=options.jobs,
            professionals=options.professionals,
            clients=options.clients,
            seed=options.seed,
            rebuild_indexes=True,
            advance=lambda kind, n: progress.advance(bars[kind], n),
        )
        load_seconds = time.perf_counter() - load_started
    console.print(
        f"loaded {loaded.jobs:,} jobs, {len(loaded.professionals):,} "
        f"professionals and {len(loaded.clients):,} clients in "
        f"{load_seconds:.0f} s"
    )
    token = await _viewer(settings, url)
    centre = (places.KOCHI.lat, places.KOCHI.lng)
    headers = {"Authorization": f"Bearer {token}"}
    assert settings.secret_key is not None  # noqa: S101 - set by run()
    with api_server(url, settings.secret_key.get_secret_value(), _log(options)) as (base, _):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            work = Workload(options.seed, loaded.professionals)
            for name, make in _http_scenarios(work).items():
                console.print(f"  HTTP  {name}")
                results.append(await _http(client, name, make, options.requests, headers))
            results.append(await _pages(client, work, options.requests, headers))
            results.append(await _profiles(client, work, options.requests))
        results.append(
            await _throughput(
                base, Workload(options.seed + 1, []), headers, options.concurrent_requests
            )
        )
    work = Workload(options.seed, loaded.professionals)
    for name, make in _http_scenarios(work).items():
        console.print(f"  SQL   {name}")
        results.append(await _sql(engine, name, make, centre, options.requests))
    naive: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
        "nearby 25 km": (
            discovery.NAIVE_NEARBY,
            lambda: work.centre() | {"radius": 25, "limit": 21},
        ),
        "nearby 500 km": (
            discovery.NAIVE_NEARBY,
            lambda: work.centre() | {"radius": 500, "limit": 21},
        ),
        "search 100 km": (
            discovery.NAIVE_SEARCH,
            lambda: work.centre() | {"word": work.word(), "radius": 100, "limit": 21},
        ),
        "search, no location": (
            discovery.NAIVE_SEARCH,
            lambda: {
                "lat": centre[0],
                "lng": centre[1],
                "word": work.word(),
                "radius": 500,
                "limit": 21,
            },
        ),
    }
    for name, (sql, make) in naive.items():
        console.print(f"  naive {name}")
        results.append(await _naive(engine, name, sql, make, options.naive_requests))
    return load_seconds


def _report(
    results: list[Result],
    options: Options,
    load_seconds: float,
    console: Console,
    extra: dict[str, Any],
) -> dict[str, Any]:
    title = "GetMyGrapher benchmark"
    if options.discovery:
        title += f": {options.jobs:,} jobs, {options.professionals:,} professionals"
    table = Table(title=title)
    for column in (
        "scenario",
        "kind",
        "n",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "rows",
        "req/s",
        "target",
    ):
        table.add_column(column, justify="left" if column in {"scenario", "kind"} else "right")
    summaries = [result.summary() for result in results]
    for summary in summaries:
        verdict = ""
        if summary["target_p99_ms"] is not None:
            verdict = "ok" if summary["p99_ms"] < summary["target_p99_ms"] else "MISSED"
        elif summary["kind"] == "http":
            target = PROFILE_TARGET_P99_MS if summary["name"] == "public profile read" else None
            if target is not None:
                verdict = "ok" if summary["p99_ms"] < target else "MISSED"
            elif "concurrent" not in summary["name"]:
                verdict = (
                    "ok"
                    if summary["p50_ms"] < TARGET_P50_MS and summary["p99_ms"] < TARGET_P99_MS
                    else "MISSED"
                )
        table.add_row(
            summary["name"],
            summary["kind"],
            str(summary["samples"]),
            f"{summary['p50_ms']:.2f}",
            f"{summary['p95_ms']:.2f}",
            f"{summary['p99_ms']:.2f}",
            str(summary["mean_rows"] or ""),
            str(summary["throughput_rps"] or ""),
            verdict,
        )
    console.print(table)
    by_key = {(s["kind"], s["name"]): s for s in summaries}
    speedups = {}
    for name in ("nearby 25 km", "nearby 500 km", "search 100 km", "search, no location"):
        fast, slow = by_key.get(("sql", name)), by_key.get(("naive", name))
        if fast and slow and fast["p50_ms"] > 0:
            speedups[name] = round(slow["p50_ms"] / fast["p50_ms"], 1)
            console.print(
                f"{name}: indexed SQL is {speedups[name]:,}x faster than naive "
                f"(p50 {fast['p50_ms']:.2f} ms vs {slow['p50_ms']:.1f} ms)"
            )
    report = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "options": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in asdict(options).items()
        },
        "load_seconds": round(load_seconds, 1),
        "targets": {
            "p50_ms": TARGET_P50_MS,
            "p99_ms": TARGET_P99_MS,
            "profile_p99_ms": PROFILE_TARGET_P99_MS,
            "speedup": 100,
        },
        "results": summaries,
        "speedup_vs_naive": speedups,
        **extra,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2), encoding="utf-8")
    console.print(f"results written to {options.output}")
    return report


def run(
    settings: Settings,
    base_url: str,
    options: Options,
    console: Console | None = None,
    chat: MessagingOptions | None = None,
    calendar: CalendarOptions | None = None,
) -> dict[str, Any]:
    """The whole benchmark on a scratch database beside `base_url`, dropped afterwards."""
    console = console or Console(width=150)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    settings = settings.model_copy(
        update={"secret_key": settings.secret_key or _secret(secrets.token_urlsafe(48))}
    )
    with migrate.scratch_database(base_url, "getmygrapher_bench") as url:
        migrate.upgrade(url)
        return asyncio.run(measure(settings, url, options, console, chat, calendar))


def _log(options: Options) -> Path:
    return options.output.with_name("api-server.log")


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)
