"""Text foundations shared by extraction, correlation and search: pure, no other imports.

Usage::

    from liaison.text import fold, has_arabic, normalize, tokenize, transliterate_ar

    has_arabic("إياد أغ غالي")          # True
    normalize("Ségou"), normalize("تمبكتو")   # 'segou', 'تمبكتو' (look-up keys)
    fold("Réunion à تمبكتو")              # the full-text search form
    transliterate_ar("إياد أغ غالي")      # 'iyad agh ghali' (for name matching)
    [t.key for t in tokenize("Le JNIM à Gao.")]   # ['le', 'jnim', 'a', 'gao']

Nothing here imports any other part of Liaison: ``extract``, ``correlate`` and
``service.search`` build on it.
"""

from liaison.text.arabic import CONJUNCTIONS, PREPOSITIONS, proclitic_variants, surface_form
from liaison.text.normal import fold, normalize, normalize_arabic, normalize_latin
from liaison.text.script import ARABIC_LETTERS, has_arabic
from liaison.text.tokens import Token, sentences, tokenize
from liaison.text.translit import transliterate_ar

__all__ = [
    "ARABIC_LETTERS",
    "CONJUNCTIONS",
    "PREPOSITIONS",
    "Token",
    "fold",
    "has_arabic",
    "normalize",
    "normalize_arabic",
    "normalize_latin",
    "proclitic_variants",
    "sentences",
    "surface_form",
    "tokenize",
    "transliterate_ar",
]
