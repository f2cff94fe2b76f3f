"""Uploads: only real images, within size and dimension limits, stripped of metadata, served long-cached; another
user's upload cannot be attached; orphans are purged with their files."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db, transaction
from groupbuy.errors import Invalid
from groupbuy.settings import settings
from groupbuy.uploads.jobs import purge_orphan_uploads
from groupbuy.uploads.models import Upload
from groupbuy.uploads.service import attachable_uploads
from tests.conftest import tune
from tests.factories.accounts import bearer, make_user
from tests.uploads.images import GPS_IFD, MAKE, image_bytes


def _signed_in(app: Flask) -> tuple[int, dict[str, str]]:
    with app.app_context():
        user = make_user()
        return user.id, bearer(user)


def upload(client: FlaskClient, headers: dict[str, str], data: bytes, name: str = "photo.jpg") -> tuple[int, dict]:
    response = client.post(
        "/api/v1/uploads", headers=headers, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )
    return response.status_code, response.get_json() or {}


def _media_path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_an_image_is_stored_and_served_with_long_cache_headers(app: Flask, client: FlaskClient) -> None:
    _, headers = _signed_in(app)
    status, body = upload(client, headers, image_bytes("PNG", (40, 30)), "a.png")
    assert status == 201, body
    assert body["content_type"] == "image/png" and (body["width"], body["height"]) == (40, 30)
    assert body["url"].startswith("http://testserver/media/") and body["url"].endswith(".png")
    served = client.get(_media_path(body["url"]))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "max-age=31536000" in served.headers["Cache-Control"] and "immutable" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert len(served.data) == body["size"]
    again = client.get(_media_path(body["url"]), headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/media/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/media/..%2Fgroupbuy.db").status_code == 404


def test_files_go_to_the_test_storage_directory_not_the_repository(app: Flask, client: FlaskClient) -> None:
    _, headers = _signed_in(app)
    status, body = upload(client, headers, image_bytes())
    assert status == 201
    with app.app_context():
        root = Path(settings().storage_local_dir)
    assert (root / body["url"].rsplit("/", 1)[1]).exists()
    assert Path(__file__).resolve().parents[2] not in root.resolve().parents


def test_exif_and_gps_are_gone_after_upload(app: Flask, client: FlaskClient) -> None:
    original = image_bytes("JPEG", (80, 60), gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture really carries GPS
    _, headers = _signed_in(app)
    status, body = upload(client, headers, original)
    assert status == 201, body
    stored = client.get(_media_path(body["url"])).data
    cleaned = Image.open(io.BytesIO(stored))
    assert cleaned.format == "JPEG" and cleaned.size == (80, 60)
    assert MAKE not in cleaned.getexif() and not cleaned.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in stored and b"SpyCam" not in stored


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_webp_and_png_keep_their_type(app: Flask, client: FlaskClient, fmt: str) -> None:
    _, headers = _signed_in(app)
    status, body = upload(client, headers, image_bytes(fmt, gps=True), "x.bin")  # the name does not matter
    assert status == 201, body
    assert body["content_type"] == f"image/{fmt.lower()}"
    assert b"SpyCam" not in client.get(_media_path(body["url"])).data


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7 not an image at all", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"GIF89a" + b"\0" * 40, b""],
)
def test_not_an_image_is_refused_whatever_its_name(app: Flask, client: FlaskClient, data: bytes) -> None:
    _, headers = _signed_in(app)
    status, body = upload(client, headers, data, "photo.jpg")
    assert status == 415 and body["code"] == "upload_not_an_image"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


def test_a_damaged_image_is_422(app: Flask, client: FlaskClient) -> None:
    _, headers = _signed_in(app)
    status, body = upload(client, headers, image_bytes()[:200])
    assert status == 422 and body["code"] == "upload_unreadable"


def test_too_big_is_413(app: Flask, client: FlaskClient) -> None:
    tune(app, upload_max_bytes=2048)
    _, headers = _signed_in(app)
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    big = out.getvalue()
    assert len(big) > 2048 + 64 * 1024  # over the body limit: refused before it is read
    status, body = upload(client, headers, big, "big.png")
    assert status == 413 and body["code"] == "payload_too_large"
    status, body = upload(client, headers, big[:3000], "cut.png")  # within the body limit, over the file limit
    assert status == 413 and body["code"] == "payload_too_large"


def test_an_upload_may_exceed_the_app_wide_body_limit(app: Flask, client: FlaskClient) -> None:
    tune(app, max_content_length=1024)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    _, headers = _signed_in(app)
    status, body = upload(client, headers, image_bytes("PNG", (300, 300), gps=True))
    assert status == 201, body


def test_dimensions_are_checked_before_decoding(app: Flask, client: FlaskClient) -> None:
    _, headers = _signed_in(app)
    status, body = upload(client, headers, image_bytes("PNG", (8, 8)))
    assert status == 422 and body["code"] == "upload_dimensions"
    tune(app, upload_max_pixels=10_000)
    status, body = upload(client, headers, image_bytes("PNG", (200, 200)))
    assert status == 422 and body["errors"]["file"]
    bomb = Image.new("1", (9000, 9000))  # a 9000x9000 bitmap compresses to a few kB
    out = io.BytesIO()
    bomb.save(out, format="PNG")
    tune(app, upload_max_pixels=40_000_000)
    status, body = upload(client, headers, out.getvalue(), "bomb.png")
    assert status == 422 and body["code"] == "upload_dimensions"


def test_uploading_needs_a_sign_in_and_a_file(app: Flask, client: FlaskClient) -> None:
    status, _ = upload(client, {}, image_bytes())
    assert status == 401
    _, headers = _signed_in(app)
    response = client.post("/api/v1/uploads", headers=headers, data={}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_another_users_upload_cannot_be_attached(app: Flask, client: FlaskClient) -> None:
    mine_owner, my_headers = _signed_in(app)
    other_owner, other_headers = _signed_in(app)
    _, mine = upload(client, my_headers, image_bytes(color="red"))
    _, theirs = upload(client, other_headers, image_bytes(color="blue"))
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            attachable_uploads(mine_owner, [mine["id"], theirs["id"]], now=clock.now(), field="photos")
        assert refused.value.errors == {"photos": ["Unknown upload."]}
        with pytest.raises(Invalid):
            attachable_uploads(mine_owner, [mine["id"]] * 1 + [10**9], now=clock.now())
        with pytest.raises(Invalid) as too_many:
            attachable_uploads(mine_owner, list(range(1, 11)), now=clock.now())
        assert too_many.value.errors == {"images": ["At most 9 images."]}
        got = attachable_uploads(mine_owner, [mine["id"], mine["id"]], now=clock.now())
        assert [u.id for u in got] == [mine["id"]]
        assert db.session.get(Upload, mine["id"]).attached_at is not None
        assert db.session.get(Upload, theirs["id"]).attached_at is None
    assert other_owner != mine_owner


def test_orphans_are_purged_with_their_files_attached_ones_stay(app: Flask, client: FlaskClient) -> None:
    owner, headers = _signed_in(app)
    _, kept = upload(client, headers, image_bytes(color="green"))
    _, orphan = upload(client, headers, image_bytes(color="purple"))
    _, twin = upload(client, headers, image_bytes(color="green"))  # the same picture again: one file, two rows
    with app.app_context():
        with transaction():
            attachable_uploads(owner, [kept["id"]], now=clock.now())
        root = Path(settings().storage_local_dir)
        later = clock.now() + timedelta(hours=settings().upload_orphan_hours, minutes=1)
        assert purge_orphan_uploads(clock.now()) == {"uploads_purged": 0}  # too young
        assert purge_orphan_uploads(later) == {"uploads_purged": 2}
        assert purge_orphan_uploads(later) == {"uploads_purged": 0}  # twice is harmless
        assert set(db.session.scalars(select(Upload.id))) == {kept["id"]}
    assert twin["url"] == kept["url"]
    assert (root / kept["url"].rsplit("/", 1)[1]).exists()  # still named by the attached upload
    assert not (root / orphan["url"].rsplit("/", 1)[1]).exists()
    assert client.get(_media_path(orphan["url"])).status_code == 404
