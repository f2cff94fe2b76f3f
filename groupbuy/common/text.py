"""What a piece of user text may contain: the one rule every string input passes before any field sees it.

Refused everywhere: C0/C1 control characters (NUL, ESC of ANSI escapes, DEL, ...), lone surrogates
(they cannot be encoded as UTF-8, so no database can store them), Unicode bidirectional controls
(U+202E "right-to-left override" and friends, which make text display other than it reads), and
text made only of whitespace. Tab, CR and LF, and the Unicode line/paragraph separators, are
refused too except in fields declared multi-line (long descriptions).
"""

from __future__ import annotations

import re

from groupbuy.i18n import title_for

# C0 and C1 controls, DEL, lone surrogates and the bidi controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI).
_NEVER = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_LINE_BREAKS = "\t\n\r\u2028\u2029"
_NEVER_RE = re.compile(f"[{_NEVER}]")
_SINGLE_LINE_RE = re.compile(f"[{_NEVER}{_LINE_BREAKS}]")

# The same rule for the OpenAPI document, in ECMA 262 syntax (no (?s), no \Z; JSON Schema patterns
# are unanchored). Lone surrogates cannot be written in a pattern that both dialects read alike;
# they are refused by the code all the same.
_ECMA_NEVER = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ECMA_LINE_BREAKS = r"\u0009\u000a\u000d\u2028\u2029"
SINGLE_LINE_PATTERN = rf"^[^{_ECMA_NEVER}{_ECMA_LINE_BREAKS}]*[^\s{_ECMA_NEVER}][^{_ECMA_NEVER}{_ECMA_LINE_BREAKS}]*$"
MULTI_LINE_PATTERN = rf"^[^{_ECMA_NEVER}]*[^\s{_ECMA_NEVER}][^{_ECMA_NEVER}]*$"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The reason ``value`` is refused (localized), or None. The empty string is left to length rules."""
    if _NEVER_RE.search(value):
        return title_for("text_control_characters")
    if not multiline and _SINGLE_LINE_RE.search(value):
        return title_for("text_line_breaks")
    if value and not value.strip():
        return title_for("text_blank")
    return None
