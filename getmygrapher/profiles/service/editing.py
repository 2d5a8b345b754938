"""The owner's side of a profile: onboarding steps, edits, location and equipment
(ONB-*, PRF-*, EQP-*, PRC-1)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.availability import service as availability_service
from getmygrapher.core.errors import PayloadTooLarge, PreconditionFailed, ValidationFailed
from getmygrapher.core.schemas import mask_phone
from getmygrapher.core.taxonomy import normalised_name
from getmygrapher.core.time import utcnow
from getmygrapher.profiles.errors import DuplicateEquipment, EquipmentNotFound, LimitReached
from getmygrapher.profiles.models import EquipmentItem, OnboardingStatus, Profile
from getmygrapher.profiles.repository import ProfileRepository
from getmygrapher.profiles.schemas import (
    STEPS,
    WORK_WEEK,
    AvailabilityStep,
    BasicProfileStep,
    CategoryStep,
    Completion,
    EquipmentIn,
    EquipmentRead,
    LocationIn,
    LocationRead,
    OnboardingRead,
    OnboardingStep,
    OwnProfileRead,
    PlaceRead,
    PricingIn,
    PricingRead,
    ProfessionalDetailsStep,
    ProfileUpdate,
    TypeStep,
)
from getmygrapher.profiles.service.common import (
    ResolvedLocation,
    check_specializations,
    check_type,
    own_profile,
    recompute_completion,
    resolve_location,
    resolve_preferred,
)

MAX_EQUIPMENT = 100
MAX_DRAFT_BYTES = 64 * 1024
StepBody = (
    CategoryStep
    | TypeStep
    | LocationIn
    | BasicProfileStep
    | ProfessionalDetailsStep
    | AvailabilityStep
)


# Reading --------------------------------------------------------------------------------------


async def get_onboarding(session: AsyncSession, *, user_id: uuid.UUID) -> OnboardingRead:
    onboarding = await ProfileRepository(session).onboarding(user_id)
    if onboarding is None:
        raise ValidationFailed.field("onboarding", "required_field", "No onboarding record.")
    done = [step for step in STEPS if step in onboarding.completed_steps]
    current = next((step for step in STEPS if step not in done), "registration_complete")
    if onboarding.status is OnboardingStatus.COMPLETED:
        current = "registration_complete"
    return OnboardingRead(
        status=onboarding.status,
        current_step=current,
        completed_steps=done,
        percent=round(len(done) / len(STEPS) * 100),
        steps=[OnboardingStep(key=step, completed=step in done) for step in STEPS],
        draft=onboarding.draft,
        guides_seen=list(onboarding.guides_seen),
    )


def _location_read(
    profile: Profile, preferred: Sequence[Any], resolved: ResolvedLocation | None = None
) -> LocationRead:
    suggestion = None
    if resolved is not None and resolved.suggestion is not None:
        place = resolved.suggestion
        suggestion = PlaceRead(
            name=place.name,
            state=place.state,
            pin_code=place.pin_code,
            locality=place.locality,
            lat=place.lat,
            lng=place.lng,
        )
    return LocationRead(
        lat=profile.lat,
        lng=profile.lng,
        city=profile.city,
        state=profile.state,
        pin_code=profile.pin_code,
        locality=profile.locality,
        work_radius_km=profile.work_radius_km,
        suggestion=suggestion,
        preferred_locations=[
            {"city": p.city, "state": p.state, "pin_code": p.pin_code} for p in preferred
        ],
    )


def pricing_read(profile: Profile) -> PricingRead | None:
    if profile.pricing_type is None or profile.rate_rupees is None:
        return None
    return PricingRead(
        pricing_type=profile.pricing_type,
        rate_rupees=profile.rate_rupees,
        negotiable=profile.rate_negotiable,
    )


async def get_own_profile(
    session: AsyncSession, *, user_id: uuid.UUID, resolved: ResolvedLocation | None = None
) -> OwnProfileRead:
    profile = await own_profile(session, user_id)
    account = await accounts_service.account_summary(session, user_id=user_id)
    preferred = await ProfileRepository(session).preferred_locations(user_id)
    return OwnProfileRead(
        user_id=user_id,
        full_name=account.full_name if account else None,
        phone=mask_phone(account.phone) if account else None,
        gender=profile.gender,
        alternate_phone=mask_phone(profile.alternate_phone),
        whatsapp_phone=mask_phone(profile.whatsapp_phone),
        about=profile.about,
        category=profile.category,
        professional_type=profile.professional_type,
        specializations=list(profile.specializations),
        experience=profile.experience,
        instagram_handle=profile.instagram_handle,
        portfolio_links=list(profile.portfolio_links),
        pricing=pricing_read(profile),
        location=_location_read(profile, preferred, resolved),
        visibility=profile.visibility,
        show_equipment=profile.show_equipment,
        show_pricing=profile.show_pricing,
        show_availability=profile.show_availability,
        show_gender=profile.show_gender,
        verification_status=profile.verification_status,
        identity_verified=profile.identity_verified,
        is_featured=profile.is_featured,
        is_top_rated=profile.is_top_rated,
        saves_count=profile.saves_count,
        completion=Completion(
            score=profile.completion_score, missing=list(profile.completion_missing)
        ),
        onboarding_completed=bool(account and account.onboarded),
        version=profile.version,
    )


# Onboarding -----------------------------------------------------------------------------------


async def save_step(
    session: AsyncSession, *, user_id: uuid.UUID, step: str, body: StepBody
) -> OnboardingRead:
    """ONB-1: a step is complete once its data is saved and valid; any step can be revisited."""
    repo = ProfileRepository(session)
    onboarding = await repo.onboarding(user_id, for_update=True)
    profile = await own_profile(session, user_id, for_update=True)
    assert onboarding is not None  # noqa: S101 - created with the account (AUTH-11)
    invalidated: set[str] = set()
    if isinstance(body, CategoryStep):
        if profile.category != body.category:
            # ONB-3: a new category means choosing type and specializations again.
            profile.category = body.category
            profile.professional_type, profile.specializations = None, []
            invalidated = {"type_selection", "professional_details"}
    elif isinstance(body, TypeStep):
        check_type(profile.category, body.professional_type, "professional_type")
        profile.professional_type = body.professional_type
    elif isinstance(body, LocationIn):
        await _apply_location(session, profile, body)
    elif isinstance(body, BasicProfileStep):
        await _apply_basic(session, profile, body)
    elif isinstance(body, ProfessionalDetailsStep):
        await _apply_professional(session, profile, body)
    else:
        await availability_service.save_setup(
            session,
            user_id=user_id,
            lead_time_hours=body.lead_time_hours,
            advance_booking_days=body.advance_booking_days,
            visibility=body.visibility,
            weekly_hours=_weekly(body),
        )
    completed = [s for s in onboarding.completed_steps if s not in invalidated]
    if step not in completed:
        completed.append(step)
    onboarding.completed_steps = completed
    if onboarding.status is OnboardingStatus.NOT_STARTED:
        onboarding.status = OnboardingStatus.IN_PROGRESS
    profile.version += 1
    await recompute_completion(session, profile)
    return await get_onboarding(session, user_id=user_id)


def _weekly(body: AvailabilityStep) -> dict[str, Any]:
    if body.weekly_hours is None:
        return WORK_WEEK
    return {
        day: [{"start": r.start.strftime("%H:%M"), "end": r.end.strftime("%H:%M")} for r in ranges]
        for day, ranges in body.weekly_hours.items()
    }


async def save_draft(
    session: AsyncSession, *, user_id: uuid.UUID, step: str, data: dict[str, Any]
) -> OnboardingRead:
    """ONB-2: unfinished input kept on the server (≤ 64 KB) so any device can resume."""
    encoded = json.dumps(data, ensure_ascii=False)
    if len(encoded.encode()) > MAX_DRAFT_BYTES:
        raise PayloadTooLarge("A draft holds at most 64 KB.")
    onboarding = await ProfileRepository(session).onboarding(user_id, for_update=True)
    assert onboarding is not None  # noqa: S101 - created with the account (AUTH-11)
    onboarding.draft = {"step": step, "data": data, "saved_at": utcnow().isoformat()}
    await session.flush()
    return await get_onboarding(session, user_id=user_id)


async def mark_guide_seen(
    session: AsyncSession, *, user_id: uuid.UUID, guide: str
) -> OnboardingRead:
    onboarding = await ProfileRepository(session).onboarding(user_id, for_update=True)
    assert onboarding is not None  # noqa: S101 - created with the account (AUTH-11)
    if guide not in onboarding.guides_seen:
        onboarding.guides_seen = [*onboarding.guides_seen, guide]
    await session.flush()
    return await get_onboarding(session, user_id=user_id)


async def complete_onboarding(session: AsyncSession, *, user_id: uuid.UUID) -> OnboardingRead:
    """ONB-9: one transaction re-validates every step; on any failure the user stays in
    onboarding and gets every failing field."""
    repo = ProfileRepository(session)
    onboarding = await repo.onboarding(user_id, for_update=True)
    profile = await own_profile(session, user_id, for_update=True)
    assert onboarding is not None  # noqa: S101 - created with the account (AUTH-11)
    account = await accounts_service.account_summary(session, user_id=user_id)
    errors = _missing(
        profile,
        onboarding.completed_steps,
        has_name=bool(account and account.full_name),
        has_phone=bool(account and account.phone),
    )
    if errors:
        raise ValidationFailed("Some onboarding steps are missing or invalid.", errors=errors)
    onboarding.status = OnboardingStatus.COMPLETED
    onboarding.completed_at = utcnow()
    onboarding.draft = None
    await accounts_service.mark_onboarding_complete(session, user_id=user_id)
    await recompute_completion(session, profile)
    return await get_onboarding(session, user_id=user_id)


def _missing(
    profile: Profile, steps: Sequence[str], *, has_name: bool, has_phone: bool
) -> list[dict[str, str]]:
    checks = [
        ("category", "category_selection", profile.category is not None),
        ("professional_type", "type_selection", profile.professional_type is not None),
        ("location", "location_setup", profile.lat is not None and profile.city is not None),
        ("full_name", "basic_profile", has_name),
        ("phone", "basic_profile", has_phone),
        ("experience", "professional_details", profile.experience is not None),
        ("specializations", "professional_details", bool(profile.specializations)),
        ("pricing", "professional_details", profile.rate_rupees is not None),
        ("availability", "availability_setup", "availability_setup" in steps),
    ]
    return [
        {"field": field, "code": "required_field", "message": f"Complete {step}."}
        for field, step, ok in checks
        if not ok
    ]


# Edits ----------------------------------------------------------------------------------------


async def _apply_location(
    session: AsyncSession, profile: Profile, data: LocationIn
) -> ResolvedLocation:
    resolved = resolve_location(data)
    preferred = [
        resolve_preferred(p.city, p.state, p.pin_code, index)
        for index, p in enumerate(data.preferred_locations)
    ]
    profile.lat, profile.lng = resolved.lat, resolved.lng
    profile.city, profile.state = resolved.city, resolved.state
    profile.pin_code, profile.locality = resolved.pin_code, resolved.locality
    profile.work_radius_km = data.work_radius_km
    await ProfileRepository(session).replace_preferred_locations(profile.user_id, preferred)
    await session.flush()
    return resolved


async def set_location(
    session: AsyncSession, *, user_id: uuid.UUID, data: LocationIn
) -> OwnProfileRead:
    profile = await own_profile(session, user_id, for_update=True)
    resolved = await _apply_location(session, profile, data)
    profile.version += 1
    return await get_own_profile(session, user_id=user_id, resolved=resolved)


async def _apply_basic(session: AsyncSession, profile: Profile, body: BasicProfileStep) -> None:
    account = await accounts_service.account_summary(session, user_id=profile.user_id)
    if account is None or not account.phone:
        raise ValidationFailed.field(
            "phone", "required_field", "Add your mobile number first (POST /v1/me/phone)."
        )
    _check_alternate(account.phone, body.alternate_phone)
    await accounts_service.set_full_name(session, user_id=profile.user_id, full_name=body.full_name)
    profile.gender, profile.alternate_phone, profile.about = (
        body.gender,
        body.alternate_phone,
        body.about,
    )


def _check_alternate(main: str | None, alternate: str | None) -> None:
    if alternate is not None and alternate == main:
        raise ValidationFailed.field(
            "alternate_phone", "not_allowed", "The alternate number must differ from the main one."
        )


def _apply_pricing(profile: Profile, pricing: PricingIn) -> None:
    profile.pricing_type, profile.rate_rupees, profile.rate_negotiable = (
        pricing.pricing_type,
        pricing.rate_rupees,
        pricing.negotiable,
    )


async def _apply_professional(
    session: AsyncSession, profile: Profile, body: ProfessionalDetailsStep
) -> None:
    check_specializations(profile.category, body.specializations, "specializations")
    profile.experience = body.experience
    profile.specializations = list(body.specializations)
    _apply_pricing(profile, body.pricing)
    profile.instagram_handle = body.instagram_handle
    profile.portfolio_links = list(body.portfolio_links)
    if body.equipment:
        repo = ProfileRepository(session)
        await repo.clear_equipment(profile.user_id)
        await _add_equipment(session, profile.user_id, body.equipment, field="equipment")


async def update_profile(
    session: AsyncSession, *, user_id: uuid.UUID, data: ProfileUpdate, if_match: int | None
) -> OwnProfileRead:
    """Only the fields sent change; the server checks each against the rules (PRF-*)."""
    profile = await own_profile(session, user_id, for_update=True)
    if if_match is not None and if_match != profile.version:
        raise PreconditionFailed(
            "The profile changed since you read it.", current_version=profile.version
        )
    sent = data.model_fields_set
    if "full_name" in sent:
        if data.full_name is None:
            raise ValidationFailed.field("full_name", "required_field", "A name is required.")
        await accounts_service.set_full_name(session, user_id=user_id, full_name=data.full_name)
    if "alternate_phone" in sent:
        account = await accounts_service.account_summary(session, user_id=user_id)
        _check_alternate(account.phone if account else None, data.alternate_phone)
    _apply_category_change(profile, data, sent)
    if "pricing" in sent:
        if data.pricing is None:
            profile.pricing_type, profile.rate_rupees, profile.rate_negotiable = None, None, False
        else:
            _apply_pricing(profile, data.pricing)
    simple = (
        "gender",
        "alternate_phone",
        "whatsapp_phone",
        "about",
        "experience",
        "instagram_handle",
        "portfolio_links",
        "visibility",
        "show_equipment",
        "show_pricing",
        "show_availability",
        "show_gender",
    )
    for name in simple:
        if name in sent:
            value = getattr(data, name)
            if (
                name
                in {
                    "visibility",
                    "show_equipment",
                    "show_pricing",
                    "show_availability",
                    "show_gender",
                }
                and value is None
            ):
                raise ValidationFailed.field(name, "required_field", "This cannot be empty.")
            setattr(profile, name, [] if name == "portfolio_links" and value is None else value)
    profile.version += 1
    await recompute_completion(session, profile)
    return await get_own_profile(session, user_id=user_id)


def _apply_category_change(profile: Profile, data: ProfileUpdate, sent: set[str]) -> None:
    if "category" in sent and data.category is not None and data.category != profile.category:
        # ONB-3: a new category needs a new type (and specializations) in the same request.
        if "professional_type" not in sent or data.professional_type is None:
            raise ValidationFailed.field(
                "professional_type", "required_field", "A new category needs a type from it."
            )
        profile.category = data.category
        profile.specializations = []
    if "professional_type" in sent and data.professional_type is not None:
        check_type(profile.category, data.professional_type, "professional_type")
        profile.professional_type = data.professional_type
    if "specializations" in sent and data.specializations is not None:
        check_specializations(profile.category, data.specializations, "specializations")
        profile.specializations = list(data.specializations)
    elif "category" in sent and not profile.specializations:
        profile.specializations = []


# Equipment ------------------------------------------------------------------------------------


def equipment_read(item: EquipmentItem) -> EquipmentRead:
    return EquipmentRead(
        id=item.id,
        category=item.category,
        name=item.name,
        brand=item.brand,
        condition=item.condition,
        description=item.description,
        camera_role=item.camera_role,
        lighting_indoor=item.lighting_indoor,
        lighting_outdoor=item.lighting_outdoor,
        support_kind=item.support_kind,
    )


async def _add_equipment(
    session: AsyncSession, user_id: uuid.UUID, items: Sequence[EquipmentIn], *, field: str
) -> list[EquipmentItem]:
    repo = ProfileRepository(session)
    await repo.lock_portfolio(user_id)  # one lock per owner covers gear as well
    if await repo.count_equipment(user_id) + len(items) > MAX_EQUIPMENT:
        raise LimitReached("At most 100 pieces of equipment.", limit=MAX_EQUIPMENT)
    added = []
    for index, item in enumerate(items):
        values = item.model_dump()
        values["normalized_name"] = normalised_name(item.name)
        row = await repo.insert_equipment(user_id, values)
        if row is None:
            raise DuplicateEquipment(
                f"{item.name} is already in your {item.category}.",
                field=f"{field}.{index}" if field else "name",
            )
        added.append(row)
    return added


async def add_equipment(
    session: AsyncSession, *, user_id: uuid.UUID, item: EquipmentIn
) -> EquipmentRead:
    [row] = await _add_equipment(session, user_id, [item], field="")
    await recompute_completion(session, await own_profile(session, user_id))
    return equipment_read(row)


async def list_own_equipment(session: AsyncSession, *, user_id: uuid.UUID) -> list[EquipmentRead]:
    return [equipment_read(item) for item in await ProfileRepository(session).equipment(user_id)]


async def update_equipment(
    session: AsyncSession, *, user_id: uuid.UUID, item_id: uuid.UUID, item: EquipmentIn
) -> EquipmentRead:
    repo = ProfileRepository(session)
    row = await repo.equipment_item(item_id, for_update=True)
    if row is None or row.user_id != user_id:
        raise EquipmentNotFound("No equipment of yours has this id.")
    values = item.model_dump()
    normalized = normalised_name(item.name)
    for other in await repo.equipment(user_id):
        if (
            other.id != row.id
            and other.category == item.category
            and other.normalized_name == normalized
        ):
            raise DuplicateEquipment(f"{item.name} is already in your {item.category}.")
    for key, value in values.items():
        setattr(row, key, value)
    row.normalized_name = normalized
    await session.flush()
    return equipment_read(row)


async def delete_equipment(
    session: AsyncSession, *, user_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    if not await ProfileRepository(session).delete_equipment(user_id, item_id):
        raise EquipmentNotFound("No equipment of yours has this id.")
    await recompute_completion(session, await own_profile(session, user_id))
