"""Language detection for fr / ar / en: script first, then function words."""

from __future__ import annotations

import re

from liaison.errors import InvalidInputError

__all__ = ["LANGS", "detect_language", "resolve_language"]


def _words(block: str) -> frozenset[str]:
    """The normal forms of the whitespace-separated words of ``block``."""
    return frozenset(block.split())


LANGS = ("fr", "ar", "en")

_FR = _words(
    "le la les des du de un une et est sont au aux dans pour par sur avec que qui ont "
    "été cette ces son sa ses il elle ils selon lors après contre près entre"
)
_EN = _words(
    "the of and to in is are was were an for with by that which has have been "
    "this these his her its it they after near against between said from at"
)
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str:
    """``ar`` when Arabic letters dominate, else ``fr`` or ``en`` by function words."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        raise InvalidInputError("cannot detect the language of a text without letters")
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff")
    if arabic / len(letters) >= 0.3:
        return "ar"
    words = [w.lower() for w in _WORD.findall(text)]
    fr = sum(1 for w in words if w in _FR)
    en = sum(1 for w in words if w in _EN)
    return "en" if en > fr else "fr"


def resolve_language(text: str, lang: str) -> str:
    """``lang`` checked, or detected when ``auto``."""
    if lang == "auto":
        return detect_language(text)
    if lang not in LANGS:
        raise InvalidInputError(f"unsupported language {lang!r}: choose fr, ar, en or auto")
    return lang
