"""The demo gives shoppers different tiers and some live deals member prices; a second load adds nothing."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from groupbuy.accounts.models import User
from groupbuy.audit.models import AuditEntry
from groupbuy.catalog.models import DealMemberPrice
from groupbuy.db import db

DEMO_NOW = datetime.fromisoformat("2026-11-22T10:00:00+08:00")


def test_demo_members_in_each_tier_and_member_prices_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["groupbuy", "demo-data", "--now", DEMO_NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Demo members:" in result.output
    with app.app_context():
        tiers = dict(db.session.execute(select(User.phone, User.tier).where(User.phone.like("1380000001_"))).all())
        assert {t.value for t in tiers.values()} == {"accelerate", "enterprise", "enterprise_pro"}
        prices = db.session.scalar(select(func.count()).select_from(DealMemberPrice))
        grants = db.session.scalar(select(func.count()).where(AuditEntry.action == "membership.grant"))
        assert prices and grants == 3
    again = runner.invoke(args=["groupbuy", "demo-data", "--now", DEMO_NOW.isoformat()])
    assert again.exit_code == 0, again.output
    assert "Demo members:" not in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DealMemberPrice)) == prices
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "membership.grant")) == 3
