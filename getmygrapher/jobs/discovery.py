"""The discovery query (JOB-8, JOB-9): exact nearest-first with the two-step method of
DESIGN.md §4, text search, filters and keyset pagination, all in one SQL statement.

Only constant fragments are joined into the SQL text; every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.jobs.models import LISTED

# Enough first-step neighbours that the bound they give rarely needs widening, few enough to
# stay a short index walk.
KNN_CANDIDATES = 128
# Text relevance is ranked over the nearest matches, not every match in a 500 km circle.
RELEVANCE_CANDIDATES = 1000

DISTANCE = "gmg_haversine_km(:lat, :lng, j.lat, j.lng)"
RANK = (
    "CAST(round(CAST(ts_rank_cd(j.search_vector, websearch_to_tsquery('english', :q)) "
    "+ similarity(j.title, :q) AS numeric), 6) AS float8)"
)
TEXT_MATCH = "(j.search_vector @@ websearch_to_tsquery('english', :q) OR j.title % :q)"
COLUMNS = (
    "j.id, j.title, j.description, j.category, j.professional_types, j.job_date, j.starts_at, "
    "j.applications_close_at, j.city, j.state, j.budget_min, j.budget_max, j.budget_type, "
    "j.negotiable, j.urgency, j.positions, j.published_at, j.urgency_rank"
)

Sort = Literal[
    "distance",
    "date_posted",
    "job_date",
    "budget_high_to_low",
    "budget_low_to_high",
    "urgency",
    "relevance",
]
SORTS: tuple[str, ...] = get_args(Sort)


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
    params: dict[str, Any] = field(default_factory=dict)


# Each sort: ORDER BY, the keyset condition after a cursor, and the cursor's columns.
_ORDER = {
    "distance": ("distance, j.id", "(" + DISTANCE + ", j.id) > (:c0, :c1)", ("distance", "id")),
    "date_posted": (
        "j.published_at DESC, j.id DESC",
        "(j.published_at, j.id) < (:c0, :c1)",
        ("published_at", "id"),
    ),
    "job_date": ("j.starts_at, j.id", "(j.starts_at, j.id) > (:c0, :c1)", ("starts_at", "id")),
    "budget_high_to_low": (
        "j.budget_max DESC, j.id DESC",
        "(j.budget_max, j.id) < (:c0, :c1)",
        ("budget_max", "id"),
    ),
    "budget_low_to_high": (
        "j.budget_min, j.id",
        "(j.budget_min, j.id) > (:c0, :c1)",
        ("budget_min", "id"),
    ),
    "urgency": (
        "j.urgency_rank DESC, distance, j.id",
        "(-j.urgency_rank, " + DISTANCE + ", j.id) > (-CAST(:c0 AS int), :c1, :c2)",
        ("urgency_rank", "distance", "id"),
    ),
    "relevance": (
        "relevance DESC, distance, j.id",
        "(-relevance, distance, id) > (-CAST(:c0 AS float8), :c1, :c2)",
        ("relevance", "distance", "id"),
    ),
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


def _filters(query: Query, params: dict[str, Any]) -> list[str]:
    clauses = [
        LISTED.replace("status", "j.status", 1)
        .replace("moderation_status", "j.moderation_status")
        .replace("deleted_at", "j.deleted_at"),
        "j.applications_close_at > now()",
        "j.point <@ gmg_bbox(:lat, :lng, :radius)",
        DISTANCE + " <= :radius",
    ]
    if query.text:
        clauses.append(TEXT_MATCH)
        params["q"] = query.text
    if query.category:
        clauses.append("j.category = :category")
        params["category"] = query.category
    if query.professional_types:
        clauses.append("j.professional_types && CAST(:types AS varchar[])")
        params["types"] = list(query.professional_types)
    if query.urgencies:
        clauses.append("j.urgency = ANY(CAST(:urgencies AS urgency[]))")
        params["urgencies"] = list(query.urgencies)
    if query.date_from:
        clauses.append("j.job_date >= :date_from")
        params["date_from"] = query.date_from
    if query.date_to:
        clauses.append("j.job_date <= :date_to")
        params["date_to"] = query.date_to
    if query.budget_min is not None:
        clauses.append("j.budget_max >= :budget_min")  # ranges overlap
        params["budget_min"] = query.budget_min
    if query.budget_max is not None:
        clauses.append("j.budget_min <= :budget_max")
        params["budget_max"] = query.budget_max
    if query.budget_type:
        clauses.append("j.budget_type = CAST(:budget_type AS budget_type)")
        params["budget_type"] = query.budget_type
    if query.exclude_clients:
        clauses.append("j.client_id <> ALL(CAST(:excluded AS uuid[]))")
        params["excluded"] = list(query.exclude_clients)
    return clauses


def build(query: Query) -> tuple[str, dict[str, Any]]:
    """The SQL and its parameters for one page of discovery (limit + 1 rows)."""
    params: dict[str, Any] = {
        "lat": query.lat,
        "lng": query.lng,
        "radius": query.radius_km,
        "limit": query.limit + 1,
    }
    where = _filters(query, params)
    order, keyset, _ = _ORDER[query.sort]
    if query.after is not None:
        params |= {f"c{index}": value for index, value in enumerate(query.after)}
    if query.sort == "distance":
        return _nearest_first(where, keyset if query.after else None, params), params
    if query.sort == "relevance":
        return _by_relevance(where, order, keyset if query.after else None, params), params
    conditions = [*where, keyset] if query.after else where
    sql = (
        f"SELECT {COLUMNS}, {DISTANCE} AS distance FROM jobs j "  # noqa: S608 - constants
        f"WHERE {' AND '.join(conditions)} ORDER BY {order} LIMIT :limit"
    )
    return sql, params


def _nearest_first(where: list[str], keyset: str | None, params: dict[str, Any]) -> str:
    """Step one walks the GiST index in `<->` order (flat degrees, not kilometres) for a few
    candidates; their largest true distance bounds the page. Step two takes everything inside
    the exact spherical box of that bound and sorts by true distance: exact, and cheap."""
    params["k"] = max(KNN_CANDIDATES, params["limit"])
    conditions = [*where, keyset] if keyset else where
    joined = " AND ".join(conditions)
    return (
        "WITH knn AS ("  # noqa: S608 - constant fragments, bound values
        f"  SELECT {DISTANCE} AS d FROM jobs j WHERE {joined}"
        "   ORDER BY j.point <-> point(:lng, :lat) LIMIT :k"
        "), bound AS ("
        "  SELECT CASE WHEN count(*) < :k THEN CAST(:radius AS float8)"
        "              ELSE least(CAST(:radius AS float8), max(d)) END AS km FROM knn"
        ") "
        f"SELECT {COLUMNS}, {DISTANCE} AS distance FROM jobs j, bound "
        f"WHERE {joined} AND j.point <@ gmg_bbox(:lat, :lng, bound.km) "
        f"AND {DISTANCE} <= bound.km "
        "ORDER BY distance, j.id LIMIT :limit"
    )


def _by_relevance(where: list[str], order: str, keyset: str | None, params: dict[str, Any]) -> str:
    params["candidates"] = RELEVANCE_CANDIDATES
    outer = f"WHERE {keyset}" if keyset else ""
    return (
        "WITH matches AS ("  # noqa: S608 - constant fragments, bound values
        f"  SELECT {COLUMNS}, {DISTANCE} AS distance, {RANK} AS relevance FROM jobs j"
        f"  WHERE {' AND '.join(where)}"
        "   ORDER BY j.point <-> point(:lng, :lat) LIMIT :candidates"
        ") "
        f"SELECT * FROM matches {outer} ORDER BY {order.replace('j.id', 'id')} LIMIT :limit"
    )


async def run(session: AsyncSession, query: Query) -> Sequence[Any]:
    sql, params = build(query)
    return (await session.execute(text(sql), params)).all()


NAIVE_NEARBY = (
    "SELECT j.id, gmg_haversine_km(:lat, :lng, j.lat, j.lng) AS distance FROM jobs j "
    "WHERE j.status = 'active' AND j.moderation_status = 'approved' AND j.deleted_at IS NULL "
    "AND j.applications_close_at > now() "
    "AND gmg_haversine_km(:lat, :lng, j.lat, j.lng) <= :radius "
    "ORDER BY distance, j.id LIMIT :limit"
)
NAIVE_SEARCH = (
    "SELECT j.id FROM jobs j "
    "WHERE j.status = 'active' AND j.moderation_status = 'approved' AND j.deleted_at IS NULL "
    "AND j.applications_close_at > now() "
    "AND (lower(j.title) LIKE '%' || lower(:word) || '%' "
    "     OR lower(j.description) LIKE '%' || lower(:word) || '%') "
    "ORDER BY j.published_at DESC, j.id DESC LIMIT :limit"
)
