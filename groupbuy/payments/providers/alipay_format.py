"""Alipay wire details: yuan strings <-> fen, the signed `k=v&...` content, raw response nodes, Beijing times."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from groupbuy.payments.providers.base import CHINA_TZ

# Up to 12 integer digits, at most 2 decimals, ASCII digits only ("\d" would accept other scripts).
_YUAN = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
CHINA_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def yuan_to_fen(value: str) -> int:
    """ "19.99" -> 1999 with Decimal (never float); more than 2 decimals, signs, exponents, garbage: ValueError."""
    if not isinstance(value, str) or not _YUAN.fullmatch(value):
        raise ValueError("not an amount in yuan with at most 2 decimals")
    return int(Decimal(value) * 100)


def fen_to_yuan(fen: int) -> str:
    """1999 -> "19.99" (Alipay wants yuan with 2 decimals)."""
    if type(fen) is not int or fen < 0:
        raise ValueError("fen must be a non-negative integer")
    return f"{fen // 100}.{fen % 100:02d}"


def sign_content(params: Mapping[str, str], *, exclude: Collection[str]) -> str:
    """Sorted `k=v` pairs joined by `&`, without the excluded keys and without empty values."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key not in exclude and params[key] != "")


def raw_members(text: str) -> dict[str, str]:
    """The top-level members of a JSON object, each value as its exact raw text.

    Alipay signs the raw text of the `<method>_response` node, so it must not be re-serialised.
    Raises ValueError (or RecursionError for absurd nesting) on anything that is not one JSON object.
    """
    pos = _skip(text, 0)
    if text[pos : pos + 1] != "{":
        raise ValueError("not an object")
    pos = _skip(text, pos + 1)
    members: dict[str, str] = {}
    if text[pos : pos + 1] == "}":
        pos += 1
    else:
        while True:
            key, pos = _DECODER.raw_decode(text, pos)
            if not isinstance(key, str) or key in members:
                raise ValueError("bad or repeated key")
            pos = _skip(text, pos)
            if text[pos : pos + 1] != ":":
                raise ValueError("expected ':'")
            start = _skip(text, pos + 1)
            _, end = _DECODER.raw_decode(text, start)
            members[key] = text[start:end]
            pos = _skip(text, end)
            separator, pos = text[pos : pos + 1], pos + 1
            if separator == "}":
                break
            if separator != ",":
                raise ValueError("expected ',' or '}'")
            pos = _skip(text, pos)
    if text[pos:].strip(" \t\n\r"):
        raise ValueError("trailing data")
    return members


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def china_time(value: datetime) -> str:
    """An aware time as Alipay's "yyyy-MM-dd HH:mm:ss" in Beijing time."""
    return value.astimezone(CHINA_TZ).strftime(CHINA_TIME_FORMAT)


def parse_china_time(value: object) -> datetime | None:
    """Alipay's "yyyy-MM-dd HH:mm:ss" (Beijing) as UTC; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    for layout in (CHINA_TIME_FORMAT, CHINA_TIME_FORMAT + ".%f"):  # gmt_refund carries milliseconds
        try:
            naive = datetime.strptime(value, layout)  # noqa: DTZ007 - the zone is fixed on the next line
        except ValueError:
            continue
        return naive.replace(tzinfo=CHINA_TZ).astimezone(UTC)
    return None
