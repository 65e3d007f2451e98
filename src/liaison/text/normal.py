"""Normal forms for look-ups and search: case, accents, Arabic diacritics and letter variants.

Latin script: case-folded, accents stripped, typographic apostrophes unified. Arabic
script: diacritics and tatweel removed, alef variants to bare alef, alef maqsura to ya,
ta marbuta to ha, hamza seats (ؤ ئ) to their carrier letter, Persian and Maghrebi
letters to their Arabic counterparts.

``fold`` is the form the full-text search index stores: existing FTS indexes depend on
it, so it must not change (``tests/unit/text/test_text_fold.py`` pins it).
"""

from __future__ import annotations

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


def normalize_arabic(text: str) -> str:
    """Arabic normal form: no diacritics or tatweel, unified alef, ya, ta marbuta, hamza.

    >>> normalize_arabic("أَحْمَد"), normalize_arabic("جماعـــة")
    ('احمد', 'جماعه')
    """
    return _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_MAP)


def normalize_latin(text: str) -> str:
    """Latin normal form: case-folded, accents stripped, apostrophes unified.

    >>> normalize_latin("Ségou’s")
    "segou's"
    """
    if text.isascii():  # nothing to decompose: the common case, much faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


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
