"""Address book: at most N, exactly one default, the default moves atomically."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from groupbuy.accounts.models import Address, User
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.settings import settings

EDITABLE = ("recipient", "phone", "province", "city", "district", "detail", "lat", "lng")


def list_addresses(*, user_id: int) -> list[Address]:
    """Default first, then newest."""
    return list(
        db.session.scalars(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.created_at.desc(), Address.id.desc())
        )
    )


def _lock_book(user_id: int) -> None:
    """Serialise address-book writes per user (row lock on PostgreSQL; SQLite writes are serial)."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _own(user_id: int, address_id: int) -> Address:
    address = db.session.scalar(select(Address).where(Address.id == address_id, Address.user_id == user_id))
    if address is None:
        raise NotFound()  # someone else's address looks exactly like a missing one
    return address


def _make_default(user_id: int, address_id: int) -> None:
    db.session.execute(
        update(Address)
        .where(Address.user_id == user_id, Address.is_default, Address.id != address_id)
        .values(is_default=False)
    )
    db.session.execute(update(Address).where(Address.id == address_id).values(is_default=True))


def create_address(*, user_id: int, fields: dict[str, Any], is_default: bool, now: datetime) -> Address:
    """Add an address; the first one, or one marked default, becomes the default."""
    limit = settings().max_addresses
    with transaction():
        _lock_book(user_id)
        count = db.session.scalar(select(func.count()).where(Address.user_id == user_id)) or 0
        if count >= limit:
            raise Conflict("address_limit", limit=limit)
        address = Address(
            user_id=user_id, is_default=False, created_at=now, updated_at=now, **{k: fields.get(k) for k in EDITABLE}
        )
        db.session.add(address)
        db.session.flush()  # need the id to point the default at it
        if is_default or count == 0:
            _make_default(user_id, address.id)
        db.session.refresh(address)
        return address


def update_address(*, user_id: int, address_id: int, fields: dict[str, Any], now: datetime) -> Address:
    """Edit an own address; is_default=true moves the default here, false on the default is refused."""
    with transaction():
        _lock_book(user_id)
        address = _own(user_id, address_id)
        wants_default = fields.pop("is_default", None)
        if wants_default is False and address.is_default:
            raise Invalid(errors={"is_default": ["choose another default address instead"]})
        for key in EDITABLE:
            if key in fields:
                setattr(address, key, fields[key])
        address.updated_at = now
        db.session.flush()  # write the edits before the set-based default update
        if wants_default:
            _make_default(user_id, address.id)
        db.session.refresh(address)
        return address


def delete_address(*, user_id: int, address_id: int) -> None:
    """Remove an own address; if it was the default, the most recent remaining one takes over."""
    with transaction():
        _lock_book(user_id)
        address = _own(user_id, address_id)
        was_default = address.is_default
        db.session.delete(address)
        db.session.flush()  # the row must be gone before another can become default
        if was_default:
            successor = db.session.scalar(
                select(Address.id)
                .where(Address.user_id == user_id)
                .order_by(Address.created_at.desc(), Address.id.desc())
                .limit(1)
            )
            if successor is not None:
                _make_default(user_id, successor)
