"""Request and response models of onboarding, profiles, equipment, portfolio and saves."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from getmygrapher.core.india import State
from getmygrapher.core.schemas import (
    IndianMobile,
    PersonName,
    PinCode,
    PlainText,
    RequestModel,
    ResponseModel,
)
from getmygrapher.profiles.models import OnboardingStatus, ProfileVisibility, VerificationStatus

STEPS = (
    "category_selection",
    "type_selection",
    "location_setup",
    "basic_profile",
    "professional_details",
    "availability_setup",
)
Step = Literal[
    "category_selection",
    "type_selection",
    "location_setup",
    "basic_profile",
    "professional_details",
    "availability_setup",
]
Category = Literal[
    "Photography",
    "Videography & Film",
    "Audio Production",
    "Design & Creative",
    "Multi-Disciplinary",
]
Experience = Literal["0-1 years", "1-3 years", "3-5 years", "5-10 years", "10+ years"]
Gender = Literal["Male", "Female", "Other", "Prefer not to say"]
PricingType = Literal["per_hour", "per_day", "per_event"]
Rupees = Annotated[int, Field(ge=500, le=100_000)]
Latitude = Annotated[float, Field(ge=6.0, le=37.6)]
Longitude = Annotated[float, Field(ge=68.0, le=97.5)]
City = Annotated[str, PlainText(2, 50, multiline=False)]


def _https(value: str) -> str:
    if not value.startswith("https://") or len(value) > 500 or " " in value:
        raise PydanticCustomError("invalid_format", "Links must be https addresses")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https)]
InstagramHandle = Annotated[str, Field(pattern=r"^[A-Za-z0-9._]{1,30}$")]


def _city_name(value: str) -> str:
    allowed = set(" -'.")
    if not all(ch.isalpha() or ch in allowed or not ch.isascii() for ch in value) or not any(
        ch.isalpha() for ch in value
    ):
        raise PydanticCustomError(
            "invalid_format", "Use letters, spaces, hyphens, apostrophes and dots only"
        )
    return value


CityName = Annotated[str, PlainText(2, 50, multiline=False), AfterValidator(_city_name)]


class PreferredLocationIn(RequestModel):
    city: CityName
    state: State
    pin_code: PinCode | None = None


class LocationIn(RequestModel):
    """GPS coordinates, or a PIN code, or a city (with its state) resolved offline (ONB-5)."""

    lat: Latitude | None = None
    lng: Longitude | None = None
    pin_code: PinCode | None = None
    city: CityName | None = None
    state: State | None = None
    work_radius_km: Annotated[int, Field(ge=1, le=500)] = 25
    preferred_locations: Annotated[list[PreferredLocationIn], Field(max_length=10)] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def one_way_to_locate(self) -> Self:
        if (self.lat is None) != (self.lng is None):
            raise PydanticCustomError("required_field", "Give both lat and lng")
        if self.lat is None and self.pin_code is None and self.city is None:
            raise PydanticCustomError("required_field", "Give coordinates, a PIN code or a city")
        return self


class PricingIn(RequestModel):
    pricing_type: PricingType
    rate_rupees: Rupees
    negotiable: bool = False


class EquipmentIn(RequestModel):
    category: Literal["cameras", "lenses", "lighting", "support_gear", "audio", "other"]
    name: Annotated[str, PlainText(2, 100, multiline=False)]
    brand: Annotated[str, PlainText(1, 50, multiline=False)] | None = None
    condition: Literal["new", "excellent", "good", "fair"] = "good"
    description: Annotated[str, PlainText(0, 200)] | None = None
    camera_role: Literal["primary", "secondary"] | None = None
    lighting_indoor: bool | None = None
    lighting_outdoor: bool | None = None
    support_kind: (
        Literal["tripod_monopod", "gimbal_stabilizer", "slider_dolly", "drone", "other"] | None
    ) = None

    @model_validator(mode="after")
    def attributes_fit_the_category(self) -> Self:
        """EQP-1: cameras carry a role, lighting its flags, support gear its kind."""
        if self.camera_role is not None and self.category != "cameras":
            raise PydanticCustomError("not_allowed", "Only cameras have a role")
        if (
            self.lighting_indoor is not None or self.lighting_outdoor is not None
        ) and self.category != "lighting":
            raise PydanticCustomError("not_allowed", "Only lighting is indoor or outdoor")
        if self.category == "support_gear" and self.support_kind is None:
            raise PydanticCustomError("required_field", "Say what kind of support gear it is")
        if self.support_kind is not None and self.category != "support_gear":
            raise PydanticCustomError("not_allowed", "Only support gear has a kind")
        if self.support_kind == "drone" and self.name.strip().casefold() in {"drone", "drones"}:
            raise PydanticCustomError("required_field", "Name the drone's model")
        return self


class CategoryStep(RequestModel):
    category: Category


class TypeStep(RequestModel):
    professional_type: Annotated[str, PlainText(2, 60, multiline=False)]


class BasicProfileStep(RequestModel):
    full_name: PersonName
    gender: Gender | None = None
    alternate_phone: IndianMobile | None = None
    about: Annotated[str, PlainText(0, 500)] | None = None


class ProfessionalDetailsStep(RequestModel):
    experience: Experience
    specializations: Annotated[
        list[Annotated[str, PlainText(2, 60, multiline=False)]], Field(min_length=1, max_length=10)
    ]
    pricing: PricingIn
    equipment: Annotated[list[EquipmentIn], Field(max_length=100)] = Field(default_factory=list)
    instagram_handle: InstagramHandle | None = None
    portfolio_links: Annotated[list[HttpsUrl], Field(max_length=5)] = Field(default_factory=list)


class TimeRange(RequestModel):
    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def ordered_within_hours(self) -> Self:
        if not (dt.time(6) <= self.start < self.end <= dt.time(23)):
            raise PydanticCustomError("out_of_range", "Hours run from 06:00 to 23:00, start first")
        return self


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WORK_WEEK: dict[str, list[dict[str, str]]] = {
    day: [{"start": "09:00", "end": "17:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}


class AvailabilityStep(RequestModel):
    lead_time_hours: Literal[0, 1, 4, 24, 48, 168] = 24
    advance_booking_days: Literal[7, 14, 30, 90, 180, 365] = 90
    visibility: Literal["public", "professional_network", "contacts_only", "private"] = "public"
    weekly_hours: dict[Weekday, Annotated[list[TimeRange], Field(max_length=6)]] | None = None


class DraftIn(RequestModel):
    step: Step
    data: dict[str, Any]


class GuideSeen(RequestModel):
    guide: Literal["calendar_tutorial", "first_job_post_guide"]


class ProfileUpdate(RequestModel):
    """PATCH: an omitted field keeps its value; null clears an optional one."""

    full_name: PersonName | None = None
    gender: Gender | None = None
    alternate_phone: IndianMobile | None = None
    whatsapp_phone: IndianMobile | None = None
    about: Annotated[str, PlainText(0, 500)] | None = None
    category: Category | None = None
    professional_type: Annotated[str, PlainText(2, 60, multiline=False)] | None = None
    specializations: (
        Annotated[
            list[Annotated[str, PlainText(2, 60, multiline=False)]],
            Field(min_length=1, max_length=10),
        ]
        | None
    ) = None
    experience: Experience | None = None
    instagram_handle: InstagramHandle | None = None
    portfolio_links: Annotated[list[HttpsUrl], Field(max_length=5)] | None = None
    pricing: PricingIn | None = None
    visibility: Literal["public", "professional_network", "private"] | None = None
    show_equipment: bool | None = None
    show_pricing: bool | None = None
    show_availability: bool | None = None
    show_gender: bool | None = None


class PortfolioUpdate(RequestModel):
    title: Annotated[str, PlainText(1, 100, multiline=False)] | None = None
    description: Annotated[str, PlainText(0, 500)] | None = None
    category: Annotated[str, PlainText(2, 60, multiline=False)] | None = None
    tags: (
        Annotated[list[Annotated[str, PlainText(2, 30, multiline=False)]], Field(max_length=10)]
        | None
    ) = None
    is_visible: bool | None = None
    is_featured: bool | None = None


class PortfolioOrder(RequestModel):
    ids: Annotated[list[uuid.UUID], Field(max_length=1000)]


class SaveIn(RequestModel):
    note: Annotated[str, PlainText(0, 500)] | None = None
    collection: Annotated[str, PlainText(1, 50, multiline=False)] | None = None


class ReportIn(RequestModel):
    reason: Literal[
        "inappropriate_content",
        "fake_profile",
        "spam",
        "harassment",
        "copyright",
        "pricing_issues",
        "other",
    ]
    details: Annotated[str, PlainText(0, 1000)] | None = None


class Decision(RequestModel):
    reason: Annotated[str, PlainText(3, 500)]


class BadgesIn(RequestModel):
    is_featured: bool


class ViewContext(RequestModel):
    source: Literal["search", "direct", "job_post", "recommendation", "featured"] = "direct"
    device: Literal["mobile", "tablet", "desktop"] | None = None


# Responses ---------------------------------------------------------------------------------


class OnboardingStep(ResponseModel):
    key: str
    completed: bool


class OnboardingRead(ResponseModel):
    status: OnboardingStatus
    current_step: str
    completed_steps: list[str]
    percent: int
    steps: list[OnboardingStep]
    draft: dict[str, Any] | None
    guides_seen: list[str]


class PlaceRead(ResponseModel):
    name: str
    state: str
    pin_code: str | None
    locality: str | None
    lat: float
    lng: float


class LocationRead(ResponseModel):
    lat: float | None
    lng: float | None
    city: str | None
    state: str | None
    pin_code: str | None
    locality: str | None
    work_radius_km: int
    suggestion: PlaceRead | None = None
    preferred_locations: list[dict[str, Any]]


class PricingRead(ResponseModel):
    pricing_type: str
    rate_rupees: int
    negotiable: bool


class EquipmentRead(ResponseModel):
    id: uuid.UUID
    category: str
    name: str
    brand: str | None
    condition: str
    description: str | None
    camera_role: str | None
    lighting_indoor: bool | None
    lighting_outdoor: bool | None
    support_kind: str | None


class PortfolioItemRead(ResponseModel):
    id: uuid.UUID
    title: str
    description: str | None
    category: str | None
    tags: list[str]
    is_visible: bool
    is_featured: bool
    position: int
    width: int
    height: int
    urls: dict[str, str]
    camera: dict[str, Any]
    created_at: dt.datetime


class Completion(ResponseModel):
    score: int
    missing: list[str]


class OwnProfileRead(ResponseModel):
    user_id: uuid.UUID
    full_name: str | None
    phone: str | None  # masked, as everywhere (AUTH-9)
    gender: str | None
    alternate_phone: str | None
    whatsapp_phone: str | None
    about: str | None
    category: str | None
    professional_type: str | None
    specializations: list[str]
    experience: str | None
    instagram_handle: str | None
    portfolio_links: list[str]
    pricing: PricingRead | None
    location: LocationRead
    visibility: ProfileVisibility
    show_equipment: bool
    show_pricing: bool
    show_availability: bool
    show_gender: bool
    verification_status: VerificationStatus
    identity_verified: bool
    is_featured: bool
    is_top_rated: bool
    saves_count: int
    completion: Completion
    onboarding_completed: bool
    version: int


class Permissions(ResponseModel):
    can_message: bool
    can_request_booking: bool
    can_request_contact: bool
    can_review: bool
    can_save: bool


class Badges(ResponseModel):
    pro: bool
    verified: bool
    top_rated: bool
    featured: bool


class RatingSummary(ResponseModel):
    count: int
    average: float | None


class PublicProfileRead(ResponseModel):
    user_id: uuid.UUID
    full_name: str | None
    gender: str | None
    about: str | None
    category: str | None
    professional_type: str | None
    specializations: list[str]
    experience: str | None
    city: str | None
    state: str | None
    locality: str | None
    work_radius_km: int | None
    instagram_handle: str | None
    portfolio_links: list[str]
    pricing: PricingRead | None
    equipment: list[EquipmentRead] | None
    portfolio: list[PortfolioItemRead]
    badges: Badges
    rating: RatingSummary
    next_available_date: dt.date | None
    saved: bool
    permissions: Permissions
    canonical_url: str


class SavedRead(ResponseModel):
    professional_id: uuid.UUID
    full_name: str | None
    professional_type: str | None
    city: str | None
    note: str | None
    collection: str | None
    saved_at: dt.datetime


class SaveState(ResponseModel):
    saved: bool
    note: str | None = None
    collection: str | None = None


class VerificationRead(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    document_type: str
    status: VerificationStatus
    reason: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    document_url: str | None = None


class DailyCount(ResponseModel):
    day: dt.date
    views: int
    unique_viewers: int
    saves: int
    contact_requests: int


class AnalyticsRead(ResponseModel):
    days: int
    totals: dict[str, int]
    daily: list[DailyCount]


class ReportRead(ResponseModel):
    id: uuid.UUID
    status: str
    reason: str


class ShareRead(ResponseModel):
    url: str
