"""Request and response models of the account and sign-in endpoints."""

from __future__ import annotations

import gzip
import uuid
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, model_validator
from pydantic_core import PydanticCustomError

from getmygrapher.core.schemas import (
    IndianMobile,
    PersonName,
    RequestModel,
    ResponseModel,
    mask_phone,
)
from getmygrapher.core.security import AccountStatus, Role


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


Email = Annotated[EmailStr, BeforeValidator(_lower), Field(max_length=254)]


@cache
def common_passwords() -> frozenset[str]:
    data = resources.files("getmygrapher.accounts").joinpath("data/common-passwords.txt.gz")
    return frozenset(gzip.decompress(data.read_bytes()).decode().split())


def _password_rules(value: str) -> str:
    if not any(ch.isalpha() for ch in value) or not any(ch.isdigit() for ch in value):
        raise PydanticCustomError("invalid_format", "Use at least one letter and one digit")
    if value.lower() in common_passwords():
        raise PydanticCustomError("not_allowed", "This password is too common")
    return value


# Passwords are not stripped: a space is a legitimate character in a passphrase.
Password = Annotated[str, Field(min_length=8, max_length=128), AfterValidator(_password_rules)]
AnyPassword = Annotated[str, Field(min_length=1, max_length=128)]
OtpCode = Annotated[str, Field(pattern=r"^\d{6}$")]
CaptchaToken = Annotated[str | None, Field(default=None, max_length=4096)]
OpaqueToken = Annotated[str, Field(min_length=16, max_length=200)]


def _password_is_not_email(email: str, password: str) -> None:
    if password.lower() == email.lower():
        raise PydanticCustomError("not_allowed", "The password must not be your e-mail address")


class SignUp(RequestModel):
    email: Email
    password: Password
    full_name: PersonName | None = None

    @model_validator(mode="after")
    def password_differs_from_email(self) -> Self:
        _password_is_not_email(self.email, self.password)
        return self


class SignIn(RequestModel):
    email: Email
    password: AnyPassword
    captcha_token: CaptchaToken = None


class MfaSignIn(RequestModel):
    mfa_token: Annotated[str, Field(min_length=10, max_length=2000)]
    code: Annotated[str, Field(min_length=6, max_length=20)]


class Refresh(RequestModel):
    refresh_token: OpaqueToken


class SignOut(RequestModel):
    all_sessions: bool = False


class TokenBody(RequestModel):
    token: OpaqueToken


class ForgotPassword(RequestModel):
    email: Email


class ResetPassword(RequestModel):
    token: OpaqueToken
    new_password: Password


class ChangePassword(RequestModel):
    current_password: AnyPassword
    new_password: Password


class OtpRequest(RequestModel):
    phone: IndianMobile
    captcha_token: CaptchaToken = None


class OtpSignIn(RequestModel):
    phone: IndianMobile
    code: OtpCode
    captcha_token: CaptchaToken = None


class PhoneChange(RequestModel):
    phone: IndianMobile


class PhoneVerify(RequestModel):
    code: OtpCode


class GoogleIdToken(RequestModel):
    id_token: Annotated[str, Field(min_length=20, max_length=8192)]


class GoogleCallback(RequestModel):
    code: Annotated[str, Field(min_length=1, max_length=2048)]
    state: Annotated[str, Field(min_length=16, max_length=200)]


class TotpConfirm(RequestModel):
    code: OtpCode


class TotpDisable(RequestModel):
    code: Annotated[str, Field(min_length=6, max_length=20)]


class UpdateMe(RequestModel):
    full_name: PersonName | None = None
    email: Email | None = None


class DeleteMe(RequestModel):
    password: AnyPassword | None = None
    confirm: Literal["DELETE"]


# Responses ---------------------------------------------------------------------------------------


class Accepted(ResponseModel):
    status: Literal["accepted"] = "accepted"
    detail: str


class TokenPair(ResponseModel):
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    session_id: uuid.UUID
    created_account: bool = False


class MfaChallenge(ResponseModel):
    mfa_required: Literal[True] = True
    mfa_token: str
    methods: tuple[Literal["totp", "recovery_code"], ...] = ("totp", "recovery_code")


class GoogleAuthorization(ResponseModel):
    authorization_url: str
    state: str


class TotpEnrolment(ResponseModel):
    secret: str
    otpauth_uri: str


class RecoveryCodes(ResponseModel):
    recovery_codes: list[str]


class SessionRead(ResponseModel):
    id: uuid.UUID
    method: str
    device: str | None
    city: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool


class MeRead(ResponseModel):
    id: uuid.UUID
    email: str | None
    email_verified: bool
    pending_email: str | None
    phone: str | None
    phone_verified: bool
    full_name: str | None
    role: Role
    status: AccountStatus
    totp_enabled: bool
    has_password: bool
    onboarding_completed: bool
    deletion_requested_at: datetime | None
    created_at: datetime
    version: int

    @classmethod
    def masked(cls, me: MeRead) -> MeRead:
        """The owner sees their own number masked too (AUTH-9)."""
        return me.model_copy(update={"phone": mask_phone(me.phone)})
