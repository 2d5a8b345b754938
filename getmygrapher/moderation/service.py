"""Reports (PV-2, ADM-3) and blocks (GEN-15); the moderators' queue and actions join later."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.moderation.errors import ReportAlreadyOpen
from getmygrapher.moderation.models import Block, Report, ReportStatus


async def file_report(
    session: AsyncSession,
    *,
    reporter_id: uuid.UUID,
    target_type: str,
    target_id: uuid.UUID,
    reason: str,
    details: str | None,
    snapshot: dict[str, Any],
) -> Report:
    """One open report per reporter and target; the snapshot keeps what was reported."""
    stmt = (
        pg_insert(Report)
        .values(
            reporter_id=reporter_id,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
            details=details,
            snapshot=snapshot,
        )
        .on_conflict_do_nothing()
        .returning(Report)
    )
    report = await session.scalar(stmt)
    if report is None:
        raise ReportAlreadyOpen("You already reported this; it is being reviewed.")
    return report


async def open_reporters(session: AsyncSession, *, target_type: str, target_id: uuid.UUID) -> int:
    """How many different people have an open report on this target (JOB-7, CPL-10)."""
    count = await session.scalar(
        select(func.count(func.distinct(Report.reporter_id))).where(
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.status.in_((ReportStatus.PENDING, ReportStatus.REVIEWED)),
        )
    )
    return int(count or 0)


# Blocks (GEN-15, MSG-17) ------------------------------------------------------------------

# Other areas react to a new block (contact grants revoked, conversations marked).
BlockListener = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[None]]
BLOCK_LISTENERS: list[BlockListener] = []


def on_block(listener: BlockListener) -> None:
    BLOCK_LISTENERS.append(listener)


async def block(session: AsyncSession, *, blocker_id: uuid.UUID, blocked_id: uuid.UUID) -> bool:
    """Idempotent; True when the block is new. Grants between the two end at once."""
    created = await session.scalar(
        pg_insert(Block)
        .values(blocker_id=blocker_id, blocked_id=blocked_id)
        .on_conflict_do_nothing()
        .returning(Block.blocker_id)
    )
    if created is not None:
        for listener in BLOCK_LISTENERS:
            await listener(session, blocker_id, blocked_id)
    return created is not None


async def unblock(session: AsyncSession, *, blocker_id: uuid.UUID, blocked_id: uuid.UUID) -> None:
    await session.execute(
        delete(Block).where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
    )


async def blocked_by(session: AsyncSession, *, blocker_id: uuid.UUID) -> list[Block]:
    rows = await session.scalars(
        select(Block).where(Block.blocker_id == blocker_id).order_by(Block.created_at.desc())
    )
    return list(rows)


async def is_blocked(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """Either way round."""
    found = await session.scalar(
        select(func.count())
        .select_from(Block)
        .where(
            or_(
                (Block.blocker_id == a) & (Block.blocked_id == b),
                (Block.blocker_id == b) & (Block.blocked_id == a),
            )
        )
    )
    return bool(found)


async def blocked_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone this user blocked or was blocked by."""
    rows = await session.execute(
        select(Block.blocked_id)
        .where(Block.blocker_id == user_id)
        .union(select(Block.blocker_id).where(Block.blocked_id == user_id))
    )
    return {row[0] for row in rows}


def blocked_ids_query(user_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
    """What `blocked_ids` asks, as SQL over `:user_id` and its parameters, for a read that
    folds it into its own statement to save a round trip (discovery)."""
    return (
        "SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = :user_id "
        "UNION SELECT b.blocker_id FROM blocks b WHERE b.blocked_id = :user_id",
        {"user_id": user_id},
    )


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    """DATA-1: whom the person blocked and what they reported."""
    blocks = await blocked_by(session, blocker_id=user_id)
    reports = await session.scalars(
        select(Report).where(Report.reporter_id == user_id).order_by(Report.created_at)
    )
    return {
        "blocks": [
            {"blocked_id": str(b.blocked_id), "at": b.created_at.isoformat()} for b in blocks
        ],
        "reports": [
            {
                "target_type": r.target_type,
                "target_id": str(r.target_id),
                "reason": r.reason,
                "status": r.status.value,
                "at": r.created_at.isoformat(),
            }
            for r in reports
        ],
    }


async def erase_user(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """DATA-2: the person's own blocks go; others' blocks of them stay (they protect the
    others), and reports stay with the moderators under the pseudonymous id."""
    await session.execute(delete(Block).where(Block.blocker_id == user_id))
