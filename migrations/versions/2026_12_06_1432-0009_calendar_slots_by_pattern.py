"""calendar slots by pattern

Editing, pausing or deleting a recurring pattern removes its own future slots, and deleting it
nulls `calendar_slots.pattern_id`: both find the slots through this partial index instead of
scanning every calendar. Built concurrently, so slots stay writable while it builds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 14:32:22.721201
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_calendar_slots_pattern",
            "calendar_slots",
            ["pattern_id", "day"],
            unique=False,
            postgresql_where=sa.text("pattern_id IS NOT NULL"),
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_calendar_slots_pattern",
            table_name="calendar_slots",
            postgresql_where=sa.text("pattern_id IS NOT NULL"),
            postgresql_concurrently=True,
        )
