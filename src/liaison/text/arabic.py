"""Arabic clitics: the conjunctions, prepositions and article written as one word with a name.

"وبتمبكتو" is و (and) + ب (in) + تمبكتو; "للجيش" is ل (for) + الجيش, the article's alef
dropped after the preposition. A look-up tries the word as written and without its
clitics; a span then starts after what was cut, and ``surface_form`` gives back the
alef that "لل" swallowed.
"""

from __future__ import annotations

__all__ = ["CONJUNCTIONS", "PREPOSITIONS", "proclitic_variants", "surface_form"]

#: Proclitic conjunctions (and, so) and prepositions (in/with, for). ك (like) is left
#: out: before a name it is rare, and stripping it finds "مينا" in "كمينا" (an ambush).
CONJUNCTIONS = ("و", "ف")
PREPOSITIONS = ("ب", "ل")


def proclitic_variants(key: str) -> list[tuple[str, int]]:
    """Normal forms of an Arabic word with its proclitics stripped, and letters cut.

    The word as written comes first. Stems keep at least three letters.

    >>> proclitic_variants("وللجيش")
    [('وللجيش', 0), ('للجيش', 1), ('الجيش', 2)]
    >>> proclitic_variants("بتمبكتو")
    [('بتمبكتو', 0), ('تمبكتو', 1)]
    """
    out = [(key, 0)]
    base, cut = key, 0
    if len(base) > 3 and base.startswith(CONJUNCTIONS):
        base, cut = base[1:], 1
        out.append((base, cut))
    if len(base) > 3 and base.startswith("لل"):
        out.append(("ال" + base[2:], cut + 1))  # ل + الجيش: the span starts at the article
    elif len(base) > 3 and base.startswith(PREPOSITIONS):
        out.append((base[1:], cut + 1))
    return out


def surface_form(text: str, start: int, end: int) -> str:
    """The text of a span, with the article's alef restored after "لل".

    >>> surface_form("هجوم للجيش المالي", 6, 17)
    'الجيش المالي'
    """
    span = text[start:end]
    if start > 0 and text[start - 1] == "ل" and span.startswith("ل") and not span.startswith("ال"):
        return "ا" + span
    return span
