"""Shared marshmallow field types: strict integers, money in fen, phones, bounded text and dates, masking."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import marshmallow as ma
from marshmallow import validate

from groupbuy.common.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, text_problem
from groupbuy.i18n import title_for

MAINLAND_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only (Python's \d takes any script's digits)
# Phone's rule for the OpenAPI document (ECMA 262): spaces and dashes anywhere, an optional +86.
PHONE_PATTERN = r"^[\s-]*(\+[\s-]*8[\s-]*6[\s-]*)?1[\s-]*[3-9]([\s-]*[0-9]){9}[\s-]*$"
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
MAX_FEN = 10**9  # ¥10,000,000: far above any order; keeps BIGINT and arithmetic safe
MAX_ID = 2**53  # ids in paths, queries and bodies: exact in JavaScript, far inside BIGINT
MIN_YEAR, MAX_YEAR = 2000, 2100  # dates a client may send: date arithmetic stays far from year 1 and 9999


def Fen(**kwargs: Any) -> ma.fields.Integer:  # noqa: N802 - reads as a field type
    """Money in integer fen: strict (19.99 is refused, not truncated), 0..10^9."""
    kwargs.setdefault("validate", validate.Range(min=0, max=MAX_FEN))
    return ma.fields.Integer(strict=True, **kwargs)


def Id(**kwargs: Any) -> ma.fields.Integer:  # noqa: N802
    """A positive integer id."""
    kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
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


class StrictBoolean(ma.fields.Boolean):
    """A JSON body's true or false: 0, 1, "yes" and the like are refused, as the document says."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class TextField(ma.fields.String):
    """User text: single-line unless ``multiline``; never blank, never control or bidi characters.

    The request parser (groupbuy/common/parsing.py) applies the same rule to every string before the
    schema loads; the field repeats it so a schema loaded anywhere else is as strict, and documents
    it as an ECMA 262 ``pattern`` in the OpenAPI document.
    """

    def __init__(self, *, multiline: bool = False, allow_empty: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        pattern = MULTI_LINE_PATTERN if multiline else SINGLE_LINE_PATTERN
        metadata = {"pattern": f"^$|{pattern}" if allow_empty else pattern, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, multiline=self.multiline)
        if problem:
            raise ma.ValidationError(problem)
        return text


def Text(max_length: int, *, min_length: int = 1, multiline: bool = False, **kwargs: Any) -> TextField:  # noqa: N802
    """Names, titles, addresses, reasons: 1..max_length characters of clean text (see TextField)."""
    length = validate.Length(min=min_length, max=max_length)
    return TextField(multiline=multiline, allow_empty=min_length == 0, validate=length, **kwargs)


class _YearRange(validate.Validator):
    """Dates and datetimes between MIN_YEAR and MAX_YEAR (their own calendar year: converting year 1 or
    9999 to UTC could itself overflow); documented in the field's description."""

    def __call__(self, value: date) -> date:
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ma.ValidationError(title_for("date_out_of_range", min_year=MIN_YEAR, max_year=MAX_YEAR))
        return value


def _dated(kwargs: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(kwargs.pop("metadata", {}))
    note = f"between {MIN_YEAR} and {MAX_YEAR}"
    metadata["description"] = f"{metadata['description']}; {note}" if "description" in metadata else note
    return {"validate": _YearRange(), "metadata": metadata, **kwargs}


def AwareDateTime(**kwargs: Any) -> UtcDateTime:  # noqa: N802
    """An ISO 8601 instant with an offset, in MIN_YEAR..MAX_YEAR (answered in UTC, like every time)."""
    return UtcDateTime(**_dated(kwargs))


def Date(**kwargs: Any) -> ma.fields.Date:  # noqa: N802
    """A calendar date in MIN_YEAR..MAX_YEAR."""
    return ma.fields.Date(**_dated(kwargs))


class Phone(ma.fields.String):
    """A mainland China mobile number (11 digits, 13x–19x); +86 and separators are accepted."""

    MAX_LENGTH = 30  # as sent, separators included

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": PHONE_PATTERN, "maxLength": self.MAX_LENGTH, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    default_error_messages = {"invalid_phone": "Not a valid mainland mobile number."}  # noqa: RUF012 - marshmallow API

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.MAX_LENGTH:
            raise self.make_error("invalid_phone")
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


def mask_name(name: str) -> str:
    """王小明 → 王**: a shopper's name on a leader's lists; an empty name stays empty."""
    name = name.strip()
    return f"{name[0]}{'*' * max(len(name) - 1, 1)}" if name else ""


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
