"""Hours on the grid and RFC 5545 rules (AV-3, AV-4): the rules the server writes for weekly,
bi-weekly and monthly patterns, a strict check of a custom rule, and their expansion into dates
with python-dateutil.

A custom rule is limited to shapes that yield a date at least every few years. dateutil walks a
rule that never yields to the year 9999 before `between` returns (seconds of CPU for
`FREQ=DAILY;BYSETPOS=2`), so such rules are refused here rather than expanded.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time
from itertools import pairwise

from dateutil.rrule import rrulestr

from getmygrapher.availability.models import SlotGrid
from getmygrapher.availability.schemas.patterns import WEEKDAYS, HoursIn
from getmygrapher.availability.schemas.stats import Weekday
from getmygrapher.availability.service import clock
from getmygrapher.core.errors import ValidationFailed

RULE_FIELD = "schedule.rrule"
PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "UNTIL", "COUNT")
FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY"})
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = 99
MAX_COUNT = 1000
# Every month has days 1 to 28 (and -1 to -28); each weekday falls at least four times in a month.
SURE_MONTH_DAYS = 28
SURE_WEEKDAYS_A_MONTH = 4

_CHARACTERS = re.compile(r"[A-Z0-9=;,+\-]+")
_WEEKDAY = re.compile(r"([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)")
_NUMBER = re.compile(r"[+-]?\d{1,3}")
_UNTIL = re.compile(r"(\d{8})(T\d{6}Z?)?")


# Hours -------------------------------------------------------------------------------------------


def _under(error: ValidationFailed, prefix: str) -> ValidationFailed:
    return ValidationFailed(
        error.detail,
        errors=[{**item, "field": f"{prefix}.{item['field']}"} for item in error.errors],
    )


def check_hours(
    hours: Sequence[HoursIn], grid: SlotGrid | None, *, path: str
) -> tuple[clock.Interval, ...]:
    """Each interval on the grid (AV-2), sorted, none overlapping another; `grid=None` trusts
    hours that were checked when they were stored."""
    intervals = []
    for index, item in enumerate(hours):
        if grid is None:
            intervals.append(clock.Interval(item.starts_at, item.ends_at))
            continue
        try:
            intervals.append(clock.check_interval(item.starts_at, item.ends_at, grid))
        except ValidationFailed as error:
            raise _under(error, f"{path}.{index}") from None
    intervals.sort(key=lambda interval: interval.starts)
    for before, after in pairwise(intervals):
        if after.starts < before.ends:
            raise ValidationFailed.field(
                path, "overlapping_hours", "These hours overlap one another."
            )
    return tuple(intervals)


# Rules the server writes -------------------------------------------------------------------------


def weekly_rule(weekdays: Iterable[Weekday], *, every: int = 1) -> str:
    """Weekly, or every other week counted from the week of the start date (`every=2`)."""
    codes = ",".join(DAY_CODES[WEEKDAYS.index(day)] for day in sorted(weekdays, key=WEEKDAYS.index))
    interval = f";INTERVAL={every}" if every > 1 else ""
    return f"FREQ=WEEKLY{interval};BYDAY={codes}"


def monthly_rule(month_days: Iterable[int]) -> str:
    """RFC 5545 skips a day a month lacks (31 in April), as AV-4 asks."""
    return "FREQ=MONTHLY;BYMONTHDAY=" + ",".join(str(day) for day in sorted(month_days))


# A custom rule -----------------------------------------------------------------------------------


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed.field(RULE_FIELD, "invalid_rrule", message)


def _not_allowed(message: str) -> ValidationFailed:
    return ValidationFailed.field(RULE_FIELD, "rrule_part_not_allowed", message)


def _split(raw: str) -> dict[str, str]:
    text = raw.strip().upper()
    text = text.removeprefix("RRULE:")
    if not text or not _CHARACTERS.fullmatch(text):
        raise _invalid("Write the rule as RFC 5545 KEY=VALUE parts separated by semicolons.")
    parts: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not key or not value:
            raise _invalid(f"`{part}` is not a KEY=VALUE part.")
        if key not in PARTS:
            raise _not_allowed(f"{key} is not allowed; use {', '.join(PARTS)}.")
        if key in parts:
            raise _invalid(f"{key} appears twice.")
        parts[key] = value
    return parts


def _numbers(value: str, key: str, *, low: int, high: int) -> list[int]:
    found = []
    for item in value.split(","):
        if not _NUMBER.fullmatch(item) or not low <= abs(int(item)) <= high:
            raise _invalid(f"{key} takes whole numbers from {low} to {high} (or their negatives).")
        found.append(int(item))
    if len(set(found)) != len(found):
        raise _invalid(f"{key} repeats a value.")
    return found


def _weekdays(value: str, freq: str) -> list[tuple[int | None, str]]:
    found = []
    for item in value.split(","):
        match = _WEEKDAY.fullmatch(item)
        if match is None or match.group(1) in {"0", "+0", "-0"}:
            raise _invalid("BYDAY takes MO, TU, WE, TH, FR, SA or SU, with ±1…5 when monthly.")
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None and freq != "MONTHLY":
            raise _not_allowed("A numbered BYDAY (2SA, -1FR) needs FREQ=MONTHLY.")
        found.append((ordinal, match.group(2)))
    if len(set(found)) != len(found):
        raise _invalid("BYDAY repeats a day.")
    return found


def _until(value: str) -> str:
    match = _UNTIL.fullmatch(value)
    if match is None:
        raise _invalid("UNTIL is a date: YYYYMMDD.")
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date().strftime("%Y%m%d")  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        raise _invalid("UNTIL is not a real date.") from None


def _check_positions(
    positions: list[int], freq: str, days: list[tuple[int | None, str]], month_days: list[int]
) -> None:
    """BYSETPOS picks from each period's set; a position past the set's size never matches."""
    if freq == "DAILY":
        raise _not_allowed("BYSETPOS needs FREQ=WEEKLY or FREQ=MONTHLY.")
    if days and month_days:
        raise _not_allowed("BYSETPOS goes with BYDAY or with BYMONTHDAY, not both.")
    if any(ordinal is not None for ordinal, _ in days):
        raise _not_allowed("BYSETPOS goes with plain weekdays (SA), not numbered ones (2SA).")
    if freq == "WEEKLY":
        size = len(days) or 1
    elif days:
        size = SURE_WEEKDAYS_A_MONTH * len(days)
    elif month_days:
        size = sum(1 for day in month_days if abs(day) <= SURE_MONTH_DAYS)
    else:
        size = 1
    if any(abs(position) > size for position in positions):
        raise _invalid(f"BYSETPOS must lie within ±{size} for this rule, or it never matches.")


def _check_filters(
    freq: str, interval: int, days: list[tuple[int | None, str]], month_days: list[int]
) -> None:
    if month_days and freq == "WEEKLY":
        raise _not_allowed("BYMONTHDAY does not go with FREQ=WEEKLY (RFC 5545).")
    if month_days and any(ordinal is not None for ordinal, _ in days):
        raise _not_allowed("A numbered BYDAY (2SA) does not go with BYMONTHDAY.")
    if freq == "DAILY" and (days or month_days) and interval != 1:
        raise _not_allowed("A daily rule filtered by BYDAY or BYMONTHDAY takes no INTERVAL.")
    sure = [day for day in month_days if abs(day) <= SURE_MONTH_DAYS]
    if freq == "MONTHLY" and interval > 1 and month_days and not sure:
        raise _invalid("With INTERVAL, BYMONTHDAY needs a day every month has (1 to 28).")


def _check_end(parts: dict[str, str]) -> None:
    """UNTIL (rewritten as a date) or COUNT, not both."""
    if "UNTIL" in parts and "COUNT" in parts:
        raise _invalid("Use UNTIL or COUNT, not both.")
    if "UNTIL" in parts:
        parts["UNTIL"] = _until(parts["UNTIL"])
    if "COUNT" in parts:
        count = _numbers(parts["COUNT"], "COUNT", low=1, high=MAX_COUNT)
        if len(count) != 1 or count[0] < 1:
            raise _invalid(f"COUNT is one number from 1 to {MAX_COUNT}.")


def check_custom_rule(raw: str) -> str:
    """The rule in a canonical form, or 422: only FREQ (DAILY, WEEKLY, MONTHLY), INTERVAL,
    BYDAY, BYMONTHDAY, BYSETPOS, UNTIL (a date) or COUNT, in shapes that keep recurring."""
    parts = _split(raw)
    freq = parts.get("FREQ")
    if freq is None:
        raise _invalid("FREQ is required.")
    if freq not in FREQUENCIES:
        raise _not_allowed("FREQ must be DAILY, WEEKLY or MONTHLY.")
    interval = _numbers(parts.get("INTERVAL", "1"), "INTERVAL", low=1, high=MAX_INTERVAL)
    if len(interval) != 1 or interval[0] < 1:
        raise _invalid("INTERVAL is one positive number.")
    days = _weekdays(parts["BYDAY"], freq) if "BYDAY" in parts else []
    month_days = (
        _numbers(parts["BYMONTHDAY"], "BYMONTHDAY", low=1, high=31) if "BYMONTHDAY" in parts else []
    )
    _check_filters(freq, interval[0], days, month_days)
    if "BYSETPOS" in parts:
        positions = _numbers(parts["BYSETPOS"], "BYSETPOS", low=1, high=366)
        _check_positions(positions, freq, days, month_days)
    _check_end(parts)
    canonical = ";".join(f"{key}={parts[key]}" for key in PARTS if key in parts)
    try:
        rrulestr(canonical, dtstart=_midnight(date(2026, 1, 1)))
    except (ValueError, TypeError, OverflowError):
        raise _invalid("This rule cannot be read as RFC 5545.") from None
    return canonical


# Expansion ---------------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    # Rules run on calendar days in the calendar's zone, not on instants: naive on purpose.
    return datetime.combine(day, time())


def occurrences(
    rule: str,
    *,
    starts_on: date,
    first: date,
    last: date,
    exdates: Collection[date] = (),
) -> list[date]:
    """The rule's dates from `first` to `last`, both included, counted from `starts_on`
    (DTSTART: where INTERVAL and COUNT start), without the exception dates."""
    first = max(first, starts_on)
    if last < first:
        return []
    recurrence = rrulestr(rule, dtstart=_midnight(starts_on))
    found = recurrence.between(_midnight(first), _midnight(last), inc=True)
    skipped = set(exdates)
    return [moment.date() for moment in found if moment.date() not in skipped]
