"""What can go wrong in sign-in flows; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


class UserNotFound(NotFound):
    code = "user_not_found"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class InvalidToken(BadRequest):
    code = "invalid_token"


class InvalidCode(BadRequest):
    code = "invalid_code"
    keeps_changes = True  # the wrong try is counted even though the request fails


class CaptchaRequired(Forbidden):
    code = "captcha_required"


class EmailTaken(Conflict):
    code = "email_taken"


class PhoneTaken(Conflict):
    code = "phone_taken"


class SessionNotFound(NotFound):
    code = "session_not_found"


class GoogleSignInUnavailable(NotFound):
    code = "google_not_configured"


class GoogleTokenRejected(Unauthorized):
    code = "invalid_google_token"


class TotpAlreadyEnabled(Conflict):
    code = "totp_already_enabled"


class TotpNotEnabled(Conflict):
    code = "totp_not_enabled"


class RecentSignInRequired(Forbidden):
    code = "recent_sign_in_required"


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    keeps_changes = True  # the session stays revoked although the request fails
