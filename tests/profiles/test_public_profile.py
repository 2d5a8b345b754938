from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing.service.lifecycle import grant_by_admin
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import AccountStatus, Role
from tests.factories import make_user
from tests.profiles.helpers import make_professional


async def test_anyone_sees_a_public_profile_without_private_details(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(
        session,
        runtime,
        instagram_handle="meera.clicks",
        alternate_phone="+919800011111",
        gender="Female",
    )

    response = await api.get(f"/v1/profiles/{pro.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["professional_type"] == "Wedding Photographer"
    assert body["city"] == "Kochi"
    assert body["pricing"] == {"pricing_type": "per_day", "rate_rupees": 25000, "negotiable": False}
    for hidden in ("phone", "email", "lat", "lng", "alternate_phone", "whatsapp_phone"):
        assert hidden not in body
    assert body["gender"] is None  # shown only when the owner opts in
    assert body["instagram_handle"] is None  # Free owner, anonymous viewer
    assert body["permissions"] == {
        "can_message": False,
        "can_request_booking": False,
        "can_request_contact": False,
        "can_review": False,
        "can_save": False,
    }
    assert "98123" not in response.text
    assert pro.email not in response.text


async def test_signed_in_viewers_get_permissions_and_pro_extras(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime, instagram_handle="meera.clicks")
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    viewer = await make_user(session, runtime)
    await grant_by_admin(session, actor_id=admin.id, user_id=pro.id, months=1, reason="Test")
    await session.commit()

    body = (await api.get(f"/v1/profiles/{pro.id}", headers=viewer.headers)).json()

    assert body["instagram_handle"] == "meera.clicks"
    assert body["badges"]["pro"] is True
    assert body["badges"]["verified"] is False  # not identity-verified yet
    assert body["permissions"]["can_save"] is True
    assert body["permissions"]["can_request_contact"] is True


async def test_sections_follow_the_owners_switches(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(
        session, runtime, show_pricing=False, show_equipment=False, show_gender=True, gender="Male"
    )
    await api.post(
        "/v1/me/equipment", headers=pro.headers, json={"category": "audio", "name": "Zoom H6"}
    )

    body = (await api.get(f"/v1/profiles/{pro.id}")).json()
    gear = (await api.get(f"/v1/profiles/{pro.id}/equipment")).json()
    own_gear = (await api.get(f"/v1/profiles/{pro.id}/equipment", headers=pro.headers)).json()

    assert body["pricing"] is None
    assert body["equipment"] is None
    assert body["gender"] == "Male"
    assert gear["items"] == []
    assert [item["name"] for item in own_gear["items"]] == ["Zoom H6"]


@pytest.mark.parametrize(
    ("visibility", "anonymous", "signed_in"),
    [
        ("public", 200, 200),
        ("professional_network", 404, 200),
        ("private", 404, 404),
    ],
)
async def test_visibility_decides_who_sees_the_profile(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    visibility: str,
    anonymous: int,
    signed_in: int,
) -> None:
    pro = await make_professional(session, runtime, visibility=visibility)
    stranger = await make_user(session, runtime)
    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)

    assert (await api.get(f"/v1/profiles/{pro.id}")).status_code == anonymous
    assert (
        await api.get(f"/v1/profiles/{pro.id}", headers=stranger.headers)
    ).status_code == signed_in
    assert (await api.get(f"/v1/profiles/{pro.id}", headers=pro.headers)).status_code == 200
    assert (await api.get(f"/v1/profiles/{pro.id}", headers=moderator.headers)).status_code == 200


async def test_unfinished_suspended_and_unknown_profiles_are_404(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    unfinished = await make_professional(session, runtime, onboarded=False, phone="+919812300002")
    suspended = await make_professional(session, runtime, phone="+919812300003")
    suspended.user.status = AccountStatus.SUSPENDED
    await session.commit()

    for profile_id in (unfinished.id, suspended.id, "00000000-0000-0000-0000-000000000000"):
        response = await api.get(f"/v1/profiles/{profile_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "profile_not_found"
    assert (await api.get("/v1/profiles/not-a-uuid")).status_code == 422


async def test_views_count_once_a_day_and_never_the_owners(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    viewer = await make_user(session, runtime)

    for _ in range(3):
        await api.get(f"/v1/profiles/{pro.id}", headers=viewer.headers)
        await api.get(f"/v1/profiles/{pro.id}", headers=pro.headers)
        await api.get(
            f"/v1/profiles/{pro.id}?source=search&device=mobile", headers={"User-Agent": "Phone A"}
        )
    await api.get(f"/v1/profiles/{pro.id}", headers={"User-Agent": "Laptop B"})

    rows = (
        await session.execute(
            text("SELECT viewer_key, source FROM profile_views WHERE profile_id = :id"),
            {"id": pro.id},
        )
    ).all()
    keys = sorted(row.viewer_key[:2] for row in rows)
    assert keys == ["a:", "a:", "u:"]
    assert f"u:{viewer.id}" in {row.viewer_key for row in rows}
    assert f"u:{pro.id}" not in {row.viewer_key for row in rows}


async def test_share_gives_the_canonical_link(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    response = await api.post(f"/v1/profiles/{pro.id}/share")
    assert response.json()["url"].endswith(f"/p/{pro.id}")


async def test_reports_are_one_open_per_reporter(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    reporter = await make_user(session, runtime)
    body = {"reason": "fake_profile", "details": "Photos taken from <b>another</b> studio"}

    first = await api.post(f"/v1/profiles/{pro.id}/reports", json=body, headers=reporter.headers)
    again = await api.post(f"/v1/profiles/{pro.id}/reports", json=body, headers=reporter.headers)
    own = await api.post(f"/v1/profiles/{pro.id}/reports", json=body, headers=pro.headers)
    bad = await api.post(
        f"/v1/profiles/{pro.id}/reports", json={"reason": "ugly"}, headers=reporter.headers
    )
    anonymous = await api.post(f"/v1/profiles/{pro.id}/reports", json=body)

    assert first.status_code == 201
    assert again.status_code == 409
    assert own.status_code == 422
    assert bad.status_code == 422
    assert anonymous.status_code == 401
    snapshot = await session.scalar(text("SELECT snapshot FROM reports"))
    assert snapshot["professional_type"] == "Wedding Photographer"
