"""The pick list as the leader takes it away: JSON for the app, CSV for Excel, a printable HTML page.

CSV starts with a UTF-8 byte order mark: without it Excel on Windows reads the file as GBK and shows the
Chinese product names as mojibake. Both the CSV and the page list units per deal first, then each order.
"""

from __future__ import annotations

import csv
import io
import json

from flask import Response, render_template, request

from groupbuy.i18n import current_language, localized
from groupbuy.orders.service import PickList

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
    filename = f"pick-list-{pick.pickup_date.isoformat()}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
