"""Real servers and real websocket clients for realtime tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app on 127.0.0.1 in this event loop, with its lifespan (and so its hub)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_config=None, ws="websockets-sansio"
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    await asyncio.wait_for(app.state.hub.listening.wait(), 10)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


class Socket:
    """One device's connection: frames as dicts, pings skipped unless asked for."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.ready: dict[str, Any] = {}

    @classmethod
    async def open(
        cls, host: str, token: str, last_seq: int | None = None, expect_ready: bool = True
    ) -> Socket:
        connection = await connect(f"ws://{host}/v1/realtime", open_timeout=5)
        first: dict[str, Any] = {"type": "auth", "token": token}
        if last_seq is not None:
            first["last_seq"] = last_seq
        await connection.send(json.dumps(first))
        socket_ = cls(connection)
        if expect_ready:
            socket_.ready = await socket_.next("ready")
        return socket_

    async def next(self, kind: str | None = None, *, within: float = 5) -> dict[str, Any]:
        """The next frame of this kind (or any but a ping)."""
        async with asyncio.timeout(within):
            while True:
                frame = json.loads(await self.connection.recv())
                if frame["type"] == "ping" and kind != "ping":
                    continue
                if kind is None or frame["type"] == kind:
                    return dict(frame)

    async def quiet(self, seconds: float = 0.5, kind: str | None = None) -> list[dict[str, Any]]:
        """Frames (but pings) arriving within `seconds`, of one kind if given."""
        found = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    frame = json.loads(await self.connection.recv())
                    if frame["type"] != "ping" and (kind is None or frame["type"] == kind):
                        found.append(frame)
        return found

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(frame))

    async def closed_with(self, within: float = 5) -> int | None:
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(within):
                while True:
                    await self.connection.recv()
        return self.connection.close_code

    async def close(self) -> None:
        await self.connection.close()


@contextlib.asynccontextmanager
async def spawned(database_url: str, data_dir: Path, **environment: str) -> AsyncIterator[str]:
    """The real `getmygrapher serve` in its own process on 127.0.0.1, ready once /readyz
    says the database answers and realtime follows its broker."""
    port = free_port()
    log = data_dir / f"serve-{port}.log"
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "RUN_WORKER": "false",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "3",
        **environment,
    }
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "getmygrapher.cli",
            "serve",
            "--no-worker",
            env=env,
            stdout=output,
            stderr=output,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                if process.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"server did not become ready:\n{log.read_text()}")
        if process.returncode is not None:
            raise AssertionError(f"server exited:\n{log.read_text()}")
        yield f"127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
