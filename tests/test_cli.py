"""The `getmygrapher` command, run as a real process against the test database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveDatabase
from tests.fakes.smtp import Mailbox

pytestmark = pytest.mark.live


def _run(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "getmygrapher.cli", *args],
        env=os.environ
        | {
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "cli-test-secret-cli-test-secret-0123",
            "PASSWORD_HASH_MEMORY_KIB": "8",
            "PASSWORD_HASH_TIME_COST": "1",
        }
        | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_admin_makes_a_verified_admin(database_url: str, live: LiveDatabase) -> None:
    result = _run(
        database_url,
        "create-admin",
        "--email",
        "Root@GetMyGrapher.in",
        "--name",
        "Site Admin",
        ADMIN_PASSWORD="Admin-pass-2026",
    )

    assert result.returncode == 0, result.stderr
    assert "admin created: root@getmygrapher.in" in result.stdout
    again = _run(
        database_url,
        "create-admin",
        "--email",
        "root@getmygrapher.in",
        ADMIN_PASSWORD="Other-admin-2027",
    )
    assert "admin promoted" in again.stdout


def test_create_admin_refuses_a_weak_password(database_url: str, live: LiveDatabase) -> None:
    result = _run(
        database_url, "create-admin", "--email", "root@getmygrapher.in", ADMIN_PASSWORD="password"
    )
    assert result.returncode != 0


def test_seed_demo_accounts_and_delete_one(database_url: str, live: LiveDatabase) -> None:
    seeded = _run(database_url, "seed", "--demo", "--count", "7")
    again = _run(database_url, "seed", "--demo", "--count", "7")
    erased = _run(database_url, "delete-user", "--email", "user0003@demo.getmygrapher.in")
    missing = _run(database_url, "delete-user", "--email", "nobody@example.in")

    assert "seeded 7 demo accounts" in seeded.stdout, seeded.stderr
    assert "seeded 0 demo accounts" in again.stdout
    assert erased.returncode == 0
    assert "erased" in erased.stdout
    assert missing.returncode == 1


async def test_seed_demo_posts_open_jobs_around_cities(
    database_url: str, live: LiveDatabase
) -> None:
    seeded = _run(database_url, "seed", "--demo", "--count", "3")
    again = _run(database_url, "seed", "--demo", "--count", "3")

    assert seeded.returncode == 0, seeded.stderr
    assert again.returncode == 0, again.stderr
    assert await live.scalar("SELECT count(*) FROM jobs") == 400
    assert (
        await live.scalar(
            "SELECT count(*) FROM jobs WHERE status = 'active' "
            "AND applications_close_at > now() AND search_vector IS NOT NULL"
        )
        == 400
    )
    assert await live.scalar("SELECT count(DISTINCT city) FROM jobs") > 20
    found = (await live.api.get("/v1/jobs", params={"pin_code": "400001"})).json()
    assert found["items"]
    assert all(item["distance_km"] <= 25 for item in found["items"])


async def test_seed_scale_loads_jobs_with_copy(database_url: str, live: LiveDatabase) -> None:
    loaded = _run(database_url, "seed", "--scale", "2500")
    more = _run(database_url, "seed", "--scale", "500")
    nothing = _run(database_url, "seed")

    assert "loaded 2500 synthetic jobs" in loaded.stdout, loaded.stderr
    assert "loaded 500 synthetic jobs" in more.stdout, more.stderr
    assert nothing.returncode != 0
    assert await live.scalar("SELECT count(*) FROM jobs") == 3000
    assert await live.scalar("SELECT count(*) FROM profiles WHERE lat IS NOT NULL") == 600
    assert (
        await live.scalar(
            "SELECT count(*) FROM jobs WHERE lat BETWEEN 6 AND 37.6 AND lng BETWEEN 68 AND 97.5"
        )
        == 3000
    )


async def test_export_user_prints_the_accounts_data(database_url: str, live: LiveDatabase) -> None:
    _run(database_url, "seed", "--demo", "--count", "2")

    exported = _run(database_url, "export-user", "--email", "client0001@demo.getmygrapher.in")
    missing = _run(database_url, "export-user", "--email", "nobody@example.in")

    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["account"]["email"] == "client0001@demo.getmygrapher.in"
    assert len(data["jobs"]) >= 1
    assert missing.returncode == 1


async def test_bench_measures_every_scenario_and_writes_json(
    database_url: str, live: LiveDatabase, tmp_path: Path
) -> None:
    output = tmp_path / "bench.json"
    result = _run(
        database_url,
        "bench",
        "--jobs",
        "3000",
        "--professionals",
        "300",
        "--requests",
        "10",
        "--naive-requests",
        "2",
        "--concurrent-requests",
        "32",
        "--conversations",
        "20",
        "--sockets",
        "10",
        "--idle-sockets",
        "30",
        "--hold-seconds",
        "1",
        "--output",
        str(output),
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(output.read_text())
    kinds = {(item["kind"], item["name"]) for item in report["results"]}
    assert ("http", "nearby 25 km") in kinds
    assert ("http", "search, no location") in kinds
    assert ("http", "public profile read") in kinds
    assert ("sql", "nearby 500 km") in kinds
    assert ("naive", "search, no location") in kinds
    assert {
        ("http", "calendar month"),
        ("http", "booking request"),
        ("http", "year-long pattern applied"),
    } <= kinds
    assert ("http", "conversation list, 20 conversations") in kinds
    assert ("http", "first page of a conversation's messages") in kinds
    assert ("ws", "send → delivery, 10 sockets") in kinds
    assert ("ws", "send → delivery, 30 sockets") in kinds
    assert report["idle_sockets"]["opened"] == report["idle_sockets"]["open_after_hold"] == 30
    pages = [i for i in report["results"] if i["name"].startswith("first page")]
    assert pages[0]["mean_rows"] == 6  # every seeded message of the conversation
    assert all(item["samples"] > 0 for item in report["results"])
    assert set(report["speedup_vs_naive"]) == {
        "nearby 25 km",
        "nearby 500 km",
        "search 100 km",
        "search, no location",
    }
    assert "GetMyGrapher benchmark" in result.stdout
    gone = await live.scalar(
        "SELECT count(*) FROM pg_database WHERE datname = 'getmygrapher_bench'"
    )
    assert gone == 0  # the scratch database is dropped afterwards


def test_migrate_is_idempotent(database_url: str, live: LiveDatabase) -> None:
    result = _run(database_url, "migrate")
    assert result.returncode == 0, result.stderr
    assert "migrated to head" in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(database_url: str, live: LiveDatabase, mailbox: Mailbox) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "getmygrapher.cli", "serve"],
        env=os.environ
        | {
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "SMTP_URL": mailbox.url,
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "serve-test-secret-serve-test-secret-01",
            "PASSWORD_HASH_MEMORY_KIB": "8",
            "PASSWORD_HASH_TIME_COST": "1",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(process.stderr.read() if process.stderr else "no output")
        time.sleep(0.2)
    yield url
    process.send_signal(signal.SIGINT)  # as Ctrl-C: a clean shutdown
    assert process.wait(timeout=30) in {0, 130}  # 130: ended by SIGINT, after a clean shutdown


def test_serve_answers_and_its_worker_sends_mail(server: str, mailbox: Mailbox) -> None:
    signed_up = httpx.post(
        f"{server}/v1/auth/signup",
        json={"email": "served@example.in", "password": "Served-pass-2026"},
        timeout=10,
    )

    assert signed_up.status_code == 202
    mail = mailbox.last("served@example.in", timeout=30)
    assert mail.subject.startswith("Verify your e-mail")
    verified = httpx.get(
        f"{server}/v1/auth/verify-email", params={"token": mail.token()}, timeout=10
    )
    assert verified.status_code == 200
    assert httpx.get(f"{server}/docs", timeout=10).status_code == 200
