"""Request and response bodies of recurring patterns (AV-4), their templates (AV-5) and
previews."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, JsonValue
from pydantic_core import PydanticCustomError

from getmygrapher.availability.models import PatternType
from getmygrapher.availability.schemas.stats import Weekday
from getmygrapher.core.schemas import PlainText, RequestModel, ResponseModel

WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


def _wall_clock(value: time) -> time:
    # A calendar time is a wall-clock time in the calendar's zone (GEN-2); an offset would
    # name a second zone and make the two disagree.
    if value.tzinfo is not None:
        raise PydanticCustomError("invalid_format", "Give a wall-clock time without an offset")
    return value


WallTime = Annotated[time, AfterValidator(_wall_clock)]


class HoursIn(RequestModel):
    """A wall-clock interval on the owner's grid, between 06:00 and 23:00."""

    starts_at: WallTime
    ends_at: WallTime


Hours = Annotated[list[HoursIn], Field(min_length=1, max_length=24)]
MonthDay = Annotated[int, Field(ge=1, le=31)]
PatternName = Annotated[str, PlainText(1, 50, multiline=False)]
ExceptionDates = Annotated[list[date], Field(max_length=100)]

_NINE_TO_FIVE: JsonValue = [{"starts_at": "09:00:00", "ends_at": "17:00:00"}]


class WeeklySchedule(RequestModel):
    """`weekly` and `bi_weekly`: intervals per weekday."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"weekdays": {"monday": _NINE_TO_FIVE}}]}
    )

    weekdays: Annotated[dict[Weekday, Hours], Field(min_length=1)]


class MonthlySchedule(RequestModel):
    """`monthly`: intervals per day of the month; a day a month lacks is skipped."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"month_days": {"1": _NINE_TO_FIVE}}]}
    )

    month_days: Annotated[dict[MonthDay, Hours], Field(min_length=1)]


class CustomSchedule(RequestModel):
    """`custom`: an RFC 5545 rule (FREQ DAILY, WEEKLY or MONTHLY, with INTERVAL, BYDAY,
    BYMONTHDAY, BYSETPOS, UNTIL or COUNT) and the intervals of every occurrence."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"rrule": "FREQ=MONTHLY;BYDAY=SA;BYSETPOS=-1", "hours": _NINE_TO_FIVE}]
        }
    )

    rrule: Annotated[str, PlainText(1, 300, multiline=False)]
    hours: Hours


Schedule = WeeklySchedule | MonthlySchedule | CustomSchedule


class PatternIn(RequestModel):
    name: PatternName
    type: PatternType
    schedule: Schedule
    # From today (IST); the default.
    starts_on: date | None = None
    # At most 365 days after the start; none: until paused or deleted.
    ends_on: date | None = None
    exdates: ExceptionDates = Field(default_factory=list)
    active: bool = True


class PatternChange(RequestModel):
    """Only the fields sent change; `type` changes together with `schedule`."""

    name: PatternName | None = None
    type: PatternType | None = None
    schedule: Schedule | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    exdates: ExceptionDates | None = None
    active: bool | None = None


class FillRead(ResponseModel):
    """What a write did to the calendar: the pattern's slots added and removed."""

    added: int
    removed: int


class PatternRead(ResponseModel):
    id: uuid.UUID
    name: str
    type: PatternType
    schedule: Schedule
    # RFC 5545, without DTSTART (the start date) and EXDATE (`exdates`).
    rrule: str
    starts_on: date
    ends_on: date | None
    exdates: list[date]
    active: bool
    # The pattern's slots exist up to this day; a daily task extends them to the horizon.
    filled_until: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    # Set on writes only.
    fill: FillRead | None = None


class PatternTemplate(ResponseModel):
    key: str
    name: str
    type: Literal["weekly"]
    schedule: WeeklySchedule


class PreviewSlot(ResponseModel):
    starts_at: time
    ends_at: time


class PreviewConflict(ResponseModel):
    """Booked time the pattern's hours run into; the pattern leaves it alone."""

    kind: Literal["booking", "booked_slot"]
    starts_at: time
    ends_at: time
    booking_id: uuid.UUID | None
    reference: str | None


class PreviewDay(ResponseModel):
    day: date
    slots: list[PreviewSlot]
    # A date override replaces the patterns on this day (AV-14): nothing would be added.
    overridden: bool
    conflicts: list[PreviewConflict]


class PatternPreview(ResponseModel):
    first_day: date
    last_day: date
    slot_count: int
    conflict_count: int
    days: list[PreviewDay]
