"""HTTP endpoint of the Pro analytics summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from getmygrapher.analytics import service as analytics_service
from getmygrapher.analytics.schemas import AnalyticsRead
from getmygrapher.core.db import DbSession
from getmygrapher.core.security import CurrentUser

router = APIRouter(prefix="/v1/me", tags=["analytics"])


@router.get("/analytics", operation_id="get_profile_analytics")
async def get_profile_analytics(
    db: DbSession, user: CurrentUser, days: Annotated[int, Query(ge=7, le=365)] = 30
) -> AnalyticsRead:
    return await analytics_service.profile_summary(db, user_id=user.id, days=days)
