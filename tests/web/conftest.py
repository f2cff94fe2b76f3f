"""Helpers for the page tests: a leader with groups, logging in through the login form, reading pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.groups.enums import GroupOpenedBy
from groupbuy.groups.service import open_group
from groupbuy.leaders.models import Leader
from tests.conftest import DEFAULT_PASSWORD
from tests.factories.market import T0, Shop

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def open_groups(shop: Shop, *deal_ids: int) -> list[int]:
    """The shop leader's groups for these deals, opened by the leader at T0."""
    with shop.app.app_context():
        return [
            open_group(leader_id=shop.leader_id, deal_id=d, opened_by=GroupOpenedBy.LEADER, now=T0)[0].id
            for d in deal_ids
        ]


def leader_phone(app: Flask, shop: Shop) -> str:
    with app.app_context():
        user_id = db.session.get_one(Leader, shop.leader_id).user_id
        return str(db.session.scalar(select(User.phone).where(User.id == user_id)))


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def log_in(client: FlaskClient, login: str, password: str = DEFAULT_PASSWORD, **headers: str) -> TestResponse:
    """Through the form, as a browser does: GET the page (pre-login cookie and token), POST it back."""
    form = client.get("/workbench/login", headers=headers)
    return client.post(
        "/workbench/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(form.text)},
        headers=headers,
    )
