"""Quick and bulk actions over many dates (AV-3), each one set-based statement.

The target dates come from `unnest` of the listed dates or `generate_series` over the range;
dates before today or past the 365-day calendar are reported, never changed. Every slot period
is computed in SQL from the date, the wall-clock time and the calendar's zone. Booked time is
never changed: new hours go around it, and it is reported as skipped.

`available` and `copy` *replace* each date's free, blocked and break slots with the new hours,
which is what "mark Mondays 9 to 5" means to a photographer; adding beside the old slots would fail
on every date that has any. Dates they and `unavailable` touch become date overrides (AV-14), so
a pattern no longer fills them; `clear` removes the overrides with the slots. `blocked` with
hours cuts the slots under them (the rest of each slot stays, and stays its pattern's).

Inside one statement the sub-statements run in no set order, so an INSERT that reuses time a
DELETE frees reads `count(*)` of the DELETE's rows first: no new row exists before every old one
is gone, and the exclusion constraint never sees both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import SlotGrid
from getmygrapher.availability.schemas.bulk import (
    BulkAction,
    BulkChange,
    BulkDay,
    BulkEdit,
    BulkResult,
    BulkSkip,
    DateList,
)
from getmygrapher.availability.schemas.patterns import WEEKDAYS
from getmygrapher.availability.service import clock, schedules
from getmygrapher.availability.service.calendar import _changed, check_grid, settings_for
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.security import Principal
from getmygrapher.core.time import today_ist

_TARGETS = """
WITH targets AS (
    SELECT DISTINCT listed::date AS day FROM unnest(CAST(:dates AS date[])) AS listed
    UNION
    SELECT ranged::date FROM generate_series(
        CAST(:first AS date), CAST(:last AS date), interval '1 day') AS ranged
    WHERE extract(isodow FROM ranged)::int = ANY(CAST(:isodows AS int[]))
), editable AS (
    SELECT day FROM targets
    WHERE day BETWEEN CAST(:today AS date) AND CAST(:horizon AS date)
      AND day IS DISTINCT FROM CAST(:source_day AS date)
),
"""

_GIVEN_HOURS = """
laid AS (
    SELECT h.starts_at, h.ends_at, CAST(:status AS slot_status) AS status,
           CAST(:note AS text) AS note, CAST(:rate AS int) AS hourly_rate
    FROM unnest(CAST(:starts AS time[]), CAST(:ends AS time[])) AS h(starts_at, ends_at)
),
"""

_SOURCE_DAY = """
laid AS (
    SELECT starts_at, ends_at, status, note::text AS note, hourly_rate FROM calendar_slots
    WHERE user_id = CAST(:user_id AS uuid) AND day = CAST(:source_day AS date)
      AND status <> 'booked'
),
"""

# Every date with every laid interval, and what each must leave alone: booked time, and slots of
# dates outside the edit (only after a change of zone can those reach into an edited date).
_WANTED = """
wanted AS (
    SELECT e.day, l.starts_at, l.ends_at, l.status, l.note, l.hourly_rate,
           tstzrange((e.day + l.starts_at) AT TIME ZONE CAST(:tz AS text),
                     (e.day + l.ends_at) AT TIME ZONE CAST(:tz AS text), '[)') AS period
    FROM editable e CROSS JOIN laid l
), held AS (
    SELECT w.day, w.starts_at, w.period * s.period AS period,
           CASE WHEN s.status = 'booked' THEN 'booked' ELSE 'overlap' END AS reason
    FROM wanted w
    JOIN calendar_slots s ON s.user_id = CAST(:user_id AS uuid) AND s.period && w.period
    WHERE s.status = 'booked' OR NOT EXISTS (SELECT 1 FROM editable e WHERE e.day = s.day)
), pieces AS (
    SELECT w.day, w.status, w.note, w.hourly_rate, piece,
           upper(piece) - lower(piece) >= make_interval(mins => CAST(:shortest AS int)) AS fits
    FROM wanted w
    CROSS JOIN LATERAL unnest(tstzmultirange(w.period) - coalesce(
        (SELECT range_agg(h.period) FROM held h
         WHERE h.day = w.day AND h.starts_at = w.starts_at),
        tstzmultirange())) AS piece
), skipped AS (
    SELECT day, (lower(period) AT TIME ZONE CAST(:tz AS text))::time AS starts_at,
           (upper(period) AT TIME ZONE CAST(:tz AS text))::time AS ends_at, reason
    FROM held
    UNION ALL
    SELECT day, (lower(piece) AT TIME ZONE CAST(:tz AS text))::time,
           (upper(piece) AT TIME ZONE CAST(:tz AS text))::time, 'too_short'
    FROM pieces WHERE NOT fits
),
"""

_REPLACE = """
removed AS (
    DELETE FROM calendar_slots s USING editable e
    WHERE s.user_id = CAST(:user_id AS uuid) AND s.day = e.day AND s.status <> 'booked'
    RETURNING s.day, s.starts_at, s.ends_at, s.status::text AS status
), cleared AS (
    SELECT count(*) AS slots FROM removed
), added AS (
    INSERT INTO calendar_slots
        (user_id, day, starts_at, ends_at, timezone, period, status, note, hourly_rate, source)
    SELECT CAST(:user_id AS uuid), p.day,
           (lower(p.piece) AT TIME ZONE CAST(:tz AS text))::time,
           (upper(p.piece) AT TIME ZONE CAST(:tz AS text))::time,
           CAST(:tz AS text), p.piece, p.status, p.note, p.hourly_rate, 'bulk'
    FROM pieces p CROSS JOIN cleared
    WHERE p.fits
    RETURNING day, starts_at, ends_at, status::text AS status
), unblocked AS (
    SELECT d.day FROM calendar_days d JOIN editable e ON e.day = d.day
    WHERE d.user_id = CAST(:user_id AS uuid) AND d.blocked
), overridden AS (
    INSERT INTO calendar_days (user_id, day)
    SELECT CAST(:user_id AS uuid), day FROM editable
    ON CONFLICT (user_id, day) DO UPDATE SET blocked = false
), days_changed AS (
    SELECT day, 'day_unblocked'::text AS change FROM unblocked
)
"""

_CARVE = """
placed AS (
    SELECT day, status, note, piece FROM pieces WHERE fits
), removed AS (
    DELETE FROM calendar_slots s USING editable e
    WHERE s.user_id = CAST(:user_id AS uuid) AND s.day = e.day AND s.status <> 'booked'
      AND EXISTS (SELECT 1 FROM placed p WHERE p.day = s.day AND p.piece && s.period)
    RETURNING s.day, s.starts_at, s.ends_at, s.status::text AS status, s.period,
              s.status AS slot_status, s.note, s.hourly_rate, s.pattern_id, s.source, s.timezone
), remains AS (
    SELECT r.day, r.slot_status, r.note, r.hourly_rate, r.pattern_id, r.source, r.timezone, rest
    FROM removed r
    CROSS JOIN LATERAL unnest(tstzmultirange(r.period) - (
        SELECT range_agg(p.piece) FROM placed p WHERE p.day = r.day)) AS rest
), cleared AS (
    SELECT count(*) AS slots FROM removed
), added AS (
    INSERT INTO calendar_slots (user_id, day, starts_at, ends_at, timezone, period, status, note,
                                hourly_rate, pattern_id, source)
    SELECT CAST(:user_id AS uuid), r.day, (lower(r.rest) AT TIME ZONE r.timezone)::time,
           (upper(r.rest) AT TIME ZONE r.timezone)::time, r.timezone, r.rest, r.slot_status,
           r.note, r.hourly_rate, r.pattern_id, r.source
    FROM remains r
    UNION ALL
    SELECT CAST(:user_id AS uuid), p.day, (lower(p.piece) AT TIME ZONE CAST(:tz AS text))::time,
           (upper(p.piece) AT TIME ZONE CAST(:tz AS text))::time, CAST(:tz AS text), p.piece,
           p.status, p.note, NULL, NULL, 'bulk'
    FROM placed p CROSS JOIN cleared
    RETURNING day, starts_at, ends_at, status::text AS status
), days_changed AS (
    SELECT NULL::date AS day, NULL::text AS change WHERE false
)
"""

_BOOKED_KEPT = """
skipped AS (
    SELECT s.day, s.starts_at, s.ends_at, 'booked'::text AS reason
    FROM calendar_slots s JOIN editable e ON e.day = s.day
    WHERE s.user_id = CAST(:user_id AS uuid) AND s.status = 'booked'
),
"""

_NOTHING_ADDED = """
added AS (
    SELECT NULL::date AS day, NULL::time AS starts_at, NULL::time AS ends_at,
           NULL::text AS status WHERE false
),
"""

_UNAVAILABLE = """
removed AS (
    DELETE FROM calendar_slots s USING editable e
    WHERE s.user_id = CAST(:user_id AS uuid) AND s.day = e.day AND s.status = 'available'
    RETURNING s.day, s.starts_at, s.ends_at, s.status::text AS status
), overridden AS (
    INSERT INTO calendar_days (user_id, day)
    SELECT CAST(:user_id AS uuid), day FROM editable
    ON CONFLICT (user_id, day) DO NOTHING
), days_changed AS (
    SELECT NULL::date AS day, NULL::text AS change WHERE false
)
"""

_BLOCK_DAYS = """
removed AS (
    SELECT NULL::date AS day, NULL::time AS starts_at, NULL::time AS ends_at,
           NULL::text AS status WHERE false
), days_changed AS (
    INSERT INTO calendar_days (user_id, day, blocked, note)
    SELECT CAST(:user_id AS uuid), day, true, CAST(:note AS text) FROM editable
    ON CONFLICT (user_id, day)
        DO UPDATE SET blocked = true, note = coalesce(EXCLUDED.note, calendar_days.note)
    RETURNING day, 'day_blocked'::text AS change
)
"""

_CLEAR = """
removed AS (
    DELETE FROM calendar_slots s USING editable e
    WHERE s.user_id = CAST(:user_id AS uuid) AND s.day = e.day AND s.status <> 'booked'
    RETURNING s.day, s.starts_at, s.ends_at, s.status::text AS status
), dropped AS (
    DELETE FROM calendar_days d USING editable e
    WHERE d.user_id = CAST(:user_id AS uuid) AND d.day = e.day
    RETURNING d.day, d.blocked
), days_changed AS (
    SELECT day, CASE WHEN blocked THEN 'day_unblocked' ELSE 'override_removed' END AS change
    FROM dropped
)
"""

# One row per target date (with the reason when the whole date is skipped), then one per change
# and per skipped part.
_REPORT = """
SELECT day, NULL::text AS change, NULL::time AS starts_at, NULL::time AS ends_at,
       NULL::text AS status,
       CASE WHEN day < CAST(:today AS date) THEN 'date_in_past'
            WHEN day > CAST(:horizon AS date) THEN 'too_far_ahead'
            WHEN day = CAST(:source_day AS date) THEN 'source_day' END AS reason
FROM targets
UNION ALL SELECT day, 'removed', starts_at, ends_at, status, NULL FROM removed
UNION ALL SELECT day, 'added', starts_at, ends_at, status, NULL FROM added
UNION ALL SELECT day, change, NULL, NULL, NULL, NULL FROM days_changed
UNION ALL SELECT day, NULL, starts_at, ends_at, NULL, reason FROM skipped
"""

STATEMENTS = {
    "available": text(_TARGETS + _GIVEN_HOURS + _WANTED + _REPLACE + _REPORT),
    "copy": text(_TARGETS + _SOURCE_DAY + _WANTED + _REPLACE + _REPORT),
    "blocked_hours": text(_TARGETS + _GIVEN_HOURS + _WANTED + _CARVE + _REPORT),
    "blocked": text(_TARGETS + _BOOKED_KEPT + _NOTHING_ADDED + _BLOCK_DAYS + _REPORT),
    "unavailable": text(_TARGETS + _BOOKED_KEPT + _NOTHING_ADDED + _UNAVAILABLE + _REPORT),
    "clear": text(_TARGETS + _BOOKED_KEPT + _NOTHING_ADDED + _CLEAR + _REPORT),
}

ISODOWS = {
    "all": [1, 2, 3, 4, 5, 6, 7],
    "weekdays": [1, 2, 3, 4, 5],
    "weekends": [6, 7],
}

# Which action takes which field: `True` required, `False` optional, absent refused.
_FIELDS: dict[str, dict[str, bool]] = {
    "available": {"hours": True, "note": False, "hourly_rate": False},
    "unavailable": {},
    "blocked": {"hours": False, "note": False},
    "copy": {"source_day": True},
    "clear": {},
}


def _check_fields(data: BulkEdit) -> None:
    takes = _FIELDS[data.action]
    for name in ("hours", "source_day", "note", "hourly_rate"):
        given = getattr(data, name) is not None
        if given and name not in takes:
            raise ValidationFailed.field(
                name, "not_allowed", f"`{data.action}` does not take `{name}`."
            )
        if not given and takes.get(name):
            raise ValidationFailed.field(name, "required_field", f"`{data.action}` needs `{name}`.")


def _targets(data: BulkEdit) -> dict[str, Any]:
    targets = data.targets
    if isinstance(targets, DateList):
        return {"dates": sorted(set(targets.dates)), "first": None, "last": None, "isodows": []}
    try:
        clock.check_range(targets.first, targets.last)
    except ValidationFailed as error:
        raise ValidationFailed(
            error.detail,
            errors=[{**item, "field": f"targets.{item['field']}"} for item in error.errors],
        ) from None
    if isinstance(targets.days, str):
        isodows = ISODOWS[targets.days]
    else:
        isodows = sorted({WEEKDAYS.index(day) + 1 for day in targets.days})
    return {"dates": [], "first": targets.first, "last": targets.last, "isodows": isodows}


def _report(action: BulkAction, rows: Sequence[Row[Any]]) -> BulkResult:
    days: dict[date, BulkDay] = {}
    whole: set[date] = set()
    for row in rows:
        if row.day not in days:
            days[row.day] = BulkDay(day=row.day, applied=[], skipped=[])
    for row in rows:
        entry = days[row.day]
        if row.change is not None:
            entry.applied.append(
                BulkChange(
                    change=row.change,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    status=row.status,
                )
            )
        elif row.reason is not None:
            entry.skipped.append(
                BulkSkip(reason=row.reason, starts_at=row.starts_at, ends_at=row.ends_at)
            )
            if row.starts_at is None:
                whole.add(row.day)
    for entry in days.values():
        _drop_unchanged(entry)
        entry.applied.sort(key=lambda c: (c.starts_at or time.min, c.change != "removed"))
        entry.skipped.sort(key=lambda s: s.starts_at or time.min)
    ordered = [days[day] for day in sorted(days)]
    return BulkResult(
        action=action,
        applied_days=sum(1 for entry in ordered if entry.applied),
        skipped_days=len(whole),
        days=ordered,
    )


def _drop_unchanged(entry: BulkDay) -> None:
    """A slot removed and laid again exactly as it was did not change."""
    removed = {(c.starts_at, c.ends_at, c.status) for c in entry.applied if c.change == "removed"}
    added = {(c.starts_at, c.ends_at, c.status) for c in entry.applied if c.change == "added"}
    same = removed & added
    entry.applied = [
        c
        for c in entry.applied
        if c.change not in {"removed", "added"} or (c.starts_at, c.ends_at, c.status) not in same
    ]


async def bulk_edit(
    session: AsyncSession, *, owner: Principal, data: BulkEdit, now: datetime | None = None
) -> BulkResult:
    """AV-3: one action over up to 366 dates in one statement, with a report per date. Takes
    the calendar's lock first."""
    _check_fields(data)
    params = _targets(data)
    settings = await settings_for(session, owner.id, lock=True)
    grid = await check_grid(session, owner.id, settings.grid)
    hours = schedules.check_hours(data.hours or [], grid, path="hours")
    today = today_ist(now)
    key = "blocked_hours" if data.action == "blocked" and hours else data.action
    params |= {
        "user_id": owner.id,
        "tz": settings.timezone,
        "today": today,
        "horizon": today + timedelta(days=clock.HORIZON_DAYS),
        "source_day": data.source_day,
        "starts": [interval.starts for interval in hours],
        "ends": [interval.ends for interval in hours],
        "status": "blocked" if data.action == "blocked" else "available",
        "note": data.note,
        "rate": data.hourly_rate,
        "shortest": 30 if grid is SlotGrid.MIN_30 else 60,
    }
    rows = (await session.execute(STATEMENTS[key], params)).all()
    result = _report(data.action, rows)
    changed = [entry.day for entry in result.days if entry.applied]
    if changed:
        await _changed(session, owner.id, changed)
    return result
