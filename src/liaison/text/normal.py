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
import sys
import unicodedata

from liaison.text.script import has_arabic

__all__ = ["fold", "fold_words", "normalize", "normalize_arabic", "normalize_latin", "warm"]

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

#: The letter variants and what each becomes. Each is replaced where present (a search
#: of the string in C, then one ``str.replace``): faster than a translate table, which
#: looks up every character, or a regex calling back per letter. No variant becomes
#: another variant, so replacing them one after another maps each letter once.
_ARABIC_VARIANTS = tuple((chr(c), str(v)) for c, v in _ARABIC_MAP.items())
#: Every character normalize_arabic changes lies in the Arabic block.
_ARABIC_BLOCK = re.compile("[\u0600-\u06ff]")


def normalize_arabic(text: str) -> str:
    """Arabic normal form: no diacritics or tatweel, unified alef, ya, ta marbuta, hamza.

    >>> normalize_arabic("أَحْمَد"), normalize_arabic("جماعـــة")
    ('احمد', 'جماعه')
    """
    if text.isascii() or not _ARABIC_BLOCK.search(text):
        return text
    text = _ARABIC_DIACRITICS.sub("", text)
    for variant, letter in _ARABIC_VARIANTS:
        if variant in text:
            text = text.replace(variant, letter)
    return text


def _char_class(code_points: list[int]) -> str:
    ranges: list[tuple[int, int]] = []
    for c in code_points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]"


@functools.cache
def _combining() -> tuple[re.Pattern[str], dict[int, None]]:
    """What deletes every combining character (``combining(c)`` non-zero): a pattern for
    those of the Basic Multilingual Plane (a bitmap to the regex engine: fast) and a
    translate table for the few beyond. They all lie between U+0300 and U+1FFFF -- a
    test holds it for the whole of Unicode. Built once, on first use (~5 ms)."""
    marks = [c for c in range(0x300, 0x20000) if unicodedata.combining(chr(c))]
    bmp = re.compile(_char_class([c for c in marks if c < 0x10000]))
    return bmp, {c: None for c in marks if c >= 0x10000}


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _wide_overhead() -> int | None:
    """What ``sys.getsizeof`` gives for a ``str`` of 4 bytes per character beyond those
    bytes -- or None if this Python does not size strings that way.

    CPython keeps a string in 1, 2 or 4 bytes per character, 4 only when it holds a
    character beyond the Basic Multilingual Plane (PEP 393): a string whose size is
    below ``overhead + 4 * len`` holds none (``_ASTRAL`` would find nothing in it).
    Measured here, and used only if every sample agrees."""
    wide = {sys.getsizeof("\U00010000" * n) - 4 * n for n in (1, 2, 7, 100)}
    if len(wide) != 1:
        return None
    overhead = wide.pop()
    narrow = [c * n for c in ("a", "é", "\uffff") for n in (0, 1, 2, 7, 100)]
    if any(sys.getsizeof(t) - 4 * len(t) >= overhead for t in narrow):
        return None
    return overhead


_WIDE = _wide_overhead()


def _may_be_astral(text: str) -> bool:
    """False only if ``text`` holds no character beyond U+FFFF (found in constant time)."""
    return _WIDE is None or sys.getsizeof(text) - 4 * len(text) >= _WIDE


def warm() -> None:
    """Build now what the first text with an accent would build (``_combining``: ~10 ms
    on this machine): a serving node calls it at start, not in its first request."""
    _combining()


def normalize_latin(text: str) -> str:
    """Latin normal form: case-folded, accents stripped, apostrophes unified.

    >>> normalize_latin("Ségou’s")
    "segou's"
    """
    if text.isascii():  # nothing to decompose: the common case, much faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    bmp, astral = _combining()
    stripped = bmp.sub("", decomposed)
    if _may_be_astral(stripped) and _ASTRAL.search(stripped):
        stripped = stripped.translate(astral)
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


#: Words already folded (``fold_words``): word -> ``fold(word)``. Text repeats its words
#: (names, places, the words of a language): each is folded once. Bounded in count and
#: in length (a word comes from the sender); emptied when full.
_FOLDED: dict[str, str] = {}
_FOLDED_MAX = 16_384
_FOLDED_LEN = 48


def fold_words(text: str) -> str:
    """``fold(text)``, the same string, word by word with the words already met remembered.

    ``fold`` changes each character alone: it decomposes a character (NFKD), drops what
    is a combining mark (``unicodedata.combining`` non-zero, Arabic diacritics, tatweel)
    and case-folds or maps what is left -- the only thing NFKD does across characters is
    to reorder combining marks, all of which are dropped -- so the folded words of a
    text joined by its spaces are the folded text (a property test holds it).

    >>> fold_words("Réunion à تمبكتو, réunion")
    'reunion a تمبكتو, reunion'
    """
    if text.isascii():
        return text.casefold()
    words = text.split(" ")
    folded = list(map(_FOLDED.get, words))  # in C: most words were met before
    if None in folded:
        for i, got in enumerate(folded):
            if got is None:
                folded[i] = _fold_word(words[i])
    return " ".join(folded)  # type: ignore[arg-type]  # (no None left)


def _fold_word(word: str) -> str:
    """``fold(word)``, remembered (``_FOLDED``) if the word is short."""
    got = word.casefold() if word.isascii() else normalize_latin(normalize_arabic(word))
    if len(word) <= _FOLDED_LEN:
        if len(_FOLDED) >= _FOLDED_MAX:
            _FOLDED.clear()
        _FOLDED[word] = got
    return got
