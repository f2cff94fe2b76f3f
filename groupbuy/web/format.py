"""How the pages show values: money as ¥x.xx, times in Asia/Shanghai, countdowns and words in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from groupbuy.i18n import current_language, localized

SHANGHAI = ZoneInfo("Asia/Shanghai")


def yuan(fen: int) -> str:
    """1990 -> ¥19.90 (integer arithmetic: never a float)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def local_time(at: datetime) -> str:
    """An aware time as the reader's wall clock in Asia/Shanghai: 11-22 18:00."""
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def local_day(day: date) -> str:
    return f"{day.month}月{day.day}日" if current_language() == "zh" else day.strftime("%b %d").replace(" 0", " ")


def countdown(until: datetime, now: datetime) -> str:
    """Time left until ``until`` in words: 2天3小时 / 3小时20分 / 5分; ended once it has passed."""
    seconds = int((until - now).total_seconds())
    if seconds <= 0:
        return t("已截单", "closed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = max(1, rest // 60) if not (days or hours) else rest // 60
    if days:
        return t(f"{days}天{hours}小时", f"{days} d {hours} h")
    if hours:
        return t(f"{hours}小时{minutes}分", f"{hours} h {minutes} min")
    return t(f"{minutes}分钟", f"{minutes} min")


def percent(part: int, whole: int) -> int:
    """Progress in whole per cent, 0..100."""
    if whole <= 0:
        return 100
    return max(0, min(100, part * 100 // whole))


def rate(part: int, whole: int) -> str:
    """A share as a percentage with one decimal: 12.5%; a dash when there is nothing to divide."""
    if whole <= 0:
        return "–"
    tenths = (part * 1000 + whole // 2) // whole
    return f"{tenths // 10}.{tenths % 10}%"


def duration(seconds: int | None) -> str:
    """A time span in words: 12分钟 / 3小时5分 / 2天4小时; a dash when there is none."""
    if seconds is None:
        return "–"
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return t(f"{days}天{hours}小时", f"{days} d {hours} h")
    if hours:
        return t(f"{hours}小时{minutes}分", f"{hours} h {minutes} min")
    return t(f"{minutes}分钟", f"{minutes} min")


def t(zh: str, en: str) -> str:
    """The reader's wording: Simplified Chinese unless Accept-Language prefers English."""
    return localized((zh, en))


def template_helpers() -> dict[str, Any]:
    """What every web template may call (a blueprint context processor)."""
    return {
        "t": t,
        "yuan": yuan,
        "local_time": local_time,
        "local_day": local_day,
        "lang": current_language,
        "rate": rate,
        "duration": duration,
    }
