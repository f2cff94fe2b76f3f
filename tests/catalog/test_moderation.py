"""Listing moderation (seed 001): banned words and thin descriptions are held; the same listing twice in 2 h is 409."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.catalog.models import Product
from groupbuy.catalog.service.moderation import compact, listing_key, moderation_reason
from groupbuy.db import db
from tests.catalog.conftest import product_body
from tests.conftest import tune
from tests.rows import unchanged

BANNED = ["最低价", "国家级", "假一赔十", "特效", "根治"]


def _post(client: FlaskClient, headers: dict[str, str], category_id: int, **overrides: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/admin/products", json=product_body(category_id, **overrides), headers=headers)


def test_a_clean_listing_goes_live(client: FlaskClient, admin_headers: dict[str, str], category_id: int) -> None:
    response = _post(client, admin_headers, category_id)
    assert response.status_code == 201
    assert response.json["status"] == "active"
    assert response.json["moderation_reason"] is None


@pytest.mark.parametrize("word", BANNED)
@pytest.mark.parametrize("field", ["name", "description"])
def test_a_banned_word_holds_the_listing(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, word: str, field: str
) -> None:
    text = f"烟台苹果{word}" if field == "name" else f"产地直发，脆甜多汁，{word}，坏果包赔。"
    response = _post(client, admin_headers, category_id, **{field: text})
    assert response.status_code == 201
    assert response.json["status"] == "held"
    assert word in response.json["moderation_reason"]


def test_spacing_and_width_do_not_hide_a_banned_word(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    response = _post(client, admin_headers, category_id, name="全网 最 低　价 苹果")
    assert response.json["status"] == "held"


@pytest.mark.parametrize(
    ("description", "status"),
    [
        ("", "held"),
        ("好吃", "held"),
        ("   短短的描述   ", "held"),
        ("一二三四五六七八九", "held"),
        ("一二三四五六七八九十", "active"),
    ],
)
def test_a_thin_description_holds_the_listing(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, description: str, status: str
) -> None:
    response = _post(client, admin_headers, category_id, description=description)
    assert response.status_code == 201
    assert response.json["status"] == status
    if status == "held":
        assert "too short" in response.json["moderation_reason"]


def test_words_and_minimum_come_from_config(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, app: Flask
) -> None:
    tune(app, banned_words="秒杀, 爆款")  # as GROUPBUY_BANNED_WORDS=秒杀,爆款 arrives from the environment
    tune(app, min_description_chars=2)
    assert _post(client, admin_headers, category_id, name="爆款苹果").json["status"] == "held"
    assert _post(client, admin_headers, category_id, name="最低价苹果", description="好吃").json["status"] == "active"
    tune(app, banned_words=["榴莲"])
    assert _post(client, admin_headers, category_id, name="金枕榴莲").json["status"] == "held"


@pytest.mark.parametrize("variant", ["山东烟台红富士苹果", " 山东 烟台 红富士苹果 ", "山东烟台红富士苹果\u3000"])
def test_the_same_listing_twice_within_two_hours_is_409(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, variant: str, app: Flask
) -> None:
    assert _post(client, admin_headers, category_id).status_code == 201
    clock.advance(timedelta(hours=1, minutes=59))
    with unchanged(app, Product):
        response = _post(client, admin_headers, category_id, name=variant, supplier=" 烟台果业合作社")
    assert response.status_code == 409
    assert response.json["code"] == "duplicate_listing"


def test_case_is_ignored_in_duplicates(client: FlaskClient, admin_headers: dict[str, str], category_id: int) -> None:
    assert _post(client, admin_headers, category_id, name="Fuji Apple", supplier="Acme").status_code == 201
    assert _post(client, admin_headers, category_id, name="fuji  APPLE", supplier="ACME").status_code == 409


def test_another_supplier_or_a_later_time_is_not_a_duplicate(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    assert _post(client, admin_headers, category_id).status_code == 201
    assert _post(client, admin_headers, category_id, supplier="栖霞果园").status_code == 201
    clock.advance(timedelta(hours=2, minutes=1))
    assert _post(client, admin_headers, category_id).status_code == 201


def test_a_held_listing_still_counts_as_posted(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    assert _post(client, admin_headers, category_id, description="好吃").json["status"] == "held"
    assert _post(client, admin_headers, category_id).status_code == 409


def test_renaming_into_a_recent_listing_is_a_duplicate(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    _post(client, admin_headers, category_id, name="红富士")
    other = _post(client, admin_headers, category_id, name="黄元帅").json["id"]
    response = client.patch(f"/api/v1/admin/products/{other}", json={"name": "红 富 士"}, headers=admin_headers)
    assert response.status_code == 409
    assert response.json["code"] == "duplicate_listing"
    same = client.patch(f"/api/v1/admin/products/{other}", json={"name": "黄元帅"}, headers=admin_headers)
    assert same.status_code == 200


def test_normalisation_rules(ctx: None) -> None:
    assert compact(" Ａpple\u3000苹果 \n") == "apple苹果"
    assert listing_key(supplier="Acme ", name="Fuji  Apple") == listing_key(supplier="acme", name="FUJIAPPLE")
    assert moderation_reason(name="苹果", description="产地直发，脆甜多汁，单果约 200 克。") is None
    assert moderation_reason(name="根治失眠", description="产地直发，脆甜多汁，单果约 200 克。") == "banned word: 根治"


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_posts_of_one_listing_create_it_once(
    app: Flask, admin_headers: dict[str, str], category_id: int, round_: int
) -> None:
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def post(i: int) -> None:
        barrier.wait()
        name = "山东烟台红富士苹果" if i % 2 else "山东 烟台 红富士 苹果"
        statuses.append(_post(app.test_client(), admin_headers, category_id, name=name).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 1
