"""Imports every area's models (for mappers and Alembic) and tasks (for workers)."""

from getmygrapher.accounts import models as accounts_models
from getmygrapher.accounts import tasks as accounts_tasks
from getmygrapher.availability import models as availability_models
from getmygrapher.billing import models as billing_models
from getmygrapher.billing import service as billing_service
from getmygrapher.billing import tasks as billing_tasks
from getmygrapher.contacts import models as contacts_models
from getmygrapher.contacts import tasks as contacts_tasks
from getmygrapher.core import housekeeping
from getmygrapher.core import models as core_models
from getmygrapher.core.db import Base
from getmygrapher.jobs import models as jobs_models
from getmygrapher.jobs import tasks as jobs_tasks
from getmygrapher.moderation import models as moderation_models
from getmygrapher.notifications import models as notifications_models
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
)
TASK_MODULES = (
    housekeeping,
    accounts_tasks,
    billing_tasks,
    contacts_tasks,
    profiles_tasks,
    jobs_tasks,
    notifications_tasks,
)

# Limits on things held at once are counted by the area that holds them.
billing_service.register_held_counter("portfolio_images", profiles_service.held_portfolio_images)

metadata = Base.metadata
