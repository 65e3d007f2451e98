"""Words with their character offsets and look-up keys, and sentence boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from liaison.text.normal import normalize_arabic, normalize_latin
from liaison.text.script import has_arabic

__all__ = ["Token", "sentences", "tokenize"]

# A word: a letter or digit, then letters, digits and combining marks (decomposed accents,
# Arabic harakat). A combining mark is part of the word it follows; a lone mark (after a
# space or a punctuation sign) is no word -- its key would be empty.
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670"
_WORD_RE = re.compile(f"\\w[\\w{_MARKS}]*")


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
        """True when the word starts with an upper-case letter."""
        return self.text[:1].isupper()


def tokenize(text: str) -> list[Token]:
    """Words of ``text`` with offsets; hyphens, apostrophes and punctuation separate them.

    Every token has a non-empty key.
    """
    tokens: list[Token] = []
    for match in _WORD_RE.finditer(text):
        word = match.group()
        arabic = has_arabic(word)
        key = normalize_arabic(word) if arabic else normalize_latin(word)
        if key:
            tokens.append(Token(word, match.start(), match.end(), key, arabic))
    return tokens


_SENTENCE_END = re.compile(r"(?<=[.!?؟;؛])\s+|\n\s*\n")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\bM|Mme|Dr|Gen|Col|Lt|St)\.$")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as (start, end) offsets; abbreviations like "M." do not split."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[max(start, match.start() - 3) : match.start()]
        if _ABBREVIATION.search(before):
            continue
        bounds.append((start, match.start()))
        start = match.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds
