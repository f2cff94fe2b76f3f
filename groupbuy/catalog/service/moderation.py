"""Listing moderation (seed 001): banned words and thin descriptions are held; duplicates are refused."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import func, select

from groupbuy.catalog.models import Product
from groupbuy.db import db
from groupbuy.errors import Conflict
from groupbuy.settings import settings

DUPLICATE_WINDOW = timedelta(hours=2)
_SPACES = re.compile(r"\s+")
_WORD_SEPARATORS = re.compile(r"[,，、;；\n]")


def compact(text: str) -> str:
    """NFKC, case-folded, without any whitespace: "Ａpple  苹果 " and "apple苹果" compare equal."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


def listing_key(*, supplier: str, name: str) -> str:
    """The identity of a listing for duplicate detection: same supplier, same normalised title."""
    return f"{compact(supplier)}|{compact(name)}"[:160]


def banned_words() -> list[str]:
    """GROUPBUY_BANNED_WORDS: a JSON list or text separated by commas (also ，、; and line breaks)."""
    words = [part for word in settings().banned_words for part in _WORD_SEPARATORS.split(word)]
    return [w for w in (compact(word) for word in words) if w]


def moderation_reason(*, name: str, description: str) -> str | None:
    """Why a listing must be held for review, or None when it may go live at once."""
    text = compact(name) + "\n" + compact(description)
    for word in banned_words():
        if word in text:
            return f"banned word: {word}"
    minimum = settings().min_description_chars
    length = len(description.strip())
    if length < minimum:
        return f"description too short: {length} < {minimum} characters"
    return None


def refuse_duplicate_listing(*, key: str, now: datetime, exclude_id: int | None = None) -> None:
    """A listing with the same key created within the last 2 hours makes this one a duplicate (409)."""
    if db.engine.dialect.name == "postgresql":
        # Two concurrent creations of the same listing must not both pass the check: serialise
        # them on the key until commit. SQLite needs nothing: its writers are serial (BEGIN IMMEDIATE).
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    query = select(Product.id).where(Product.listing_key == key, Product.created_at > now - DUPLICATE_WINDOW)
    if exclude_id is not None:
        query = query.where(Product.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Conflict("duplicate_listing")
