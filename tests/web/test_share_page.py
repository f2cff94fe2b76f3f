"""The group share page: what it shows, closed groups, the QR's target, and counting views and visitors."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.common.qr import render_qr
from groupbuy.db import db
from groupbuy.groups.models import GroupPageDay, GroupPageVisitor
from groupbuy.groups.service import cancel_group, close_group
from tests.factories.market import T0, Shop
from tests.web.conftest import open_groups


def _days(app: Flask, group_id: int) -> list[tuple[str, int, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(GroupPageDay.day, GroupPageDay.views, GroupPageDay.visitors)
            .where(GroupPageDay.group_id == group_id)
            .order_by(GroupPageDay.day)
        ).all()
        return [(r.day.isoformat(), r.views, r.visitors) for r in rows]


def test_share_url_opens_the_group_page_with_price_progress_pickup_and_open_graph(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    deal = shop.deal(price_fen=1990, min_group_quantity=5)
    (group_id,) = open_groups(shop, deal)
    with clock.frozen(T0):
        share_url = client.get(f"/api/v1/groups/{group_id}").json["share_url"]
        assert share_url == f"http://testserver/groups/{group_id}"
        page = client.get(share_url.removeprefix("http://testserver"))
        qr = client.get(f"/api/v1/groups/{group_id}/qr.svg")
        english = client.get(f"/groups/{group_id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert qr.data == render_qr(share_url, "svg")  # the group QR code opens this page
    html = page.text
    assert "¥19.90" in html and 'property="og:title"' in html and f'content="{share_url}"' in html
    assert "幸福小区" in html and "08:00-20:00" in html  # pickup point and hours
    assert "0 件 / 成团需 5" in html and "还差 5" in html
    assert "距截单还剩" in html and "10小时0分" in html  # cutoff is T0 + 10 h
    assert f"pages/group/index?group_id={group_id}" in html
    csp = page.headers["Content-Security-Policy"]
    assert "nonce-" in csp and "frame-ancestors 'none'" in csp and page.headers["X-Frame-Options"] == "DENY"
    assert "img-src 'self' data: https:;" in csp and "script-src 'self' 'nonce-" in csp  # the product picture only
    assert "Closes in" in english.text and "Pickup point" in english.text


def test_failed_cancelled_and_past_cutoff_groups_say_so(app: Flask, client: FlaskClient, shop: Shop) -> None:
    failed, cancelled, due = open_groups(shop, shop.deal(min_group_quantity=3), shop.deal(), shop.deal())
    with app.app_context():
        close_group(group_id=failed, now=shop.cutoff)
        cancel_group(group_id=cancelled, actor="test", reason="deal cancelled", now=T0)
    with clock.frozen(shop.cutoff + timedelta(minutes=1)):
        assert "未达成团人数，本团已关闭" in client.get(f"/groups/{failed}").text
        assert "本团已取消" in client.get(f"/groups/{cancelled}").text
        assert "已截单，正在统计成团结果" in client.get(f"/groups/{due}").text
        assert "距截单还剩" not in client.get(f"/groups/{due}").text
    missing = client.get("/groups/999999")
    assert missing.status_code == 404 and "这个团不存在" in missing.text


def test_views_count_every_request_and_visitors_once_per_day_by_hashed_cookie(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    (group_id,) = open_groups(shop, shop.deal())
    bot = app.test_client(use_cookies=False)
    with clock.frozen(T0):
        bot.get(f"/groups/{group_id}")
        bot.get(f"/groups/{group_id}/seen.gif")  # no cookie: never a visitor
        assert _days(app, group_id) == [("2026-11-22", 1, 0)]
        first = client.get(f"/groups/{group_id}")  # a browser's first visit: a view, and a cookie
        cookie = client.get_cookie("gb_visitor", path="/groups")
        assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
        assert first.status_code == 200 and _days(app, group_id) == [("2026-11-22", 2, 0)]
        beacon = client.get(f"/groups/{group_id}/seen.gif")  # the page's beacon comes back with the cookie
        assert beacon.mimetype == "image/gif" and _days(app, group_id) == [("2026-11-22", 2, 1)]
        client.get(f"/groups/{group_id}")
        client.get(f"/groups/{group_id}/seen.gif")
        assert _days(app, group_id) == [("2026-11-22", 3, 1)]
    with clock.frozen(T0 + timedelta(days=1)):  # the next day in Shanghai: a visitor again
        client.get(f"/groups/{group_id}")
        assert _days(app, group_id) == [("2026-11-22", 3, 1), ("2026-11-23", 1, 1)]
    with app.app_context():
        hashes = db.session.scalars(select(GroupPageVisitor.visitor_hash)).all()
    assert len(hashes) == 2 and cookie.value not in hashes and len(set(hashes)) == 2  # day-salted, not the cookie


def test_old_visitor_hashes_are_forgotten_and_the_daily_counts_stay(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    from groupbuy.jobs.scheduler import JOBS_BY_ID, run_scheduled_job

    (group_id,) = open_groups(shop, shop.deal())
    with clock.frozen(T0):
        client.get(f"/groups/{group_id}")
        client.get(f"/groups/{group_id}/seen.gif")
    outcome = run_scheduled_job(app, JOBS_BY_ID["forget_group_page_visitors"], T0 + timedelta(days=3))
    assert outcome.counts == {"forgotten": 1}
    assert _days(app, group_id) == [("2026-11-22", 1, 1)]
