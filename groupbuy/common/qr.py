"""QR codes as PNG or SVG with explicit image factories (no Pillow), cacheable forever per payload."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import qrcode
from flask import Response, current_app, request
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage

FORMATS = {"png": ("image/png", PyPNGImage), "svg": ("image/svg+xml", SvgPathImage)}


def qr_matrix(data: str) -> list[list[bool]]:
    """The module matrix for ``data`` (what the images draw)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def render_qr(data: str, fmt: str) -> bytes:
    """PNG or SVG bytes of a QR code for ``data``."""
    _, factory = FORMATS[fmt]
    code: qrcode.QRCode[Any] = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4, image_factory=factory
    )
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def qr_response(data: str, fmt: str, *, private: bool = False) -> Response:
    """A cacheable image response (``private``: only the caller's own cache may keep it); If-None-Match → 304."""
    mimetype, _ = FORMATS[fmt]
    etag = hashlib.sha256(f"{fmt}:{data}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(render_qr(data, fmt), mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"{'private' if private else 'public'}, max-age=86400"
    return response
