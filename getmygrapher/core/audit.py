"""The append-only audit log (GEN-14, ADM-4)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    reason: str | None = None,
    **data: Any,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            reason=reason,
            data=data,
        )
    )
    await session.flush()
