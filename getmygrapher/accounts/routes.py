"""HTTP endpoints of sign-in (/v1/auth), the own account (/v1/me) and roles (/v1/admin)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Header, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import Field, TypeAdapter, ValidationError

from getmygrapher.accounts import pages
from getmygrapher.accounts import service as accounts_service
from getmygrapher.accounts.errors import EmailTaken, InvalidToken
from getmygrapher.accounts.schemas import (
    Accepted,
    ChangePassword,
    DeleteMe,
    ForgotPassword,
    GoogleAuthorization,
    GoogleCallback,
    GoogleIdToken,
    MeRead,
    MfaChallenge,
    MfaSignIn,
    OpaqueToken,
    OtpRequest,
    OtpSignIn,
    Password,
    PhoneChange,
    PhoneVerify,
    RecoveryCodes,
    Refresh,
    ResetPassword,
    SessionRead,
    SignIn,
    SignOut,
    SignUp,
    TokenBody,
    TokenPair,
    TotpConfirm,
    TotpDisable,
    TotpEnrolment,
    UpdateMe,
)
from getmygrapher.core.db import DbSession
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.pagination import Page
from getmygrapher.core.schemas import PlainText, RequestModel
from getmygrapher.core.security import Admin, CurrentUser, Role, client_ip

auth_router = APIRouter(prefix="/v1/auth", tags=["auth"])
me_router = APIRouter(prefix="/v1/me", tags=["me"])
admin_router = APIRouter(prefix="/v1/admin", tags=["admin"])


def _auth(request: Request) -> accounts_service.AuthContext:
    return accounts_service.AuthContext.of(request.app.state.runtime)


def _caller(request: Request) -> accounts_service.Caller:
    agent = request.headers.get("user-agent")
    return accounts_service.Caller(ip=client_ip(request), device=agent[:200] if agent else None)


Auth = Annotated[accounts_service.AuthContext, Depends(_auth)]
Caller = Annotated[accounts_service.Caller, Depends(_caller)]
SignInResult = TokenPair | MfaChallenge

SIGNUP_ACCEPTED = "If this address can be used, a link to verify it is on its way."


# Sign-up and sign-in -----------------------------------------------------------------------------


@auth_router.post("/signup", status_code=status.HTTP_202_ACCEPTED, operation_id="sign_up")
async def sign_up(body: SignUp, db: DbSession, auth: Auth, caller: Caller) -> Accepted:
    await accounts_service.sign_up(db, auth, data=body, caller=caller)
    return Accepted(detail=SIGNUP_ACCEPTED)


@auth_router.post("/login", operation_id="sign_in")
async def sign_in(body: SignIn, db: DbSession, auth: Auth, caller: Caller) -> SignInResult:
    return await accounts_service.sign_in(db, auth, data=body, caller=caller)


@auth_router.post("/login/mfa", operation_id="complete_mfa")
async def complete_mfa(body: MfaSignIn, db: DbSession, auth: Auth, caller: Caller) -> SignInResult:
    return await accounts_service.complete_mfa(
        db, auth, mfa_token=body.mfa_token, code=body.code, caller=caller
    )


@auth_router.post("/refresh", operation_id="refresh_session")
async def refresh_session(body: Refresh, db: DbSession, auth: Auth) -> TokenPair:
    return await accounts_service.refresh_session(db, auth, refresh_token=body.refresh_token)


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, operation_id="sign_out")
async def sign_out(db: DbSession, user: CurrentUser, body: SignOut | None = None) -> Response:
    await accounts_service.sign_out(
        db, principal=user, all_sessions=bool(body and body.all_sessions)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# E-mail verification and password reset ---------------------------------------------------------


class Verified(RequestModel):
    status: Literal["verified"] = "verified"


@auth_router.get("/verify-email", operation_id="verify_email_link")
async def verify_email_link(
    token: Annotated[OpaqueToken, Query()], db: DbSession, auth: Auth
) -> Verified:
    await accounts_service.verify_email(db, auth, token=token)
    return Verified()


@auth_router.post("/verify-email", operation_id="verify_email")
async def verify_email(body: TokenBody, db: DbSession, auth: Auth) -> Verified:
    await accounts_service.verify_email(db, auth, token=body.token)
    return Verified()


@auth_router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="resend_verification_email",
)
async def resend_verification_email(db: DbSession, auth: Auth, user: CurrentUser) -> Accepted:
    await accounts_service.resend_verification_email(db, auth, principal=user)
    return Accepted(detail="If the address still needs verifying, a new link is on its way.")


@auth_router.post(
    "/password/forgot", status_code=status.HTTP_202_ACCEPTED, operation_id="request_password_reset"
)
async def request_password_reset(
    body: ForgotPassword, db: DbSession, auth: Auth, caller: Caller
) -> Accepted:
    await accounts_service.request_password_reset(db, auth, email=body.email, caller=caller)
    return Accepted(detail="If an account uses this address, a reset link is on its way.")


@auth_router.post(
    "/password/reset", status_code=status.HTTP_204_NO_CONTENT, operation_id="reset_password"
)
async def reset_password(body: ResetPassword, db: DbSession, auth: Auth) -> Response:
    await accounts_service.reset_password(
        db, auth, token=body.token, new_password=body.new_password
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Pages that the links in e-mails open when no web app is configured ----------------------------

LinkToken = Annotated[str, Query(description="The token from the link in the e-mail.")]
_NEW_PASSWORD: TypeAdapter[str] = TypeAdapter(Password)


@auth_router.get(
    "/verify-email/page",
    operation_id="verify_email_page",
    response_class=HTMLResponse,
    responses=pages.html_responses(400, 409),
)
async def verify_email_page(db: DbSession, auth: Auth, token: LinkToken = "") -> HTMLResponse:
    """Verifies the address from the link in the e-mail and says so in words."""
    try:
        async with db.begin_nested():  # a refused link keeps nothing this request wrote
            await accounts_service.verify_email(db, auth, token=token)
    except EmailTaken:
        return pages.message(status.HTTP_409_CONFLICT, *pages.EMAIL_TAKEN)
    except InvalidToken:
        if await accounts_service.verification_link_was_used(db, token=token):
            return pages.message(status.HTTP_200_OK, *pages.ALREADY_VERIFIED)
        return pages.message(status.HTTP_400_BAD_REQUEST, *pages.LINK_EXPIRED)
    return pages.message(status.HTTP_200_OK, *pages.VERIFIED)


@auth_router.get(
    "/password/reset/page",
    operation_id="reset_password_page",
    response_class=HTMLResponse,
    responses=pages.html_responses(400),
)
async def reset_password_page(
    request: Request, db: DbSession, token: LinkToken = ""
) -> HTMLResponse:
    """A form for the new password. Opening the link does not spend it: mail scanners open
    links too."""
    if not await accounts_service.reset_link_is_live(db, token=token):
        return pages.message(status.HTTP_400_BAD_REQUEST, *pages.LINK_EXPIRED)
    return pages.reset_form(status.HTTP_200_OK, action=request.url.path, token=token)


@auth_router.post(
    "/password/reset/page",
    operation_id="submit_reset_password_page",
    response_class=HTMLResponse,
    responses=pages.html_responses(400, 422),
)
async def submit_reset_password_page(
    request: Request,
    db: DbSession,
    auth: Auth,
    token: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Sets the new password from the form (the rules of `reset_password`); a mistake shows
    the form again and leaves the link usable."""
    if not await accounts_service.reset_link_is_live(db, token=token):
        return pages.message(status.HTTP_400_BAD_REQUEST, *pages.LINK_EXPIRED)
    problem = pages.PASSWORDS_DIFFER if new_password != confirm_password else None
    try:
        _NEW_PASSWORD.validate_python(new_password)
    except ValidationError as error:
        problem = problem or pages.password_problem(error)
    if problem is None:
        try:
            async with db.begin_nested():  # a refused password keeps the link unspent
                await accounts_service.reset_password(
                    db, auth, token=token, new_password=new_password
                )
        except InvalidToken:
            return pages.message(status.HTTP_400_BAD_REQUEST, *pages.LINK_EXPIRED)
        except ValidationFailed as error:
            problem = pages.sentence(error.detail)
        else:
            return pages.message(status.HTTP_200_OK, *pages.PASSWORD_CHANGED)
    return pages.reset_form(
        status.HTTP_422_UNPROCESSABLE_CONTENT, action=request.url.path, token=token, error=problem
    )


# Phone -------------------------------------------------------------------------------------------


@auth_router.post(
    "/otp/request", status_code=status.HTTP_202_ACCEPTED, operation_id="request_sign_in_code"
)
async def request_sign_in_code(
    body: OtpRequest, db: DbSession, auth: Auth, caller: Caller
) -> Accepted:
    await accounts_service.request_sign_in_code(
        db, auth, phone=body.phone, caller=caller, captcha_token=body.captcha_token
    )
    return Accepted(detail="A code is on its way by SMS.")


@auth_router.post("/otp/verify", operation_id="sign_in_with_code")
async def sign_in_with_code(
    body: OtpSignIn, db: DbSession, auth: Auth, caller: Caller
) -> SignInResult:
    return await accounts_service.sign_in_with_code(
        db, auth, phone=body.phone, code=body.code, caller=caller, captcha_token=body.captcha_token
    )


# Google ------------------------------------------------------------------------------------------


@auth_router.post("/google/token", operation_id="sign_in_with_google_token")
async def sign_in_with_google_token(
    body: GoogleIdToken, db: DbSession, auth: Auth, caller: Caller
) -> SignInResult:
    return await accounts_service.sign_in_with_id_token(
        db, auth, id_token=body.id_token, caller=caller
    )


@auth_router.get("/google/authorize", operation_id="start_google_sign_in")
async def start_google_sign_in(db: DbSession, auth: Auth) -> GoogleAuthorization:
    return await accounts_service.start_web_sign_in(db, auth)


@auth_router.post("/google/callback", operation_id="finish_google_sign_in")
async def finish_google_sign_in(
    body: GoogleCallback, db: DbSession, auth: Auth, caller: Caller
) -> SignInResult:
    return await accounts_service.finish_web_sign_in(
        db, auth, code=body.code, state=body.state, caller=caller
    )


# The own account ---------------------------------------------------------------------------------


@me_router.get("", operation_id="get_me")
async def get_me(db: DbSession, user: CurrentUser) -> MeRead:
    return await accounts_service.get_me(db, principal=user)


@me_router.patch("", operation_id="update_me")
async def update_me(
    body: UpdateMe,
    db: DbSession,
    user: CurrentUser,
    if_match: Annotated[str | None, Header()] = None,
) -> MeRead:
    version = None
    if if_match is not None:
        cleaned = if_match.strip().strip("W/").strip('"')
        version = int(cleaned) if cleaned.isdigit() else -1
    return await accounts_service.update_me(db, principal=user, data=body, if_match=version)


@me_router.delete("", status_code=status.HTTP_202_ACCEPTED, operation_id="delete_me")
async def delete_me(body: DeleteMe, db: DbSession, auth: Auth, user: CurrentUser) -> Accepted:
    await accounts_service.request_deletion(db, auth, principal=user, password=body.password)
    return Accepted(
        detail="Your account is scheduled for deletion. Sign in before the "
        "cooling-off period ends to cancel."
    )


@me_router.post("/password", status_code=status.HTTP_204_NO_CONTENT, operation_id="change_password")
async def change_password(
    body: ChangePassword, db: DbSession, auth: Auth, user: CurrentUser
) -> Response:
    await accounts_service.change_password(
        db,
        auth,
        principal=user,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me_router.post("/phone", status_code=status.HTTP_202_ACCEPTED, operation_id="change_phone")
async def change_phone(
    body: PhoneChange, db: DbSession, auth: Auth, user: CurrentUser, caller: Caller
) -> Accepted:
    await accounts_service.change_phone(db, auth, principal=user, phone=body.phone, caller=caller)
    return Accepted(detail="If the number still needs verifying, a code is on its way by SMS.")


@me_router.post("/phone/verify", operation_id="verify_phone")
async def verify_phone(body: PhoneVerify, db: DbSession, auth: Auth, user: CurrentUser) -> MeRead:
    await accounts_service.verify_phone(db, auth, principal=user, code=body.code)
    return await accounts_service.get_me(db, principal=user)


@me_router.get("/sessions", operation_id="list_sessions")
async def list_sessions(db: DbSession, user: CurrentUser) -> Page[SessionRead]:
    """Active sessions, at most 100 (a session lasts 30 days; older ones are gone)."""
    return Page(
        items=list(await accounts_service.list_sessions(db, principal=user)), next_cursor=None
    )


@me_router.delete(
    "/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="revoke_session"
)
async def revoke_session(session_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    await accounts_service.revoke_session(db, principal=user, session_id=session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me_router.post("/totp", operation_id="start_totp_enrolment")
async def start_totp_enrolment(db: DbSession, auth: Auth, user: CurrentUser) -> TotpEnrolment:
    return await accounts_service.start_enrolment(db, auth, principal=user)


@me_router.post("/totp/confirm", operation_id="confirm_totp_enrolment")
async def confirm_totp_enrolment(
    body: TotpConfirm, db: DbSession, auth: Auth, user: CurrentUser
) -> RecoveryCodes:
    return await accounts_service.confirm_enrolment(db, auth, principal=user, code=body.code)


@me_router.post("/totp/recovery-codes", operation_id="regenerate_recovery_codes")
async def regenerate_recovery_codes(
    body: TotpDisable, db: DbSession, auth: Auth, user: CurrentUser
) -> RecoveryCodes:
    return await accounts_service.regenerate_recovery_codes(
        db, auth, principal=user, code=body.code
    )


@me_router.post(
    "/totp/disable", status_code=status.HTTP_204_NO_CONTENT, operation_id="disable_totp"
)
async def disable_totp(body: TotpDisable, db: DbSession, auth: Auth, user: CurrentUser) -> Response:
    await accounts_service.disable(db, auth, principal=user, code=body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Roles -------------------------------------------------------------------------------------------


class RoleChange(RequestModel):
    role: Role
    reason: Annotated[str, PlainText(3, 300, multiline=False)]


class UserRoleRead(RequestModel):
    id: uuid.UUID
    role: Role
    version: int = Field(ge=1)


@admin_router.put("/users/{user_id}/role", operation_id="set_user_role")
async def set_user_role(
    user_id: uuid.UUID, body: RoleChange, db: DbSession, admin: Admin
) -> UserRoleRead:
    me = await accounts_service.set_role(
        db, actor=admin, user_id=user_id, role=body.role, reason=body.reason
    )
    return UserRoleRead(id=me.id, role=me.role, version=me.version)
