"""Read-only counts over profile views and saves (this area owns no tables yet)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def daily_views(self, profile_id: uuid.UUID, since: dt.date) -> dict[dt.date, int]:
        rows = await self.session.execute(
            text(
                "SELECT viewed_on, count(*) AS views FROM profile_views "
                "WHERE profile_id = :id AND viewed_on >= :since GROUP BY viewed_on"
            ),
            {"id": profile_id, "since": since},
        )
        return {row.viewed_on: int(row.views) for row in rows}

    async def unique_viewers(self, profile_id: uuid.UUID, since: dt.date) -> int:
        return int(
            await self.session.scalar(
                text(
                    "SELECT count(DISTINCT viewer_key) FROM profile_views "
                    "WHERE profile_id = :id AND viewed_on >= :since"
                ),
                {"id": profile_id, "since": since},
            )
            or 0
        )

    async def daily_saves(
        self, professional_id: uuid.UUID, since: dt.datetime
    ) -> dict[dt.date, int]:
        rows = await self.session.execute(
            text(
                "SELECT (created_at AT TIME ZONE 'Asia/Kolkata')::date AS day, count(*) AS n "
                "FROM saved_professionals WHERE professional_id = :id AND created_at >= :since "
                "GROUP BY 1"
            ),
            {"id": professional_id, "since": since},
        )
        return {row.day: int(row.n) for row in rows}
