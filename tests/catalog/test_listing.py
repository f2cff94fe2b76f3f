"""The shopper's deal list and deal page: on sale now only, ranked by match, then closing soonest, then newest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.catalog.enums import ProductStatus
from groupbuy.catalog.models import Deal
from groupbuy.catalog.service import deal_on_sale
from groupbuy.db import db
from tests.catalog.conftest import T0
from tests.factories.catalog import CategoryFactory, ProductFactory, SkuFactory, make_deal

CARD_FIELDS = {
    "id",
    "title",
    "spec",
    "image",
    "group_price_fen",
    "list_price_fen",
    "stock_left",
    "sold_out",
    "cutoff_at",
    "seconds_to_cutoff",
    "pickup_date",
    "min_group_quantity",
    "limit_per_user",
    "group",
}


def _deal(**fields: Any) -> int:
    """A deal on sale at T0 unless told otherwise; ``product``/``sku`` fields go to the SubFactories."""
    product_fields = {k.removeprefix("product__"): v for k, v in fields.items() if k.startswith("product__")}
    rest = {k: v for k, v in fields.items() if not k.startswith("product__")}
    if product_fields:
        rest["sku"] = SkuFactory(product=ProductFactory(**product_fields))
    return make_deal(**rest).id  # type: ignore[no-any-return]


def _ids(client: FlaskClient, query: str = "") -> list[int]:
    response = client.get(f"/api/v1/deals{query}")
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_a_card_has_exactly_the_shopper_fields(client: FlaskClient, ctx: None) -> None:
    sku = SkuFactory(
        spec="500 g", list_price_fen=2990, product=ProductFactory(images=["https://img.example.com/a.jpg"])
    )
    deal = make_deal(sku=sku, group_price_fen=1990, stock_allocated=8, cutoff_at=T0 + timedelta(hours=5))
    item = client.get("/api/v1/deals").json["items"][0]
    assert set(item) == CARD_FIELDS
    assert item == {
        "id": deal.id,
        "title": deal.title,
        "spec": "500 g",
        "image": "https://img.example.com/a.jpg",
        "group_price_fen": 1990,
        "list_price_fen": 2990,
        "stock_left": 8,
        "sold_out": False,
        "cutoff_at": (T0 + timedelta(hours=5)).isoformat(),
        "seconds_to_cutoff": 5 * 3600,
        "pickup_date": deal.pickup_date.isoformat(),
        "min_group_quantity": 1,
        "limit_per_user": 99,
        "group": None,  # anonymous: no leader, so no group progress
    }


def test_only_deals_on_sale_now_are_listed(client: FlaskClient, ctx: None) -> None:
    on_sale = _deal()
    starting_now = _deal(starts_at=T0)
    _deal(starts_at=T0 + timedelta(minutes=1), cutoff_at=T0 + timedelta(days=1))  # upcoming
    _deal(starts_at=T0 - timedelta(days=1), cutoff_at=T0)  # closed exactly now
    _deal(cancelled=True)
    _deal(product__status=ProductStatus.HELD)
    _deal(product__status=ProductStatus.INACTIVE)
    assert sorted(_ids(client)) == sorted([on_sale, starting_now])


def test_a_sold_out_deal_stays_listed_and_says_so(client: FlaskClient, ctx: None) -> None:
    deal = _deal(stock_allocated=3, stock_available=0, product__images=[])
    item = client.get("/api/v1/deals").json["items"][0]
    assert (item["id"], item["stock_left"], item["sold_out"], item["image"]) == (deal, 0, True, None)


def test_closing_sooner_first_then_newest(client: FlaskClient, ctx: None) -> None:
    later = _deal(cutoff_at=T0 + timedelta(days=2))
    old_soon = _deal(cutoff_at=T0 + timedelta(hours=3), created_at=T0 - timedelta(hours=2))
    new_soon = _deal(cutoff_at=T0 + timedelta(hours=3), created_at=T0 - timedelta(hours=1))
    soonest = _deal(cutoff_at=T0 + timedelta(hours=1))
    assert _ids(client) == [soonest, new_soon, old_soon, later]


def test_title_matches_rank_before_description_matches(client: FlaskClient, ctx: None) -> None:
    in_description = _deal(
        cutoff_at=T0 + timedelta(hours=1), product__name="脐橙", product__description="赣南脐橙，可搭配苹果一起榨汁。"
    )
    in_product_name = _deal(cutoff_at=T0 + timedelta(hours=5), product__name="红富士苹果", title="今日爆品")
    in_title = _deal(cutoff_at=T0 + timedelta(hours=3), product__name="水果礼盒", title="苹果梨子礼盒")
    _deal(product__name="香蕉", product__description="海南香蕉，香甜软糯，当天现摘。")
    assert _ids(client, "?q=苹果") == [in_title, in_product_name, in_description]
    assert _ids(client, "?q= 苹果 ") == [in_title, in_product_name, in_description]
    assert _ids(client, "?q=榴莲") == []


def test_search_ignores_ascii_case_and_treats_wildcards_literally(client: FlaskClient, ctx: None) -> None:
    fuji = _deal(product__name="Fuji Apple 富士")
    _deal(product__name="梨")
    assert _ids(client, "?q=fuji") == [fuji]
    assert _ids(client, "?q=%25") == []
    assert _ids(client, "?q=_") == []


def test_filter_by_category_and_pages(client: FlaskClient, ctx: None) -> None:
    veg = CategoryFactory(name="蔬菜")
    greens = [_deal(product__category=veg, cutoff_at=T0 + timedelta(hours=h)) for h in (1, 2, 3)]
    _deal()
    assert _ids(client, f"?category={veg.id}") == greens
    page = client.get(f"/api/v1/deals?category={veg.id}&page=2&page_size=2").json
    assert ([i["id"] for i in page["items"]], page["total"], page["page"], page["page_size"]) == ([greens[2]], 3, 2, 2)
    assert client.get("/api/v1/deals?page_size=101").status_code == 422
    assert client.get("/api/v1/deals?category=abc").status_code == 422


def test_detail_adds_description_images_category_and_status(client: FlaskClient, ctx: None) -> None:
    category = CategoryFactory(name="水果", sort_order=3)
    product = ProductFactory(
        category=category, images=["https://img.example.com/1.jpg", "https://img.example.com/2.jpg"]
    )
    deal = make_deal(sku=SkuFactory(product=product))
    response = client.get(f"/api/v1/deals/{deal.id}")
    assert response.status_code == 200
    body = response.json
    assert set(body) == CARD_FIELDS | {"description", "images", "category", "starts_at", "status", "member_prices"}
    assert body["description"] == product.description
    assert body["images"] == product.images
    assert body["image"] == product.images[0]
    assert body["category"] == {"id": category.id, "name": "水果", "sort_order": 3, "is_fresh": False}
    assert (body["status"], body["starts_at"]) == ("on_sale", deal.starts_at.isoformat())


def test_detail_shows_every_phase(client: FlaskClient, ctx: None) -> None:
    deal = _deal(starts_at=T0 + timedelta(hours=1), cutoff_at=T0 + timedelta(hours=3))
    cancelled = _deal(cancelled=True)
    assert client.get(f"/api/v1/deals/{deal}").json["status"] == "upcoming"
    clock.advance(timedelta(hours=1))
    assert client.get(f"/api/v1/deals/{deal}").json["status"] == "on_sale"
    assert client.get(f"/api/v1/deals/{deal}").json["seconds_to_cutoff"] == 2 * 3600
    clock.advance(timedelta(hours=2))
    closed = client.get(f"/api/v1/deals/{deal}").json
    assert (closed["status"], closed["seconds_to_cutoff"]) == ("closed", 0)
    assert client.get(f"/api/v1/deals/{cancelled}").json["status"] == "cancelled"


@pytest.mark.parametrize("status", [ProductStatus.HELD, ProductStatus.INACTIVE])
def test_detail_of_unknown_or_withdrawn_deals_is_404(client: FlaskClient, ctx: None, status: ProductStatus) -> None:
    assert client.get("/api/v1/deals/999999").status_code == 404
    assert client.get(f"/api/v1/deals/{_deal(product__status=status)}").status_code == 404


def test_public_routes_need_no_token(client: FlaskClient, shopper_headers: dict[str, str], ctx: None) -> None:
    deal = _deal()
    assert client.get("/api/v1/deals", headers=shopper_headers).status_code == 200
    assert client.get(f"/api/v1/deals/{deal}", headers=shopper_headers).status_code == 200


def test_deal_on_sale_is_the_same_rule_for_other_domains(app: Flask, ctx: None) -> None:
    deal = db.session.get(Deal, _deal(starts_at=T0, cutoff_at=T0 + timedelta(hours=1)))
    assert deal is not None
    assert deal_on_sale(deal, T0) is True
    assert deal_on_sale(deal, T0 - timedelta(seconds=1)) is False
    assert deal_on_sale(deal, T0 + timedelta(hours=1)) is False
    deal.sku.product.status = ProductStatus.INACTIVE
    assert deal_on_sale(deal, T0) is False
    db.session.rollback()
