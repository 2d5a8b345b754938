"""Discovery pages are serialised from the database rows without building models (speed): the
bytes sent must be exactly what the DiscoveryPage model would send."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.jobs.schemas import DiscoveryPage
from tests.factories import make_user
from tests.jobs.helpers import KOCHI, insert_jobs, job_row


async def test_a_page_is_byte_for_byte_what_the_model_would_send(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    client = await make_user(session, runtime, onboarded=True)
    seeker = await make_user(session, runtime, onboarded=True)
    await insert_jobs(
        session,
        [
            job_row(client.id, KOCHI[0] + 0.01, KOCHI[1], title="Wedding photographer"),
            job_row(
                client.id,
                KOCHI[0] + 0.02,
                KOCHI[1],
                title="Candid wedding shoot",
                description=None,
                category=None,
                budget_min=None,
                budget_max=None,
                budget_type=None,
                urgency="Emergency",
            ),
        ],
    )
    base = {"lat": KOCHI[0], "lng": KOCHI[1], "radius_km": 10, "limit": 1}
    for params in (base, base | {"q": "wedding"}, base | {"q": "weding", "sort": "date_posted"}):
        response = await api.get("/v1/jobs", params=params, headers=seeker.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["items"]
        assert DiscoveryPage.model_validate_json(response.content).model_dump_json() == (
            response.text
        )
        if "q" in params and params.get("sort") is None:
            assert body["items"][0]["relevance"] is not None

    anonymous = await api.get("/v1/jobs", params=base | {"limit": 5})
    assert len(anonymous.json()["items"]) == 2
    assert DiscoveryPage.model_validate_json(anonymous.content).model_dump_json() == (
        anonymous.text
    )
