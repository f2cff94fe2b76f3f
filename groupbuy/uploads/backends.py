"""The two file-storage implementations (groupbuy/storage.py's Protocol), chosen at start by implementations.py.

``LocalDiskStorage`` keeps files under a directory (instance/media by default) and the app serves them at
``/media/<key>``. ``S3Storage`` speaks the S3 REST API (path-style PUT/GET/DELETE, AWS Signature Version 4) to any
S3-compatible store: AWS S3, MinIO, Tencent COS, Aliyun OSS in S3 mode. It is written on ``requests`` (already a
dependency) rather than boto3, whose SDK would add four packages for three calls.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

from groupbuy.errors import Unavailable


class LocalDiskStorage:
    def __init__(self, *, root: str, public_base_url: str) -> None:
        self.root = Path(root)
        self.public_base_url = public_base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key outside the storage root: {key!r}")
        return path

    def save(self, key: str, data: bytes, *, content_type: str) -> str:
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{os.getpid()}.part")
            draft.write_bytes(data)
            draft.replace(path)  # atomic: a reader never sees half a file
        return self.url(key)

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{key}"

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects ``{endpoint}/{bucket}/{key}``; clients fetch ``{public_base_url}/{key}`` (a CDN or the bucket's
    public address; by default the app's own ``/media/<key>``, which reads the object through this class)."""

    SERVICE = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        public_base_url: str,
        timeout: float,
    ) -> None:
        self.endpoint = endpoint_url.rstrip("/")
        self.bucket = bucket
        self.region = region
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.public_base_url = public_base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def save(self, key: str, data: bytes, *, content_type: str) -> str:
        headers = {"Content-Type": content_type, "Cache-Control": "public, max-age=31536000, immutable"}
        self._call("PUT", key, data, headers, ok=(200,))
        return self.url(key)

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{key}"

    def read(self, key: str) -> bytes | None:
        response = self._call("GET", key, b"", {}, ok=(200, 404))
        return response.content if response.status_code == 200 else None

    def delete(self, key: str) -> None:
        self._call("DELETE", key, b"", {}, ok=(200, 204, 404))

    def _call(
        self, method: str, key: str, body: bytes, headers: dict[str, str], *, ok: tuple[int, ...]
    ) -> requests.Response:
        path = f"/{quote(self.bucket, safe='')}/{quote(key, safe='/')}"
        signed = self.sign(method, path, body, headers, when=datetime.now(UTC))  # the store's clock, not clock.now()
        try:
            response = self.http.request(method, self.endpoint + path, data=body, headers=signed, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Unavailable("storage_unavailable", detail=type(exc).__name__) from None
        if response.status_code not in ok:
            raise Unavailable("storage_unavailable", detail=f"{method} answered {response.status_code}")
        return response

    def sign(self, method: str, path: str, body: bytes, headers: dict[str, str], *, when: datetime) -> dict[str, str]:
        """The request's headers with AWS Signature Version 4 (header form, signed payload hash)."""
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        payload_hash = hashlib.sha256(body).hexdigest()
        all_headers = {
            **headers,
            "Host": urlsplit(self.endpoint).netloc,
            "X-Amz-Date": stamp,
            "X-Amz-Content-Sha256": payload_hash,
        }
        canonical = {name.lower(): " ".join(value.split()) for name, value in all_headers.items()}
        signed_names = ";".join(sorted(canonical))
        canonical_request = "\n".join(
            [
                method,
                path,
                "",
                "".join(f"{name}:{canonical[name]}\n" for name in sorted(canonical)),
                signed_names,
                payload_hash,
            ]
        )
        scope = f"{day}/{self.region}/{self.SERVICE}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
        key = f"AWS4{self.secret_access_key}".encode()
        for part in (day, self.region, self.SERVICE, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        all_headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key_id}/{scope}, "
            f"SignedHeaders={signed_names}, Signature={signature}"
        )
        return all_headers
