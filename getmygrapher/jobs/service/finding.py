"""Finding work: discovery near a centre, a job's page with its view count, saved jobs
(JOB-8…JOB-11)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing import service as billing_service
from getmygrapher.core import places
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal, keyed_hash
from getmygrapher.core.time import today_ist
from getmygrapher.jobs import discovery
from getmygrapher.jobs.errors import JobNotFound
from getmygrapher.jobs.models import Job, JobStatus, ModerationStatus
from getmygrapher.jobs.repository import JobRepository
from getmygrapher.jobs.schemas import Centre, JobRead
from getmygrapher.jobs.service.common import NOT_FOUND, card, is_open, job_reads
from getmygrapher.moderation import service as moderation_service
from getmygrapher.profiles import service as profiles_service

DEFAULT_RADIUS_KM = 25
ANONYMOUS_RADIUS_CAP_KM = 25  # what Free allows; anonymous visitors get no more
MAX_SAVED = 500
MAX_TYPE_FILTERS = 20
RADIUS_FEATURE = "search_radius_km"


async def _centre(
    session: AsyncSession,
    viewer: Principal | None,
    lat: float | None,
    lng: float | None,
    pin_code: str | None,
) -> Centre:
    """The given coordinates, else a PIN code, else the caller's base, else Kochi (JOB-8)."""
    if lat is not None and lng is not None:
        return Centre(lat=lat, lng=lng, source="coordinates")
    if pin_code is not None:
        place = places.resolve_pin(pin_code)
        if place is None:
            raise ValidationFailed.field("pin_code", "invalid_format", "This PIN code is unknown.")
        return Centre(lat=place.lat, lng=place.lng, source="pin_code")
    if viewer is not None:
        profile = await profiles_service.own_profile(session, viewer.id)
        if profile.lat is not None and profile.lng is not None:
            return Centre(lat=profile.lat, lng=profile.lng, source="profile")
    return Centre(lat=places.KOCHI.lat, lng=places.KOCHI.lng, source="default")


async def radius_cap(session: AsyncSession, viewer: Principal | None) -> int:
    """SRCH-7: the tier's `search_radius_km`, checked on the server."""
    if viewer is None:
        return ANONYMOUS_RADIUS_CAP_KM
    return await billing_service.feature_value(session, user_id=viewer.id, feature=RADIUS_FEATURE)


async def discover(
    session: AsyncSession,
    *,
    viewer: Principal | None,
    lat: float | None,
    lng: float | None,
    pin_code: str | None,
    radius_km: int | None,
    q: str | None,
    sort: str | None,
    category: str | None,
    professional_types: Sequence[str],
    urgencies: Sequence[str],
    date_from: dt.date | None,
    date_to: dt.date | None,
    budget_min: int | None,
    budget_max: int | None,
    budget_type: str | None,
    limit: int | None,
    cursor: str | None,
) -> dict[str, Any]:
    """Only active, approved jobs of others still open for applications, nearest first unless
    asked otherwise; every filter and the sort run in the database. The page is a
    DiscoveryPage's JSON-ready fields."""
    if (lat is None) != (lng is None):
        raise ValidationFailed.field("lat", "required_field", "Give both lat and lng.")
    if len(professional_types) > MAX_TYPE_FILTERS:
        raise ValidationFailed.field(
            "professional_types", "invalid_length", f"At most {MAX_TYPE_FILTERS} types."
        )
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed.field("date_from", "out_of_range", "The range is backwards.")
    centre = await _centre(session, viewer, lat, lng, pin_code)
    chosen = sort or ("relevance" if q else "distance")
    if chosen == "relevance" and not q:
        raise ValidationFailed.field("sort", "not_allowed", "Relevance needs a search query.")
    size = clamp_limit(limit)
    columns = discovery.cursor_columns(chosen)
    after = decode_cursor(cursor, arity=len(columns), types=discovery.cursor_types(chosen))
    searched = await _spelled(session, q) if q else None
    # Last before the pages: it sets the planner for their first statement.
    cap, excluded = ANONYMOUS_RADIUS_CAP_KM, []
    if viewer is not None:
        walk = discovery.starts_with_walk(chosen, searching=bool(q))
        cap, blocked = await _viewer(session, viewer, walk=walk)
        excluded = [viewer.id, *blocked]
    asked = radius_km or DEFAULT_RADIUS_KM
    applied = min(asked, cap)
    query = discovery.Query(
        lat=centre.lat,
        lng=centre.lng,
        radius_km=float(applied),
        sort=chosen,
        text=searched,
        category=category,
        professional_types=professional_types,
        urgencies=urgencies,
        date_from=date_from,
        date_to=date_to,
        budget_min=budget_min,
        budget_max=budget_max,
        budget_type=budget_type,
        exclude_clients=excluded,
        after=after,
        limit=size,
    )
    rows = await JobRepository(session).discover(query)
    items = list(rows[:size])
    next_cursor = None
    if len(rows) > size and items:
        next_cursor = encode_cursor(tuple(_key(items[-1], name) for name in columns))
    # A DiscoveryPage as plain data: every value comes typed from the database, and
    # validating twenty cards into models cost more than serialising them.
    return {
        "items": [card(row) for row in items],
        "next_cursor": next_cursor,
        "radius_km_applied": applied,
        "radius_capped": asked > cap,
        "centre": centre.model_dump(),
        "searched_for": searched if searched != q else None,
    }


async def _viewer(
    session: AsyncSession, viewer: Principal, *, walk: bool
) -> tuple[int, list[uuid.UUID]]:
    """The viewer's radius cap (SRCH-7) and everyone blocked either way (GEN-15), asked in one
    round trip with the planner settings of the first page's statement."""
    found = await discovery.viewer(
        session,
        radius_cap=billing_service.feature_value_query(
            session, user_id=viewer.id, feature=RADIUS_FEATURE
        ),
        blocked=moderation_service.blocked_ids_query(viewer.id),
        walk=walk,
    )
    if found.radius_cap is None:  # no such feature: billing says so
        return await radius_cap(session, viewer), found.blocked
    return found.radius_cap, found.blocked


_WORD = re.compile(r"[^\W\d_]{3,40}")


# Words recently seen in some published job: people search for the same few words, so most
# searches need no spelling query. Only known words are kept (a correction could go stale
# the moment a job uses the word), and a word no job uses any more leaves within a minute.
_KNOWN_WORDS: TTLCache[str, bool] = TTLCache(maxsize=20_000, ttl=60)


async def _spelled(session: AsyncSession, q: str) -> str:
    """JOB-9 tolerates typos: each word no published job contains becomes the closest word
    one does (by trigrams), so the text index still answers."""
    words = sorted({match.group().lower() for match in _WORD.finditer(q)})
    unknown = [word for word in words if word not in _KNOWN_WORDS]
    if not unknown:
        return q
    known, fixes = await JobRepository(session).correct_words(unknown)
    for word in known:
        _KNOWN_WORDS[word] = True
    if not fixes:
        return q
    return _WORD.sub(lambda match: fixes.get(match.group().lower(), match.group()), q)


def _key(row: discovery.Row, name: str) -> Any:
    value = row[name]
    if name in {"distance", "relevance"} and value is not None:
        return float(value)
    return value


async def get_job(
    session: AsyncSession,
    runtime: Runtime,
    *,
    viewer: Principal | None,
    job_id: uuid.UUID,
    client_ip: str,
    user_agent: str | None,
) -> JobRead:
    """Others see a job only while it is active and approved (JOB-7); the owner always.
    Each viewer counts once a day, the owner never (JOB-11)."""
    repo = JobRepository(session)
    job = await repo.get(job_id)
    own = job is not None and viewer is not None and viewer.id == job.client_id
    staff = viewer is not None and viewer.acts_as_staff
    if job is None or not (own or staff or await _visible_to_others(session, job, viewer)):
        raise JobNotFound(NOT_FOUND)
    if not own:
        key = (
            f"u:{viewer.id}"
            if viewer
            else "a:"
            + keyed_hash(
                runtime.settings.secret,
                "job-view",
                client_ip,
                user_agent or "",
                today_ist().isoformat(),
            )[:40]
        )
        await repo.record_view(job.id, key, today_ist())
    [read] = await job_reads(session, [job], viewer=viewer)
    return read


async def _visible_to_others(session: AsyncSession, job: Job, viewer: Principal | None) -> bool:
    """Approved and active (JOB-7); those who applied keep seeing it after it closes. A block
    hides it both ways (GEN-15)."""
    if job.moderation_status is not ModerationStatus.APPROVED or job.status is JobStatus.DRAFT:
        return False
    if viewer is None:
        return job.status is JobStatus.ACTIVE
    if job.client_id in await profiles_service.blocked_ids(session, viewer.id):
        return False
    repo = JobRepository(session)
    return job.status is JobStatus.ACTIVE or bool(await repo.applied_to(viewer.id, [job.id]))


async def save_job(session: AsyncSession, *, user: Principal, job_id: uuid.UUID) -> bool:
    """Idempotent; at most 500 saved jobs."""
    repo = JobRepository(session)
    job = await repo.get(job_id)
    if job is None or not (is_open(job) or job.client_id == user.id):
        raise JobNotFound(NOT_FOUND)
    if job.id not in await repo.saved_ids(user.id, [job.id]):
        if await repo.count_saved(user.id) >= MAX_SAVED:
            raise ValidationFailed.field("job_id", "out_of_range", "At most 500 saved jobs.")
        await repo.save(user.id, job.id)
    return True


async def unsave_job(session: AsyncSession, *, user: Principal, job_id: uuid.UUID) -> bool:
    await JobRepository(session).unsave(user.id, job_id)
    return False


async def saved_jobs(
    session: AsyncSession, *, user: Principal, limit: int | None, cursor: str | None
) -> Page[JobRead]:
    """Newest first; closed and expired jobs stay with their status, deleted ones go."""
    size = clamp_limit(limit)
    after = decode_cursor(cursor, arity=2)
    rows = await JobRepository(session).saved(
        user.id, after=(after[0], after[1]) if after else None, limit=size
    )
    page_rows = rows[:size]
    next_cursor = (
        encode_cursor((page_rows[-1][0].created_at, page_rows[-1][0].job_id))
        if len(rows) > size and page_rows
        else None
    )
    reads = await job_reads(session, [job for _, job in page_rows], viewer=user)
    return Page(items=reads, next_cursor=next_cursor)
