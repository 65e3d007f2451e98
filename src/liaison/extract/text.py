"""Tokens with offsets, and the normal forms used for every dictionary look-up.

Latin script: case-folded, accents stripped, typographic apostrophes unified.
Arabic script: diacritics and tatweel removed, alef variants to bare alef, alef maqsura
to ya, ta marbuta to ha, hamza seats (ؤ ئ) to their carrier letter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Token",
    "is_arabic",
    "normalize",
    "normalize_arabic",
    "normalize_latin",
    "sentences",
    "tokenize",
]

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
_ARABIC_CHAR = re.compile("[\u0600-\u06ff]")
# A word: letters and digits, with combining marks (decomposed accents, Arabic harakat).
_WORD_RE = re.compile("[\\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670]+")


def is_arabic(text: str) -> bool:
    """True when the text contains Arabic letters."""
    return _ARABIC_CHAR.search(text) is not None


def normalize_arabic(text: str) -> str:
    """Arabic normal form: no diacritics or tatweel, unified alef, ya, ta marbuta, hamza."""
    return _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_MAP)


def normalize_latin(text: str) -> str:
    """Latin normal form: case-folded, accents stripped, apostrophes unified."""
    if text.isascii():  # nothing to decompose: the common case, much faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def normalize(text: str) -> str:
    """The look-up key of a token or phrase, in either script."""
    if is_arabic(text):
        return normalize_arabic(text)
    return normalize_latin(text)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the source text with its character offsets and look-up key."""

    text: str
    start: int
    end: int
    key: str
    arabic: bool = False

    @property
    def capitalized(self) -> bool:
        return self.text[:1].isupper()


def tokenize(text: str) -> list[Token]:
    """Words of ``text`` with offsets; hyphens, apostrophes and punctuation separate them."""
    tokens: list[Token] = []
    for match in _WORD_RE.finditer(text):
        word = match.group()
        arabic = is_arabic(word)
        key = normalize_arabic(word) if arabic else normalize_latin(word)
        tokens.append(Token(word, match.start(), match.end(), key, arabic))
    return tokens


_SENTENCE_END = re.compile(r"(?<=[.!?؟;؛])\s+|\n\s*\n")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as (start, end) offsets; abbreviations like "M." may split."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[max(start, match.start() - 3) : match.start()]
        if re.search(r"(?:\b[A-Z]|\bM|Mme|Dr|Gen|Col|Lt|St)\.$", before):
            continue
        bounds.append((start, match.start()))
        start = match.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds
