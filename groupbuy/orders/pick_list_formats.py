"""The pick list as the leader takes it away: JSON for the app, CSV for Excel, a printable HTML page.

CSV starts with a UTF-8 byte order mark: without it Excel on Windows reads the file as GBK and shows the
Chinese product names as mojibake. Both the CSV and the page list units per deal first, then each order.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from flask import Response, render_template, request

from groupbuy.i18n import current_language, localized
from groupbuy.orders.service import PickList, RenderedPickList, pick_list, rendered_pick_list

JSON, CSV, HTML = "application/json", "text/csv", "text/html"
BOM = "\ufeff"

STATUS_WORDS = {
    "paid": ("已支付", "paid"),
    "confirmed": ("已确认", "confirmed"),
    "stocking": ("备货中", "being stocked"),
    "shipped": ("已发货", "shipped"),
    "ready_for_pickup": ("待提货", "ready for pickup"),
    "picked_up": ("已提货", "picked up"),
    "delivered": ("已送达", "delivered"),
    "completed": ("已完成", "completed"),
}
_DEAL_HEADER = (("商品", "规格", "件数", "订单数"), ("Product", "Spec", "Units", "Orders"))
_ORDER_HEADER = (
    ("提货码", "订单号", "顾客", "手机", "状态", "商品", "数量"),
    ("Pickup code", "Order no", "Shopper", "Phone", "Status", "Product", "Quantity"),
)


def wanted_format() -> str:
    """JSON unless the client prefers CSV or HTML (a browser's Accept prefers HTML)."""
    return request.accept_mimetypes.best_match([JSON, CSV, HTML], default=JSON) or JSON


def pick_list_answer(*, user_id: int, pickup_date: date, fmt: str) -> Response:
    """The caller's pick list in ``fmt``: JSON and CSV rendered by PostgreSQL when it is the database (the same
    bytes, tests/orders/test_pick_list_parity.py), else, and for the printable page, built here from PickList."""
    if fmt in (JSON, CSV):
        words = _status_words() if fmt == CSV else None
        rendered = rendered_pick_list(user_id=user_id, pickup_date=pickup_date, as_csv=fmt == CSV, status_words=words)
        if rendered is not None:
            return _rendered_csv(rendered) if fmt == CSV else _rendered_json(rendered)
    return pick_list_response(pick_list(user_id=user_id, pickup_date=pickup_date), fmt)


def _rendered_json(pick: RenderedPickList) -> Response:
    """The document json.dumps makes of PickList.as_dict() (compact, keys in that order), glued around the
    arrays' items the database rendered."""
    head: dict[str, object] = {"pickup_date": pick.pickup_date.isoformat(), "pickup_point_name": pick.pickup_point_name}
    head |= {"total_units": pick.total_units, "total_orders": pick.total_orders}
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    body = f'{opening},"deals":[{pick.deals}],"shoppers":[{pick.shoppers}]}}'
    return Response(body.encode(), mimetype=JSON)


def _rendered_csv(pick: RenderedPickList) -> Response:
    english = current_language() == "en"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_DEAL_HEADER[english])
    deal_header = out.getvalue()
    out.seek(0)
    out.truncate()
    writer.writerow(())
    writer.writerow(_ORDER_HEADER[english])
    body = f"{BOM}{deal_header}{pick.deals}{out.getvalue()}{pick.shoppers}"
    return _csv_response(body, pick.pickup_date)


def pick_list_response(pick: PickList, fmt: str) -> Response:
    if fmt == CSV:
        return _csv(pick)
    if fmt == HTML:
        page = render_template("pick_list.html", pick=pick, names=pick.deal_names(), words=_status_words())
        return Response(page, mimetype=HTML)
    # Plain dicts straight to the C encoder, compact and unsorted, rather than through the schema: 5,000
    # orders dump in a fraction of the time (bench/pick_list.py). PickListSchema documents the same shape.
    body = json.dumps(pick.as_dict(), ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode(), mimetype=JSON)


def _status_words() -> dict[str, str]:
    return {status: localized(pair) for status, pair in STATUS_WORDS.items()}


def _csv(pick: PickList) -> Response:
    english = current_language() == "en"
    words, names = _status_words(), pick.deal_names()
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_DEAL_HEADER[english])
    writer.writerows((d["product_name"], d["spec"], d["units"], d["orders"]) for d in pick.deals)
    writer.writerow(())
    writer.writerow(_ORDER_HEADER[english])
    for shopper in pick.shoppers:
        for line in shopper["lines"]:
            writer.writerow(
                (
                    shopper["pickup_code"] or "",
                    shopper["order_no"],
                    shopper["name"],
                    shopper["phone"] or "",
                    words.get(shopper["status"], shopper["status"]),
                    names[line["deal_id"]],
                    line["quantity"],
                )
            )
    return _csv_response(out.getvalue(), pick.pickup_date)


def _csv_response(body: str, pickup_date: date) -> Response:
    filename = f"pick-list-{pickup_date.isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
