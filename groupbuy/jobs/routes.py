"""Operators see what the scheduler did: the latest run of every job and which are overdue."""

from __future__ import annotations

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.jobs import service
from groupbuy.jobs.scheduler import JOB_DEFINITIONS
from groupbuy.jobs.schemas import JobListSchema

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Scheduled jobs (operators)")


@blp.route("/admin/jobs")
class AdminJobs(MethodView):
    @require_roles(Role.ADMIN, Role.CS)
    @blp.response(200, JobListSchema)
    def get(self) -> dict[str, list[service.JobStatus]]:
        """Every job in the trigger table with its latest run; overdue = no success within 2× its interval."""
        return {"items": service.job_statuses(jobs=JOB_DEFINITIONS, now=clock.now())}
