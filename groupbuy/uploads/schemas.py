"""Upload form and dump."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload as UploadField

from groupbuy.common.fields import StrictInt


class UploadFormSchema(ma.Schema):
    file = UploadField(
        required=True, metadata={"description": "a JPEG, PNG or WebP image (the type is read from the bytes)"}
    )


class UploadSchema(ma.Schema):
    id = StrictInt(1, 2**53, required=True)
    url = ma.fields.String(required=True, metadata={"description": "public, long-cached (content-addressed)"})
    content_type = ma.fields.String(required=True, metadata={"description": "image/jpeg, image/png or image/webp"})
    width = StrictInt(1, 2**31, required=True)
    height = StrictInt(1, 2**31, required=True)
    size = StrictInt(1, 2**53, required=True, metadata={"description": "bytes, after re-encoding"})
