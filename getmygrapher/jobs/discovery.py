"""The discovery queries (JOB-8, JOB-9): exact nearest-first with the two-step method of
DESIGN.md §4, full-text search, filters and keyset pagination, all in the database.

Every question is answered from one covering GiST index over listed jobs (their point, with
every column a filter, a sort or a distance needs), so walking it nearest-first never touches
the table; only the page's rows are read from it at the end.

PostgreSQL has no statistics for points in a box, so it guesses that any box holds 0.1 % of the
rows and would rather read a whole city from the table with a bitmap. The walks below turn
bitmap scans off for their statement; text search falls back to the text index (bitmaps on)
only when the words are too rare to meet within a short walk.

Only constant fragments are joined into the SQL text; every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast, get_args

import asyncpg
from sqlalchemy import exc, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core import places
from getmygrapher.jobs.schemas import Sort

SORTS: tuple[str, ...] = get_args(Sort)
URGENCY_RANKS = {"Normal": 1, "Urgent": 2, "Emergency": 3}

# A search ranks this many of the nearest matches (JOB-9: text rank, then distance).
RELEVANCE_CANDIDATES = 50
# A search walks at most this many listed jobs, then asks the text index instead.
TEXT_WALK_LIMIT = 5000
# Newest first walks at most this many of the newest listed jobs, then sorts the radius.
NEWEST_WALK_LIMIT = 3000

LISTED = "j.status = 'active' AND j.moderation_status = 'approved' AND j.deleted_at IS NULL"
DISTANCE = "gmg_haversine_km(:lat, :lng, j.lat, j.lng)"
TSQUERY = "websearch_to_tsquery('english', :q)"
TEXT_MATCH = f"j.search_vector @@ {TSQUERY}"
# On a walk, the same test with the query parsed once: in a filter the function call runs again
# for every job walked, which took most of a search's time.
WALK_TEXT_MATCH = f"j.search_vector @@ (SELECT {TSQUERY})"
RANK = (
    f"CAST(round(CAST(ts_rank_cd(j.search_vector, {TSQUERY}) + similarity(j.title, :q) "
    "AS numeric), 6) AS float8)"
)
COLUMNS = (
    "j.id, j.title, j.description, j.category, j.professional_types, j.job_date, j.starts_at, "
    "j.applications_close_at, j.city, j.state, j.budget_min, j.budget_max, j.budget_type, "
    "j.negotiable, j.urgency, j.positions, j.published_at, j.urgency_rank"
)


@dataclass(frozen=True)
class Query:
    lat: float
    lng: float
    radius_km: float
    sort: str = "distance"
    text: str | None = None
    category: str | None = None
    professional_types: Sequence[str] = ()
    urgencies: Sequence[str] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    budget_type: str | None = None
    exclude_clients: Sequence[uuid.UUID] = ()
    after: tuple[Any, ...] | None = None
    limit: int = 20


# Each sort: its ORDER BY over the page, the keyset condition after a cursor, the cursor's
# columns and their types.
_ORDER: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "distance": ("distance, id", f"({DISTANCE}, j.id) > (:c0, :c1)", ("distance", "id")),
    "date_posted": (
        "published_at DESC, id DESC",
        "(j.published_at, j.id) < (:c0, :c1)",
        ("published_at", "id"),
    ),
    "job_date": ("starts_at, id", "(j.starts_at, j.id) > (:c0, :c1)", ("starts_at", "id")),
    "budget_high_to_low": (
        "budget_max DESC, id DESC",
        "(j.budget_max, j.id) < (:c0, :c1)",
        ("budget_max", "id"),
    ),
    "budget_low_to_high": (
        "budget_min, id",
        "(j.budget_min, j.id) > (:c0, :c1)",
        ("budget_min", "id"),
    ),
    "urgency": (
        "urgency_rank DESC, distance, id",
        f"(-j.urgency_rank, {DISTANCE}, j.id) > (-CAST(:c0 AS int), :c1, :c2)",
        ("urgency_rank", "distance", "id"),
    ),
    "relevance": ("", "", ("relevance", "distance", "id")),
}
_CURSOR_TYPES: dict[str, type] = {
    "distance": float,
    "relevance": float,
    "id": uuid.UUID,
    "published_at": dt.datetime,
    "starts_at": dt.datetime,
    "budget_max": int,
    "budget_min": int,
    "urgency_rank": int,
}


def cursor_columns(sort: str) -> tuple[str, ...]:
    return _ORDER[sort][2]


def cursor_types(sort: str) -> tuple[type, ...]:
    return tuple(_CURSOR_TYPES[name] for name in _ORDER[sort][2])


def _qualified(order: str, alias: str) -> str:
    """`published_at DESC, id DESC` as `page.published_at DESC, page.id DESC`."""
    return ", ".join(f"{alias}.{part}" for part in order.split(", "))


OPEN_LISTED = [LISTED, "j.applications_close_at > now()"]


def _area(query: Query, params: dict[str, Any]) -> list[str]:
    """Listed, still open, and inside the radius."""
    return OPEN_LISTED + _inside(query, params)


def _inside(query: Query, params: dict[str, Any]) -> list[str]:
    """Inside the radius: a box for the index, the exact distance for the truth."""
    lat_span, lng_span = places.cap_spans(query.lat, query.radius_km)
    params |= {
        "lat": query.lat,
        "lng": query.lng,
        "radius": query.radius_km,
        # A hair wider than exact, so rounding never drops a point on the edge.
        "lat_lo": query.lat - lat_span - 1e-9,
        "lat_hi": query.lat + lat_span + 1e-9,
        "lng_lo": query.lng - lng_span - 1e-9,
        "lng_hi": query.lng + lng_span + 1e-9,
    }
    return [
        "j.point <@ box(point(:lng_lo, :lat_lo), point(:lng_hi, :lat_hi))",
        f"{DISTANCE} <= :radius",
    ]


def _keyset(query: Query, params: dict[str, Any]) -> list[str]:
    if query.after is None or query.sort == "relevance":
        return []
    params |= {f"c{index}": value for index, value in enumerate(query.after)}
    return [_ORDER[query.sort][1]]


def _filters(
    query: Query, params: dict[str, Any], *, with_text: bool = True, walk: bool = False
) -> list[str]:
    """The caller's filters, and the words (tested as a walk does them, or for the index)."""
    clauses = []
    if query.text:
        params["q"] = query.text
        if with_text:
            clauses.append(WALK_TEXT_MATCH if walk else TEXT_MATCH)
    urgency_ranks = sorted({URGENCY_RANKS[name] for name in query.urgencies})
    filters: list[tuple[bool, str, dict[str, Any]]] = [
        (bool(query.category), "j.category = :category", {"category": query.category}),
        (
            bool(query.professional_types),
            "j.professional_types && CAST(:types AS varchar[])",
            {"types": list(query.professional_types)},
        ),
        (
            bool(urgency_ranks),
            "j.urgency_rank = ANY(CAST(:ranks AS smallint[]))",
            {"ranks": urgency_ranks},
        ),
        (query.date_from is not None, "j.job_date >= :date_from", {"date_from": query.date_from}),
        (query.date_to is not None, "j.job_date <= :date_to", {"date_to": query.date_to}),
        # Budgets match when the ranges overlap.
        (
            query.budget_min is not None,
            "j.budget_max >= :budget_min",
            {"budget_min": query.budget_min},
        ),
        (
            query.budget_max is not None,
            "j.budget_min <= :budget_max",
            {"budget_max": query.budget_max},
        ),
        (
            bool(query.budget_type),
            "j.budget_type = CAST(:budget_type AS budget_type)",
            {"budget_type": query.budget_type},
        ),
        (
            bool(query.exclude_clients),
            "j.client_id <> ALL(CAST(:excluded AS uuid[]))",
            {"excluded": list(query.exclude_clients)},
        ),
    ]
    for present, clause, values in filters:
        if present:
            clauses.append(clause)
            params |= values
    return clauses


def _walk(query: Query, params: dict[str, Any], tests: str, *, keyset: bool) -> str:
    """The nearest TEXT_WALK_LIMIT listed jobs in the radius, read from the index alone (every
    column the tests read is covered), each with whether it passes the word and filter tests:
    a search never walks further than that, however rare its words. Materialised, so the jobs
    walked can be counted without walking again; it keeps only what the steps after it read,
    as copying the covered columns (the words above all) into it cost more than the tests."""
    area = _area(query, params) + (_keyset(query, params) if keyset else [])
    params["walk"] = TEXT_WALK_LIMIT
    return (
        f"walk AS MATERIALIZED (SELECT j.id, j.lat, j.lng, ({tests}) AS passes "  # noqa: S608
        f"FROM jobs j WHERE {' AND '.join(area)} "
        "ORDER BY j.point <-> point(:lng, :lat) LIMIT :walk)"
    )


# Whether a walk that met fewer than :k matches saw the whole radius (so they are all there
# are) or stopped at its limit; counted only in the first case's absence.
_WALKED_ALL = "(SELECT count(*) FROM walk) < :walk"


def nearest_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """One page nearest first, exactly: step one walks the index in `<->` order (flat degrees)
    to the page's last candidate, whose true distance bounds the page; step two sorts
    everything inside that bound by true distance. A search walks at most TEXT_WALK_LIMIT
    jobs; a null `km` then sends the caller to the text index."""
    params: dict[str, Any] = {"k": query.limit + 1}
    filters = _filters(query, params, walk=True)
    where = " AND ".join(_area(query, params) + filters + _keyset(query, params))
    if query.text:
        tests = " AND ".join(filters)
        steps = (
            f"{_walk(query, params, tests, keyset=True)}, "  # noqa: S608 - constants
            f"knn AS (SELECT {DISTANCE} AS d FROM walk j WHERE j.passes LIMIT :k), "
            "bound AS (SELECT count(*) AS found, CASE "
            "WHEN count(*) = :k THEN least(CAST(:radius AS float8), max(d)) "
            f"WHEN {_WALKED_ALL} THEN CAST(:radius AS float8) END AS km FROM knn)"
        )
    else:
        steps = (
            f"knn AS (SELECT {DISTANCE} AS d FROM jobs j WHERE {where}"  # noqa: S608
            "   ORDER BY j.point <-> point(:lng, :lat) LIMIT :k), "
            "bound AS (SELECT count(*) AS found, CASE WHEN count(*) < :k "
            "THEN CAST(:radius AS float8) ELSE least(CAST(:radius AS float8), max(d)) END AS km "
            "FROM knn)"
        )
    sql = (
        f"WITH {steps}, page AS ("  # noqa: S608 - constant fragments, bound values
        f"  SELECT j.id, {DISTANCE} AS distance FROM jobs j, bound WHERE {where}"
        "   AND j.point <@ gmg_bbox(:lat, :lng, bound.km) "
        f"  AND {DISTANCE} <= bound.km ORDER BY distance, j.id LIMIT :k) "
        f"SELECT {COLUMNS}, page.distance, bound.km FROM bound "
        "LEFT JOIN (page JOIN jobs j ON j.id = page.id) ON true "
        "ORDER BY page.distance, page.id"
    )
    return sql, params


def sorted_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """A page in another order: the matching jobs inside the radius, sorted, from the index;
    then the page's rows. Cost grows with the jobs inside the radius."""
    params: dict[str, Any] = {"k": query.limit + 1}
    where = " AND ".join(_area(query, params) + _filters(query, params) + _keyset(query, params))
    order = _ORDER[query.sort][0]
    sql = (
        "WITH page AS ("  # noqa: S608 - constant fragments, bound values
        f"  SELECT j.id, j.published_at, j.starts_at, j.budget_max, j.budget_min, "
        f"  j.urgency_rank, {DISTANCE} AS distance FROM jobs j WHERE {where} "
        f"  ORDER BY {order} LIMIT :k) "
        f"SELECT {COLUMNS}, page.distance FROM page JOIN jobs j ON j.id = page.id "
        f"ORDER BY {_qualified(order, 'page')}"
    )
    return sql, params


def newest_walk_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """Newest first without words: walk the listed jobs newest first (an index) and keep those
    inside the radius, for at most NEWEST_WALK_LIMIT jobs. Near a city the page fills within a
    few hundred; `complete` is false when the walk stopped first (a sparse area), and then
    sorting what is inside the radius is the cheaper way."""
    params: dict[str, Any] = {"k": query.limit + 1, "walk": NEWEST_WALK_LIMIT}
    inside = " AND ".join(_inside(query, params))
    where = " AND ".join(OPEN_LISTED + _filters(query, params) + _keyset(query, params))
    order = _ORDER["date_posted"][0]
    sql = (
        "WITH walk AS MATERIALIZED ("  # noqa: S608 - constant fragments, bound values
        f"  SELECT j.id, j.published_at, {DISTANCE} AS distance, ({inside}) AS inside "
        f"  FROM jobs j WHERE {where} ORDER BY {_qualified(order, 'j')} LIMIT :walk), "
        f"page AS (SELECT id, published_at, distance FROM walk WHERE inside "
        f"  ORDER BY {order} LIMIT :k), "
        f"state AS (SELECT count(*) = :k OR {_WALKED_ALL} AS complete FROM page) "
        f"SELECT {COLUMNS}, page.distance, state.complete FROM state "
        "LEFT JOIN (page JOIN jobs j ON j.id = page.id) ON true "
        f"ORDER BY {_qualified(order, 'page')}"
    )
    return sql, params


def text_fallback_sql(query: Query, *, limit: int) -> tuple[str, dict[str, Any]]:
    """Nearest matches through the text index, for words too rare for a walk."""
    params: dict[str, Any] = {"k": limit}
    # The box as plain ranges, which no index serves: the planner's guess for a box would
    # otherwise pick the spatial index and read every job inside it.
    area = [
        "j.lat BETWEEN :lat_lo AND :lat_hi AND j.lng BETWEEN :lng_lo AND :lng_hi"
        if "<@" in clause
        else clause
        for clause in _area(query, params)
    ]
    where = " AND ".join(area + _filters(query, params) + _keyset(query, params))
    sql = (
        f"SELECT {COLUMNS}, {DISTANCE} AS distance FROM jobs j "  # noqa: S608 - constants
        f"WHERE {where} ORDER BY distance, j.id LIMIT :k"
    )
    return sql, params


def _ranked_page(query: Query, params: dict[str, Any]) -> str:
    """From `ranked` (id, distance, relevance): the page after the cursor, by text rank, then
    distance, then id (JOB-9)."""
    params["page"] = query.limit + 1
    after = "true"
    if query.after is not None:
        params |= {f"c{index}": value for index, value in enumerate(query.after)}
        after = (
            "(-relevance, distance, id) > "
            "(-CAST(:c0 AS float8), CAST(:c1 AS float8), CAST(:c2 AS uuid))"
        )
    return (
        f"page AS (SELECT id, distance, relevance FROM ranked WHERE {after} "  # noqa: S608
        "ORDER BY relevance DESC, distance, id LIMIT :page)"
    )


def candidates_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """The page among the nearest RELEVANCE_CANDIDATES matches met on a walk; `complete` is
    false when the walk stopped at its limit before meeting them all."""
    params: dict[str, Any] = {"k": RELEVANCE_CANDIDATES}
    tests = " AND ".join(_filters(query, params, walk=True))
    sql = (
        f"WITH {_walk(query, params, tests, keyset=False)}, "  # noqa: S608 - constants
        f"candidates AS (SELECT j.id, {DISTANCE} AS d FROM walk j WHERE j.passes LIMIT :k), "
        f"state AS (SELECT count(*) = :k OR {_WALKED_ALL} AS complete FROM candidates), "
        f"ranked AS (SELECT c.id, c.d AS distance, {RANK} AS relevance "
        "  FROM candidates c JOIN jobs j ON j.id = c.id), "
        f"{_ranked_page(query, params)} "
        f"SELECT {COLUMNS}, page.distance, page.relevance, state.complete "
        "FROM state LEFT JOIN (page JOIN jobs j ON j.id = page.id) ON true "
        "ORDER BY page.relevance DESC, page.distance, page.id"
    )
    return sql, params


def ranked_sql(query: Query, ids: Sequence[uuid.UUID]) -> tuple[str, dict[str, Any]]:
    """The page among these matches (found through the text index)."""
    params: dict[str, Any] = {"ids": list(ids), "q": query.text, "lat": query.lat, "lng": query.lng}
    sql = (
        f"WITH ranked AS (SELECT j.id, {DISTANCE} AS distance, {RANK} AS relevance "  # noqa: S608
        "  FROM jobs j WHERE j.id = ANY(CAST(:ids AS uuid[]))), "
        f"{_ranked_page(query, params)} "
        f"SELECT {COLUMNS}, page.distance, page.relevance FROM page JOIN jobs j ON j.id = page.id "
        "ORDER BY page.relevance DESC, page.distance, page.id"
    )
    return sql, params


# For the walks: no bitmaps (see above), and one plan kept per statement, since the plan of a
# walk does not depend on the values and planning one costs as much as running it. Set for the
# rest of the transaction, and changed only when a statement needs the other settings: a
# discovery request asks nothing after its pages, so the walks never pay a round trip to put
# the defaults back.
_PLANNER = {True: ("off", "force_generic_plan"), False: ("on", "auto")}
_SETTINGS = (
    "set_config('enable_bitmapscan', :bitmapscan, true) AS bitmapscan, "
    "set_config('plan_cache_mode', :plan_cache_mode, true) AS plan_cache_mode"
)
_SET = f"SELECT {_SETTINGS}"
_WALKING = "discovery_walking"  # session.info: (the transaction, whether walk settings hold)

Row = Mapping[str, Any]


def starts_with_walk(sort: str, *, searching: bool) -> bool:
    """Whether the first statement of `run` for this sort walks the index (bitmaps off)."""
    return not (searching and sort not in {"distance", "relevance"})


@dataclass(frozen=True)
class Viewer:
    radius_cap: int | None  # None: no such feature
    blocked: list[uuid.UUID]


async def viewer(
    session: AsyncSession,
    *,
    radius_cap: tuple[str, dict[str, Any]],
    blocked: tuple[str, dict[str, Any]],
    walk: bool,
) -> Viewer:
    """What a signed-in search needs before its pages, in one round trip with the planner
    settings of its first statement: the radius cap (a scalar query) and the people blocked
    either way (a query of ids), each with its parameters."""
    params = _merged(radius_cap[1], blocked[1], _planner_params(walk))
    sql = f"SELECT ({radius_cap[0]}) AS radius_cap, ARRAY({blocked[0]}) AS blocked, {_SETTINGS}"
    [row] = await _fetch(session, sql, params)
    session.info[_WALKING] = (session.get_transaction(), walk)
    cap = row["radius_cap"]
    return Viewer(radius_cap=None if cap is None else int(cap), blocked=list(row["blocked"]))


def _planner_params(walk: bool) -> dict[str, Any]:
    bitmapscan, plan_cache_mode = _PLANNER[walk]
    return {"bitmapscan": bitmapscan, "plan_cache_mode": plan_cache_mode}


def _merged(*parts: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        for name, value in part.items():
            if name in merged and merged[name] != value:
                raise ValueError(f"two values for the parameter {name!r}")
            merged[name] = value
    return merged


@functools.lru_cache(maxsize=1024)
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """The statement as asyncpg takes it (`$1`…) and the parameter behind each number; the
    statements are few (one per sort and set of filters), so each is compiled once."""
    compiled = text(sql).compile(dialect=_DIALECT)
    return compiled.string, tuple(compiled.positiontup or ())


_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


async def _rows(
    session: AsyncSession, statement: tuple[str, dict[str, Any]], *, bitmaps: bool
) -> list[Row]:
    """The statement's rows, under the planner settings it needs."""
    walk = not bitmaps
    transaction = session.get_transaction()
    held = session.info.get(_WALKING)
    if transaction is None or held is None or held[0] is not transaction:
        held = (transaction, False)  # a transaction starts with the defaults
    if held[1] != walk:
        await _fetch(session, _SET, _planner_params(walk))
        session.info[_WALKING] = (session.get_transaction(), walk)
    return await _fetch(session, *statement)


async def _fetch(session: AsyncSession, sql: str, params: dict[str, Any]) -> list[Row]:
    """Rows straight from asyncpg inside the session's transaction: these statements are the
    hot path, and SQLAlchemy's statement and row handling cost as much again as asyncpg's round
    trip. Through SQLAlchemy while the transaction has yet to begin, so it begins there."""
    connection = await session.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():
        return cast(list[Row], (await session.execute(text(sql), params)).mappings().all())
    statement, names = _positional(sql)
    try:
        return cast(list[Row], await driver.fetch(statement, *[params[name] for name in names]))
    except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as error:
        # As SQLAlchemy would report them: the connection is not reused, the caller gets 503.
        await connection.invalidate(error)
        raise exc.OperationalError(sql, None, error, connection_invalidated=True) from error
    except asyncpg.PostgresError as error:
        raise exc.DBAPIError(sql, None, error) from error


async def run(session: AsyncSession, query: Query) -> Sequence[Row]:
    """At most limit + 1 rows of the page, in order."""
    if query.sort == "relevance":
        return await _by_relevance(session, query)
    if query.sort == "date_posted" and not query.text:
        walked = await _rows(session, newest_walk_sql(query), bitmaps=False)
        if walked[0]["complete"]:
            return [row for row in walked if row["id"] is not None]
    if query.sort != "distance":
        return await _rows(session, sorted_sql(query), bitmaps=bool(query.text))
    rows = await _rows(session, nearest_sql(query), bitmaps=False)
    if query.text and rows[0]["km"] is None:
        return await _rows(session, text_fallback_sql(query, limit=query.limit + 1), bitmaps=True)
    return [row for row in rows if row["id"] is not None]


async def _by_relevance(session: AsyncSession, query: Query) -> list[Row]:
    """Text rank, then distance (JOB-9), over the nearest matches: met on a walk, or through
    the text index when the words are too rare for one."""
    rows = await _rows(session, candidates_sql(query), bitmaps=False)
    if rows[0]["complete"]:
        return [row for row in rows if row["id"] is not None]
    nearest = await _rows(
        session, text_fallback_sql(query, limit=RELEVANCE_CANDIDATES), bitmaps=True
    )
    return await _rows(session, ranked_sql(query, [row["id"] for row in nearest]), bitmaps=True)


NAIVE_NEARBY = (
    "SELECT j.id, gmg_haversine_km(:lat, :lng, j.lat, j.lng) AS distance FROM jobs j "
    "WHERE j.status = 'active' AND j.moderation_status = 'approved' AND j.deleted_at IS NULL "
    "AND j.applications_close_at > now() "
    "AND gmg_haversine_km(:lat, :lng, j.lat, j.lng) <= :radius "
    "ORDER BY distance, j.id LIMIT :limit"
)
NAIVE_SEARCH = (
    "SELECT j.id, gmg_haversine_km(:lat, :lng, j.lat, j.lng) AS distance FROM jobs j "
    "WHERE j.status = 'active' AND j.moderation_status = 'approved' AND j.deleted_at IS NULL "
    "AND j.applications_close_at > now() "
    "AND gmg_haversine_km(:lat, :lng, j.lat, j.lng) <= :radius "
    "AND (lower(j.title) LIKE '%' || lower(:word) || '%' "
    "     OR lower(j.description) LIKE '%' || lower(:word) || '%') "
    "ORDER BY distance, j.id LIMIT :limit"
)
