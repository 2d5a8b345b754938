"""discovery covering index and search terms

Discovery walks one covering GiST index and never reads the table until the page is known. A
job's views are the rows of job_views, so a view no longer rewrites the job (which would keep
the index from answering alone). Words of published jobs go into search_terms, by a
statement-level trigger, for correcting misspelt search words.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 13:38:30.071027
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


LISTED = "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
COLLECT_TERMS = """
CREATE FUNCTION gmg_collect_job_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- In one order, so two transactions adding the same new words never deadlock.
    INSERT INTO search_terms (term)
    SELECT DISTINCT word FROM new_jobs,
        regexp_split_to_table(lower(
            coalesce(new_jobs.title, '') || ' ' || coalesce(new_jobs.description, '') || ' '
            || coalesce(new_jobs.category, '') || ' ' || coalesce(new_jobs.city, '') || ' '
            || array_to_string(new_jobs.professional_types, ' ')), '[^[:alpha:]]+') AS word
    WHERE new_jobs.status = 'active' AND length(word) BETWEEN 3 AND 40
    ORDER BY word
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_collect_terms_on_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION gmg_collect_job_terms();
CREATE TRIGGER jobs_collect_terms_on_update AFTER UPDATE ON jobs
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION gmg_collect_job_terms();
"""


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    op.create_index(
        "ix_search_terms_trgm",
        "search_terms",
        ["term"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={"term": "gist_trgm_ops"},
    )
    op.drop_index(
        op.f("ix_jobs_listed_point"),
        table_name="jobs",
        postgresql_using="gist",
        postgresql_where="((status = 'active'::job_status) AND (moderation_status = 'approved'::moderation_status) AND (deleted_at IS NULL))",
    )
    op.drop_index(
        op.f("ix_jobs_listed_title_trgm"),
        table_name="jobs",
        postgresql_ops={"title": "gin_trgm_ops"},
        postgresql_using="gin",
        postgresql_where="((status = 'active'::job_status) AND (moderation_status = 'approved'::moderation_status) AND (deleted_at IS NULL))",
    )
    op.create_index(
        "ix_jobs_listed_cover",
        "jobs",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_include=[
            "id",
            "lat",
            "lng",
            "client_id",
            "applications_close_at",
            "category",
            "professional_types",
            "urgency_rank",
            "job_date",
            "budget_min",
            "budget_max",
            "budget_type",
            "published_at",
            "starts_at",
            "search_vector",
        ],
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.drop_index(
        "ix_jobs_listed_search",
        table_name="jobs",
        postgresql_using="gin",
        postgresql_where=sa.text(LISTED),
    )
    op.create_index(
        "ix_jobs_listed_words",
        "jobs",
        ["search_vector", "professional_types"],
        unique=False,
        postgresql_using="gin",
        postgresql_where=sa.text(LISTED),
    )
    op.drop_column("jobs", "views_count")
    op.execute(COLLECT_TERMS)
    # Words of the jobs published so far.
    op.execute(
        "INSERT INTO search_terms (term) SELECT DISTINCT word FROM jobs, "
        "regexp_split_to_table(lower(coalesce(title, '') || ' ' || coalesce(description, '') "
        "|| ' ' || coalesce(category, '') || ' ' || coalesce(city, '') || ' ' "
        "|| array_to_string(professional_types, ' ')), '[^[:alpha:]]+') AS word "
        "WHERE status = 'active' AND length(word) BETWEEN 3 AND 40 ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_collect_terms_on_update ON jobs")
    op.execute("DROP TRIGGER jobs_collect_terms_on_insert ON jobs")
    op.execute("DROP FUNCTION gmg_collect_job_terms()")
    op.drop_index(
        "ix_jobs_listed_words",
        table_name="jobs",
        postgresql_using="gin",
        postgresql_where=sa.text(LISTED),
    )
    op.create_index(
        "ix_jobs_listed_search",
        "jobs",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
        postgresql_where=sa.text(LISTED),
    )
    op.add_column(
        "jobs",
        sa.Column(
            "views_count",
            sa.INTEGER(),
            server_default=sa.text("0"),
            autoincrement=False,
            nullable=False,
        ),
    )
    op.execute(
        "UPDATE jobs SET views_count = counted.views FROM (SELECT job_id, count(*) AS views "
        "FROM job_views GROUP BY job_id) AS counted WHERE counted.job_id = jobs.id"
    )
    op.drop_index(
        "ix_jobs_listed_cover",
        table_name="jobs",
        postgresql_using="gist",
        postgresql_include=[
            "id",
            "lat",
            "lng",
            "client_id",
            "applications_close_at",
            "category",
            "professional_types",
            "urgency_rank",
            "job_date",
            "budget_min",
            "budget_max",
            "budget_type",
            "published_at",
            "starts_at",
            "search_vector",
        ],
        postgresql_where=sa.text(
            "status = 'active' AND moderation_status = 'approved' AND deleted_at IS NULL"
        ),
    )
    op.create_index(
        op.f("ix_jobs_listed_title_trgm"),
        "jobs",
        ["title"],
        unique=False,
        postgresql_ops={"title": "gin_trgm_ops"},
        postgresql_using="gin",
        postgresql_where="((status = 'active'::job_status) AND (moderation_status = 'approved'::moderation_status) AND (deleted_at IS NULL))",
    )
    op.create_index(
        op.f("ix_jobs_listed_point"),
        "jobs",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_where="((status = 'active'::job_status) AND (moderation_status = 'approved'::moderation_status) AND (deleted_at IS NULL))",
    )
    op.drop_index(
        "ix_search_terms_trgm",
        table_name="search_terms",
        postgresql_using="gist",
        postgresql_ops={"term": "gist_trgm_ops"},
    )
    op.drop_table("search_terms")
