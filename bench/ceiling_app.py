"""The ceiling: the least a Flask + SQLAlchemy 2 + psycopg 3 app can do for "place an order", "reserve stock"
and "read one row".

`bench/checkout.py` and `bench/browse.py` serve it under the same gunicorn settings as groupbuy and drive both with
the same load, so groupbuy's figures are read as a ratio to what the stack itself reaches on the same machine in
the same run.

    DB_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gb_bench_ceiling python bench/ceiling_app.py init
    DB_URL=... gunicorn --chdir bench ceiling_app:app

`POST /orders {"user_id", "items": [{"product_id", "qty", "price_cents"}]}` writes one order and its lines in
one ORM unit of work (BEGIN, INSERT order RETURNING id, INSERT lines, COMMIT): no auth, no rules, no stock.
`POST /products/<id>/reserve {"qty"}` takes stock with one conditional one-row UPDATE through the ORM session
(`UPDATE ... SET stock = stock - :qty WHERE id = :id AND stock >= :qty`, COMMIT): 200, or 409 when the row has
too little stock or does not exist; the reference for a cart add. `GET /products/<id>` reads one row by primary
key (`session.get`) and answers its id, name and price_cents as JSON (404 when absent); the reference for reads.
`GET /health` answers while it is up. `init` (re)creates its three tables and seeds 10,000 products with a
stock of 10^9 each.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask, jsonify, request
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, create_engine, insert, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

DB_URL = os.environ["DB_URL"]
N_PRODUCTS = 10_000
STOCK = 10**9  # per product: the reserve runs never exhaust it


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "ceiling_products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(BigInteger)


class Order(Base):
    __tablename__ = "ceiling_orders"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrderLine(Base):
    __tablename__ = "ceiling_order_lines"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("ceiling_orders.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("ceiling_products.id"))
    qty: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)


engine = create_engine(DB_URL, pool_size=int(os.environ.get("POOL_SIZE", "5")))  # one per gunicorn worker
Session = sessionmaker(engine, expire_on_commit=False)
app = Flask(__name__)


@app.get("/health")
def health() -> Any:
    return jsonify(ok=True)


@app.post("/orders")
def place_order() -> Any:
    body = request.get_json()
    items = body["items"]
    total = sum(item["qty"] * item["price_cents"] for item in items)
    with Session.begin() as session:
        order = Order(user_id=body["user_id"], total_cents=total, created_at=datetime.now(UTC))
        session.add(order)
        session.flush()  # the order's id for its lines
        session.add_all(
            OrderLine(
                order_id=order.id, product_id=item["product_id"], qty=item["qty"], price_cents=item["price_cents"]
            )
            for item in items
        )
    return jsonify(id=order.id, total_cents=total), 201


@app.get("/products/<int:product_id>")
def read_product(product_id: int) -> Any:
    with Session() as session:
        product = session.get(Product, product_id)
        if product is None:
            return jsonify(error="not_found"), 404
        return jsonify(id=product.id, name=product.name, price_cents=product.price_cents)


@app.post("/products/<int:product_id>/reserve")
def reserve(product_id: int) -> Any:
    qty = int(request.get_json()["qty"])
    with Session.begin() as session:
        result = session.execute(
            update(Product)
            .where(Product.id == product_id, Product.stock >= qty)
            .values(stock=Product.stock - qty)
            .execution_options(synchronize_session=False)
        )
        taken = cast("CursorResult[Any]", result).rowcount  # an UPDATE without RETURNING: the rows it changed
    if not taken:
        return jsonify(error="out_of_stock"), 409
    return jsonify(id=product_id, reserved=qty)


def init() -> None:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        rows = [
            {"id": i, "name": f"product {i}", "price_cents": 100 + i % 900, "stock": STOCK}
            for i in range(1, N_PRODUCTS + 1)
        ]
        connection.execute(insert(Product), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


if __name__ == "__main__":
    if sys.argv[1:] != ["init"]:
        sys.exit("usage: DB_URL=... python ceiling_app.py init")
    init()
    print("seeded")
