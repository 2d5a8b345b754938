"""The generated TypeScript client (clients/typescript) against the real app served by uvicorn on
127.0.0.1: its smoke script signs up, verifies, signs in and discovers nearby jobs in Node.

The verification mail lands in the fake mailbox, which Node cannot read: a tiny helper server
beside the app answers `GET /token?email=…` with the token of the last mail to that address
(404 until it has arrived), and the script polls it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from typer.testing import CliRunner

from getmygrapher.cli.main import app as cli
from getmygrapher.core.config import Settings
from getmygrapher.core.tasks import set_runtime
from getmygrapher.main import build_runtime, create_app
from tests.fakes.server import LocalServer
from tests.fakes.smtp import Mailbox

pytestmark = pytest.mark.live

CLIENT = Path(__file__).resolve().parents[1] / "clients" / "typescript"
TSC = CLIENT / "node_modules" / ".bin" / "tsc"


def _token_helper(mailbox: Mailbox) -> Starlette:
    async def token(request: Request) -> JSONResponse:
        mails = mailbox.to(request.query_params.get("email", ""))
        if not mails:
            return JSONResponse({"detail": "no mail yet"}, status_code=404)
        return JSONResponse({"token": mails[-1].token()})

    return Starlette(routes=[Route("/token", token)])


@pytest.fixture
def api_url(scratch_database_url: str, settings: Settings) -> Iterator[str]:
    """The real app with its worker (which sends the mail) on its own committed database."""
    runtime = build_runtime(settings, scratch_database_url)
    app = create_app(runtime, database_url=scratch_database_url, run_worker=True, owns_runtime=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            lifespan="on",
            log_config=None,
            access_log=False,
            ws="websockets-sansio",
        )
    )
    thread = threading.Thread(target=server.run, name="typescript-client-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the API server stopped while starting"
        assert time.monotonic() < deadline, "the API server did not start within 30 s"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        set_runtime(None)


@pytest.fixture
def token_url(mailbox: Mailbox) -> Iterator[str]:
    helper = LocalServer(_token_helper(mailbox)).start()
    yield f"{helper.url}/token"
    helper.stop()


def _compiled_smoke(out: Path) -> Path:
    """Node 20 runs no TypeScript: compile the client into `out`, beside its node_modules."""
    assert TSC.exists(), (
        f"{TSC} is missing: run `make clients/typescript/node_modules/.installed` (npm ci)"
    )
    compiled = subprocess.run(
        [str(TSC), "-p", str(CLIENT), "--noEmit", "false", "--outDir", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    (out / "package.json").write_text(json.dumps({"type": "module"}))
    (out / "node_modules").symlink_to(CLIENT / "node_modules", target_is_directory=True)
    return out / "smoke.js"


def test_the_typescript_client_signs_up_signs_in_and_discovers_jobs(
    api_url: str, token_url: str, tmp_path: Path
) -> None:
    node = shutil.which("node")
    assert node, "node is required for the TypeScript client test (it is on dev machines and CI)"
    smoke = _compiled_smoke(tmp_path / "dist")

    result = subprocess.run(
        [node, str(smoke)],
        env=os.environ | {"GETMYGRAPHER_BASE_URL": api_url, "GETMYGRAPHER_TOKEN_URL": token_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok discover nearby jobs (200)" in result.stdout, result.stdout


def test_the_openapi_command_prints_the_document_without_a_database(tmp_path: Path) -> None:
    target = tmp_path / "doc" / "openapi.json"
    runner = CliRunner()
    # Nothing listens on port 1: the document must not need the database.
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SMS_PROVIDER": "http"}

    written = runner.invoke(cli, ["openapi", "--output", str(target)], env=env)
    printed = runner.invoke(cli, ["openapi"], env=env)

    assert written.exit_code == 0, written.output
    assert printed.exit_code == 0, printed.output
    text = target.read_text(encoding="utf-8")
    assert printed.stdout == text
    assert text.endswith("}\n")
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert document["paths"]["/v1/jobs"]["get"]["operationId"] == "discover_jobs"
