"""Database enum helper: store an enum's values, not its member names."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def db_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(enum_class, name=name, values_callable=lambda members: [m.value for m in members])
