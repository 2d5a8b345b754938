"""What the sign-in use-cases need besides the database: keys, hashers, ports and the caller."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet

from getmygrapher.core.ratelimit import Limit
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Passwords, TokenSigner, derive_key


@dataclass(frozen=True)
class Caller:
    """Where a request comes from: used for limits and the session list, never for identity."""

    ip: str
    device: str | None


class Limits:
    def __init__(self, runtime: Runtime) -> None:
        s = runtime.settings
        quarter = timedelta(minutes=15)
        self.signin_failures = Limit("signin-failures", s.signin_failures_per_15min, quarter)
        self.otp_failures = Limit("otp-failures", s.otp_max_attempts, quarter)
        self.mfa_failures = Limit("mfa-failures", 5, quarter)
        self.otp_per_ip = Limit("otp-ip", s.otp_ip_per_hour, timedelta(hours=1))
        self.password_resets = Limit(
            "password-resets", s.password_resets_per_hour, timedelta(hours=1)
        )
        self.signups_per_ip = Limit("signups-ip", 20, timedelta(hours=1))


@dataclass
class AuthContext:
    runtime: Runtime
    signer: TokenSigner
    passwords: Passwords
    fernet: Fernet
    limits: Limits

    @classmethod
    def of(cls, runtime: Runtime) -> AuthContext:
        """One per runtime: the password hasher and keys are built once."""
        existing = runtime.clients.get("accounts")
        if isinstance(existing, AuthContext):
            return existing
        key = base64.urlsafe_b64encode(derive_key(runtime.settings.secret, "totp-secrets"))
        context = cls(
            runtime=runtime,
            signer=TokenSigner(runtime.settings),
            passwords=Passwords(runtime.settings),
            fernet=Fernet(key),
            limits=Limits(runtime),
        )
        runtime.clients["accounts"] = context
        return context
