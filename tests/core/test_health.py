from __future__ import annotations

from httpx import AsyncClient


async def test_healthz_answers_without_the_database(api: AsyncClient) -> None:
    response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(api: AsyncClient) -> None:
    response = await api.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}
