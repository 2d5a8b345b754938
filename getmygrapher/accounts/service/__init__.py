"""Accounts and sign-in use-cases; the only module other areas call."""

from getmygrapher.accounts.service.context import AuthContext, Caller
from getmygrapher.accounts.service.email import (
    request_password_reset,
    resend_verification_email,
    reset_password,
    send_email_change,
    send_password_reset,
    send_security_notice,
    send_signup_notice,
    send_verification_email,
    verify_email,
)
from getmygrapher.accounts.service.google import (
    finish_web_sign_in,
    sign_in_with_id_token,
    start_web_sign_in,
)
from getmygrapher.accounts.service.me import (
    create_admin,
    get_me,
    mark_onboarding_complete,
    purge_account,
    purge_due_accounts,
    request_deletion,
    set_role,
    update_me,
)
from getmygrapher.accounts.service.passwords import change_password, complete_mfa, sign_in, sign_up
from getmygrapher.accounts.service.phone import (
    change_phone,
    request_sign_in_code,
    send_otp,
    sign_in_with_code,
    verify_phone,
)
from getmygrapher.accounts.service.sessions import (
    create_account,
    list_sessions,
    load_principal,
    refresh_session,
    revoke_session,
    sign_out,
    start_session,
)
from getmygrapher.accounts.service.totp import (
    confirm_enrolment,
    disable,
    regenerate_recovery_codes,
    start_enrolment,
)

__all__ = [
    "AuthContext",
    "Caller",
    "change_password",
    "change_phone",
    "complete_mfa",
    "confirm_enrolment",
    "create_account",
    "create_admin",
    "disable",
    "finish_web_sign_in",
    "get_me",
    "list_sessions",
    "load_principal",
    "mark_onboarding_complete",
    "purge_account",
    "purge_due_accounts",
    "refresh_session",
    "regenerate_recovery_codes",
    "request_deletion",
    "request_password_reset",
    "request_sign_in_code",
    "resend_verification_email",
    "reset_password",
    "revoke_session",
    "send_email_change",
    "send_otp",
    "send_password_reset",
    "send_security_notice",
    "send_signup_notice",
    "send_verification_email",
    "set_role",
    "sign_in",
    "sign_in_with_code",
    "sign_in_with_id_token",
    "sign_out",
    "sign_up",
    "start_enrolment",
    "start_session",
    "start_web_sign_in",
    "update_me",
    "verify_email",
    "verify_phone",
]
