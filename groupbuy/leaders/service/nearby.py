"""Nearby pickup points: an indexed bounding box in SQL, exact great-circle distance in Python."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from groupbuy.common.pagination import Page
from groupbuy.db import db
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.leaders.models import Leader

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
DEFAULT_RADIUS_M = 3000
MAX_RADIUS_M = 50_000


@dataclass(frozen=True)
class NearbyLeader:
    leader: Leader
    distance_m: int


@dataclass(frozen=True)
class NearbyPage(Page[NearbyLeader]):
    candidates: int  # rows the bounding box let through (for benchmarks and tuning)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres on a spherical Earth (error < 0.5 % against the ellipsoid)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, list[tuple[float, float]]]:
    """(lat_min, lat_max, lng ranges) holding every point within ``radius_m``; splits at the antimeridian."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    lat_min, lat_max = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    widest = max(abs(lat_min), abs(lat_max))  # the box is widest in degrees at its pole-most edge
    if widest >= 89.9:
        return lat_min, lat_max, [(-180.0, 180.0)]  # near a pole every longitude may be in reach
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(widest))))
    if dlng >= 180:
        return lat_min, lat_max, [(-180.0, 180.0)]
    low, high = lng - dlng, lng + dlng
    if low < -180:
        return lat_min, lat_max, [(low + 360, 180.0), (-180.0, high)]
    if high > 180:
        return lat_min, lat_max, [(low, 180.0), (-180.0, high - 360)]
    return lat_min, lat_max, [(low, high)]


def find_nearby_leaders(*, lat: float, lng: float, radius_m: int, page: int, page_size: int) -> NearbyPage:
    """Active pickup points within ``radius_m`` of (lat, lng), nearest first (ties by id)."""
    lat_min, lat_max, lng_ranges = bounding_box(lat, lng, radius_m)
    candidates = db.session.execute(
        select(Leader.id, Leader.lat, Leader.lng).where(
            Leader.status == LeaderStatus.ACTIVE,
            Leader.lat.between(lat_min, lat_max),
            or_(*(and_(Leader.lng >= low, Leader.lng <= high) for low, high in lng_ranges)),
        )
    ).all()
    in_reach = sorted(
        (distance, leader_id)
        for leader_id, leader_lat, leader_lng in candidates
        if (distance := haversine_m(lat, lng, leader_lat, leader_lng)) <= radius_m
    )
    window = in_reach[(page - 1) * page_size : page * page_size]
    leaders = _load_active([leader_id for _, leader_id in window])
    items = [NearbyLeader(leader=leaders[i], distance_m=round(d)) for d, i in window if i in leaders]
    return NearbyPage(items=items, page=page, page_size=page_size, total=len(in_reach), candidates=len(candidates))


def _load_active(leader_ids: list[int]) -> dict[int, Leader]:
    """The page's leaders in one query (still active: the status may have changed since the first query)."""
    if not leader_ids:
        return {}
    query = select(Leader).where(Leader.id.in_(leader_ids), Leader.status == LeaderStatus.ACTIVE)
    return {leader.id: leader for leader in db.session.scalars(query)}
