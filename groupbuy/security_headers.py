"""Security headers on every response; a per-request CSP nonce for the inline script and style of our HTML pages.

JSON answers get a policy that allows nothing at all. The HTML pages (the sandbox checkout, Swagger UI at
/api/docs) load scripts, styles and images from this origin only; their inline blocks carry the nonce that
``csp_nonce()`` gives the template. Nothing may frame any response (clickjacking on the Pay button), and no
Referer leaves a page (the sandbox checkout URL carries its signed token).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def csp_nonce() -> str:
    """This response's nonce (made on first use): templates put it on their inline <script>/<style>."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def install_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        nonce = g.get("csp_nonce")
        policy = PAGE_POLICY.format(nonce=nonce) if nonce else API_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
