from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.db import ID, Base


class Upload(Base):
    """One image a user uploaded: re-encoded (no metadata), stored under a content-addressed key.

    ``attached_at`` is set when another domain (a review, an after-sale request, a message) takes it; uploads never
    attached are purged by ``purge_orphan_uploads`` after GROUPBUY_UPLOAD_ORPHAN_HOURS. Two rows may share a key
    (the same picture uploaded twice); the stored file goes when its last row goes.
    """

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    attached_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')", name="content_type"),
        CheckConstraint("width > 0 AND height > 0 AND size > 0", name="dimensions"),
        Index("ix_uploads_owner_id", "owner_id"),
        Index("ix_uploads_key", "key"),
        Index("ix_uploads_created_at", "created_at"),
    )
