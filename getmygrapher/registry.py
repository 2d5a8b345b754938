"""Imports every area's models (for mappers and Alembic) and tasks (for workers)."""

from getmygrapher.accounts import models as accounts_models
from getmygrapher.accounts import tasks as accounts_tasks
from getmygrapher.availability import models as availability_models
from getmygrapher.billing import models as billing_models
from getmygrapher.billing import tasks as billing_tasks
from getmygrapher.core import housekeeping
from getmygrapher.core import models as core_models
from getmygrapher.core.db import Base
from getmygrapher.notifications import models as notifications_models
from getmygrapher.profiles import models as profiles_models

MODEL_MODULES = (
    core_models,
    accounts_models,
    profiles_models,
    notifications_models,
    availability_models,
    billing_models,
)
TASK_MODULES = (housekeeping, accounts_tasks, billing_tasks)

metadata = Base.metadata
