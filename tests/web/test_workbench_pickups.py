"""The pickup-code box: the logistics service behind a form, its outcomes worded on the page, the counter moving."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.orders.enums import OrderStatus
from tests.factories.market import Shop
from tests.flows.conftest import AFTER_CUTOFF, arrive, dispatch, leader_headers, order_row, paid_order, staff_headers
from tests.web.conftest import csrf_of, leader_phone, log_in

COUNTER_AT = AFTER_CUTOFF + timedelta(hours=12)  # the pickup day, 09:00 in Shanghai


def _counter(html: str) -> tuple[int, int]:
    done = re.search(r'id="pickups-done">(\d+)<', html)
    waiting = re.search(r'id="pickups-remaining">(\d+)<', html)
    assert done and waiting
    return int(done.group(1)), int(waiting.group(1))


def _verify(client: FlaskClient, page: str, code: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/workbench/pickups", data={"pickup_code": code, "csrf_token": csrf_of(page)}, headers=headers)


def test_a_code_verifies_once_the_counter_moves_and_other_answers_are_worded(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    deal = shop.deal()
    first, second = (paid_order(app, shop.shopper(), {deal: n}) for n in (1, 2))
    shop.close_groups(at=shop.cutoff)
    assert dispatch(client, staff_headers(app, Role.ADMIN), shop.leader_id).status_code == 200
    assert arrive(client, leader_headers(app, shop.leader_id), {}, COUNTER_AT - timedelta(hours=1)).status_code == 201
    code = str(order_row(app, first).pickup_code)
    with clock.frozen(COUNTER_AT):
        log_in(client, leader_phone(app, shop))
        page = client.get("/workbench/").text
        assert _counter(page) == (0, 2)
        verified = _verify(client, page, code)
        assert verified.status_code == 200 and "核销成功" in verified.text and _counter(verified.text) == (1, 1)
        assert order_row(app, first).status is OrderStatus.PICKED_UP
        assert order_row(app, second).status is OrderStatus.READY_FOR_PICKUP
        again = _verify(client, verified.text, code)
        assert again.status_code == 409 and "已于" in again.text and _counter(again.text) == (1, 1)
        unknown = _verify(client, again.text, "00000000" if code != "00000000" else "11111111")
        assert unknown.status_code == 404 and "没有找到这个提货码" in unknown.text
        malformed = _verify(client, unknown.text, "12ab")
        assert malformed.status_code == 422
        english = _verify(client, malformed.text, code, **{"Accept-Language": "en"})
        assert english.status_code == 409 and "already verified" in english.text


def test_wrong_codes_are_throttled_per_leader_as_in_the_api(app: Flask, client: FlaskClient, shop: Shop) -> None:
    with clock.frozen(COUNTER_AT):
        log_in(client, leader_phone(app, shop))
        page = client.get("/workbench/").text
        answers = [_verify(client, page, f"{n:08d}") for n in range(11)]
    assert [a.status_code for a in answers] == [404] * 10 + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0 and "提货码错误次数过多" in answers[-1].text
