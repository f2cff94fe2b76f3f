"""The sandbox checkout page the sandbox code_url opens: plain HTML, no assets, works on a phone and from curl."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from groupbuy import clock
from groupbuy.errors import NotFound
from groupbuy.payments import service

bp = Blueprint("sandbox_checkout", __name__)
TEMPLATE = "sandbox_checkout.html"  # top level: package_data ships templates/*.html
RESULTS = {"success": True, "fail": False}


@bp.get("/pay/sandbox/<token>")
def show_checkout(token: str) -> tuple[str, int]:
    """Order number, amount and the Pay / Fail buttons; 404 page for a token we did not sign."""
    try:
        return render_template(TEMPLATE, checkout=service.sandbox_checkout(token=token)), 200
    except NotFound:
        return render_template(TEMPLATE, checkout=None), 404


@bp.post("/pay/sandbox/<token>")
def submit_checkout(token: str) -> tuple[str, int]:
    """result=success|fail: the sandbox signs a notification and our notify pipeline handles it."""
    succeed = RESULTS.get(request.form.get("result", ""))
    if succeed is None:
        return render_template(TEMPLATE, checkout=None, bad_request=True), 400
    try:
        checkout = service.pay_in_sandbox(token=token, succeed=succeed, now=clock.now())
    except NotFound:
        return render_template(TEMPLATE, checkout=None), 404
    return render_template(TEMPLATE, checkout=checkout, submitted=True), 200
