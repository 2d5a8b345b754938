from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from getmygrapher.core.captcha import NoCaptcha, SiteVerifyCaptcha
from getmygrapher.core.config import Settings
from getmygrapher.core.db import create_engine, to_libpq_url, to_sqlalchemy_url
from getmygrapher.core.logging import configure_logging
from getmygrapher.core.mail import ConsoleMailer, Mail, SmtpMailer
from getmygrapher.core.sms import ConsoleSms, HttpSms, Sms
from getmygrapher.main import build_runtime, create_app
from tests.conftest import Harness
from tests.fakes.gateways import CAPTCHA_SECRET, CaptchaService


async def test_defaults_need_no_outside_service(settings: Settings, database_url: str) -> None:
    plain = Settings(secret_key="x" * 40, data_dir=settings.data_dir)
    runtime = build_runtime(plain, database_url)
    try:
        assert isinstance(runtime.mailer, ConsoleMailer)
        assert isinstance(runtime.sms, ConsoleSms)
        assert isinstance(runtime.captcha, NoCaptcha)
        assert await runtime.captcha.verify("anything", None) is True
    finally:
        await runtime.aclose()


async def test_configured_providers_are_used(settings: Settings, database_url: str) -> None:
    configured = settings.model_copy(
        update={"captcha_verify_url": "http://127.0.0.1:9/x", "captcha_secret": SecretStr("s")}
    )
    runtime = build_runtime(configured, database_url)
    try:
        assert isinstance(runtime.mailer, SmtpMailer)
        assert isinstance(runtime.sms, HttpSms)
        assert isinstance(runtime.captcha, SiteVerifyCaptcha)
    finally:
        await runtime.aclose()


def test_an_http_sms_provider_needs_its_url_and_key(settings: Settings, database_url: str) -> None:
    broken = settings.model_copy(update={"sms_http_url": None})
    with pytest.raises(RuntimeError, match="SMS_HTTP_URL"):
        build_runtime(broken, database_url)


async def test_console_ports_print_for_the_developer(capsys: pytest.CaptureFixture[str]) -> None:
    await ConsoleMailer().send(Mail(to="dev@example.in", subject="Hello", text="Body text"))
    await ConsoleSms().send(Sms(to="+919800000000", text="123456 is your code", variables={}))
    printed = capsys.readouterr().err
    assert "mail to dev@example.in: Hello" in printed
    assert "123456 is your code" in printed


def test_smtp_urls_are_checked() -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpMailer("http://mail.example.in", sender="x@example.in")
    secure = SmtpMailer("smtps://user%40x:p%40ss@mail.example.in", sender="x@example.in")
    assert (secure.port, secure.use_tls, secure.username, secure.password) == (
        465,
        True,
        "user@x",
        "p@ss",
    )


async def test_captcha_fails_closed_when_the_service_is_unreachable(
    captcha_service: CaptchaService,
) -> None:
    async with httpx.AsyncClient() as http:
        down = SiteVerifyCaptcha(http, verify_url="http://127.0.0.1:9/siteverify", secret="s")
        up = SiteVerifyCaptcha(
            http,
            verify_url=f"{captcha_service.url}/siteverify",  # type: ignore[attr-defined]
            secret=CAPTCHA_SECRET,
        )
        assert await down.verify("solved-captcha", "10.0.0.1") is False
        assert await up.verify("solved-captcha", None) is True


def test_database_urls_are_normalised() -> None:
    assert to_sqlalchemy_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert to_libpq_url("postgresql+asyncpg://u@h/db") == "postgresql://u@h/db"
    with pytest.raises(ValueError, match="postgresql"):
        to_sqlalchemy_url("mysql://u@h/db")


def test_production_refuses_to_run_without_a_secret(settings: Settings) -> None:
    production = Settings(environment="production", data_dir=settings.data_dir)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        _ = production.secret


def test_development_keeps_one_generated_secret(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    first = Settings(data_dir=folder).secret
    assert Settings(data_dir=folder).secret == first
    assert (folder / "secret_key").stat().st_mode & 0o777 == 0o600


def test_logs_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    import structlog

    try:
        configure_logging("INFO", "json")
        structlog.get_logger("probe").info("hello", request_id="r1")
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert '"event": "hello"' in line
        assert '"request_id": "r1"' in line
    finally:
        logging.getLogger().handlers = []
        structlog.reset_defaults()


async def test_readyz_reports_a_database_that_is_down(harness: Harness) -> None:
    engine = create_engine("postgresql://nobody@127.0.0.1:9/none", pool_size=1)
    try:
        runtime = harness.runtime(async_sessionmaker(bind=engine, class_=AsyncSession))
        client = harness.client(runtime)
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "down"}
    finally:
        await engine.dispose()


async def test_requests_fail_with_503_while_the_database_is_down(harness: Harness) -> None:
    engine = create_engine("postgresql://nobody@127.0.0.1:9/none", pool_size=1)
    try:
        client = harness.client(harness.runtime(async_sessionmaker(bind=engine)))
        response = await client.post(
            "/v1/auth/signup", json={"email": "down@example.in", "password": "Database-down-1"}
        )
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
    finally:
        await engine.dispose()


def test_the_app_can_be_built_without_a_worker(settings: Settings, database_url: str) -> None:
    runtime = build_runtime(settings, database_url)
    app = create_app(runtime)
    assert app.title == "GetMyGrapher API"
