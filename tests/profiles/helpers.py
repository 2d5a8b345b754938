"""Professionals made the way users make them (through the API) or, for speed, directly."""

from __future__ import annotations

import io
from typing import Any

from httpx import AsyncClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import utcnow
from getmygrapher.profiles.models import Profile
from tests.factories import Person, make_user

STEPS: list[tuple[str, dict[str, Any]]] = [
    ("category_selection", {"category": "Photography"}),
    ("type_selection", {"professional_type": "Wedding Photographer"}),
    ("location_setup", {"pin_code": "682042", "work_radius_km": 50}),
    (
        "basic_profile",
        {
            "full_name": "Meera Nair",
            "gender": "Female",
            "about": "Weddings and portraits across Kerala.",
        },
    ),
    (
        "professional_details",
        {
            "experience": "5-10 years",
            "specializations": ["Wedding Photography", "Portrait Photography"],
            "pricing": {"pricing_type": "per_event", "rate_rupees": 45000, "negotiable": True},
            "equipment": [{"category": "cameras", "name": "Sony A7 IV", "camera_role": "primary"}],
            "instagram_handle": "meera.clicks",
            "portfolio_links": ["https://meera.example.in/weddings"],
        },
    ),
    ("availability_setup", {}),
]


async def onboard(api: AsyncClient, person: Person) -> dict[str, Any]:
    """Every step through the API, then completion."""
    for step, body in STEPS:
        response = await api.put(f"/v1/me/onboarding/{step}", json=body, headers=person.headers)
        assert response.status_code == 200, (step, response.text)
    done = await api.post("/v1/me/onboarding/complete", headers=person.headers)
    assert done.status_code == 200, done.text
    return dict(done.json())


async def make_professional(
    session: AsyncSession,
    runtime: Runtime,
    *,
    city: str = "Kochi",
    state: str = "Kerala",
    lat: float = 9.9312,
    lng: float = 76.2673,
    visibility: str = "public",
    phone: str | None = "+919812300001",
    onboarded: bool = True,
    **profile: Any,
) -> Person:
    """A ready professional without going through every step."""
    person = await make_user(
        session, runtime, phone=phone, phone_verified=phone is not None, onboarded=onboarded
    )
    row = await session.get(Profile, person.id)
    assert row is not None
    values: dict[str, Any] = {
        "category": "Photography",
        "professional_type": "Wedding Photographer",
        "specializations": ["Wedding Photography"],
        "experience": "3-5 years",
        "pricing_type": "per_day",
        "rate_rupees": 25000,
        "lat": lat,
        "lng": lng,
        "city": city,
        "state": state,
        "pin_code": "682001",
        "visibility": visibility,
        "about": "Candid wedding stories.",
        "updated_at": utcnow(),
        **profile,
    }
    for key, value in values.items():
        setattr(row, key, value)
    await session.commit()
    return person


def jpeg(
    width: int = 1200,
    height: int = 800,
    *,
    color: tuple[int, int, int] = (200, 120, 40),
    exif: Image.Exif | None = None,
) -> bytes:
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 50):  # some structure, so hashes differ between pictures
        for y in range(0, height, 50):
            image.putpixel((x, y), (x % 255, y % 255, (x + y) % 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif or Image.Exif())
    return buffer.getvalue()
