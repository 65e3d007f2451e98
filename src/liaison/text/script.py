"""Which script a text is written in."""

from __future__ import annotations

import re

__all__ = ["ARABIC_LETTERS", "has_arabic"]

#: Arabic-script blocks: Arabic, Arabic Supplement, Extended-A, presentation forms A and B.
ARABIC_LETTERS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_ARABIC_RE = re.compile(f"[{ARABIC_LETTERS}]")


def has_arabic(text: str) -> bool:
    """True when ``text`` holds at least one Arabic-script character.

    >>> has_arabic("Gao غاو"), has_arabic("Gao")
    (True, False)
    """
    return _ARABIC_RE.search(text) is not None
