"""Apply and check the Alembic migrations from code (the CLI, the server start, the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command
from alembic.config import Config

from getmygrapher.core.db import to_libpq_url, to_sqlalchemy_url

ROOT = Path(__file__).resolve().parents[2]


def sync_url(url: str) -> str:
    return to_sqlalchemy_url(url).replace("postgresql+asyncpg://", "postgresql+psycopg://", 1)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(database_url))


@contextmanager
def scratch_database(url: str, name: str) -> Iterator[str]:
    """A fresh, empty database beside the one at `url`, dropped afterwards."""
    libpq = to_libpq_url(url)
    scratch = urlunsplit(urlsplit(libpq)._replace(path=f"/{name}"))
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield scratch
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
