"""Request and response models of jobs, discovery and applications."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from getmygrapher.core.india import State
from getmygrapher.core.masking import has_contact_details
from getmygrapher.core.schemas import PinCode, PlainText, RequestModel, ResponseModel
from getmygrapher.jobs.models import ApplicationStatus, BudgetType, JobStatus, Urgency

Rupees = Annotated[int, Field(ge=500, le=100_000)]
Category = Literal[
    "Photography",
    "Videography & Film",
    "Audio Production",
    "Design & Creative",
    "Multi-Disciplinary",
]


def _no_contact(value: str | None) -> str | None:
    """JOB-1: contact details in job text are refused; they travel only by consent."""
    if value is not None and has_contact_details(value):
        raise PydanticCustomError(
            "contact_info_not_allowed", "Remove phone numbers, e-mail addresses and UPI IDs"
        )
    return value


Title = Annotated[str, PlainText(1, 100, multiline=False), AfterValidator(_no_contact)]
Description = Annotated[str, PlainText(10, 1000), AfterValidator(_no_contact)]
Address = Annotated[str, PlainText(5, 200, multiline=False), AfterValidator(_no_contact)]
Notes500 = Annotated[str, PlainText(0, 500), AfterValidator(_no_contact)]
Notes200 = Annotated[str, PlainText(0, 200), AfterValidator(_no_contact)]
City = Annotated[str, PlainText(2, 50, multiline=False)]


class TimeSlot(RequestModel):
    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def start_first(self) -> Self:
        if self.start >= self.end:
            raise PydanticCustomError("out_of_range", "A slot starts before it ends")
        return self


def _slots(value: list[TimeSlot]) -> list[TimeSlot]:
    ordered = sorted(value, key=lambda slot: slot.start)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise PydanticCustomError("out_of_range", "Time slots must not overlap")
    return ordered


Slots = Annotated[list[TimeSlot], Field(min_length=1, max_length=5), AfterValidator(_slots)]
TypeName = Annotated[str, StringConstraints(min_length=2, max_length=60)]
Sort = Literal[
    "distance",
    "date_posted",
    "job_date",
    "budget_high_to_low",
    "budget_low_to_high",
    "urgency",
    "relevance",
]
Types = Annotated[
    list[Annotated[str, PlainText(2, 60, multiline=False)]], Field(min_length=1, max_length=5)
]


class JobFields(RequestModel):
    """Every field a client may set; the owner, status, counters and moderation are the
    server's (GEN-3). A draft needs only a title; publishing checks the rest (JOB-2)."""

    description: Description | None = None
    category: Category | None = None
    professional_types: Types | None = None
    positions: Annotated[int, Field(ge=1, le=20)] | None = None
    job_date: dt.date | None = None
    time_slots: Slots | None = None
    application_deadline: dt.datetime | None = None
    address: Address | None = None
    city: City | None = None
    state: State | None = None
    pin_code: PinCode | None = None
    lat: Annotated[float, Field(ge=6.0, le=37.6)] | None = None
    lng: Annotated[float, Field(ge=68.0, le=97.5)] | None = None
    venue_details: Notes500 | None = None
    access_instructions: Notes500 | None = None
    parking_notes: Notes200 | None = None
    budget_min: Rupees | None = None
    budget_max: Rupees | None = None
    budget_type: BudgetType | None = None
    negotiable: bool | None = None
    urgency: Urgency | None = None

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if (
            self.budget_min is not None
            and self.budget_max is not None
            and self.budget_min > self.budget_max
        ):
            raise PydanticCustomError("out_of_range", "The minimum budget exceeds the maximum")
        if (self.lat is None) != (self.lng is None):
            raise PydanticCustomError("required_field", "Give both lat and lng")
        if self.application_deadline is not None and self.application_deadline.tzinfo is None:
            raise PydanticCustomError("invalid_format", "Give the deadline with its time zone")
        return self


class DiscoveryParams(BaseModel):
    """The query string of `GET /v1/jobs` (unknown parameters are ignored, as caches add
    their own)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    lat: Annotated[float, Field(ge=6.0, le=37.6)] | None = None
    lng: Annotated[float, Field(ge=68.0, le=97.5)] | None = None
    pin_code: PinCode | None = None
    radius_km: Annotated[int, Field(ge=1, le=500)] | None = None
    q: Annotated[str, Field(min_length=2, max_length=100)] | None = None
    sort: Sort | None = None
    category: Category | None = None
    professional_types: list[TypeName] | None = None
    urgency: Annotated[list[Urgency], Field(max_length=3)] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    budget_min: Annotated[int, Field(ge=0, le=100_000)] | None = None
    budget_max: Annotated[int, Field(ge=0, le=100_000)] | None = None
    budget_type: BudgetType | None = None
    limit: Annotated[int, Field(ge=1, description="Above 100 is treated as 100.")] | None = None
    cursor: Annotated[str, Field(max_length=500)] | None = None


class JobCreate(JobFields):
    title: Title
    publish: bool = True


class JobUpdate(JobFields):
    title: Title | None = None


class Extend(RequestModel):
    application_deadline: dt.datetime


class ModerationIn(RequestModel):
    reason: Annotated[str, PlainText(3, 500)]


class ApplyIn(RequestModel):
    message: Annotated[str, PlainText(10, 500), AfterValidator(_no_contact)]
    proposed_rate: Rupees | None = None
    proposed_budget_type: BudgetType | None = None
    portfolio_item_ids: Annotated[list[uuid.UUID], Field(max_length=5)] = Field(
        default_factory=list
    )


class StatusChange(RequestModel):
    status: Literal["under_review", "shortlisted", "rejected", "hired"]
    reason: Annotated[str, PlainText(1, 300)] | None = None


class ApplicationUpdate(RequestModel):
    """The owner edits the private note; the applicant edits the proposed rate."""

    owner_note: Annotated[str, PlainText(0, 500)] | None = None
    proposed_rate: Rupees | None = None


# Responses ---------------------------------------------------------------------------------


class Budget(ResponseModel):
    min_rupees: int | None
    max_rupees: int | None
    type: BudgetType | None
    negotiable: bool


class ClientSummary(ResponseModel):
    id: uuid.UUID
    full_name: str | None


class ApplicationCounts(ResponseModel):
    total: int
    new: int
    by_status: dict[str, int]


class JobRead(ResponseModel):
    id: uuid.UUID
    client: ClientSummary
    status: JobStatus
    title: str
    description: str | None
    category: str | None
    professional_types: list[str]
    positions: int
    job_date: dt.date | None
    time_slots: list[dict[str, str]]
    starts_at: dt.datetime | None
    application_deadline: dt.datetime | None
    applications_close_at: dt.datetime | None
    open_for_applications: bool
    city: str | None
    state: str | None
    pin_code: str | None
    budget: Budget
    urgency: Urgency
    published_at: dt.datetime | None
    created_at: dt.datetime
    saved: bool = False
    applied: bool = False
    # The owner alone sees these (GEN-11, JOB-11).
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    venue_details: str | None = None
    access_instructions: str | None = None
    parking_notes: str | None = None
    moderation_status: str | None = None
    moderation_reason: str | None = None
    views_count: int | None = None
    hired_count: int | None = None
    applications: ApplicationCounts | None = None
    version: int | None = None


class JobCard(ResponseModel):
    id: uuid.UUID
    title: str
    description: str | None
    category: str | None
    professional_types: list[str]
    job_date: dt.date | None
    starts_at: dt.datetime | None
    applications_close_at: dt.datetime | None
    city: str | None
    state: str | None
    budget: Budget
    urgency: Urgency
    positions: int
    published_at: dt.datetime | None
    distance_km: float | None
    relevance: float | None = None


class Centre(ResponseModel):
    lat: float
    lng: float
    source: Literal["coordinates", "pin_code", "profile", "default"]


class DiscoveryPage(ResponseModel):
    items: list[JobCard]
    next_cursor: str | None
    radius_km_applied: int
    radius_capped: bool
    centre: Centre
    # The words searched when some were misspelt ("weding" → "wedding"), else null.
    searched_for: str | None = None


class ApplicantSummary(ResponseModel):
    id: uuid.UUID
    full_name: str | None
    professional_type: str | None
    city: str | None
    experience: str | None
    rating: float | None
    distance_km: float | None


class ApplicationRead(ResponseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    status: ApplicationStatus
    message: str
    proposed_rate: int | None
    proposed_budget_type: BudgetType | None
    portfolio_item_ids: list[uuid.UUID]
    rejection_reason: str | None
    system_reason: str | None
    created_at: dt.datetime
    status_changed_at: dt.datetime
    applicant: ApplicantSummary | None = None
    owner_note: str | None = None
    job: dict[str, object] | None = None  # the job as it stood at application (JOB-18)
    job_status: JobStatus | None = None


class MyJobs(ResponseModel):
    tab: str
    totals: dict[str, int]
    items: list[JobRead]
    next_cursor: str | None


class JobReportIn(RequestModel):
    reason: Literal[
        "spam",
        "harassment",
        "inappropriate_content",
        "fake_or_misleading",
        "scam_or_fraud",
        "other",
    ]
    details: Annotated[str, PlainText(0, 1000)] | None = None


class ReportCreated(ResponseModel):
    id: uuid.UUID


class SavedState(ResponseModel):
    saved: bool
