from __future__ import annotations

import io

from httpx import AsyncClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.billing.service.lifecycle import grant_by_admin
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from getmygrapher.core.tasks import run_task
from tests.factories import make_user
from tests.profiles.helpers import jpeg, make_professional
from tests.taskqueue import run_jobs

SAVED = "/v1/me/saved-professionals"


async def test_saving_is_idempotent_private_and_counted_once(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    saver = await make_user(session, runtime)

    first = await api.put(
        f"{SAVED}/{pro.id}",
        headers=saver.headers,
        json={"note": "Call for Onam", "collection": "Kerala"},
    )
    again = await api.put(f"{SAVED}/{pro.id}", headers=saver.headers, json={"note": "Updated"})
    listed = (await api.get(SAVED, headers=saver.headers, params={"collection": "Kerala"})).json()
    other_collection = (
        await api.get(SAVED, headers=saver.headers, params={"collection": "Delhi"})
    ).json()
    seen_by_pro = (await api.get("/v1/me/profile", headers=pro.headers)).json()

    assert first.json() == {"saved": True, "note": "Call for Onam", "collection": "Kerala"}
    assert again.json()["note"] == "Updated"
    assert [item["professional_id"] for item in listed["items"]] == [str(pro.id)]
    assert listed["items"][0]["note"] == "Updated"
    assert other_collection["items"] == []
    assert seen_by_pro["saves_count"] == 1
    assert "Updated" not in str(seen_by_pro)
    removed = await api.delete(f"{SAVED}/{pro.id}", headers=saver.headers)
    removed_again = await api.delete(f"{SAVED}/{pro.id}", headers=saver.headers)
    assert (
        removed.json() == removed_again.json() == {"saved": False, "note": None, "collection": None}
    )
    assert (await api.get("/v1/me/profile", headers=pro.headers)).json()["saves_count"] == 0


async def test_saving_oneself_or_a_hidden_profile_is_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    private = await make_professional(session, runtime, visibility="private", phone="+919812300044")
    saver = await make_user(session, runtime)
    assert (await api.put(f"{SAVED}/{pro.id}", headers=pro.headers, json={})).status_code == 422
    assert (
        await api.put(f"{SAVED}/{private.id}", headers=saver.headers, json={})
    ).status_code == 404
    assert (await api.put(f"{SAVED}/{pro.id}", json={})).status_code == 401
    assert (
        await api.put(f"{SAVED}/{pro.id}", headers=saver.headers, json={"note": "x" * 501})
    ).status_code == 422


async def test_verification_is_decided_by_moderators_only(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)
    gps = Image.Exif()
    gps.get_ifd(0x8825)[1] = "N"
    document = jpeg(900, 600, exif=gps)

    submitted = await api.post(
        "/v1/me/verification",
        headers=pro.headers,
        data={"document_type": "pan"},
        files={"file": ("pan.jpg", document, "image/jpeg")},
    )
    twice = await api.post(
        "/v1/me/verification",
        headers=pro.headers,
        data={"document_type": "pan"},
        files={"file": ("pan.jpg", document, "image/jpeg")},
    )
    by_self = await api.post(
        f"/v1/moderation/verifications/{submitted.json()['id']}/approve",
        headers=pro.headers,
        json={"reason": "It is me"},
    )
    queue = (await api.get("/v1/moderation/verifications", headers=moderator.headers)).json()
    approved = await api.post(
        f"/v1/moderation/verifications/{submitted.json()['id']}/approve",
        headers=moderator.headers,
        json={"reason": "PAN matches the name"},
    )
    decided_twice = await api.post(
        f"/v1/moderation/verifications/{submitted.json()['id']}/reject",
        headers=moderator.headers,
        json={"reason": "Changed my mind"},
    )

    assert submitted.status_code == 201
    assert submitted.json()["status"] == "pending"
    assert submitted.json()["document_url"] is None  # never shown back to the submitter
    assert twice.status_code == 409
    assert by_self.status_code == 403
    assert [item["id"] for item in queue["items"]] == [submitted.json()["id"]]
    assert queue["items"][0]["document_url"].startswith("http://test/media/verification/")
    assert approved.json()["status"] == "verified"
    assert decided_twice.status_code == 409
    profile = (await api.get("/v1/me/profile", headers=pro.headers)).json()
    assert profile["identity_verified"] is True
    key = await session.scalar(text("SELECT document_key FROM verification_requests"))
    stored = Image.open(io.BytesIO(await runtime.storage.get(key)))
    assert not stored.getexif()
    await session.execute(
        text("UPDATE verification_requests SET decided_at = now() - interval '31 days'")
    )
    await session.commit()
    await run_task("profiles.purge_documents", {"timestamp": 0})
    await run_jobs(connection)
    assert await session.scalar(text("SELECT document_key FROM verification_requests")) is None
    assert await session.scalar(text("SELECT status FROM verification_requests")) == "verified"


async def test_verification_documents_are_checked(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    webp = io.BytesIO()
    Image.new("RGB", (400, 400)).save(webp, "WEBP")
    bad_type = await api.post(
        "/v1/me/verification",
        headers=pro.headers,
        data={"document_type": "passport"},
        files={"file": ("x.webp", webp.getvalue(), "image/webp")},
    )
    bad_kind = await api.post(
        "/v1/me/verification",
        headers=pro.headers,
        data={"document_type": "ration_card"},
        files={"file": ("x.jpg", jpeg(), "image/jpeg")},
    )
    pdf = await api.post(
        "/v1/me/verification",
        headers=pro.headers,
        data={"document_type": "passport"},
        files={"file": ("x.pdf", b"%PDF-1.4\n%test\n", "application/pdf")},
    )
    assert bad_type.status_code == bad_kind.status_code == 422
    assert pdf.status_code == 201
    assert (await api.get("/v1/me/verification", headers=pro.headers)).json()["status"] == "pending"


async def test_featured_is_set_by_admins_only(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    by_owner = await api.put(
        f"/v1/admin/profiles/{pro.id}/badges", headers=pro.headers, json={"is_featured": True}
    )
    by_admin = await api.put(
        f"/v1/admin/profiles/{pro.id}/badges", headers=admin.headers, json={"is_featured": True}
    )
    assert by_owner.status_code == 403
    assert by_admin.status_code == 204
    assert (await api.get(f"/v1/profiles/{pro.id}")).json()["badges"]["featured"] is True


async def test_pro_analytics_count_views_saves_and_requests(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    fans = [await make_user(session, runtime) for _ in range(3)]
    free = await api.get("/v1/me/analytics", headers=pro.headers)
    await grant_by_admin(session, actor_id=admin.id, user_id=pro.id, months=1, reason="Test")
    await session.commit()
    for fan in fans:
        await api.get(f"/v1/profiles/{pro.id}", headers=fan.headers)
    await api.put(f"{SAVED}/{pro.id}", headers=fans[0].headers, json={})
    await api.post(
        "/v1/contact-requests",
        headers=fans[1].headers | {"Idempotency-Key": "a"},
        json={"recipient_id": str(pro.id), "fields": ["email"]},
    )

    summary = (await api.get("/v1/me/analytics", params={"days": 7}, headers=pro.headers)).json()

    assert free.status_code == 403
    assert summary["days"] == 7
    assert len(summary["daily"]) == 7
    assert summary["totals"] == {
        "views": 3,
        "unique_viewers": 3,
        "saves": 1,
        "contact_requests": 1,
        "conversion_percent": 33,
    }
    assert (
        await api.get("/v1/me/analytics", params={"days": 3}, headers=pro.headers)
    ).status_code == 422


async def test_the_export_holds_my_data_and_nobody_elses(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    other = await make_professional(session, runtime, phone="+919812300055")
    await api.post(
        "/v1/me/equipment", headers=pro.headers, json={"category": "audio", "name": "Rode NTG5"}
    )
    await api.put(f"{SAVED}/{other.id}", headers=pro.headers, json={"note": "Second shooter"})

    response = await api.get("/v1/me/export", headers=pro.headers)

    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    data = response.json()
    assert data["account"]["email"] == pro.email
    assert data["profile"]["professional_type"] == "Wedding Photographer"
    assert data["equipment"][0]["name"] == "Rode NTG5"
    assert data["saved_professionals"][0]["note"] == "Second shooter"
    assert data["calendar_settings"]["visibility"] == "public"
    assert data["payments"] == []
    assert other.email not in response.text
    assert (await api.get("/v1/me/export")).status_code == 401
