"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    """The process is up (does not touch the database)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ok", "database": "up"}}}},
        503: {
            "description": "Not ready",
            "content": {
                "application/json": {"example": {"status": "unavailable", "database": "down"}}
            },
        },
    },
)
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and realtime follows the broker."""
    hub = getattr(request.app.state, "hub", None)
    if hub is not None and hub.behind:
        return JSONResponse({"status": "unavailable", "realtime": "down"}, status_code=503)
    try:
        async with request.app.state.runtime.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


@router.get("/metrics", operation_id="metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
