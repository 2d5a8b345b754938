"""Test harness: a migrated PostgreSQL per xdist worker, a rolled-back transaction per test,
the real app over httpx, and local stand-ins for the providers we do not run."""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import APIRouter
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from getmygrapher.core import migrate
from getmygrapher.core.captcha import Captcha, NoCaptcha, SiteVerifyCaptcha
from getmygrapher.core.config import Settings
from getmygrapher.core.db import create_engine, to_libpq_url
from getmygrapher.core.mail import SmtpMailer
from getmygrapher.core.ratelimit import RateLimiter
from getmygrapher.core.realtime import PostgresBroker
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.sms import HttpSms
from getmygrapher.core.storage import LocalStorage
from getmygrapher.core.tasks import set_runtime
from getmygrapher.main import create_app, include_api
from tests.fakes.gateways import CAPTCHA_SECRET, SMS_KEY, CaptchaService, SmsGateway
from tests.fakes.google import CLIENT_ID, CLIENT_SECRET, FakeGoogle
from tests.fakes.razorpay import KEY_ID as RAZORPAY_KEY_ID
from tests.fakes.razorpay import KEY_SECRET as RAZORPAY_KEY_SECRET
from tests.fakes.razorpay import WEBHOOK_SECRET as RAZORPAY_WEBHOOK_SECRET
from tests.fakes.razorpay import FakeRazorpay
from tests.fakes.server import LocalServer
from tests.fakes.smtp import Mailbox

ROOT = Path(__file__).resolve().parents[1]


# The database ------------------------------------------------------------------------------------


def _migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def _admin_url() -> tuple[str, Any]:
    """A URL on the server the tests may create databases on, and the embedded handle if any."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        return external, None
    from getmygrapher.core.embedded import start_embedded

    server, url = start_embedded(ROOT / "var" / "test", database="postgres")
    return url, server


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(to_libpq_url(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def database_url(worker_id: str) -> Iterator[str]:
    admin_url, server = _admin_url()
    template = f"gmg_template_{_migrations_fingerprint()}"
    lock_path = ROOT / "var" / "test-template.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        lock_path.open("w") as lock,
        psycopg.connect(to_libpq_url(admin_url), autocommit=True) as admin,
    ):
        fcntl.flock(lock, fcntl.LOCK_EX)
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
        ).fetchone()
        if not exists:
            building = f"{template}_building"
            admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{building}"')
            migrate.upgrade(_with_database(admin_url, building))
            admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        fcntl.flock(lock, fcntl.LOCK_UN)
        # The process id keeps two runs on one server (two checkouts, say) apart.
        name = f"gmg_test_{worker_id}_{os.getpid()}"
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(admin_url, name)
    with psycopg.connect(to_libpq_url(admin_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    del server


@pytest.fixture(scope="session")
def scratch_database_url(database_url: str) -> Iterator[str]:
    """A second migrated database of this worker's, for apps that commit for real and keep
    running in the background (the contract fuzzer's), so no other test sees their rows."""
    admin_url, server = _admin_url()
    name = f"gmg_scratch_{os.getpid()}"
    template = f"gmg_template_{_migrations_fingerprint()}"
    with psycopg.connect(to_libpq_url(admin_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(admin_url, name)
    with psycopg.connect(to_libpq_url(admin_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    del server


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def limiter_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Rate-limit counters commit on their own pool, as in the app."""
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


def _savepoint_sessionmaker(
    connection: AsyncConnection, *, session_class: type[Session] = Session
) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        sync_session_class=session_class,
    )


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """For factories and assertions: sees what the app committed inside this test."""
    async with _savepoint_sessionmaker(connection)() as session:
        yield session


# Providers we do not run -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()
    server = LocalServer(gateway.app).start()
    gateway.url = server.url  # type: ignore[attr-defined]
    yield gateway
    server.stop()


@pytest.fixture(scope="session")
def google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle()
    server = LocalServer(fake.app).start()
    fake.url = server.url  # type: ignore[attr-defined]
    yield fake
    server.stop()


@pytest.fixture(scope="session")
def razorpay_server() -> Iterator[FakeRazorpay]:
    fake = FakeRazorpay()
    server = LocalServer(fake.app).start()
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
def razorpay(razorpay_server: FakeRazorpay) -> FakeRazorpay:
    """The fake Razorpay, emptied for this test."""
    razorpay_server.reset()
    return razorpay_server


@pytest.fixture(scope="session")
def captcha_service() -> Iterator[CaptchaService]:
    service = CaptchaService()
    server = LocalServer(service.app).start()
    service.url = server.url  # type: ignore[attr-defined]
    yield service
    server.stop()


# The app -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def settings(
    mailbox: Mailbox, sms_gateway: SmsGateway, google: FakeGoogle, razorpay_server: FakeRazorpay
) -> Settings:
    return Settings(
        environment="test",
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        data_dir=ROOT / "var" / "test",
        public_base_url="http://test",
        password_hash_time_cost=1,
        password_hash_memory_kib=8,
        smtp_url=mailbox.url,
        sms_provider="http",
        sms_http_url=f"{sms_gateway.url}/send",  # type: ignore[attr-defined]
        sms_api_key=SMS_KEY,
        google_client_id=CLIENT_ID,
        google_client_secret=CLIENT_SECRET,
        google_redirect_uri="https://app.getmygrapher.in/auth/google/callback",
        google_jwks_url=f"{google.url}/certs",  # type: ignore[attr-defined]
        google_token_url=f"{google.url}/token",  # type: ignore[attr-defined]
        google_auth_url="https://accounts.google.com/o/oauth2/v2/auth",
        razorpay_key_id=RAZORPAY_KEY_ID,
        razorpay_key_secret=RAZORPAY_KEY_SECRET,
        razorpay_webhook_secret=RAZORPAY_WEBHOOK_SECRET,
        razorpay_base_url=razorpay_server.url,
    )


class Harness:
    """Builds runtimes and API clients for one test; everything it opens, it closes."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        mailbox: Mailbox,
        sms_gateway: SmsGateway,
        media_root: Path,
        limiter_engine: AsyncEngine,
    ) -> None:
        self.settings, self.engine, self.limiter_engine = settings, engine, limiter_engine
        self.storage = LocalStorage(media_root, base_url=settings.base_url, secret=settings.secret)
        self.mailbox, self.sms_gateway = mailbox, sms_gateway
        self.namespace = f"t{uuid.uuid4().hex[:12]}:"
        self.clients: list[httpx.AsyncClient] = []

    def runtime(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        captcha: Captcha | None = None,
        settings: Settings | None = None,
    ) -> Runtime:
        settings = settings or self.settings
        http = httpx.AsyncClient(timeout=10)
        mailer = SmtpMailer(settings.smtp_url or "", sender=settings.mail_from)
        sms = HttpSms(
            http,
            url=settings.sms_http_url or "",
            api_key=SMS_KEY,
            sender_id="GMGRPH",
            entity_id="1201",
            template_id="1207",
        )
        runtime = Runtime(
            settings=settings,
            sessionmaker=sessionmaker,
            mailer=mailer,
            sms=sms,
            captcha=captcha or NoCaptcha(),
            rate_limiter=RateLimiter(self.limiter_engine, namespace=self.namespace),
            http=http,
            storage=self.storage,
            broker=PostgresBroker(self.engine.url.render_as_string(hide_password=False)),
        )
        set_runtime(runtime)
        return runtime

    def client(self, runtime: Runtime, *routers: APIRouter) -> httpx.AsyncClient:
        app = create_app(runtime)
        for router in routers:
            include_api(app, router)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://test",
        )
        self.clients.append(client)
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()
        set_runtime(None)


@pytest.fixture
async def harness(
    settings: Settings,
    engine: AsyncEngine,
    mailbox: Mailbox,
    sms_gateway: SmsGateway,
    tmp_path: Path,
    limiter_engine: AsyncEngine,
) -> AsyncIterator[Harness]:
    mailbox.clear()
    sms_gateway.clear()
    harness = Harness(settings, engine, mailbox, sms_gateway, tmp_path / "media", limiter_engine)
    yield harness
    await harness.close()


@pytest.fixture
def runtime(harness: Harness, connection: AsyncConnection) -> Runtime:
    return harness.runtime(_savepoint_sessionmaker(connection))


@pytest.fixture
def api(harness: Harness, runtime: Runtime) -> httpx.AsyncClient:
    """The real app; its unit of work commits into this test's rolled-back transaction."""
    return harness.client(runtime)


@pytest.fixture
def probe_api(harness: Harness, runtime: Runtime) -> httpx.AsyncClient:
    """The app plus a test-only router that drives the core building blocks."""
    from tests.core.probe import router

    return harness.client(runtime, router)


@pytest.fixture
def captcha_api(
    harness: Harness, connection: AsyncConnection, captcha_service: CaptchaService
) -> httpx.AsyncClient:
    captcha = SiteVerifyCaptcha(
        httpx.AsyncClient(timeout=5),
        verify_url=f"{captcha_service.url}/siteverify",  # type: ignore[attr-defined]
        secret=CAPTCHA_SECRET,
    )
    return harness.client(harness.runtime(_savepoint_sessionmaker(connection), captcha=captcha))


class _FailingCommitSession(Session):
    pass


@event.listens_for(_FailingCommitSession, "before_commit")
def _refuse_commit(session: Session) -> None:
    raise OperationalError("COMMIT", {}, Exception("the database went away"))


@pytest.fixture
def failing_api(harness: Harness, connection: AsyncConnection) -> httpx.AsyncClient:
    """The app whose every commit fails, as when the database drops mid-request."""
    maker = _savepoint_sessionmaker(connection, session_class=_FailingCommitSession)
    return harness.client(harness.runtime(maker))


# Committed (live) database, for tests of parallel requests -------------------------------------

APP_TABLES_SQL = """
SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables
WHERE schemaname = current_schema()
  AND tablename NOT IN ('alembic_version', 'plan_features', 'plan_prices')
"""


@pytest.fixture
async def live(harness: Harness, engine: AsyncEngine) -> AsyncIterator[LiveDatabase]:
    """Real commits on separate connections; every table but the reference data (plans) is
    emptied afterwards."""
    live = LiveDatabase(harness, engine)
    yield live
    async with engine.begin() as connection:
        tables = await connection.scalar(text(APP_TABLES_SQL))
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
        # The fake Razorpay forgets its plans between tests; so must the price table.
        await connection.execute(text("UPDATE plan_prices SET provider_plan_id = NULL"))


class LiveDatabase:
    def __init__(self, harness: Harness, engine: AsyncEngine) -> None:
        from tests.core.probe import router

        self.harness, self.engine = harness, engine
        self.sessionmaker = async_sessionmaker(bind=engine, expire_on_commit=False)
        self.runtime = harness.runtime(self.sessionmaker)
        self.api = harness.client(self.runtime, router)

    def configure(self, **overrides: Any) -> None:
        """Rebuild the app with other settings (limits, proxies) for one test."""
        from tests.core.probe import router

        settings = self.harness.settings.model_copy(update=overrides)
        self.runtime = self.harness.runtime(self.sessionmaker, settings=settings)
        self.api = self.harness.client(self.runtime, router)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as connection:
            return await connection.scalar(text(sql), params)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("TZ", "UTC")
