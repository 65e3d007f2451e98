"""Normal forms for look-ups and search: case, accents, Arabic diacritics and letter variants.

Latin script: case-folded, accents stripped, typographic apostrophes unified. Arabic
script: diacritics and tatweel removed, alef variants to bare alef, alef maqsura to ya,
ta marbuta to ha, hamza seats (ؤ ئ) to their carrier letter, Persian and Maghrebi
letters to their Arabic counterparts.

``fold`` is the form the full-text search index stores: existing FTS indexes depend on
it, so it must not change (``tests/unit/text/test_text_fold.py`` pins it).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from liaison.text.script import has_arabic

__all__ = ["fold", "normalize", "normalize_arabic", "normalize_latin"]

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ک": "ك",
        "ڨ": "ق",
        "ڤ": "ف",
        "ګ": "ك",
        "گ": "ك",
    }
)

#: Both in one pass: diacritics and tatweel deleted, letter variants unified (no
#: variant is a diacritic and no diacritic maps to one, so the order does not matter).
_ARABIC_TABLE: dict[int, str | None] = {
    **_ARABIC_MAP,
    **{c: None for c in range(0x0600, 0x0700) if _ARABIC_DIACRITICS.fullmatch(chr(c))},
}


def normalize_arabic(text: str) -> str:
    """Arabic normal form: no diacritics or tatweel, unified alef, ya, ta marbuta, hamza.

    >>> normalize_arabic("أَحْمَد"), normalize_arabic("جماعـــة")
    ('احمد', 'جماعه')
    """
    if text.isascii():
        return text
    return text.translate(_ARABIC_TABLE)


@functools.cache
def _combining() -> dict[int, None]:
    """A ``str.translate`` table deleting every combining character (``combining(c)``
    non-zero): they all lie between U+0300 and U+1FFFF -- a test holds it for the
    whole of Unicode. Built once, on first use (~5 ms)."""
    return {c: None for c in range(0x300, 0x20000) if unicodedata.combining(chr(c))}


def normalize_latin(text: str) -> str:
    """Latin normal form: case-folded, accents stripped, apostrophes unified.

    >>> normalize_latin("Ségou’s")
    "segou's"
    """
    if text.isascii():  # nothing to decompose: the common case, much faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return decomposed.translate(_combining()).casefold()


def normalize(text: str) -> str:
    """The look-up key of a token or phrase, in either script."""
    if has_arabic(text):
        return normalize_arabic(text)
    return normalize_latin(text)


def fold(text: str) -> str:
    """The search normal form of a text mixing scripts: both normalisations in turn.

    >>> fold("Réunion à تمبكتو")
    'reunion a تمبكتو'
    """
    return normalize_latin(normalize_arabic(text))
