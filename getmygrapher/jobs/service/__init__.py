"""Jobs and applications; the only module other areas call."""

from getmygrapher.jobs.service.applying import (
    apply_to_job,
    change_status,
    get_application,
    list_job_applications,
    my_applications,
    update_application,
    withdraw,
)
from getmygrapher.jobs.service.common import job_facts
from getmygrapher.jobs.service.dashboard import my_jobs
from getmygrapher.jobs.service.finding import (
    discover,
    get_job,
    save_job,
    saved_jobs,
    unsave_job,
)
from getmygrapher.jobs.service.lifecycle import (
    delete_stale_drafts,
    erase_user,
    export_user,
    finish_due,
    on_deletion_requested,
)
from getmygrapher.jobs.service.moderating import moderate_job, report_job
from getmygrapher.jobs.service.posting import (
    close_job,
    complete_job,
    create_job,
    delete_job,
    duplicate_job,
    extend_job,
    publish_job,
    reopen_job,
    update_job,
)

__all__ = [
    "apply_to_job",
    "change_status",
    "close_job",
    "complete_job",
    "create_job",
    "delete_job",
    "delete_stale_drafts",
    "discover",
    "duplicate_job",
    "erase_user",
    "export_user",
    "extend_job",
    "finish_due",
    "get_application",
    "get_job",
    "job_facts",
    "list_job_applications",
    "moderate_job",
    "my_applications",
    "my_jobs",
    "on_deletion_requested",
    "publish_job",
    "reopen_job",
    "report_job",
    "save_job",
    "saved_jobs",
    "unsave_job",
    "update_application",
    "update_job",
    "withdraw",
]
