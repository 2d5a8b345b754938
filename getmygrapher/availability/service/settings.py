"""The calendar settings every account starts with (AUTH-11, ONB-8)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import CalendarSettings, CalendarVisibility
from getmygrapher.billing import service as billing_service


async def create_defaults(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    await session.execute(
        pg_insert(CalendarSettings).values(user_id=user_id).on_conflict_do_nothing()
    )


async def save_setup(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    lead_time_hours: int,
    advance_booking_days: int,
    visibility: str,
    weekly_hours: dict[str, Any],
) -> None:
    """ONB-8: the calendar's settings and first weekly hours; anything but a public calendar
    needs `calendar_privacy` (Pro)."""
    if visibility != CalendarVisibility.PUBLIC.value:
        await billing_service.require_feature(session, user_id=user_id, feature="calendar_privacy")
    await create_defaults(session, user_id=user_id)
    settings = await session.scalar(
        select(CalendarSettings).where(CalendarSettings.user_id == user_id).with_for_update()
    )
    assert settings is not None  # noqa: S101 - created just above when missing
    settings.lead_time_hours = lead_time_hours
    settings.advance_booking_days = advance_booking_days
    settings.visibility = CalendarVisibility(visibility)
    settings.weekly_hours = weekly_hours
    await session.flush()


async def get_settings(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any] | None:
    settings = await session.scalar(
        select(CalendarSettings).where(CalendarSettings.user_id == user_id)
    )
    if settings is None:
        return None
    return {
        "visibility": settings.visibility.value,
        "lead_time_hours": settings.lead_time_hours,
        "advance_booking_days": settings.advance_booking_days,
        "grid": settings.grid.value,
        "allow_booking_requests": settings.allow_booking_requests,
        "conflict_policy": settings.conflict_policy.value,
        "timezone": settings.timezone,
        "weekly_hours": settings.weekly_hours,
    }
