"""A fake S3-compatible object store (path-style PUT/GET/DELETE) on a real local port, for S3Storage tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/s3/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass
class FakeS3:
    bucket: str = "photos"
    access_key_id: str = "test-access-key"
    objects: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        self.calls.append((request.method, request.path))
        body = request.get_data()
        auth = AUTH.fullmatch(request.headers.get("Authorization", ""))
        if auth is None or auth["key"] != self.access_key_id:
            return Response("<Error><Code>AccessDenied</Code></Error>", status=403)
        if request.headers.get("X-Amz-Content-Sha256") != hashlib.sha256(body).hexdigest():
            return Response("<Error><Code>XAmzContentSHA256Mismatch</Code></Error>", status=400)
        if not {"host", "x-amz-date", "x-amz-content-sha256"} <= set(auth["signed"].split(";")):
            return Response("<Error><Code>AccessDenied</Code></Error>", status=403)
        bucket, _, key = request.path.lstrip("/").partition("/")
        if bucket != self.bucket:
            return Response("<Error><Code>NoSuchBucket</Code></Error>", status=404)
        if request.method == "PUT":
            self.objects[key] = (body, request.headers.get("Content-Type", ""))
            return Response(status=200)
        if request.method == "GET":
            if key not in self.objects:
                return Response("<Error><Code>NoSuchKey</Code></Error>", status=404)
            data, content_type = self.objects[key]
            return Response(data, content_type=content_type)
        if request.method == "DELETE":
            self.objects.pop(key, None)
            return Response(status=204)
        return Response(status=405)
