"""Demo reviews, so `make run` shows populated review lists and a leader rating (groupbuy/reviews).

Every completed order of the demo city without reviews gets its buyer's reviews through the real services: stars
(mostly good, a few poor), a short text on most lines, photos on some — small images drawn with Pillow in memory
and uploaded through the uploads service (re-encoded, stored through the file-storage slot) — a leader rating,
and a follow-up on a few. Dated shortly after the order was completed, never later than now. Running it again
adds nothing: an order with a review is skipped.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import exists, select

from groupbuy.db import db
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from groupbuy.reviews.models import Review
from groupbuy.reviews.service import post_follow_up, post_reviews, refresh_all
from groupbuy.uploads.service import create_upload

TEXTS = {
    5: ["很新鲜，家里人都说好吃", "个头大，甜度高，下次还买", "团长很负责，取货很方便"],
    4: ["整体不错，有一两个小磕碰", "味道好，就是包装简单了点"],
    3: ["一般般，和超市差不多"],
    2: ["有几个坏的，希望改进"],
    1: ["收到就坏了一半，很失望"],
}
COLOURS = ["#d9412b", "#f2a541", "#5b9b3a", "#7a3fa0", "#e5d04b", "#3b7dd8"]
MAX_ORDERS = 60


def _photo(rng: random.Random) -> bytes:
    """A small picture of "fruit on a plate": a few coloured circles, as a JPEG."""
    image = Image.new("RGB", (320, 240), "#f4efe6")
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 150, 280, 230), fill="#ffffff", outline="#cccccc")
    for _ in range(rng.randint(2, 5)):
        x, y, r = rng.randint(70, 250), rng.randint(90, 170), rng.randint(22, 40)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(COLOURS))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _stars(rng: random.Random) -> int:
    return rng.choices([5, 4, 3, 2, 1], weights=[55, 25, 10, 6, 4])[0]


def review_demo_orders(*, now: datetime) -> str | None:
    """Reviews for completed orders that have none (at most MAX_ORDERS a run); a line saying what was done."""
    unreviewed = ~exists().where(Review.order_id == Order.id)
    orders = list(
        db.session.scalars(
            select(Order).where(Order.status == OrderStatus.COMPLETED, unreviewed).order_by(Order.id).limit(MAX_ORDERS)
        )
    )
    if not orders:
        return None
    reviews = photos = 0
    for order in orders:
        rng = random.Random(order.id)
        at = min(now, order.updated_at + timedelta(hours=rng.randint(1, 20)))
        items = []
        for line in order.lines:
            stars = _stars(rng)
            images = []
            if rng.random() < 0.35:
                for _ in range(rng.randint(1, 3)):
                    images.append(create_upload(owner_id=order.user_id, data=_photo(rng), now=at).id)
            item: dict[str, object] = {"order_item_id": line.id, "rating": stars, "images": images}
            if rng.random() < 0.7:
                item["content"] = rng.choice(TEXTS[stars])
            items.append(item)
            photos += len(images)
        made, _ = post_reviews(user_id=order.user_id, order_id=order.id, items=items, leader_rating=_stars(rng), now=at)
        reviews += len(made)
        if made and rng.random() < 0.15 and at + timedelta(days=1) <= now:
            post_follow_up(
                user_id=order.user_id,
                review_id=made[0].id,
                content="吃了几天，依然新鲜",
                images=[],
                now=at + timedelta(days=1),
            )
    refresh_all(now=now)
    return f"Demo reviews: {reviews} reviews with {photos} photos on {len(orders)} completed orders."
