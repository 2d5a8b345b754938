"""Request and response bodies of quick and bulk calendar actions (AV-3)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from getmygrapher.availability.schemas import Rupees, SlotNote
from getmygrapher.availability.schemas.patterns import Hours
from getmygrapher.availability.schemas.stats import Weekday
from getmygrapher.core.schemas import RequestModel, ResponseModel

BulkAction = Literal["available", "unavailable", "blocked", "copy", "clear"]
DaySelector = Literal["all", "weekdays", "weekends"]
SkipReason = Literal[
    "date_in_past", "too_far_ahead", "source_day", "booked", "overlap", "too_short"
]
ChangeKind = Literal["added", "removed", "day_blocked", "day_unblocked", "override_removed"]


class DateList(RequestModel):
    dates: Annotated[list[date], Field(min_length=1, max_length=366)]


class DateRange(RequestModel):
    """Every matching day from `from` to `to`, both included, at most 366 days."""

    model_config = ConfigDict(populate_by_name=False)

    first: date = Field(alias="from")
    last: date = Field(alias="to")
    days: DaySelector | Annotated[list[Weekday], Field(min_length=1, max_length=7)] = "all"


class BulkEdit(RequestModel):
    """`available` replaces the free, blocked and break slots of each date with `hours`;
    `unavailable` removes the free slots; `blocked` blocks each whole day or, with `hours`,
    those hours; `copy` replaces each date's slots with `source_day`'s; `clear` removes every
    slot and override. Booked time is never changed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "available",
                    "targets": {"from": "2026-12-14", "to": "2027-01-31", "days": "weekdays"},
                    "hours": [
                        {"starts_at": "09:00:00", "ends_at": "13:00:00"},
                        {"starts_at": "14:00:00", "ends_at": "18:00:00"},
                    ],
                }
            ]
        }
    )

    action: BulkAction
    targets: DateList | DateRange
    # `available` (required) and `blocked` (optional: without it the whole days are blocked).
    hours: Hours | None = None
    # `copy` only.
    source_day: date | None = None
    # `available` and `blocked`.
    note: SlotNote | None = None
    # `available` only.
    hourly_rate: Rupees | None = None


class BulkChange(ResponseModel):
    change: ChangeKind
    starts_at: time | None = None
    ends_at: time | None = None
    status: Literal["available", "booked", "blocked", "break"] | None = None


class BulkSkip(ResponseModel):
    reason: SkipReason
    # The part of the date skipped; none when the whole date was.
    starts_at: time | None = None
    ends_at: time | None = None


class BulkDay(ResponseModel):
    day: date
    applied: list[BulkChange]
    skipped: list[BulkSkip]


class BulkResult(ResponseModel):
    action: BulkAction
    # Target dates with at least one change.
    applied_days: int
    # Target dates skipped whole (past, too far ahead, the copy's source).
    skipped_days: int
    days: list[BulkDay]
