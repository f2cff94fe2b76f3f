"""Shared marshmallow field types: strict integers, money in fen, phones, masking. No rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import validate

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
MAX_FEN = 10**9  # ¥10,000,000: far above any order; keeps BIGINT and arithmetic safe


def Fen(**kwargs: Any) -> ma.fields.Integer:  # noqa: N802 - reads as a field type
    """Money in integer fen: strict (19.99 is refused, not truncated), 0..10^9."""
    kwargs.setdefault("validate", validate.Range(min=0, max=MAX_FEN))
    return ma.fields.Integer(strict=True, **kwargs)


def Id(**kwargs: Any) -> ma.fields.Integer:  # noqa: N802
    """A positive integer id."""
    kwargs.setdefault("validate", validate.Range(min=1, max=2**53))
    return ma.fields.Integer(strict=True, **kwargs)


def StrictInt(min_value: int, max_value: int, **kwargs: Any) -> ma.fields.Integer:  # noqa: N802
    """A strict integer within a range."""
    return ma.fields.Integer(strict=True, validate=validate.Range(min=min_value, max=max_value), **kwargs)


class UtcDateTime(ma.fields.AwareDateTime):
    """A time: any offset is accepted on input; every response gives UTC, to the second, as 2026-11-22T02:00:00+00:00.

    One format everywhere, whatever offset the value was created with (a deal posted with +08:00 answers in UTC).
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"{attr}: an aware datetime is required, got {value!r}")
        return value.astimezone(UTC).isoformat(timespec="seconds")


class Phone(ma.fields.String):
    """A mainland China mobile number (11 digits, 13x–19x); +86 and separators are accepted."""

    default_error_messages = {"invalid_phone": "Not a valid mainland mobile number."}  # noqa: RUF012 - marshmallow API

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        digits = re.sub(r"[\s-]", "", text)
        if digits.startswith("+86"):
            digits = digits[3:]
        if not MAINLAND_MOBILE.match(digits):
            raise self.make_error("invalid_phone")
        return digits


class MaskedPhone(ma.fields.String):
    """Dumps 13812341234 as 138****1234: raw phone numbers never leave the server."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else mask_phone(str(value))


def mask_phone(phone: str) -> str:
    """138****1234; anything that is not a mobile number is masked except its last 2 chars."""
    if MAINLAND_MOBILE.match(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def mask_email(email: str) -> str:
    """a***@example.com."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}" if domain else mask_phone(email)


def mask_target(target: str) -> str:
    """Mask a phone or e-mail for logs."""
    return mask_email(target) if "@" in target else mask_phone(target)


def mask_mobiles_in_text(text: str) -> str:
    """Mask every mobile number inside free text (log lines)."""
    return _MOBILE_IN_TEXT.sub(r"\1****\2", text)
