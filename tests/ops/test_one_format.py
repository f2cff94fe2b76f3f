"""Every time in a response is UTC in one format; every link we hand out is absolute."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime, timedelta, timezone

import marshmallow as ma
from flask import Flask

import groupbuy
from groupbuy.common.fields import UtcDateTime

CHINA = timezone(timedelta(hours=8))


def test_the_one_format_is_seconds_and_plus_zero() -> None:
    field = UtcDateTime()
    assert field.serialize("at", {"at": datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=CHINA)}) == (
        "2026-11-22T02:00:00+00:00"
    )
    assert field.serialize("at", {"at": datetime(2026, 11, 22, 2, tzinfo=UTC)}) == "2026-11-22T02:00:00+00:00"


def test_every_time_field_of_every_schema_uses_the_one_format(app: Flask) -> None:
    for module in pkgutil.walk_packages(groupbuy.__path__, "groupbuy."):
        if module.name.endswith(".schemas"):
            importlib.import_module(module.name)
    offenders = []
    pending = list(ma.Schema.__subclasses__())
    while pending:
        schema = pending.pop()
        pending += schema.__subclasses__()
        if not schema.__module__.startswith("groupbuy."):
            continue
        for name, field in schema._declared_fields.items():
            if isinstance(field, ma.fields.DateTime) and not isinstance(field, UtcDateTime):
                offenders.append(f"{schema.__module__}.{schema.__name__}.{name}")
    assert offenders == []
