"""`flask groupbuy create-user` and `demo-data`."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.accounts.service import create_user
from groupbuy.clock import frozen as time_of
from groupbuy.db import db


def test_create_user_non_interactively(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(
        args=["groupbuy", "create-user", "--role", "admin", "--phone", "13700000000", "--password", "Admin12345"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13700000000"))
        assert user.role_names == {Role.ADMIN, Role.SHOPPER}
    login = client.post("/api/v1/auth/login", json={"login": "13700000000", "password": "Admin12345"})
    assert login.status_code == 200
    assert "admin" in login.json["user"]["roles"]


def test_create_user_reports_policy_errors(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["groupbuy", "create-user", "--phone", "13700000000", "--password", "weak"]
    )
    assert result.exit_code != 0
    assert "weak_password" in result.output


def test_demo_data_builds_a_city_once(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    from groupbuy.catalog.models import Deal
    from groupbuy.groups.models import Group
    from groupbuy.leaders.models import Leader

    runner = app.test_cli_runner()
    first = runner.invoke(args=["groupbuy", "demo-data"])
    second = runner.invoke(args=["groupbuy", "demo-data"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Demo city" in first.output
    assert "Demo city" not in second.output
    assert "Demo logins" in second.output
    with app.app_context():
        counts = [len(db.session.scalars(select(model)).all()) for model in (User, Leader, Deal, Group)]
        # the workbench demo: 8 shoppers, 2 rounds of 3 deals; the membership demo: 3 members
        assert counts == [13 + 8 + 3, 10, 20 + 6, 32 + 6]
    login = client.post("/api/v1/auth/login", json={"login": "13800000003", "password": "Demo12345"})
    headers = {"Authorization": f"Bearer {login.json['token']}"}
    deals = client.get("/api/v1/deals?page_size=100", headers=headers).json
    assert deals["total"] == 20
    assert sum(1 for d in deals["items"] if d["group"] is not None) == 8


def test_demo_data_tops_the_city_up_when_no_deal_is_live(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    """Loaded 6 days ago, topped up 3 days ago and now: a live deal every time, other rows untouched."""
    from datetime import UTC, datetime, timedelta

    from groupbuy.catalog.models import Deal, Sku
    from groupbuy.catalog.service import add_sku, create_category, create_deal, create_product
    from groupbuy.groups.models import Group

    now = datetime(2026, 11, 22, 2, tzinfo=UTC)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["groupbuy", "demo-data", "--now", (now - timedelta(days=6)).isoformat()])
    assert first.exit_code == 0, first.output
    with app.app_context():  # someone else's product and deal, over before the top-ups
        other = create_user(phone="13700000000", email=None, password="Admin12345", roles=[Role.ADMIN], nickname="x",
                            now=now - timedelta(days=6))  # fmt: skip
        category = create_category(actor_id=other.id, name="其他", sort_order=9, now=now - timedelta(days=6))
        product = create_product(actor_id=other.id, name="烟台红富士苹果", category_id=category.id,
                                 description="别人家的苹果，产地直发，新鲜到家。", images=[], supplier="别家",
                                 now=now - timedelta(days=6))  # fmt: skip
        sku = add_sku(actor_id=other.id, product_id=product.id, spec="1 斤", list_price_fen=990, stock=50,
                      now=now - timedelta(days=6))  # fmt: skip
        create_deal(actor_id=other.id, sku_id=sku.id, title=None, group_price_fen=500,
                    starts_at=now - timedelta(days=6), cutoff_at=now - timedelta(days=5, hours=20),
                    pickup_date=(now - timedelta(days=5)).date(), min_group_quantity=1, limit_per_user=2,
                    stock_allocated=10, now=now - timedelta(days=6))  # fmt: skip
    later = runner.invoke(args=["groupbuy", "demo-data", "--now", (now - timedelta(days=3)).isoformat()])
    today = runner.invoke(args=["groupbuy", "demo-data", "--now", now.isoformat()])
    again = runner.invoke(args=["groupbuy", "demo-data", "--now", now.isoformat()])
    assert "topped up" in later.output and "topped up" in today.output, (later.output, today.output)
    assert "topped up" not in again.output  # a deal is live: nothing to do
    assert "Demo logins" in again.output and "13800000003" in again.output
    with app.app_context():
        live = db.session.scalars(select(Deal).where(Deal.starts_at <= now, Deal.cutoff_at > now)).all()
        assert len(live) == 20 and all(d.stock_available == 200 for d in live)
        # the workbench rounds: 2 of 3 deals at the first load, then today's (3 days ago's pickup day was played)
        assert len(db.session.scalars(select(Deal)).all()) == 61 + 4 * 3
        assert len(db.session.scalars(select(Group)).all()) == 3 * 32 + 4 * 3
        theirs = db.session.scalars(select(Deal).where(Deal.sku_id == sku.id)).one()
        assert (theirs.stock_available, db.session.get_one(Sku, sku.id).stock) == (10, 40)
    with time_of(now):
        login = client.post("/api/v1/auth/login", json={"login": "13800000003", "password": "Demo12345"})
        deals = client.get("/api/v1/deals?page_size=100", headers={"Authorization": f"Bearer {login.json['token']}"})
    assert deals.json["total"] == 20


def test_create_user_asks_for_the_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["groupbuy", "create-user", "--role", "cs", "--phone", "13700000001"], input="Staff12345\nStaff12345\n"
    )
    assert result.exit_code == 0, result.output
    assert "Staff12345" not in result.output  # not echoed
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13700000001"))
        assert Role.CS in user.role_names
