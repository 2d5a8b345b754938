"""The `getmygrapher` command: serve, worker, migrate, seed, bench, create-admin, export-user,
delete-user, openapi."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from getmygrapher.core.config import Settings
from getmygrapher.core.logging import configure_logging

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="GetMyGrapher: the API server and its operations.",
)

T = TypeVar("T")


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _database_url(settings: Settings) -> tuple[str, Any]:
    """DATABASE_URL, or an embedded server under DATA_DIR (kept alive by the returned handle)."""
    if settings.database_url:
        return settings.database_url, None
    from getmygrapher.core.embedded import start_embedded

    server, url = start_embedded(settings.data_dir)
    return url, server


def _run(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(factory())


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Load demo data the first time.")] = False,
    worker: Annotated[bool, typer.Option(help="Run background jobs in this process.")] = True,
    host: Annotated[str | None, typer.Option(help="Defaults to HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to PORT.")] = None,
) -> None:
    """Start PostgreSQL if needed, apply migrations, and serve the API (Ctrl-C stops)."""
    import uvicorn

    from getmygrapher.core import migrate
    from getmygrapher.main import build_runtime, create_app

    settings = _settings()
    url, server = _database_url(settings)
    migrate.upgrade(url)
    if demo:
        from getmygrapher.cli.seed import seed_demo_once

        _run(lambda: seed_demo_once(settings, url))
    runtime = build_runtime(settings, url)
    application = create_app(
        runtime, database_url=url, run_worker=worker and settings.run_worker, owns_runtime=True
    )
    bind_host, bind_port = host or settings.host, port or settings.port
    sys.stderr.write(
        f"\nGetMyGrapher API on http://{bind_host}:{bind_port} "
        f"(docs at http://{bind_host}:{bind_port}/docs). Ctrl-C stops it.\n\n"
    )
    uvicorn.Server(
        uvicorn.Config(
            application,
            host=bind_host,
            port=bind_port,
            log_config=None,
            access_log=False,
            # Client frames are small JSON; the hub sends its own heartbeats.
            ws="websockets-sansio",
            ws_max_size=64 * 1024,
            proxy_headers=settings.trusted_proxy_hops > 0,
            timeout_graceful_shutdown=10,
        )
    ).run()
    del server  # the embedded database stops when this process exits; its data stays


@app.command()
def worker() -> None:
    """Run background jobs only (any number of these may run beside the API nodes)."""
    from getmygrapher.core import migrate
    from getmygrapher.core.tasks import build_worker_app, set_runtime
    from getmygrapher.main import build_runtime

    settings = _settings()
    url, server = _database_url(settings)
    migrate.upgrade(url)

    async def work() -> None:
        runtime = build_runtime(settings, url)
        set_runtime(runtime)
        worker_app = build_worker_app(url)
        try:
            async with worker_app.open_async():
                await worker_app.run_worker_async(
                    concurrency=settings.worker_concurrency, delete_jobs="successful"
                )
        finally:
            await runtime.aclose()

    _run(work)
    del server


@app.command("migrate")
def migrate_command(
    check: Annotated[bool, typer.Option(help="Fail if models and migrations disagree.")] = False,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations (or check that none is missing)."""
    from getmygrapher.core import migrate

    settings = _settings()
    url, server = _database_url(settings)
    if check:
        # The round trip drops every table: it runs on a scratch database, never on `url`.
        with migrate.scratch_database(url, "getmygrapher_migrate_check") as scratch:
            migrate.upgrade(scratch)
            migrate.check(scratch)
            migrate.downgrade(scratch, "base")
            migrate.upgrade(scratch)
        typer.echo("migrations: upgrade, check, downgrade and upgrade again all pass")
    else:
        migrate.upgrade(url, revision)
        typer.echo(f"migrated to {revision}")
    del server


@app.command()
def seed(
    demo: Annotated[bool, typer.Option(help="A few hundred realistic accounts and jobs.")] = False,
    count: Annotated[int, typer.Option(help="How many demo accounts.")] = 300,
    scale: Annotated[
        int | None,
        typer.Option(min=1, max=10_000_000, help="Load this many synthetic jobs with COPY."),
    ] = None,
) -> None:
    """Load demo data (--demo) or a large synthetic data set (--scale N)."""
    if not demo and scale is None:
        raise typer.BadParameter("choose what to seed: --demo or --scale N")
    from getmygrapher.core import migrate

    settings = _settings()
    url, server = _database_url(settings)
    migrate.upgrade(url)
    if demo:
        from getmygrapher.cli.seed import seed_demo

        created = _run(lambda: seed_demo(settings, url, count=count))
        typer.echo(f"seeded {created} demo accounts and their jobs")
    if scale is not None:
        from getmygrapher.cli.seed import seed_scale

        loaded = _run(lambda: seed_scale(url, jobs=scale))
        typer.echo(f"loaded {loaded} synthetic jobs")
    del server


@app.command()
def bench(
    jobs: Annotated[int, typer.Option(min=1_000, help="Jobs in the data set.")] = 1_000_000,
    professionals: Annotated[int, typer.Option(min=100, help="Professionals.")] = 200_000,
    requests: Annotated[int, typer.Option(min=10, max=10_000, help="Per scenario.")] = 300,
    naive_requests: Annotated[int, typer.Option(min=1, max=100, help="Per naive query.")] = 10,
    concurrent_requests: Annotated[
        int, typer.Option(min=16, max=100_000, help="In the 16-client throughput run.")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the data and the questions.")] = 2026,
    output: Annotated[Path, typer.Option(help="Where the JSON goes.")] = Path(
        "var/bench/results.json"
    ),
    only: Annotated[
        str | None,
        typer.Option(help="Run one part: `discovery`, `messaging` or `calendar`."),
    ] = None,
    conversations: Annotated[
        int, typer.Option(min=10, max=100_000, help="Of the messaging member.")
    ] = 2_000,
    sockets: Annotated[
        int, typer.Option(min=10, max=10_000, help="Connected while sends are timed.")
    ] = 1_000,
    idle_sockets: Annotated[
        int, typer.Option(min=10, max=50_000, help="Held open on one node.")
    ] = 10_000,
    hold_seconds: Annotated[
        float, typer.Option(min=1, max=600, help="How long the idle sockets are held.")
    ] = 35.0,
) -> None:
    """Measure discovery, messaging and calendars at scale on a scratch database (then dropped)."""
    from getmygrapher.cli import bench as benchmark
    from getmygrapher.cli.bench_calendar import CalendarOptions
    from getmygrapher.cli.bench_messaging import MessagingOptions

    if only not in {None, "discovery", "messaging", "calendar"}:
        raise typer.BadParameter("`discovery`, `messaging` or `calendar`", param_hint="--only")
    settings = _settings()
    url, server = _database_url(settings)
    chat = MessagingOptions(
        conversations=conversations,
        live_sockets=sockets,
        idle_sockets=max(idle_sockets, sockets),
        sends=requests,
        requests=requests,
        hold_seconds=hold_seconds,
        seed=seed,
    )
    options = benchmark.Options(
        discovery=only in {None, "discovery"},
        messaging=only in {None, "messaging"},
        jobs=jobs,
        professionals=professionals,
        clients=max(100, jobs // 50),
        requests=requests,
        naive_requests=naive_requests,
        concurrent_requests=concurrent_requests,
        seed=seed,
        output=output,
    )
    calendar = CalendarOptions(professionals=professionals, requests=requests, seed=seed)
    benchmark.run(
        settings,
        url,
        options,
        chat=chat if options.messaging else None,
        calendar=calendar if only in {None, "calendar"} else None,
    )
    del server


@app.command("export-user")
def export_user(email: Annotated[str, typer.Option(help="The account's e-mail address.")]) -> None:
    """Print everything an account has given us as JSON (DATA-1, for support requests)."""
    from getmygrapher.core import migrate

    settings = _settings()
    url, server = _database_url(settings)
    migrate.upgrade(url)

    async def gather() -> dict[str, Any] | None:
        from fastapi.encoders import jsonable_encoder
        from sqlalchemy import text

        from getmygrapher.main import build_runtime
        from getmygrapher.privacy import service as privacy_service

        runtime = build_runtime(settings, url)
        try:
            async with runtime.sessionmaker() as session:
                user_id = await session.scalar(
                    text("SELECT id FROM users WHERE email = :email"),
                    {"email": email.strip().lower()},
                )
                if user_id is None:
                    return None
                found: dict[str, Any] = jsonable_encoder(
                    await privacy_service.export_user(session, user_id=user_id)
                )
                return found
        finally:
            await runtime.aclose()

    data = _run(gather)
    if data is None:
        raise typer.Exit(code=1)
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    del server


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str | None, typer.Option(help="Full name.")] = None,
) -> None:
    """Create (or promote) an admin; the password comes from ADMIN_PASSWORD or a prompt."""
    from pydantic import TypeAdapter, ValidationError

    from getmygrapher.accounts.schemas import Email, Password
    from getmygrapher.core import migrate

    password = os.environ.get("ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        email = TypeAdapter(Email).validate_python(email)
        TypeAdapter(Password).validate_python(password)
    except ValidationError as error:
        raise typer.BadParameter(error.errors()[0]["msg"]) from None
    settings = _settings()
    url, server = _database_url(settings)
    migrate.upgrade(url)

    async def make() -> bool:
        from getmygrapher.accounts import service as accounts_service
        from getmygrapher.core.db import transaction
        from getmygrapher.main import build_runtime

        runtime = build_runtime(settings, url)
        try:
            async with transaction(runtime.sessionmaker) as session:
                ctx = accounts_service.AuthContext.of(runtime)
                _, created = await accounts_service.create_admin(
                    session, ctx, email=email, password=password, full_name=name
                )
                return created
        finally:
            await runtime.aclose()

    created = _run(make)
    typer.echo(
        f"admin {'created' if created else 'promoted'}: {email}. "
        "Sign in and enrol TOTP (POST /v1/me/totp) before using admin endpoints."
    )
    del server


@app.command("delete-user")
def delete_user(email: Annotated[str, typer.Option(help="The account's e-mail address.")]) -> None:
    """Erase an account at once (support requests), skipping the cooling-off period."""
    from getmygrapher.core import migrate

    settings = _settings()
    url, server = _database_url(settings)
    migrate.upgrade(url)

    async def erase() -> bool:
        from sqlalchemy import text

        from getmygrapher.accounts import service as accounts_service
        from getmygrapher.core.db import transaction
        from getmygrapher.main import build_runtime

        runtime = build_runtime(settings, url.strip())
        try:
            async with transaction(runtime.sessionmaker) as session:
                user_id = await session.scalar(
                    text(
                        "UPDATE users SET status = 'pending_deletion', "
                        "deletion_requested_at = now() - interval '3650 days' "
                        "WHERE email = :email AND status <> 'deleted' RETURNING id"
                    ),
                    {"email": email.strip().lower()},
                )
                if user_id is None:
                    return False
                ctx = accounts_service.AuthContext.of(runtime)
                return await accounts_service.purge_account(session, ctx, user_id=user_id)
        finally:
            await runtime.aclose()

    if not _run(erase):
        raise typer.Exit(code=1)
    typer.echo("erased")
    del server


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option(help="Write the document here instead of to stdout.")
    ] = None,
) -> None:
    """Print the API's OpenAPI document as JSON (no database needed: nothing connects)."""
    from getmygrapher.main import build_runtime, create_app

    # The document depends only on the routes. These settings keep the build free of side
    # effects whatever the environment says: no secret file, no gateway, no broker, and the
    # pools' URL is never dialled (SQLAlchemy and the broker connect on first use).
    settings = Settings(
        environment="development",
        secret_key="openapi-document-only-never-signs-anything",  # noqa: S106  # signs nothing
        sms_provider="console",
        captcha_verify_url=None,
        realtime_broker=None,
        storage_url=None,
    )
    runtime = build_runtime(settings, "postgresql://openapi@127.0.0.1:1/openapi")
    try:
        document = create_app(runtime).openapi()
    finally:
        _run(runtime.aclose)
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
