"""HTTP endpoint of the data export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from getmygrapher.core.db import DbSession
from getmygrapher.core.security import CurrentUser
from getmygrapher.privacy import service as privacy_service

router = APIRouter(prefix="/v1/me", tags=["privacy"])


@router.get("/export", operation_id="export_my_data", response_model=dict[str, Any])
async def export_my_data(db: DbSession, user: CurrentUser) -> JSONResponse:
    """All of your own data as JSON (account, profile, gear, portfolio, saves, consent log,
    calendar settings, subscriptions and payments)."""
    data = await privacy_service.export_user(db, user_id=user.id)
    return JSONResponse(
        jsonable_encoder(data),
        headers={
            "Content-Disposition": 'attachment; filename="getmygrapher-export.json"',
            "Cache-Control": "no-store",
        },
    )
