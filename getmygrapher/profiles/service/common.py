"""Shared pieces of the profile use-cases: errors in context, completion, locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.core import places
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.taxonomy import CATEGORIES
from getmygrapher.profiles.errors import ProfileNotFound
from getmygrapher.profiles.models import Profile
from getmygrapher.profiles.repository import ProfileRepository
from getmygrapher.profiles.schemas import LocationIn

# PRV-4: six weighted steps adding up to 100.
COMPLETION_WEIGHTS = {
    "basic_info": 20,
    "professional_details": 25,
    "equipment": 10,
    "pricing": 15,
    "portfolio": 15,
    "verification": 15,
}


async def own_profile(
    session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
) -> Profile:
    profile = await ProfileRepository(session).get(user_id, for_update=for_update)
    if profile is None:
        raise ProfileNotFound("This account has no profile.")
    return profile


async def is_professional(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Has a professional profile (a category and a type): who the `professional_network`
    calendars admit (AV-8)."""
    profile = await ProfileRepository(session).get(user_id)
    return profile is not None and bool(profile.category and profile.professional_type)


async def profiles_of(
    session: AsyncSession, *, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Profile]:
    """Profiles of several users at once, for summaries other areas show."""
    return await ProfileRepository(session).many(list(user_ids))


async def recompute_completion(session: AsyncSession, profile: Profile) -> None:
    """Called after every change that moves the score."""
    repo = ProfileRepository(session)
    account = await accounts_service.account_summary(session, user_id=profile.user_id)
    done = {
        "basic_info": bool(account and account.full_name and account.phone),
        "professional_details": bool(
            profile.category
            and profile.professional_type
            and profile.experience
            and profile.specializations
        ),
        "equipment": await repo.count_equipment(profile.user_id) > 0,
        "pricing": profile.rate_rupees is not None,
        "portfolio": await repo.count_visible_portfolio(profile.user_id) > 0,
        "verification": bool(account and account.verified),
    }
    profile.completion_score = sum(COMPLETION_WEIGHTS[key] for key, ok in done.items() if ok)
    profile.completion_missing = [key for key, ok in done.items() if not ok]
    await session.flush()


def check_type(category: str | None, professional_type: str, field: str) -> None:
    """ONB-4: exactly one type, belonging to the category."""
    if category is None:
        raise ValidationFailed.field("category", "required_field", "Choose a category first.")
    if professional_type not in CATEGORIES[category]["types"]:
        raise ValidationFailed.field(
            field, "not_allowed", f"Choose a type of the {category} category."
        )


def check_specializations(category: str | None, specializations: list[str], field: str) -> None:
    """ONB-7: one to ten specializations, all from the category's list."""
    if category is None:
        raise ValidationFailed.field("category", "required_field", "Choose a category first.")
    allowed = CATEGORIES[category]["specializations"]
    for index, name in enumerate(specializations):
        if name not in allowed:
            raise ValidationFailed.field(
                f"{field}.{index}", "not_allowed", f"{name!r} is not a {category} specialization."
            )
    if len(set(specializations)) != len(specializations):
        raise ValidationFailed.field(field, "duplicate", "Each specialization only once.")


@dataclass(frozen=True)
class ResolvedLocation:
    lat: float
    lng: float
    city: str
    state: str
    pin_code: str | None
    locality: str | None
    suggestion: places.Place | None


def resolve_location(data: LocationIn) -> ResolvedLocation:
    """GPS as given (with the nearest known place suggested), or a PIN code or city turned into
    coordinates offline (ONB-5)."""
    if data.lat is not None and data.lng is not None:
        suggestion = places.nearest_place(data.lat, data.lng, within_km=25)
        city = data.city or (suggestion.name if suggestion else None)
        state = data.state or (suggestion.state if suggestion else None)
        if city is None or state is None:
            raise ValidationFailed.field(
                "city", "required_field", "No town is known near here: give the city and state."
            )
        pin = data.pin_code or places.nearest_pin(data.lat, data.lng)
        return ResolvedLocation(data.lat, data.lng, city, state, pin, None, suggestion)
    if data.pin_code is not None:
        place = places.resolve_pin(data.pin_code)
        if place is None:
            raise ValidationFailed.field("pin_code", "invalid_format", "This PIN code is unknown.")
        return ResolvedLocation(
            place.lat,
            place.lng,
            data.city or place.name,
            data.state or place.state,
            data.pin_code,
            place.locality,
            None,
        )
    assert data.city is not None  # noqa: S101 - LocationIn guarantees one way to locate
    found = places.find_place(data.city, data.state)
    if found is None:
        raise ValidationFailed.field(
            "city", "invalid_format", "This place is unknown: give a PIN code or your location."
        )
    return ResolvedLocation(found.lat, found.lng, found.name, found.state, None, None, None)


def resolve_preferred(city: str, state: str, pin_code: str | None, index: int) -> dict[str, object]:
    place = places.resolve_pin(pin_code) if pin_code else places.find_place(city, state)
    if place is None:
        field = "pin_code" if pin_code else "city"
        raise ValidationFailed.field(
            f"preferred_locations.{index}.{field}", "invalid_format", "This place is unknown."
        )
    return {"city": city, "state": state, "pin_code": pin_code, "lat": place.lat, "lng": place.lng}
