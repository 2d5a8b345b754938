from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.profiles.helpers import make_professional


async def test_a_partial_update_changes_only_what_is_sent(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, about="Old about")
    before = (await api.get("/v1/me/profile", headers=pro.headers)).json()

    response = await api.patch(
        "/v1/me/profile",
        headers=pro.headers | {"If-Match": str(before["version"])},
        json={"about": "  New   about \\n with lines ", "show_pricing": False},
    )

    assert response.status_code == 200
    after = response.json()
    assert after["about"] == "New   about \\n with lines"
    assert after["show_pricing"] is False
    assert after["specializations"] == before["specializations"]
    assert after["pricing"] == before["pricing"]
    assert after["version"] == before["version"] + 1
    stale = await api.patch(
        "/v1/me/profile",
        headers=pro.headers | {"If-Match": str(before["version"])},
        json={"about": "Late"},
    )
    assert stale.status_code == 412


async def test_a_new_category_needs_a_new_type(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)

    alone = await api.patch(
        "/v1/me/profile", headers=pro.headers, json={"category": "Audio Production"}
    )
    together = await api.patch(
        "/v1/me/profile",
        headers=pro.headers,
        json={
            "category": "Audio Production",
            "professional_type": "Mixing Engineer",
            "specializations": ["Audio Mixing"],
        },
    )

    assert alone.status_code == 422
    assert together.status_code == 200
    assert together.json()["specializations"] == ["Audio Mixing"]


@pytest.mark.parametrize(
    "body",
    [
        {"full_name": None},
        {"full_name": "X"},
        {"about": "x" * 501},
        {"gender": "Unknown"},
        {"alternate_phone": "12345"},
        {"visibility": "friends"},
        {"visibility": None},
        {"identity_verified": True},
        {"is_featured": True},
        {"saves_count": 99},
        {"completion_score": 100},
        {"user_id": "00000000-0000-0000-0000-000000000000"},
        {"about": "tab\there"},
        {"specializations": ["Made Up"]},
    ],
)
async def test_edits_are_validated_and_server_fields_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, body: dict[str, object]
) -> None:
    pro = await make_professional(session, runtime)
    before = (await api.get("/v1/me/profile", headers=pro.headers)).json()
    response = await api.patch("/v1/me/profile", headers=pro.headers, json=body)
    assert response.status_code == 422
    assert (await api.get("/v1/me/profile", headers=pro.headers)).json() == before


async def test_equipment_is_listed_edited_and_deduplicated(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    stranger = await make_user(session, runtime)

    lens = await api.post(
        "/v1/me/equipment",
        headers=pro.headers,
        json={
            "category": "lenses",
            "name": "24-70mm f/2.8",
            "brand": "Sony",
            "condition": "excellent",
        },
    )
    duplicate = await api.post(
        "/v1/me/equipment", headers=pro.headers, json={"category": "lenses", "name": "24-70MM F2.8"}
    )
    drone = await api.post(
        "/v1/me/equipment",
        headers=pro.headers,
        json={"category": "support_gear", "name": "DJI Mavic 3", "support_kind": "drone"},
    )
    light = await api.post(
        "/v1/me/equipment",
        headers=pro.headers,
        json={"category": "lighting", "name": "Godox AD600", "lighting_outdoor": True},
    )
    item_id = lens.json()["id"]
    edited = await api.put(
        f"/v1/me/equipment/{item_id}",
        headers=pro.headers,
        json={"category": "lenses", "name": "24-70mm f/2.8 GM II", "condition": "good"},
    )
    foreign = await api.put(
        f"/v1/me/equipment/{item_id}",
        headers=stranger.headers,
        json={"category": "lenses", "name": "Stolen lens"},
    )
    foreign_delete = await api.delete(f"/v1/me/equipment/{item_id}", headers=stranger.headers)

    assert lens.status_code == drone.status_code == light.status_code == 201
    assert duplicate.status_code == 409
    assert edited.json()["name"] == "24-70mm f/2.8 GM II"
    assert foreign.status_code == foreign_delete.status_code == 404
    listed = (await api.get("/v1/me/equipment", headers=pro.headers)).json()["items"]
    assert {item["category"] for item in listed} == {"lenses", "support_gear", "lighting"}
    assert (await api.delete(f"/v1/me/equipment/{item_id}", headers=pro.headers)).status_code == 204
    profile = (await api.get("/v1/me/profile", headers=pro.headers)).json()
    assert "equipment" not in profile["completion"]["missing"]


async def test_equipment_stops_at_one_hundred(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    from getmygrapher.profiles import service as profiles_service
    from getmygrapher.profiles.schemas import EquipmentIn

    pro = await make_professional(session, runtime)
    for n in range(99):
        await profiles_service.add_equipment(
            session, user_id=pro.id, item=EquipmentIn(category="other", name=f"Battery {n:03d}")
        )
    await session.commit()
    last = await api.post(
        "/v1/me/equipment", headers=pro.headers, json={"category": "other", "name": "Battery 099"}
    )
    assert last.status_code == 201
    over = await api.post(
        "/v1/me/equipment", headers=pro.headers, json={"category": "other", "name": "Battery 100"}
    )
    assert over.status_code == 409
    assert over.json()["code"] == "limit_reached"


async def test_taxonomy_and_places_are_public_reference_data(api: AsyncClient) -> None:
    taxonomy = (await api.get("/v1/taxonomy")).json()
    assert len(taxonomy["categories"]) == 5
    photography = taxonomy["categories"][0]
    assert "Wedding Photographer" in photography["types"]
    assert len(taxonomy["states"]) == 36
    assert taxonomy["equipment"]["catalogue"]["cameras"][0] == "Canon EOS R5"
    places = (await api.get("/v1/places", params={"q": "Trivandrum"})).json()["items"]
    assert places[0]["name"] == "Thiruvananthapuram"
    pin = (await api.get("/v1/places/pin/400001")).json()
    assert pin["state"] == "Maharashtra"
    assert (await api.get("/v1/places/pin/000000")).status_code == 422
    assert (await api.get("/v1/places", params={"q": "x"})).status_code == 422
