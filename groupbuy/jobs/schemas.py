"""The admin view of scheduled jobs."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.common.fields import UtcDateTime


class JobRunSchema(ma.Schema):
    started_at = UtcDateTime(required=True)
    finished_at = UtcDateTime(allow_none=True, metadata={"description": "null while it runs"})
    runner = ma.fields.String(required=True, metadata={"description": "host:pid of the process that ran it"})
    items_done = ma.fields.Integer(required=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    errors = ma.fields.String(allow_none=True)
    simulated_now = UtcDateTime(
        allow_none=True,
        metadata={"description": "set for `run-job --now`: the time the job was told it was (not a real run)"},
    )


class JobStatusSchema(ma.Schema):
    job = ma.fields.String(required=True)
    every_seconds = ma.fields.Integer(required=True)
    last_run = ma.fields.Nested(JobRunSchema, allow_none=True)
    last_success_at = UtcDateTime(allow_none=True)
    overdue = ma.fields.Boolean(
        required=True, metadata={"description": "no successful run within twice the job's interval"}
    )


class JobListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(JobStatusSchema), required=True)
