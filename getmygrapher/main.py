"""The application: routers, error handlers, middleware and the shared runtime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import APIRouter, Depends, FastAPI

from getmygrapher import registry
from getmygrapher.accounts import service as accounts_service
from getmygrapher.accounts.routes import admin_router, auth_router, me_router
from getmygrapher.analytics.routes import router as analytics_router
from getmygrapher.availability.routes import (
    bookings_router,
    calendar_router,
    patterns_router,
    sharing_router,
)
from getmygrapher.billing.routes import (
    admin_billing_router,
    billing_router,
    me_billing_router,
    webhook_router,
)
from getmygrapher.contacts.routes import router as contacts_router
from getmygrapher.core import health
from getmygrapher.core.captcha import Captcha, NoCaptcha, SiteVerifyCaptcha
from getmygrapher.core.config import Settings
from getmygrapher.core.db import create_engine, create_sessionmaker
from getmygrapher.core.errors import install_error_handlers
from getmygrapher.core.http import Metrics, RequestContextMiddleware, require_declared_media_type
from getmygrapher.core.mail import ConsoleMailer, Mailer, SmtpMailer
from getmygrapher.core.openapi import install_openapi
from getmygrapher.core.ratelimit import RateLimiter, limit_writes
from getmygrapher.core.realtime import Hub, broker_from_settings
from getmygrapher.core.realtime import router as realtime_router
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import TokenSigner
from getmygrapher.core.sms import ConsoleSms, HttpSms, SmsSender
from getmygrapher.core.storage import media_router, storage_from_settings
from getmygrapher.core.tasks import build_worker_app, set_runtime
from getmygrapher.jobs.routes import moderation_jobs_router
from getmygrapher.jobs.routes import router as jobs_router
from getmygrapher.messaging.routes import router as messaging_router
from getmygrapher.notifications.routes import me_router as chat_settings_router
from getmygrapher.notifications.routes import router as notifications_router
from getmygrapher.privacy.routes import router as privacy_router
from getmygrapher.profiles.routes import (
    me_profile_router,
    moderation_profiles_router,
    onboarding_router,
    profiles_router,
    reference_router,
)

log = structlog.get_logger(__name__)

# Importing the registry registers every task and model.
REGISTERED = registry.TASK_MODULES


def build_runtime(settings: Settings, database_url: str) -> Runtime:
    """Everything the app and its tasks share, built from configuration."""
    engine = create_engine(database_url, pool_size=settings.db_pool_size)
    limiter_engine = create_engine(database_url, pool_size=4)
    http = httpx.AsyncClient(timeout=10, follow_redirects=False)
    mailer: Mailer = (
        ConsoleMailer()
        if settings.smtp_url is None
        else SmtpMailer(
            settings.smtp_url, sender=settings.mail_from, starttls=settings.smtp_starttls
        )
    )
    sms: SmsSender = ConsoleSms()
    if settings.sms_provider == "http":
        if not settings.sms_http_url or settings.sms_api_key is None:
            raise RuntimeError("SMS_PROVIDER=http needs SMS_HTTP_URL and SMS_API_KEY")
        sms = HttpSms(
            http,
            url=settings.sms_http_url,
            api_key=settings.sms_api_key.get_secret_value(),
            sender_id=settings.sms_sender_id,
            entity_id=settings.sms_dlt_entity_id,
            template_id=settings.sms_dlt_template_id,
        )
    captcha: Captcha = NoCaptcha()
    if settings.captcha_verify_url and settings.captcha_secret is not None:
        captcha = SiteVerifyCaptcha(
            http,
            verify_url=settings.captcha_verify_url,
            secret=settings.captcha_secret.get_secret_value(),
        )
    broker = broker_from_settings(settings.realtime_broker, database_url)
    return Runtime(
        settings=settings,
        sessionmaker=create_sessionmaker(engine, info={"realtime_broker": broker}),
        broker=broker,
        mailer=mailer,
        sms=sms,
        captcha=captcha,
        # Counters get their own small pool: a request that holds a session connection must
        # never wait for the pool it is itself exhausting.
        rate_limiter=RateLimiter(limiter_engine),
        http=http,
        storage=storage_from_settings(settings),
        engines=[engine, limiter_engine],
    )


def include_api(app: FastAPI, router: APIRouter) -> None:
    """HTTP routes come with the per-user write limit (GEN-7) and refuse bodies of a type
    they do not read."""
    app.include_router(
        router, dependencies=[Depends(require_declared_media_type), Depends(limit_writes)]
    )


def create_app(
    runtime: Runtime,
    *,
    database_url: str | None = None,
    run_worker: bool = False,
    owns_runtime: bool = False,
) -> FastAPI:
    """The API. With `run_worker` (and the database URL), background jobs run in this process."""
    settings = runtime.settings

    hub = Hub(
        runtime.broker,
        runtime.sessionmaker,
        queue_size=settings.realtime_queue_size,
        heartbeat_seconds=settings.realtime_heartbeat_seconds,
    )
    registry.install_realtime(hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        set_runtime(runtime)
        await hub.start()
        worker: asyncio.Task[None] | None = None
        if run_worker and database_url:
            worker_app = build_worker_app(database_url)
            await worker_app.open_async()
            worker = asyncio.create_task(
                worker_app.run_worker_async(
                    concurrency=settings.worker_concurrency,
                    install_signal_handlers=False,
                    delete_jobs="successful",
                    shutdown_graceful_timeout=10,
                )
            )
        try:
            yield
        finally:
            await hub.aclose()
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                await worker_app.close_async()
            if owns_runtime:
                await runtime.aclose()

    app = FastAPI(
        title="GetMyGrapher API",
        version="1.0.0",
        summary="Marketplace and network for India's creative professionals.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.hub = hub
    app.state.sessionmaker = runtime.sessionmaker
    app.state.token_signer = TokenSigner(settings)
    app.state.principal_loader = accounts_service.load_principal
    app.state.metrics = Metrics()
    install_error_handlers(app)
    app.include_router(realtime_router)  # a socket is not a write; its frames are throttled inside
    for router in (
        health.router,
        # The busiest path first: routes are matched in order.
        jobs_router,
        messaging_router,
        auth_router,
        me_router,
        admin_router,
        billing_router,
        me_billing_router,
        webhook_router,
        admin_billing_router,
        reference_router,
        onboarding_router,
        me_profile_router,
        profiles_router,
        moderation_profiles_router,
        contacts_router,
        calendar_router,
        patterns_router,
        sharing_router,
        bookings_router,
        moderation_jobs_router,
        notifications_router,
        chat_settings_router,
        analytics_router,
        privacy_router,
        media_router,
    ):
        include_api(app, router)
    install_openapi(app)
    app.add_middleware(
        RequestContextMiddleware,
        metrics=app.state.metrics,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    return app
