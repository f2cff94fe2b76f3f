"""The demo (`flask groupbuy demo-data`) leaves the demo leader an open after-sale request and CS an escalated
dispute in its queue; a second load adds nothing."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from groupbuy.aftersales.enums import AfterSaleStatus, DisputeStatus
from groupbuy.aftersales.models import AfterSaleEvent, AfterSaleRequest, Dispute
from groupbuy.db import db

DEMO_NOW = datetime.fromisoformat("2026-11-22T10:00:00+08:00")


def test_the_demo_has_an_open_request_and_a_dispute_in_the_queue(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["groupbuy", "demo-data", "--now", DEMO_NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 request for the leader, 1 dispute for CS" in result.output
    with app.app_context():
        statuses = dict(
            db.session.execute(select(AfterSaleRequest.status, func.count()).group_by(AfterSaleRequest.status)).all()
        )
        assert statuses == {AfterSaleStatus.PENDING: 1, AfterSaleStatus.ESCALATED: 1}
        assert db.session.scalars(select(Dispute.status)).all() == [DisputeStatus.OPEN]
        assert db.session.scalar(select(func.max(AfterSaleEvent.at))) <= DEMO_NOW  # nothing in the future
    again = runner.invoke(args=["groupbuy", "demo-data", "--now", DEMO_NOW.isoformat()])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AfterSaleRequest)) == 2
