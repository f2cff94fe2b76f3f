"""Upload doors: an image in (any signed-in user), and the public file URL (local storage serves it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.common.input import Blueprint
from groupbuy.errors import NotFound
from groupbuy.extensions import limiter
from groupbuy.settings import settings
from groupbuy.uploads import service
from groupbuy.uploads.imaging import EXTENSIONS
from groupbuy.uploads.schemas import UploadFormSchema, UploadSchema

blp = Blueprint("uploads", __name__, url_prefix="/api/v1", description="Image uploads")
media_blp = Blueprint("media", __name__, description="Uploaded files (public, content-addressed)")

MULTIPART_OVERHEAD = 64 * 1024
KEY = re.compile(r"[0-9a-f]{64}\.(jpg|png|webp)")
TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}
YEAR = 365 * 24 * 3600


def upload_limit() -> str:
    """Per-IP throttle on uploads (GROUPBUY_UPLOAD_RATE_LIMIT)."""
    return settings().upload_rate_limit


def upload_sized(view: Callable[..., Any]) -> Callable[..., Any]:
    """Lets this request's body reach GROUPBUY_UPLOAD_MAX_BYTES (plus the multipart framing) instead of the
    app-wide GROUPBUY_MAX_CONTENT_LENGTH; larger bodies are refused with 413 before they are read."""

    @wraps(view)
    def sized(*args: Any, **kwargs: Any) -> Any:
        request.max_content_length = settings().upload_max_bytes + MULTIPART_OVERHEAD
        return view(*args, **kwargs)

    return sized


@blp.route("/uploads")
class Uploads(MethodView):
    @require_roles(*SIGNED_IN)
    @limiter.limit(upload_limit)
    @upload_sized
    @blp.arguments(UploadFormSchema(), location="files")
    @blp.response(201, UploadSchema)
    @blp.alt_response(413, description="payload_too_large: over GROUPBUY_UPLOAD_MAX_BYTES")
    @blp.alt_response(415, description="upload_not_an_image: not a JPEG, PNG or WebP (read from the bytes)")
    @blp.alt_response(
        422, response="UNPROCESSABLE_ENTITY", description="upload_dimensions, upload_unreadable, validation_failed"
    )
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, form: dict[str, Any]) -> dict[str, Any]:
        """Upload an image (multipart field `file`): checked, re-encoded without metadata, stored; attach its id
        to a review, an after-sale request or a message within GROUPBUY_UPLOAD_ORPHAN_HOURS."""
        upload = service.create_upload(owner_id=current_user_id(), data=form["file"].read(), now=clock.now())
        return {
            "id": upload.id,
            "url": service.upload_url(upload),
            "content_type": upload.content_type,
            "width": upload.width,
            "height": upload.height,
            "size": upload.size,
        }


@media_blp.route("/media/<string:key>")
class MediaFile(MethodView):
    @media_blp.doc(security=[])
    @media_blp.response(200, content_type="image/jpeg", description="the image (JPEG, PNG or WebP by extension)")
    @media_blp.alt_response(404, response="NOT_FOUND")
    def get(self, key: str) -> Response:
        """An uploaded file; its key is its content hash, so it is cached for a year."""
        match = KEY.fullmatch(key)
        data = service.stored_file(key) if match else None
        if match is None or data is None:
            raise NotFound()
        response = current_app.response_class(data, mimetype=TYPES[match.group(1)])
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.set_etag(key.split(".")[0])
        response.make_conditional(request)
        return response
