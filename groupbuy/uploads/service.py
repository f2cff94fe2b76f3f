"""Uploads: images in (checked, cleaned, stored), attached by other domains, orphans purged.

Other domains (reviews, after-sales, messaging) take the ids a client got from ``POST /api/v1/uploads`` through
``attachable_uploads`` inside their own transaction, keep the ids, and show them with ``uploads_by_id`` and
``upload_url``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from groupbuy.db import connection, db, transaction
from groupbuy.errors import Invalid
from groupbuy.registry import registry
from groupbuy.settings import settings
from groupbuy.storage import FILE_STORAGE, FileStorage
from groupbuy.uploads.imaging import EXTENSIONS, UploadTooLarge, clean_image
from groupbuy.uploads.models import Upload

UNKNOWN_UPLOAD = "Unknown upload."
TOO_MANY = "At most {limit} images."


def storage() -> FileStorage:
    """The file storage the settings chose at start (local disk or an S3-compatible store)."""
    return registry().get(FILE_STORAGE)


def upload_url(upload: Upload) -> str:
    """The public URL of an upload (a long-cached, content-addressed file)."""
    return storage().url(upload.key)


def create_upload(*, owner_id: int, data: bytes, now: datetime) -> Upload:
    """Check and clean an image and store it; the row says who uploaded it and when (not attached yet)."""
    config = settings()
    if len(data) > config.upload_max_bytes:
        raise UploadTooLarge(max_bytes=config.upload_max_bytes)
    image = clean_image(
        data, min_side=config.upload_min_side, max_side=config.upload_max_side, max_pixels=config.upload_max_pixels
    )
    key = f"{hashlib.sha256(image.data).hexdigest()}.{EXTENSIONS[image.content_type]}"
    storage().save(key, image.data, content_type=image.content_type)  # first: a row never names a missing file
    upload = Upload(
        owner_id=owner_id,
        key=key,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size=len(image.data),
        created_at=now,
    )
    with transaction():
        db.session.add(upload)
    return upload


def attachable_uploads(
    owner_id: int, ids: list[int], *, now: datetime, field: str = "images", limit: int = 9
) -> list[Upload]:
    """The owner's uploads ``ids`` (in that order, duplicates once), marked attached so the purge job keeps them.

    Call it inside the caller's transaction: the mark is kept with the caller's work or rolled back with it.
    Raises 422 with a field error on ``field`` when there are more than ``limit`` or an id is unknown, purged or
    someone else's (not telling which).
    """
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > limit:
        raise Invalid("upload_not_attachable", errors={field: [TOO_MANY.format(limit=limit)]})
    if not wanted:
        return []
    with transaction():
        found = {
            upload.id: upload
            for upload in db.session.scalars(select(Upload).where(Upload.id.in_(wanted), Upload.owner_id == owner_id))
        }
        if len(found) != len(wanted):
            raise Invalid("upload_not_attachable", errors={field: [UNKNOWN_UPLOAD]})
        db.session.execute(
            update(Upload)
            .where(Upload.id.in_(wanted), Upload.attached_at.is_(None))
            .values(attached_at=now)
            .execution_options(synchronize_session=False)
        )
        for upload in found.values():
            if upload.attached_at is None:
                upload.attached_at = now  # keep the loaded objects in step with the row
    return [found[upload_id] for upload_id in wanted]


def uploads_by_id(ids: Iterable[int]) -> dict[int, Upload]:
    """Uploads by id in one query (for showing the photos of many reviews or messages at once)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {upload.id: upload for upload in db.session.scalars(select(Upload).where(Upload.id.in_(wanted)))}


def uploads_of(*, owner_id: int) -> list[Upload]:
    """Every upload a user made, oldest first (their data export)."""
    return list(db.session.scalars(select(Upload).where(Upload.owner_id == owner_id).order_by(Upload.id)))


def release_uploads(*, owner_id: int, ids: Iterable[int]) -> None:
    """Detach the owner's uploads among ``ids`` (what they illustrated is gone): the orphan purge deletes them."""
    wanted = sorted(set(ids))
    if wanted:
        db.session.execute(
            update(Upload)
            .where(Upload.id.in_(wanted), Upload.owner_id == owner_id)
            .values(attached_at=None)
            .execution_options(synchronize_session=False)
        )


def stored_file(key: str) -> bytes | None:
    """The bytes stored under ``key`` if an upload names it (nothing else is served)."""
    if db.session.scalar(select(func.count()).select_from(Upload).where(Upload.key == key)) == 0:
        return None
    return storage().read(key)


def purge_orphan_uploads(*, now: datetime, older_than: timedelta, limit: int) -> int:
    """Delete uploads never attached within ``older_than``, ``limit`` rows per transaction, and their files when
    no other upload names the same key. Safe twice and on several machines: the DELETE re-checks the row is still
    unattached, so an upload attached meanwhile stays."""
    due = (
        select(Upload.id)
        .where(Upload.attached_at.is_(None), Upload.created_at < now - older_than)
        .order_by(Upload.id)
        .limit(limit)
    )
    purged = 0
    while True:
        with transaction():
            ids = list(connection().scalars(due))
            keys: set[str] = set()
            if ids:
                gone = connection().execute(
                    delete(Upload).where(Upload.id.in_(ids), Upload.attached_at.is_(None)).returning(Upload.key)
                )
                rows = list(gone.scalars())
                keys = set(rows)
                purged += len(rows)
        for key in keys:
            if not db.session.scalar(select(func.count()).select_from(Upload).where(Upload.key == key)):
                storage().delete(key)
        if len(ids) < limit:
            return purged
