"""Profile place-order in-process on PostgreSQL: SQL statements per request and pyinstrument's hottest frames.

.venv/bin/python bench/profile_checkout.py [--requests 300]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.checkout import DEALS, TOKENS, _fresh_database, _psql, seed_groupbuy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    from pyinstrument import Profiler  # noqa: PLC0415

    from groupbuy import create_app  # noqa: PLC0415
    from groupbuy.db import db  # noqa: PLC0415

    url = _fresh_database("gb_bench_profile")
    seed_groupbuy(url, shoppers=200, deals=40)
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "METRICS_DISABLED": True})
    statements: list[str] = []
    with app.app_context():  # the session's engine and, on PostgreSQL, the autocommit pool's (db.alone)
        for engine in db.engines.values():
            event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2].split()[0]))
    client = app.test_client()

    def place(i: int) -> None:
        token, deal = TOKENS[i % len(TOKENS)], DEALS[i % len(DEALS)]
        client.post(
            "/api/v1/cart/items", json={"deal_id": deal, "quantity": 1}, headers={"Authorization": f"Bearer {token}"}
        )
        response = client.post(
            "/api/v1/orders",
            json={"from_cart": True, "fulfilment": "pickup"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"p{i}"},
        )
        assert response.status_code == 201, response.json

    place(0)
    statements.clear()
    place(1)
    print(f"SQL statements for one cart add + order: {len(statements)}: {' '.join(statements)}")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(2, args.requests + 2):
        place(i)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])
    with app.app_context():
        db.engine.dispose()
    _psql("DROP DATABASE IF EXISTS gb_bench_profile WITH (FORCE)")


if __name__ == "__main__":
    main()
