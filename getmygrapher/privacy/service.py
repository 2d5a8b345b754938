"""Data export (DATA-1): everything the user has given us, gathered from every area."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core import personal_data
from getmygrapher.core.time import utcnow


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    """The sections every area registered (see `registry.py`), in one document."""
    return {
        "exported_at": utcnow().isoformat(),
        **await personal_data.export_user(session, user_id=user_id),
    }
