"""The S3-compatible storage: signed requests (AWS SigV4, checked against AWS's published example) and a whole
upload, serve and purge cycle against a fake store on a local port."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.errors import Unavailable
from groupbuy.settings import settings
from groupbuy.storage import FILE_STORAGE
from groupbuy.uploads.backends import S3Storage
from groupbuy.uploads.jobs import purge_orphan_uploads
from tests.conftest import swap
from tests.factories.accounts import bearer, make_user
from tests.fakes.http_server import serving
from tests.fakes.s3_server import FakeS3
from tests.uploads.images import image_bytes


def _store(endpoint: str, **more: str) -> S3Storage:
    return S3Storage(
        endpoint_url=endpoint,
        bucket=more.get("bucket", "photos"),
        region="us-east-1",
        access_key_id=more.get("access_key_id", "test-access-key"),
        secret_access_key="test-secret",
        public_base_url="http://testserver/media",
        timeout=2,
    )


def test_the_signature_matches_awss_published_get_object_example() -> None:
    store = S3Storage(
        endpoint_url="https://examplebucket.s3.amazonaws.com",
        bucket="examplebucket",
        region="us-east-1",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        public_base_url="https://cdn.example",
        timeout=1,
    )
    signed = store.sign("GET", "/test.txt", b"", {"Range": "bytes=0-9"}, when=datetime(2013, 5, 24, tzinfo=UTC))
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_upload_serve_and_purge_through_an_s3_compatible_store(app: Flask, client: FlaskClient) -> None:
    fake = FakeS3()
    with serving(fake) as endpoint:
        swap(app, FILE_STORAGE, _store(endpoint))
        with app.app_context():
            headers = bearer(make_user())
        response = client.post(
            "/api/v1/uploads",
            headers=headers,
            data={"file": (io.BytesIO(image_bytes(gps=True)), "p.jpg")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()
        url = response.get_json()["url"]
        key = url.rsplit("/", 1)[1]
        assert fake.objects[key][1] == "image/jpeg" and b"SpyCam" not in fake.objects[key][0]
        served = client.get(url.removeprefix("http://testserver"))
        assert served.status_code == 200 and served.data == fake.objects[key][0]
        with app.app_context():
            later = clock.now() + timedelta(hours=settings().upload_orphan_hours + 1)
            assert purge_orphan_uploads(later) == {"uploads_purged": 1}
        assert key not in fake.objects and ("DELETE", f"/photos/{key}") in fake.calls


def test_a_refusing_store_is_503_not_500(app: Flask, client: FlaskClient) -> None:
    with serving(FakeS3()) as endpoint:
        swap(app, FILE_STORAGE, _store(endpoint, access_key_id="wrong"))
        with app.app_context():
            headers = bearer(make_user())
        response = client.post(
            "/api/v1/uploads",
            headers=headers,
            data={"file": (io.BytesIO(image_bytes()), "p.jpg")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 503 and response.get_json()["code"] == "storage_unavailable"
    assert Unavailable.status == 503
