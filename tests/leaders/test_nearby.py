"""Nearby pickup points: order, radius, exclusions, paging, edge geography, validation."""

from __future__ import annotations

import math
import random

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy.leaders.service import find_nearby_leaders, haversine_m
from groupbuy.leaders.service.nearby import bounding_box
from tests.factories.leaders import make_leader

LAT, LNG = 40.0, 116.4
M_PER_DEG_LAT = 111_195  # 0.01° of latitude ≈ 1112 m on the mean-radius sphere
M_PER_DEG_LNG_AT_40 = M_PER_DEG_LAT * math.cos(math.radians(40))  # ≈ 85 181 m


@pytest.fixture
def town(app: Flask) -> dict[str, int]:
    """Pickup points at known offsets from (40.0, 116.4); name -> leader id."""
    points = {
        "here": (LAT, LNG),
        "north_1112": (LAT + 0.01, LNG),
        "south_2224": (LAT - 0.02, LNG),
        "east_2555": (LAT, LNG + 0.03),
        "north_3336": (LAT + 0.03, LNG),
        "far_55km": (LAT + 0.5, LNG),
    }
    with app.app_context():
        ids = {name: make_leader(lat=lat, lng=lng).id for name, (lat, lng) in points.items()}
        ids["suspended_556"] = make_leader(lat=LAT + 0.005, lng=LNG, suspended=True).id
    return ids


EXPECTED_M = {
    "here": 0,
    "north_1112": 0.01 * M_PER_DEG_LAT,
    "south_2224": 0.02 * M_PER_DEG_LAT,
    "east_2555": 0.03 * M_PER_DEG_LNG_AT_40,
    "north_3336": 0.03 * M_PER_DEG_LAT,
}


def _nearby(client: FlaskClient, **params: object):  # type: ignore[no-untyped-def]
    query = {"lat": LAT, "lng": LNG, **params}
    return client.get("/api/v1/leaders", query_string=query)


def test_nearest_first_within_the_default_radius(client: FlaskClient, town: dict[str, int]) -> None:
    response = _nearby(client)
    assert response.status_code == 200
    body = response.json
    names = {v: k for k, v in town.items()}
    assert [names[item["id"]] for item in body["items"]] == ["here", "north_1112", "south_2224", "east_2555"]
    assert body["total"] == 4
    for item in body["items"]:
        expected = EXPECTED_M[names[item["id"]]]
        assert isinstance(item["distance_m"], int)
        assert abs(item["distance_m"] - expected) <= max(1, 0.01 * expected)
    first = body["items"][1]
    assert abs(first["distance_m"] - 1112) <= 12  # 0.01° of latitude ≈ 1112 m
    for field in ("pickup_point_name", "address", "opening_hours", "offers_delivery", "rating_bp", "credit_score"):
        assert field in first
    for private in ("real_name", "phone", "user_id"):
        assert private not in first


def test_radius_is_respected(client: FlaskClient, town: dict[str, int]) -> None:
    names = {v: k for k, v in town.items()}

    def found(radius_m: int) -> list[str]:
        return [names[i["id"]] for i in _nearby(client, radius_m=radius_m).json["items"]]

    assert found(1000) == ["here"]
    assert found(1120) == ["here", "north_1112"]
    assert found(3500) == ["here", "north_1112", "south_2224", "east_2555", "north_3336"]
    assert found(50_000) == ["here", "north_1112", "south_2224", "east_2555", "north_3336"]  # 55.6 km stays out


def test_suspended_leaders_are_not_listed(client: FlaskClient, town: dict[str, int]) -> None:
    ids = [item["id"] for item in _nearby(client, radius_m=600).json["items"]]
    assert ids == [town["here"]]
    assert town["suspended_556"] not in [item["id"] for item in _nearby(client, radius_m=50_000).json["items"]]


def test_pages(client: FlaskClient, town: dict[str, int]) -> None:
    first = _nearby(client, page_size=3).json
    second = _nearby(client, page_size=3, page=2).json
    assert [i["id"] for i in first["items"]] == [town["here"], town["north_1112"], town["south_2224"]]
    assert [i["id"] for i in second["items"]] == [town["east_2555"]]
    assert (first["total"], second["total"], second["page"]) == (4, 4, 2)
    assert _nearby(client, page=9).json["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"lat": None},
        {"lng": None},
        {"lat": 90.1},
        {"lng": -180.5},
        {"lat": "nan"},
        {"radius_m": 50_001},
        {"radius_m": 0},
        {"radius_m": "3km"},
        {"page_size": 101},
    ],
)
def test_invalid_queries_are_422(client: FlaskClient, params: dict[str, object]) -> None:
    query: dict[str, object] = {"lat": LAT, "lng": LNG}
    query.update(params)
    response = client.get("/api/v1/leaders", query_string={k: v for k, v in query.items() if v is not None})
    assert response.status_code == 422


def test_across_the_antimeridian(app: Flask, ctx: None) -> None:
    west = make_leader(lat=0.0, lng=179.999)
    east = make_leader(lat=0.0, lng=-179.999)
    result = find_nearby_leaders(lat=0.0, lng=179.9995, radius_m=1000, page=1, page_size=20)
    assert [n.leader.id for n in result.items] == [west.id, east.id]
    assert [n.distance_m for n in result.items] == [56, 167]


def test_near_the_pole(app: Flask, ctx: None) -> None:
    other_side = make_leader(lat=89.99, lng=0.0)
    result = find_nearby_leaders(lat=89.99, lng=180.0, radius_m=3000, page=1, page_size=20)
    assert [n.leader.id for n in result.items] == [other_side.id]
    assert abs(result.items[0].distance_m - 2224) <= 23


def test_matches_a_brute_force_scan(app: Flask, ctx: None) -> None:
    rng = random.Random(7)
    centres = [(LAT, LNG), (-33.87, 151.21), (0.0, 179.99), (64.1, -21.9)]
    leaders = []
    for c_lat, c_lng in centres:
        for _ in range(60):
            lat = c_lat + rng.uniform(-0.05, 0.05)
            lng = (c_lng + rng.uniform(-0.08, 0.08) + 540) % 360 - 180
            leaders.append(make_leader(lat=lat, lng=lng, suspended=rng.random() < 0.1))
    for _ in range(40):
        c_lat, c_lng = rng.choice(centres)
        q_lat, q_lng = c_lat + rng.uniform(-0.03, 0.03), (c_lng + rng.uniform(-0.03, 0.03) + 540) % 360 - 180
        radius = rng.choice([300, 1000, 3000, 6000])
        expected = sorted(
            (haversine_m(q_lat, q_lng, x.lat, x.lng), x.id)
            for x in leaders
            if x.status.value == "active" and haversine_m(q_lat, q_lng, x.lat, x.lng) <= radius
        )
        got = find_nearby_leaders(lat=q_lat, lng=q_lng, radius_m=radius, page=1, page_size=100)
        assert [n.leader.id for n in got.items] == [i for _, i in expected]
        assert got.total == len(expected) <= got.candidates


def test_bounding_box_holds_the_circle() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        lat, lng = rng.uniform(-89.5, 89.5), rng.uniform(-180, 180)
        radius = rng.choice([100, 3000, 50_000])
        bearing = rng.uniform(0, 2 * math.pi)
        # a point at exactly `radius` along a random bearing (spherical destination formula)
        d = radius / 6_371_008.8
        phi1, lmb1 = math.radians(lat), math.radians(lng)
        phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(bearing))
        lmb2 = lmb1 + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(phi1), math.cos(d) - math.sin(phi1) * math.sin(phi2)
        )
        p_lat, p_lng = math.degrees(phi2), (math.degrees(lmb2) + 540) % 360 - 180
        lat_min, lat_max, ranges = bounding_box(lat, lng, radius)
        assert lat_min <= p_lat <= lat_max
        assert any(low <= p_lng <= high for low, high in ranges)


def test_haversine_known_distance() -> None:
    assert abs(haversine_m(40.0, 116.4, 40.01, 116.4) - 1112) < 1
    assert abs(haversine_m(39.9042, 116.4074, 31.2304, 121.4737) - 1_067_000) < 5_000  # Beijing-Shanghai
