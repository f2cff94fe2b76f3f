"""Evidence photos: only the caller's own uploads attach (422 on ``images`` otherwise); the request and the case
show their URLs."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from tests.aftersales.conftest import SOON, act, ask, line_ids, read, received_order
from tests.factories.market import Shop
from tests.uploads.images import image_bytes
from tests.uploads.test_uploads import upload


def test_photos_attach_for_their_owner_and_show_in_request_and_case(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str], cs: dict[str, str]
) -> None:
    deal = shop.deal()
    user, other = shop.shopper(), shop.shopper()
    order_id = received_order(app, user, {deal: 1})
    (line,) = line_ids(app, order_id)
    with clock.frozen(SOON):
        status, mine = upload(client, shop.auth(user), image_bytes())
        assert status == 201, mine
        _, theirs = upload(client, shop.auth(other), image_bytes(color="red"))
    refused = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 100, images=[theirs["id"]])
    assert refused.status_code == 422 and "images" in refused.json["errors"]
    opened = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 100, images=[mine["id"]])
    assert opened.status_code == 201, opened.json
    assert opened.json["images"] == [mine["id"]]
    assert opened.json["photos"][0]["url"].endswith(".jpg")
    request_id = opened.json["id"]
    assert act(client, leader, f"/leader/after-sales/{request_id}/reject", reason="fine").status_code == 200
    dispute = act(client, shop.auth(user), f"/after-sales/{request_id}/escalate", statement="see photo")
    case = read(client, cs, f"/cs/disputes/{dispute.json['id']}").json
    assert case["request"]["photos"] == opened.json["photos"]
    assert case["statements"][0]["photos"] == opened.json["photos"]
