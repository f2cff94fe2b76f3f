"""Demo data for `make run`: staff and shopper accounts, and a small city of leaders, products, deals and groups.

Everything goes through the same services the API uses (applications approved by the demo admin, products through
moderation, deals allocated from SKU stock), so the demo also shows the rules at work.

The city is built once, into a database without leaders. Deals have cutoffs hours ahead, so on every later load
with no demo deal live any more, the demo catalog gets new deals dated from ``now`` (and their groups). Only demo
rows are read or changed: products the demo admin listed under the demo names, leaders of the demo phones.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.accounts.service import create_user
from groupbuy.catalog.enums import DealStatus, ProductStatus
from groupbuy.catalog.models import Category, Deal, Product, Sku
from groupbuy.catalog.service import add_sku, adjust_sku_stock, create_category, create_deal, create_product
from groupbuy.common.urls import absolute_url
from groupbuy.db import db
from groupbuy.demo_aftersales import load_demo_aftersales
from groupbuy.demo_coupons import load_demo_coupons
from groupbuy.demo_members import load_demo_members
from groupbuy.demo_messages import load_demo_messages
from groupbuy.demo_reviews import review_demo_orders
from groupbuy.demo_workbench import play_demo_days
from groupbuy.groups.enums import GroupOpenedBy
from groupbuy.groups.service import open_group
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service import approve_application, choose_my_leader, submit_application

DEMO_PASSWORD = "Demo12345"  # noqa: S105 - published demo login, development only
DEMO_USERS = [
    ("13800000001", "管理员", [Role.ADMIN]),
    ("13800000002", "客服小美", [Role.CS]),
    ("13800000003", "邻居小王", [Role.SHOPPER]),
]
LEADER_PHONES = [f"1380000{1000 + i}" for i in range(10)]
DEAL_UNITS = 200
CENTRE = (30.2741, 120.1551)  # West Lake, Hangzhou
SHANGHAI = ZoneInfo("Asia/Shanghai")
CATEGORIES = ["水果", "蔬菜", "肉禽蛋", "乳品烘焙", "粮油调味"]
PRODUCTS = {
    "水果": [
        ("烟台红富士苹果", "5 斤"),
        ("海南金煌芒", "3 斤"),
        ("赣南脐橙", "5 斤"),
        ("丹东草莓", "2 盒"),
        ("新疆阿克苏冰糖心", "5 斤"),
        ("云南蓝莓", "4 盒"),
    ],
    "蔬菜": [
        ("山东大葱", "2 斤"),
        ("有机西兰花", "500 g"),
        ("本地小青菜", "500 g"),
        ("云南土豆", "5 斤"),
        ("寿光西红柿", "3 斤"),
        ("东北黑木耳", "250 g"),
    ],
    "肉禽蛋": [
        ("散养土鸡蛋", "30 枚"),
        ("黑猪五花肉", "500 g"),
        ("三黄鸡", "1 只"),
        ("内蒙古羊排", "1 kg"),
        ("鲜牛腩", "500 g"),
        ("农家鸭蛋", "20 枚"),
    ],
    "乳品烘焙": [
        ("鲜牛奶", "950 ml"),
        ("全麦吐司", "400 g"),
        ("原味酸奶", "6 杯"),
        ("黄油牛角包", "4 个"),
        ("奶酪棒", "20 支"),
        ("手撕面包", "500 g"),
    ],
    "粮油调味": [
        ("五常大米", "5 kg"),
        ("压榨花生油", "5 L"),
        ("生抽酱油", "500 ml"),
        ("陈醋", "500 ml"),
        ("红糖", "500 g"),
        ("挂面", "1 kg"),
    ],
}


def _ensure_users(now: datetime, echo: Callable[[str], None]) -> dict[str, User]:
    users = {}
    for phone, nickname, roles in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is None:
            user = create_user(phone=phone, email=None, password=DEMO_PASSWORD, roles=roles, nickname=nickname, now=now)
            echo(f"created demo user {nickname}")
        users[phone] = user
    return users


def _leaders(admin_id: int, now: datetime, rng: random.Random) -> list[Leader]:
    leaders = []
    for i in range(10):
        user = create_user(
            phone=LEADER_PHONES[i], email=None, password=DEMO_PASSWORD, roles=[], nickname=f"团长{i + 1}", now=now
        )
        lat = CENTRE[0] + rng.uniform(-0.03, 0.03)
        lng = CENTRE[1] + rng.uniform(-0.03, 0.03)
        application = submit_application(
            user_id=user.id,
            fields={
                "display_name": f"{'张王李赵刘陈杨黄周吴'[i]}团长",
                "real_name": f"{'张王李赵刘陈杨黄周吴'[i]}某",
                "phone": user.phone,
                "pickup_point_name": f"西湖{i + 1}号社区自提点",
                "address": f"杭州市西湖区文三路{100 + i}号",
                "lat": round(lat, 6),
                "lng": round(lng, 6),
                "opening_hours": "08:00-21:00",
            },
            licences=[{"kind": "food_business", "url": f"https://img.example.com/licence-{i}.jpg"}],
            now=now,
        )
        leaders.append(
            approve_application(application_id=application.id, actor_id=admin_id, commission_rate_bp=None, now=now)
        )
    return leaders


def load_demo_data(*, now: datetime, echo: Callable[[str], None]) -> Iterator[str]:
    """Create what is missing; the city (leaders, catalog, deals, groups) only into a database without leaders."""
    users = _ensure_users(now, echo)
    admin, shopper = users["13800000001"], users["13800000003"]
    if db.session.scalar(select(Leader.id).limit(1)) is None:
        rng = random.Random(20261122)
        steps = ["leaders", *CATEGORIES, "groups"]
        with click.progressbar(steps, label="loading the demo city", show_pos=True) as bar:
            leaders: list[Leader] = []
            deals: list[Deal] = []
            for step in bar:
                if step == "leaders":
                    leaders = _leaders(admin.id, now, rng)
                elif step == "groups":
                    for deal in deals[:8]:
                        for leader in leaders[:4]:
                            open_group(leader_id=leader.id, deal_id=deal.id, opened_by=GroupOpenedBy.LEADER, now=now)
                else:
                    deals += _category(step, admin.id, now, rng)
        choose_my_leader(user_id=shopper.id, leader_id=leaders[0].id, now=now)
        yield f"Demo city: {len(leaders)} leaders, {len(CATEGORIES) * 6} products, {len(deals)} live deals."
    elif not _demo_deal_live(admin.id, now):
        deals = _top_up(admin.id, now)
        yield f"Demo city topped up: no demo deal was live, {len(deals)} new ones start now."
    workbench = play_demo_days(admin_id=admin.id, leader_phone=LEADER_PHONES[0], password=DEMO_PASSWORD, now=now)
    if workbench:
        yield workbench
    messages = load_demo_messages(
        leader_phone=LEADER_PHONES[0], cs_phone="13800000002", shopper_phone="13800000003", now=now
    )
    if messages:
        yield messages
    members = load_demo_members(
        admin_phone="13800000001",
        cs_phone="13800000002",
        shopper_phone="13800000003",
        leader_phone=LEADER_PHONES[0],
        password=DEMO_PASSWORD,
        now=now,
    )
    if members:
        yield members
    yield from filter(None, [load_demo_coupons(admin_phone="13800000001", shopper_phone="13800000003", now=now)])
    if aftersales := load_demo_aftersales(leader_phone=LEADER_PHONES[0], now=now):
        yield aftersales
    if reviewed := review_demo_orders(now=now):
        yield reviewed
    yield "Demo logins (password for all: " + DEMO_PASSWORD + "):"
    for phone, nickname, roles in DEMO_USERS:
        yield f"  {', '.join(r.value for r in roles):8} {phone}  {nickname}"
    yield "  leader   13800001000 .. 13800001009 (团长1..10)"
    yield f"  workbench {absolute_url('/workbench/')} as 团长1: {LEADER_PHONES[0]} (today's pickup, pick list, figures)"
    yield f"  console   {absolute_url('/console/')} as 客服小美: 13800000002 (orders, refunds, accounts, audit)"
    yield '  shopper  WeChat mini-app: POST /api/v1/auth/wechat-login {"code": "dev-alice"}'


def _category(name: str, admin_id: int, now: datetime, rng: random.Random) -> list[Deal]:
    category = create_category(actor_id=admin_id, name=name, sort_order=CATEGORIES.index(name), now=now)
    deals = []
    for n, (product_name, spec) in enumerate(PRODUCTS[name]):
        product = create_product(
            actor_id=admin_id,
            name=product_name,
            now=now,
            category_id=category.id,
            description=f"{product_name}，产地直发，新鲜到家，坏果包赔。规格：{spec}。",
            images=[f"https://img.example.com/{name}-{n}.jpg"],
            supplier=f"{name}合作社",
        )
        list_price = rng.randrange(990, 6990, 10)
        sku = add_sku(
            actor_id=admin_id, product_id=product.id, spec=spec, list_price_fen=list_price, stock=500, now=now
        )
        if n < 4:  # four live deals per category: 20 in all
            deals.append(_deal(sku, admin_id, now, rng))
    return deals


def _deal(sku: Sku, admin_id: int, now: datetime, rng: random.Random) -> Deal:
    cutoff = now + timedelta(hours=rng.choice([3, 6, 10, 20, 30]))
    return create_deal(
        actor_id=admin_id,
        sku_id=sku.id,
        title=None,
        group_price_fen=sku.list_price_fen * 7 // 10,
        starts_at=now - timedelta(hours=1),
        cutoff_at=cutoff,
        pickup_date=(cutoff.astimezone(SHANGHAI) + timedelta(days=1)).date(),
        min_group_quantity=rng.choice([1, 3, 5, 10]),
        limit_per_user=rng.choice([2, 5, 10]),
        stock_allocated=DEAL_UNITS,
        now=now,
    )


def _demo_products(admin_id: int) -> list[Product]:
    """The demo catalog: products the demo admin listed under the demo names in the demo categories."""
    names = [name for products in PRODUCTS.values() for name, _spec in products]
    return list(
        db.session.scalars(
            select(Product)
            .join(Category, Product.category_id == Category.id)
            .where(Product.created_by_id == admin_id, Product.name.in_(names), Category.name.in_(CATEGORIES))
            .order_by(Product.id)
        )
    )


def _demo_deal_live(admin_id: int, now: datetime) -> bool:
    """Is any deal of the demo catalog on sale now with units left?"""
    product_ids = [product.id for product in _demo_products(admin_id)]
    live = db.session.scalar(
        select(Deal.id)
        .join(Sku, Deal.sku_id == Sku.id)
        .where(
            Sku.product_id.in_(product_ids),
            Deal.status == DealStatus.ACTIVE,
            Deal.starts_at <= now,
            Deal.cutoff_at > now,
            Deal.stock_available > 0,
        )
        .limit(1)
    )
    return live is not None


def _top_up(admin_id: int, now: datetime) -> list[Deal]:
    """New deals from now for the first four active demo products of each category, groups for eight of them."""
    rng = random.Random(int(now.timestamp()))
    per_category: dict[int, list[Product]] = {}
    for product in _demo_products(admin_id):
        if product.status is ProductStatus.ACTIVE and product.skus:
            per_category.setdefault(product.category_id, []).append(product)
    deals = []
    for products in per_category.values():
        for product in products[:4]:
            sku = product.skus[0]
            db.session.refresh(sku)
            if sku.stock < DEAL_UNITS:  # the demo's own SKU: restock what the expired deals used up
                adjust_sku_stock(sku_id=sku.id, delta=DEAL_UNITS - sku.stock, now=now)
                db.session.refresh(sku)
            deals.append(_deal(sku, admin_id, now, rng))
    leaders = db.session.scalars(
        select(Leader).join(User, Leader.user_id == User.id).where(User.phone.in_(LEADER_PHONES)).order_by(Leader.id)
    ).all()
    for deal in deals[:8]:
        for leader in leaders[:4]:
            open_group(leader_id=leader.id, deal_id=deal.id, opened_by=GroupOpenedBy.LEADER, now=now)
    return deals
