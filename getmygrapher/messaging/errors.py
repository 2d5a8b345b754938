"""What can go wrong in messaging; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import Conflict, Forbidden, NotFound


class ConversationNotFound(NotFound):
    code = "conversation_not_found"


class MessageNotFound(NotFound):
    code = "message_not_found"


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"


class TemplateNotFound(NotFound):
    code = "template_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class UserBlocked(Forbidden):
    code = "user_blocked"


class NotAllowed(Forbidden):
    code = "not_allowed"


class EditWindowClosed(Conflict):
    code = "edit_window_closed"


class MessageDeleted(Conflict):
    code = "message_deleted"


class TooManyTemplates(Conflict):
    code = "too_many_templates"
