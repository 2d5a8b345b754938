"""Phone numbers and e-mail addresses never leak through profile endpoints before consent."""

from __future__ import annotations

import uuid

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.billing.service.lifecycle import grant_by_admin
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from tests.factories import make_user
from tests.profiles.helpers import jpeg, make_professional
from tests.taskqueue import run_jobs

PHONE_DIGITS = "9812377701"
ALT_DIGITS = "9812377702"
WHATSAPP_DIGITS = "9812377703"


async def _everything_a_viewer_can_read(
    api: AsyncClient, pro_id: uuid.UUID, headers: dict[str, str]
) -> str:
    urls = [
        f"/v1/profiles/{pro_id}",
        f"/v1/profiles/{pro_id}/portfolio",
        f"/v1/profiles/{pro_id}/equipment",
        "/v1/me/saved-professionals",
        "/v1/me/contact-requests?box=sent",
        f"/v1/contacts/{pro_id}/timeline",
    ]
    bodies = []
    for url in urls:
        response = await api.get(url, headers=headers)
        assert response.status_code in {200, 401}, (url, response.text)
        bodies.append(response.text)
    share = await api.post(f"/v1/profiles/{pro_id}/share", headers=headers)
    bodies.append(share.text)
    return "\n".join(bodies)


async def test_contact_details_appear_only_with_consent_and_vanish_on_revocation(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    pro = await make_professional(
        session,
        runtime,
        phone=f"+91{PHONE_DIGITS}",
        alternate_phone=f"+91{ALT_DIGITS}",
        whatsapp_phone=f"+91{WHATSAPP_DIGITS}",
        show_gender=True,
    )
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    await grant_by_admin(session, actor_id=admin.id, user_id=pro.id, months=1, reason="Test")
    await session.commit()
    await api.post(
        "/v1/me/portfolio", headers=pro.headers, files={"file": ("a.jpg", jpeg(), "image/jpeg")}
    )
    await api.post(
        "/v1/me/equipment", headers=pro.headers, json={"category": "cameras", "name": "Nikon Z9"}
    )
    viewer = await make_user(session, runtime, phone="+919876500077", phone_verified=True)
    await api.put(
        f"/v1/me/saved-professionals/{pro.id}",
        headers=viewer.headers,
        json={"note": "Great candids", "collection": "Wedding shortlist"},
    )
    secrets = (PHONE_DIGITS, ALT_DIGITS, WHATSAPP_DIGITS, pro.email, "9.9312", "76.2673")

    for headers in ({}, viewer.headers):
        seen = await _everything_a_viewer_can_read(api, pro.id, headers)
        for secret in secrets:
            assert secret not in seen, secret

    request = await api.post(
        "/v1/contact-requests",
        headers=viewer.headers | {"Idempotency-Key": "k"},
        json={"recipient_id": str(pro.id), "fields": ["phone"]},
    )
    pending = await _everything_a_viewer_can_read(api, pro.id, viewer.headers)
    assert PHONE_DIGITS not in pending
    await api.post(
        f"/v1/contact-requests/{request.json()['id']}/respond",
        headers=pro.headers,
        json={"accept": ["phone"]},
    )
    await run_jobs(connection)
    shared = (await api.get(f"/v1/contacts/{pro.id}", headers=viewer.headers)).json()
    assert shared["phone"] == f"+91{PHONE_DIGITS}"
    assert shared["email"] is None
    assert shared["whatsapp"] is None
    elsewhere = await _everything_a_viewer_can_read(api, pro.id, viewer.headers)
    for secret in (ALT_DIGITS, WHATSAPP_DIGITS, pro.email):
        assert secret not in elsewhere

    await api.post(f"/v1/contacts/{viewer.id}/revoke", headers=pro.headers, json={})
    after = (await api.get(f"/v1/contacts/{pro.id}", headers=viewer.headers)).text
    assert PHONE_DIGITS not in after
    stranger = await make_user(session, runtime)
    assert (
        PHONE_DIGITS not in (await api.get(f"/v1/contacts/{pro.id}", headers=stranger.headers)).text
    )
