"""Imports every area's models (for mappers and Alembic) and tasks (for workers), and connects
areas that must not import each other through the hooks they offer."""

from getmygrapher.accounts import models as accounts_models
from getmygrapher.accounts import service as accounts_service
from getmygrapher.accounts import tasks as accounts_tasks
from getmygrapher.availability import models as availability_models
from getmygrapher.availability import service as availability_service
from getmygrapher.availability import tasks as availability_tasks
from getmygrapher.billing import models as billing_models
from getmygrapher.billing import service as billing_service
from getmygrapher.billing import tasks as billing_tasks
from getmygrapher.contacts import models as contacts_models
from getmygrapher.contacts import service as contacts_service
from getmygrapher.contacts import tasks as contacts_tasks
from getmygrapher.core import housekeeping, personal_data
from getmygrapher.core import models as core_models
from getmygrapher.core.db import Base
from getmygrapher.core.realtime import Hub, closing_ended_sessions
from getmygrapher.jobs import models as jobs_models
from getmygrapher.jobs import service as jobs_service
from getmygrapher.jobs import tasks as jobs_tasks
from getmygrapher.messaging import models as messaging_models
from getmygrapher.messaging import service as messaging_service
from getmygrapher.messaging import tasks as messaging_tasks
from getmygrapher.moderation import models as moderation_models
from getmygrapher.moderation import service as moderation_service
from getmygrapher.notifications import models as notifications_models
from getmygrapher.notifications import service as notifications_service
from getmygrapher.notifications import tasks as notifications_tasks
from getmygrapher.profiles import models as profiles_models
from getmygrapher.profiles import service as profiles_service
from getmygrapher.profiles import tasks as profiles_tasks

MODEL_MODULES = (
    core_models,
    accounts_models,
    profiles_models,
    notifications_models,
    availability_models,
    billing_models,
    contacts_models,
    moderation_models,
    jobs_models,
    messaging_models,
)
TASK_MODULES = (
    housekeeping,
    accounts_tasks,
    billing_tasks,
    availability_tasks,
    contacts_tasks,
    profiles_tasks,
    jobs_tasks,
    notifications_tasks,
    messaging_tasks,
)

# Limits on things held at once are counted by the area that holds them.
billing_service.register_held_counter("portfolio_images", profiles_service.held_portfolio_images)

# Blocks (GEN-15): profiles and jobs hide the other side; grants end; chats update.
profiles_service.register_block_check(moderation_service.is_blocked)
profiles_service.register_blocked_ids(moderation_service.blocked_ids)
moderation_service.on_block(messaging_service.after_block)
# Sharing a conversation connects two people (PRV-1 private profiles).
profiles_service.register_connection_check(messaging_service.in_conversation_with)
# Every step of a contact request appears in the pair's conversation (MSG-10).
contacts_service.on_consent_event(messaging_service.on_consent_event)
# "Message" on a profile opens the pair's conversation (CRQ-1).
contacts_service.register_conversation_opener(messaging_service.open_from_profile)
# Booking events appear in the pair's conversation (MSG-18).
availability_service.on_booking_message(messaging_service.post_booking_event)
# Calendars shown only to professionals or to contacts ask the areas that know (AV-8, AV-9).
availability_service.register_professional_check(profiles_service.is_professional)
availability_service.register_contact_check(contacts_service.mutual)
# Messaging learns about jobs without importing them (job inquiries, teams).
messaging_service.register_job_lookup(jobs_service.job_facts)


# Accounts coming into being and going (AUTH-11, DATA-1, DATA-2): each area makes its own
# defaults, exports and erases its own rows. Erasers run in this order: bookings are cancelled
# (and both sides told) before the notifications go, the user row's sign-in last.
personal_data.on_account_created(profiles_service.create_defaults)
personal_data.on_account_created(notifications_service.create_defaults)
personal_data.on_account_created(availability_service.create_defaults)
personal_data.on_deletion_requested(jobs_service.on_deletion_requested)
personal_data.on_deletion_requested(availability_service.cancel_for_erasure)
personal_data.register(
    "accounts",
    tables=set(),
    export=accounts_service.export_user,
    kept={"audit_log": "security record with a pseudonymous id, 3 years (DATA-4)"},
)
personal_data.register(
    "availability",
    tables=availability_service.TABLES,
    export=availability_service.export_user,
    erase=availability_service.erase_user,
)
personal_data.register(
    "profiles",
    tables={
        "profiles",
        "onboarding",
        "equipment_items",
        "portfolio_items",
        "preferred_locations",
        "profile_views",
        "saved_professionals",
        "verification_requests",
    },
    export=profiles_service.export_user,
    erase=profiles_service.erase_user,
)
personal_data.register(
    "contacts",
    tables={"contact_requests", "contact_grants"},
    export=contacts_service.export_user,
    erase=contacts_service.erase_user,
    kept={"contact_events": "the consent log both sides see, pseudonymous (DATA-3)"},
)
personal_data.register(
    "jobs",
    tables={"jobs", "applications", "saved_jobs", "job_views"},
    export=jobs_service.export_user,
    erase=jobs_service.erase_user,
)
personal_data.register(
    "messaging",
    tables={
        "conversations",
        "conversation_participants",
        "messages",
        "message_attachments",
        "message_reactions",
        "message_templates",
        "presence",
    },
    export=messaging_service.export_user,
    erase=messaging_service.erase_user,
)
personal_data.register(
    "moderation",
    tables={"blocks"},
    export=moderation_service.export_user,
    erase=moderation_service.erase_user,
    kept={"reports": "moderators' records of what was reported, pseudonymous"},
)
personal_data.register(
    "notifications",
    tables={"notifications", "notification_preferences"},
    export=notifications_service.export_user,
    erase=notifications_service.erase_user,
)
personal_data.register(
    "billing",
    tables={"usage_counters"},
    export=billing_service.export_user,
    erase=billing_service.erase_usage,
    kept={
        "payments": "tax law keeps invoices and payments (DATA-2)",
        "subscriptions": "what each payment paid for, kept with the payments",
        "billing_profiles": "the name and GSTIN printed on kept invoices",
    },
)
personal_data.register(
    "core",
    tables=personal_data.CORE_TABLES,
    erase=personal_data.erase_runtime_state,
)
# Last: the user row every other row refers to keeps only its pseudonymous id.
personal_data.register(
    "sign_in",
    tables={"auth_sessions", "email_tokens", "identities", "phone_otps", "recovery_codes"},
    erase=accounts_service.erase_sign_in,
)


def install_realtime(hub: Hub) -> None:
    """The socket frames and presence of messaging, on this process's hub; a socket lives
    no longer than its sign-in session (AUTH-6)."""
    messaging_service.install_realtime(hub)
    hub.on_tick.append(closing_ended_sessions(accounts_service.live_sessions))


metadata = Base.metadata
