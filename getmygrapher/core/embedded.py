"""Embedded PostgreSQL 18 (pg_trgm, btree_gist) for machines without a database server."""

from __future__ import annotations

import fcntl
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

DATABASE_NAME = "getmygrapher"


def start_embedded(data_dir: Path, *, database: str = DATABASE_NAME) -> tuple[Any, str]:
    """Start (or reuse) the server whose data lives in `data_dir/pg`; returns (server, URL).

    The server stops when the last process using it exits; its data stays for the next run.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back to /tmp.
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server  # a 40 MB import: only when needed

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Processes starting at once (test workers, two `make run`s) would otherwise both run
    # initdb on a fresh directory; one at a time, the second finds the first's server.
    with (data_dir / "pg.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _forget_dead_users(data_dir.resolve() / "pg")
        server = get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
        # `database` is our own constant or a test's name, never user input.
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    uri: str = server.get_uri(database)
    log.info("embedded_postgres_ready", data_dir=str(data_dir))
    return server, uri


def _forget_dead_users(pgdata: Path) -> None:
    """The server stops when its last user exits; a user killed without cleanup would keep it
    running forever, so drop processes that no longer exist from the list of users."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))
