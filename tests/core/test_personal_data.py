"""Export and erasure are declared by each area (DATA-1, DATA-2): every table that refers to a
person is exported or erased by the area that owns it, or kept on purpose with a reason."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher import registry
from getmygrapher.core import personal_data
from getmygrapher.core.db import Base

# Columns that name a person without a foreign key (pairs, actors, view keys).
UNLINKED_PERSON_COLUMNS = {"user_low", "user_high", "actor_id", "viewer_key"}


def _refers_to_a_person(table: Table) -> bool:
    for column in table.columns:
        if any(fk.column.table.name == "users" for fk in column.foreign_keys):
            return True
        if column.name.endswith("user_id") or column.name in UNLINKED_PERSON_COLUMNS:
            return True
    return False


def test_every_table_about_a_person_is_exported_erased_or_kept() -> None:
    assert registry.TASK_MODULES  # every area's models are imported with the registry
    declared: dict[str, str] = {}
    for area in personal_data.areas():
        for table in [*area.tables, *area.kept]:
            assert table not in declared, f"{table}: declared by {declared[table]} and {area.name}"
            declared[table] = area.name
    tables = Base.metadata.tables
    about_people = {
        name for name, table in tables.items() if name != "users" and _refers_to_a_person(table)
    }
    assert about_people - declared.keys() == set(), "no area exports, erases or keeps these"
    assert declared.keys() - tables.keys() == set(), "declared tables that do not exist"
    for area in personal_data.areas():
        for table, reason in area.kept.items():
            assert len(reason) > 10, f"{table}: say why it is kept"


def test_an_area_that_declares_tables_must_export_or_erase_them() -> None:
    with pytest.raises(ValueError, match="neither exports nor erases"):
        personal_data.register("nobody", tables={"ghost_table"})
    with pytest.raises(ValueError, match="already registered"):
        personal_data.register("availability", tables=set())
    assert "nobody" not in {area.name for area in personal_data.areas()}


async def test_two_areas_writing_one_section_is_refused(session: AsyncSession) -> None:
    async def also_profile(_session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, object]:
        return {"profile": user_id}

    personal_data.register("clash", tables=set(), export=also_profile)
    try:
        with pytest.raises(ValueError, match="another area did"):
            await personal_data.export_user(session, user_id=uuid.uuid4())
    finally:
        del personal_data._AREAS["clash"]
