"""Configuration, read only from environment variables (README lists each with its default)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    # Where things run
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("./var")
    database_url: str | None = None
    db_pool_size: int = Field(default=10, ge=1, le=200)
    public_base_url: str | None = None
    web_app_url: str | None = None
    environment: Literal["development", "production", "test"] = "development"

    # Secrets; development generates one under DATA_DIR so restarts keep sessions valid
    secret_key: SecretStr | None = None

    # Logs
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    # Requests
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    # Tokens and passwords
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65_536, ge=8)
    recent_auth_minutes: int = Field(default=15, ge=1)
    account_deletion_grace_days: int = Field(default=30, ge=0)

    # Rate limits (GEN-7, AUTH-9, AUTH-10)
    signin_failures_per_15min: int = 5
    captcha_after_failures: int = 3
    writes_per_minute: int = 60
    otp_per_hour: int = 5
    otp_per_day: int = 10
    otp_ip_per_hour: int = 20
    otp_resend_seconds: int = 60
    otp_max_attempts: int = 5
    verification_emails_per_hour: int = 5
    password_resets_per_hour: int = 5

    # E-mail: printed unless SMTP_URL is set (smtp://user:pass@host:port, smtps:// for TLS)
    smtp_url: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "GetMyGrapher <no-reply@getmygrapher.in>"

    # SMS: printed to the log unless SMS_PROVIDER=http
    sms_provider: Literal["console", "http"] = "console"
    sms_http_url: str | None = None
    sms_api_key: SecretStr | None = None
    sms_sender_id: str = "GMGRPH"
    sms_dlt_entity_id: str = ""
    sms_dlt_template_id: str = ""

    # CAPTCHA after repeated failures: any siteverify provider (reCAPTCHA, hCaptcha, Turnstile)
    captcha_verify_url: str | None = None
    captcha_secret: SecretStr | None = None

    # Google sign-in
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_redirect_uri: str | None = None
    google_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
    google_jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    google_issuers: list[str] = ["https://accounts.google.com", "accounts.google.com"]

    # Background work
    run_worker: bool = True
    worker_concurrency: int = Field(default=4, ge=1, le=64)

    # Realtime: LISTEN/NOTIFY on the database unless REALTIME_BROKER=redis://…
    realtime_broker: str | None = None
    realtime_queue_size: int = Field(default=1000, ge=10, le=100_000)
    realtime_heartbeat_seconds: float = Field(default=30, gt=0, le=300)
    realtime_idle_seconds: float = Field(default=90, gt=0, le=900)
    realtime_max_connection_hours: float = Field(default=12, gt=0, le=168)
    realtime_retention_days: int = Field(default=7, ge=7, le=90)

    # Messages (MSG-17): words and patterns (regular expressions) that refuse a message
    message_blocklist: list[str] = Field(default_factory=list)

    # File storage: local files under DATA_DIR/media unless STORAGE_URL=s3://bucket[/prefix]
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "ap-south-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_public_base_url: str | None = None
    max_upload_bytes: int = Field(default=21 * 1024 * 1024, ge=1024)

    # Razorpay: billing answers 503 billing_not_configured until the key id and secret are set
    razorpay_key_id: str | None = None
    razorpay_key_secret: SecretStr | None = None
    razorpay_webhook_secret: SecretStr | None = None
    razorpay_previous_webhook_secret: SecretStr | None = None
    razorpay_base_url: str = "https://api.razorpay.com"
    billing_grace_days: int = Field(default=7, ge=0, le=30)
    # Receipts (prices include GST)
    seller_name: str = "GetMyGrapher Technologies Private Limited"
    seller_address: str = "Infopark Phase 1, Kakkanad, Kochi, Kerala 682042"
    seller_gstin: str = "32AAHCG1234F1Z5"
    seller_state: str = "Kerala"
    gst_rate_percent: int = Field(default=18, ge=0, le=28)
    sac_code: str = "998439"

    @property
    def billing_configured(self) -> bool:
        return bool(self.razorpay_key_id and self.razorpay_key_secret)

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def app_url(self) -> str:
        """Where the web client lives; links in mails that need a form point there."""
        return (self.web_app_url or self.base_url).rstrip("/")

    @cached_property
    def secret(self) -> bytes:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        if self.environment == "production":
            raise RuntimeError("SECRET_KEY must be set in production")
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def google_configured(self) -> bool:
        return bool(self.google_client_id)
