"""A user's reviews in their data export, and what closing their account leaves of them: the stars stay (the
deal's and the leader's figures count them), the words and photos go (the photos' uploads are detached, so the
orphan purge deletes them and their files)."""

from __future__ import annotations

from sqlalchemy import select, update

from groupbuy.db import db, transaction
from groupbuy.reviews.models import Review
from groupbuy.uploads.service import release_uploads


def reviews_of(*, user_id: int) -> list[Review]:
    """The reviews the user wrote, oldest first (hidden ones included: they are still the user's data)."""
    return list(db.session.scalars(select(Review).where(Review.user_id == user_id).order_by(Review.id)))


def erase_reviews_of(*, user_id: int) -> int:
    """Blank the text and photos of the user's reviews and follow-ups; returns how many reviews were touched."""
    with transaction():
        reviews = reviews_of(user_id=user_id)
        photos = [i for r in reviews for i in [*(r.photo_ids or []), *(r.follow_up_photo_ids or [])]]
        release_uploads(owner_id=user_id, ids=photos)
        result = db.session.execute(
            update(Review)
            .where(Review.user_id == user_id)
            .values(content="", photo_ids=[], photo_count=0, follow_up_content=None, follow_up_photo_ids=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
