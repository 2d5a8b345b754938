"""job queue (procrastinate's schema, as shipped with the pinned version)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 11:40:00

Upgrading procrastinate means a new migration that applies its files under sql/migrations.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _execute_script(sql: str) -> None:
    # Through the driver's cursor without parameters, so '%' in the script is not a placeholder.
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(sql)


def upgrade() -> None:
    _execute_script(SchemaManager.get_schema())


def downgrade() -> None:
    _execute_script(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DO $$
        DECLARE f record;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE p.proname LIKE 'procrastinate%' AND n.nspname = current_schema()
            LOOP
                EXECUTE 'DROP FUNCTION IF EXISTS ' || f.signature || ' CASCADE';
            END LOOP;
        END $$;
        DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status,
            procrastinate_job_to_defer_v1 CASCADE;
        """
    )
