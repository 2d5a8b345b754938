"""Messaging; the only module other areas call."""

from getmygrapher.messaging.service.attachments import get as get_attachment
from getmygrapher.messaging.service.attachments import upload as upload_attachment
from getmygrapher.messaging.service.common import JobFacts, register_job_lookup
from getmygrapher.messaging.service.conversations import (
    Started,
    change_members,
    configure,
    create_group,
    get_conversation,
    history,
    in_conversation_with,
    list_conversations,
    mark_read,
    mark_unread,
    open_direct,
    open_from_profile,
    post_between,
    post_booking_event,
    start_direct,
    unread_total,
)
from getmygrapher.messaging.service.lifecycle import (
    erase_user,
    export_user,
    on_consent_event,
    purge_events,
    purge_unsent_attachments,
)
from getmygrapher.messaging.service.live import install as install_realtime
from getmygrapher.messaging.service.live import presence_of
from getmygrapher.messaging.service.safety import (
    after_block,
    block,
    blocked_list,
    report_message,
    report_user,
    unblock,
)
from getmygrapher.messaging.service.searching import search
from getmygrapher.messaging.service.sending import delete, edit, edits, react, send
from getmygrapher.messaging.service.templates import (
    create_template,
    delete_template,
    list_templates,
    update_template,
)

__all__ = [
    "JobFacts",
    "Started",
    "after_block",
    "block",
    "blocked_list",
    "change_members",
    "configure",
    "create_group",
    "create_template",
    "delete",
    "delete_template",
    "edit",
    "edits",
    "erase_user",
    "export_user",
    "get_attachment",
    "get_conversation",
    "history",
    "in_conversation_with",
    "install_realtime",
    "list_conversations",
    "list_templates",
    "mark_read",
    "mark_unread",
    "on_consent_event",
    "open_direct",
    "open_from_profile",
    "post_between",
    "post_booking_event",
    "presence_of",
    "purge_events",
    "purge_unsent_attachments",
    "react",
    "register_job_lookup",
    "report_message",
    "report_user",
    "search",
    "send",
    "start_direct",
    "unblock",
    "unread_total",
    "update_template",
    "upload_attachment",
]
