"""PostgreSQL's built-in `point`: stored as (lng, lat), indexed with GiST (DESIGN.md §4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.types import UserDefinedType


class Point(UserDefinedType[Any]):
    """Written only by the database (a generated column); never read into Python."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "point"


# Let reflection (Alembic's model comparison) recognise the column type.
ischema_names["point"] = Point
