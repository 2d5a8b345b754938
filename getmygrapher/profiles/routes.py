"""HTTP endpoints of onboarding, profiles, equipment, portfolio, saves and verification."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile, status
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from getmygrapher.core import places, taxonomy
from getmygrapher.core.db import DbSession
from getmygrapher.core.errors import PayloadTooLarge, ValidationFailed
from getmygrapher.core.http import if_match_version
from getmygrapher.core.pagination import Cursor, Limit, Page, clamp_limit
from getmygrapher.core.schemas import PinCode, PlainText, ResponseModel
from getmygrapher.core.security import (
    Admin,
    CurrentUser,
    Moderator,
    OptionalUser,
    client_ip,
)
from getmygrapher.profiles import service as profiles_service
from getmygrapher.profiles.models import VerificationStatus
from getmygrapher.profiles.schemas import (
    AvailabilityStep,
    BadgesIn,
    BasicProfileStep,
    CategoryStep,
    Decision,
    DraftIn,
    EquipmentIn,
    EquipmentRead,
    GuideSeen,
    LocationIn,
    OnboardingRead,
    OwnProfileRead,
    PlaceRead,
    PortfolioItemRead,
    PortfolioOrder,
    PortfolioUpdate,
    ProfessionalDetailsStep,
    ProfileUpdate,
    PublicProfileRead,
    ReportIn,
    SavedRead,
    SaveIn,
    SaveState,
    ShareRead,
    TypeStep,
    VerificationRead,
    ViewContext,
)

reference_router = APIRouter(prefix="/v1", tags=["reference"])
onboarding_router = APIRouter(prefix="/v1/me/onboarding", tags=["onboarding"])
me_profile_router = APIRouter(prefix="/v1/me", tags=["profile"])
profiles_router = APIRouter(prefix="/v1/profiles", tags=["profiles"])
moderation_profiles_router = APIRouter(prefix="/v1", tags=["moderation"])

MAX_IMAGE_UPLOAD = 10 * 1024 * 1024


async def _read_upload(file: UploadFile, limit: int = MAX_IMAGE_UPLOAD) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge("The file is larger than 10 MB.", field="file")
    if not data:
        raise ValidationFailed.field("file", "required_field", "The file is empty.")
    return data


# Reference data ------------------------------------------------------------------------------


@reference_router.get("/taxonomy", operation_id="get_taxonomy")
async def get_taxonomy(response: Response) -> dict[str, Any]:
    """Categories, types, specializations, experience bands, equipment, reasons, states."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return taxonomy.as_document()


def _place(place: places.Place) -> PlaceRead:
    return PlaceRead(
        name=place.name,
        state=place.state,
        pin_code=place.pin_code,
        locality=place.locality,
        lat=place.lat,
        lng=place.lng,
    )


class PlacesRead(ResponseModel):
    items: list[PlaceRead]
    next_cursor: None = None


@reference_router.get("/places", operation_id="search_places")
async def search_places(
    q: Annotated[str, Query(min_length=2, max_length=60)],
    state: Annotated[str | None, Query(max_length=60)] = None,
) -> PlacesRead:
    """City names in any common spelling or script (Cochin, കൊച്ചി), offline."""
    return PlacesRead(items=[_place(p) for p in places.search_places(q, state=state, limit=10)])


@reference_router.get("/places/pin/{pin_code}", operation_id="resolve_pin_code")
async def resolve_pin_code(pin_code: PinCode) -> PlaceRead:
    place = places.resolve_pin(pin_code)
    if place is None:
        raise ValidationFailed.field("pin_code", "invalid_format", "This PIN code is unknown.")
    return _place(place)


# Onboarding ----------------------------------------------------------------------------------


@onboarding_router.get("", operation_id="get_onboarding")
async def get_onboarding(db: DbSession, user: CurrentUser) -> OnboardingRead:
    return await profiles_service.get_onboarding(db, user_id=user.id)


@onboarding_router.put("/category_selection", operation_id="save_category_step")
async def save_category_step(
    body: CategoryStep, db: DbSession, user: CurrentUser
) -> OnboardingRead:
    return await profiles_service.save_step(
        db, user_id=user.id, step="category_selection", body=body
    )


@onboarding_router.put("/type_selection", operation_id="save_type_step")
async def save_type_step(body: TypeStep, db: DbSession, user: CurrentUser) -> OnboardingRead:
    return await profiles_service.save_step(db, user_id=user.id, step="type_selection", body=body)


@onboarding_router.put("/location_setup", operation_id="save_location_step")
async def save_location_step(body: LocationIn, db: DbSession, user: CurrentUser) -> OnboardingRead:
    return await profiles_service.save_step(db, user_id=user.id, step="location_setup", body=body)


@onboarding_router.put("/basic_profile", operation_id="save_basic_profile_step")
async def save_basic_profile_step(
    body: BasicProfileStep, db: DbSession, user: CurrentUser
) -> OnboardingRead:
    return await profiles_service.save_step(db, user_id=user.id, step="basic_profile", body=body)


@onboarding_router.put("/professional_details", operation_id="save_professional_details_step")
async def save_professional_details_step(
    body: ProfessionalDetailsStep, db: DbSession, user: CurrentUser
) -> OnboardingRead:
    return await profiles_service.save_step(
        db, user_id=user.id, step="professional_details", body=body
    )


@onboarding_router.put("/availability_setup", operation_id="save_availability_step")
async def save_availability_step(
    body: AvailabilityStep, db: DbSession, user: CurrentUser
) -> OnboardingRead:
    return await profiles_service.save_step(
        db, user_id=user.id, step="availability_setup", body=body
    )


@onboarding_router.put("/draft", operation_id="save_onboarding_draft")
async def save_onboarding_draft(body: DraftIn, db: DbSession, user: CurrentUser) -> OnboardingRead:
    return await profiles_service.save_draft(db, user_id=user.id, step=body.step, data=body.data)


@onboarding_router.post("/complete", operation_id="complete_onboarding")
async def complete_onboarding(db: DbSession, user: CurrentUser) -> OnboardingRead:
    return await profiles_service.complete_onboarding(db, user_id=user.id)


@onboarding_router.post("/guides", operation_id="mark_guide_seen")
async def mark_guide_seen(body: GuideSeen, db: DbSession, user: CurrentUser) -> OnboardingRead:
    return await profiles_service.mark_guide_seen(db, user_id=user.id, guide=body.guide)


# The own profile -----------------------------------------------------------------------------


@me_profile_router.get("/profile", operation_id="get_own_profile")
async def get_own_profile(db: DbSession, user: CurrentUser) -> OwnProfileRead:
    return await profiles_service.get_own_profile(db, user_id=user.id)


@me_profile_router.patch("/profile", operation_id="update_profile")
async def update_profile(
    body: ProfileUpdate,
    db: DbSession,
    user: CurrentUser,
    if_match: Annotated[str | None, Header()] = None,
) -> OwnProfileRead:
    return await profiles_service.update_profile(
        db, user_id=user.id, data=body, if_match=if_match_version(if_match)
    )


@me_profile_router.put("/profile/location", operation_id="set_location")
async def set_location(body: LocationIn, db: DbSession, user: CurrentUser) -> OwnProfileRead:
    return await profiles_service.set_location(db, user_id=user.id, data=body)


@me_profile_router.get("/equipment", operation_id="list_own_equipment")
async def list_own_equipment(db: DbSession, user: CurrentUser) -> Page[EquipmentRead]:
    """At most 100 items: one page."""
    return Page(
        items=await profiles_service.list_own_equipment(db, user_id=user.id), next_cursor=None
    )


@me_profile_router.post(
    "/equipment", status_code=status.HTTP_201_CREATED, operation_id="add_equipment"
)
async def add_equipment(body: EquipmentIn, db: DbSession, user: CurrentUser) -> EquipmentRead:
    return await profiles_service.add_equipment(db, user_id=user.id, item=body)


@me_profile_router.put("/equipment/{item_id}", operation_id="update_equipment")
async def update_equipment(
    item_id: uuid.UUID, body: EquipmentIn, db: DbSession, user: CurrentUser
) -> EquipmentRead:
    return await profiles_service.update_equipment(db, user_id=user.id, item_id=item_id, item=body)


@me_profile_router.delete(
    "/equipment/{item_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_equipment"
)
async def delete_equipment(item_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    await profiles_service.delete_equipment(db, user_id=user.id, item_id=item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me_profile_router.get("/portfolio", operation_id="list_own_portfolio")
async def list_own_portfolio(
    request: Request, db: DbSession, user: CurrentUser, limit: Limit = None, cursor: Cursor = None
) -> Page[PortfolioItemRead]:
    return await profiles_service.list_items(
        db,
        request.app.state.runtime,
        owner_id=user.id,
        include_hidden=True,
        limit=clamp_limit(limit),
        cursor=cursor,
    )


@me_profile_router.post(
    "/portfolio", status_code=status.HTTP_201_CREATED, operation_id="add_portfolio_item"
)
async def add_portfolio_item(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 10 MB")],
    title: Annotated[str | None, Form(max_length=100)] = None,
    description: Annotated[str | None, Form(max_length=500)] = None,
    category: Annotated[str | None, Form(max_length=60)] = None,
    tags: Annotated[list[str] | None, Form(max_length=10)] = None,
    hidden: Annotated[bool, Form()] = False,
) -> PortfolioItemRead:
    data = await _read_upload(file)
    cleaned = _form_text(title, "title", 1, 100), _form_text(description, "description", 0, 500)
    tag_list = [_form_text(tag, "tags", 2, 30) or "" for tag in (tags or [])]
    return await profiles_service.add_item(
        db,
        request.app.state.runtime,
        user_id=user.id,
        data=data,
        filename=file.filename,
        title=cleaned[0],
        description=cleaned[1],
        category=_form_text(category, "category", 2, 60),
        tags=tag_list,
        hidden=hidden,
    )


def _form_text(value: str | None, field: str, low: int, high: int) -> str | None:
    """Form fields get the same text rules as JSON ones (GEN-8)."""
    if value is None:
        return None
    try:
        return TypeAdapter(Annotated[str, PlainText(low, high)]).validate_python(value)
    except PydanticValidationError as error:
        kind = str(error.errors()[0].get("type", ""))
        code = "invalid_length" if kind.startswith("string_too") else "invalid_format"
        raise ValidationFailed.field(field, code, str(error.errors()[0]["msg"])) from None


@me_profile_router.patch("/portfolio/{item_id}", operation_id="update_portfolio_item")
async def update_portfolio_item(
    item_id: uuid.UUID, body: PortfolioUpdate, request: Request, db: DbSession, user: CurrentUser
) -> PortfolioItemRead:
    return await profiles_service.update_item(
        db, request.app.state.runtime, user_id=user.id, item_id=item_id, data=body
    )


@me_profile_router.put("/portfolio/order", operation_id="reorder_portfolio")
async def reorder_portfolio(
    body: PortfolioOrder, request: Request, db: DbSession, user: CurrentUser
) -> Page[PortfolioItemRead]:
    return await profiles_service.reorder(
        db, request.app.state.runtime, user_id=user.id, ids=body.ids
    )


@me_profile_router.delete(
    "/portfolio/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_portfolio_item",
)
async def delete_portfolio_item(item_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    await profiles_service.delete_item(db, user_id=user.id, item_id=item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Saved professionals -------------------------------------------------------------------------


@me_profile_router.put("/saved-professionals/{professional_id}", operation_id="save_professional")
async def save_professional(
    professional_id: uuid.UUID, body: SaveIn, db: DbSession, user: CurrentUser
) -> SaveState:
    return await profiles_service.save_professional(
        db, saver=user, professional_id=professional_id, data=body
    )


@me_profile_router.delete(
    "/saved-professionals/{professional_id}", operation_id="unsave_professional"
)
async def unsave_professional(
    professional_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> SaveState:
    return await profiles_service.unsave_professional(
        db, saver=user, professional_id=professional_id
    )


@me_profile_router.get("/saved-professionals", operation_id="list_saved_professionals")
async def list_saved_professionals(
    db: DbSession,
    user: CurrentUser,
    limit: Limit = None,
    cursor: Cursor = None,
    collection: Annotated[str | None, Query(max_length=50)] = None,
) -> Page[SavedRead]:
    return await profiles_service.list_saved(
        db, saver=user, collection=collection, limit=limit, cursor=cursor
    )


# Verification ----------------------------------------------------------------------------------


@me_profile_router.post(
    "/verification", status_code=status.HTTP_201_CREATED, operation_id="request_verification"
)
async def request_verification(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    document_type: Annotated[Literal["aadhar", "pan", "driving_license", "passport"], Form()],
    file: Annotated[UploadFile, File(description="JPEG, PNG or PDF, at most 10 MB")],
) -> VerificationRead:
    """Aadhaar images must show only the last four digits; unmasked ones are rejected."""
    data = await _read_upload(file)
    return await profiles_service.submit(
        db, request.app.state.runtime, user_id=user.id, document_type=document_type, data=data
    )


@me_profile_router.get("/verification", operation_id="get_my_verification")
async def get_my_verification(db: DbSession, user: CurrentUser) -> VerificationRead:
    return await profiles_service.my_verification(db, user_id=user.id)


@moderation_profiles_router.get(
    "/moderation/verifications", operation_id="list_verification_requests"
)
async def list_verification_requests(
    request: Request,
    db: DbSession,
    moderator: Moderator,
    limit: Limit = None,
    cursor: Cursor = None,
    status_filter: Annotated[
        VerificationStatus, Query(alias="status")
    ] = VerificationStatus.PENDING,
) -> Page[VerificationRead]:
    return await profiles_service.queue(
        db, request.app.state.runtime, status=status_filter, limit=limit, cursor=cursor
    )


@moderation_profiles_router.post(
    "/moderation/verifications/{request_id}/approve", operation_id="approve_verification"
)
async def approve_verification(
    request_id: uuid.UUID, body: Decision, db: DbSession, moderator: Moderator
) -> VerificationRead:
    return await profiles_service.decide(
        db, moderator=moderator, request_id=request_id, approve=True, reason=body.reason
    )


@moderation_profiles_router.post(
    "/moderation/verifications/{request_id}/reject", operation_id="reject_verification"
)
async def reject_verification(
    request_id: uuid.UUID, body: Decision, db: DbSession, moderator: Moderator
) -> VerificationRead:
    return await profiles_service.decide(
        db, moderator=moderator, request_id=request_id, approve=False, reason=body.reason
    )


@moderation_profiles_router.put(
    "/admin/profiles/{user_id}/badges",
    operation_id="set_badges",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def set_badges(user_id: uuid.UUID, body: BadgesIn, db: DbSession, admin: Admin) -> Response:
    await profiles_service.set_badges(
        db, admin=admin, user_id=user_id, is_featured=body.is_featured
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Public profiles -------------------------------------------------------------------------------


@profiles_router.get("/{profile_id}", operation_id="get_profile")
async def get_profile(
    profile_id: uuid.UUID,
    request: Request,
    db: DbSession,
    viewer: OptionalUser,
    source: Annotated[
        Literal["search", "direct", "job_post", "recommendation", "featured"], Query()
    ] = "direct",
    device: Annotated[Literal["mobile", "tablet", "desktop"] | None, Query()] = None,
) -> PublicProfileRead:
    return await profiles_service.view_profile(
        db,
        request.app.state.runtime,
        viewer=viewer,
        profile_id=profile_id,
        context=ViewContext(source=source, device=device),
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


@profiles_router.get("/{profile_id}/portfolio", operation_id="get_profile_portfolio")
async def get_profile_portfolio(
    profile_id: uuid.UUID,
    request: Request,
    db: DbSession,
    viewer: OptionalUser,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Page[PortfolioItemRead]:
    access = await profiles_service.access_profile(db, viewer=viewer, profile_id=profile_id)
    return await profiles_service.list_items(
        db,
        request.app.state.runtime,
        owner_id=profile_id,
        include_hidden=access.own,
        limit=clamp_limit(limit),
        cursor=cursor,
    )


@profiles_router.get("/{profile_id}/equipment", operation_id="get_profile_equipment")
async def get_profile_equipment(
    profile_id: uuid.UUID, db: DbSession, viewer: OptionalUser
) -> Page[EquipmentRead]:
    access = await profiles_service.access_profile(db, viewer=viewer, profile_id=profile_id)
    if not access.profile.show_equipment and not access.own:
        return Page(items=[], next_cursor=None)
    return Page(
        items=await profiles_service.list_own_equipment(db, user_id=profile_id), next_cursor=None
    )


@profiles_router.post("/{profile_id}/share", operation_id="share_profile")
async def share_profile(
    profile_id: uuid.UUID, request: Request, db: DbSession, viewer: OptionalUser
) -> ShareRead:
    await profiles_service.access_profile(db, viewer=viewer, profile_id=profile_id)
    return ShareRead(url=profiles_service.canonical_url(request.app.state.runtime, profile_id))


class ReportCreated(ResponseModel):
    id: uuid.UUID
    status: Literal["pending"] = "pending"


@profiles_router.post(
    "/{profile_id}/reports", status_code=status.HTTP_201_CREATED, operation_id="report_profile"
)
async def report_profile(
    profile_id: uuid.UUID, body: ReportIn, db: DbSession, user: CurrentUser
) -> ReportCreated:
    report_id = await profiles_service.report_profile(
        db, reporter=user, profile_id=profile_id, reason=body.reason, details=body.details
    )
    return ReportCreated(id=report_id)
