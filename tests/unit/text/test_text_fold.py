"""The shared text foundation: search folding unchanged, tokens, clitics, purity."""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from liaison.text import (
    fold,
    has_arabic,
    normalize,
    proclitic_variants,
    surface_form,
    tokenize,
    transliterate_ar,
)
from suite_support import examples

# --- the search index's folding, as it was before the shared module ----------------------
# A verbatim copy of ``liaison.extract.text.normalize_arabic`` / ``normalize_latin`` as
# they stood when FTS indexes were first built with them (commit 32fa168). Existing SQLite
# FTS5 and PostgreSQL tsvector columns hold text folded this way: ``fold`` must agree.
_OLD_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_OLD_MAP = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ة": "ه", "ؤ": "و",
        "ئ": "ي", "ک": "ك", "ڨ": "ق", "ڤ": "ف", "ګ": "ك", "گ": "ك",
    }
)  # fmt: skip


def _old_fold(text: str) -> str:
    text = _OLD_DIACRITICS.sub("", text).translate(_OLD_MAP)
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


MIXED = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.sampled_from("abcXYZéèçÉÀœßﬁ’' -\u0301\u0308ـ0123٣"),
        st.characters(),
    ),
    max_size=40,
)


@settings(max_examples=examples(300), deadline=None)
@given(MIXED)
@example("Réunion à Tamanrasset")
@example("اجتماع في تمنراست")
def test_fold_is_what_the_search_index_holds(text: str) -> None:
    assert fold(text) == _old_fold(text)


VARIANTS = st.text(
    alphabet=st.one_of(
        st.sampled_from("أإآٱىیةؤئکڨڤګگاي ه" + "\u064b\u0650\u0670ـ"),
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.sampled_from("ab é"),
    ),
    max_size=60,
)


@settings(max_examples=examples(300), deadline=None)
@given(VARIANTS)
def test_arabic_letter_variants_fold_as_before(text: str) -> None:
    """Variants replaced one after another: each letter mapped once, as the table did."""
    assert fold(text) == _old_fold(text)


def test_no_variant_becomes_another_variant() -> None:
    from liaison.text.normal import _ARABIC_VARIANTS

    assert not {letter for _, letter in _ARABIC_VARIANTS} & {v for v, _ in _ARABIC_VARIANTS}


def test_every_combining_character_is_stripped() -> None:
    # normalize_latin deletes combining characters with a table built over
    # U+0300..U+1FFFF: every one in this Python's Unicode lies there, and each goes.
    marks = [chr(c) for c in range(0x110000) if unicodedata.combining(chr(c))]
    assert all(0x300 <= ord(m) < 0x20000 for m in marks)
    assert fold("e" + "".join(marks)) == "e"


def test_what_arabic_folding_changes_lies_in_the_arabic_block() -> None:
    # normalize_arabic returns text with no character of U+0600..U+06FF unchanged
    from liaison.text.normal import _ARABIC_DIACRITICS, _ARABIC_MAP

    changed = [chr(c) for c in range(0x110000) if _ARABIC_DIACRITICS.fullmatch(chr(c))]
    assert all("\u0600" <= c <= "\u06ff" for c in changed) and len(changed) == 58
    assert all(0x600 <= c <= 0x6FF for c in _ARABIC_MAP)


def test_fold_examples_written_by_hand() -> None:
    assert fold("Réunion à Tamanrasset") == "reunion a tamanrasset"
    assert fold("L’ÉTAT-MAJOR") == "l'etat-major"
    assert fold("جَمَاعَة نُصْرَة الإِسْلَام") == "جماعه نصره الاسلام"
    assert fold("مصطفى") == "مصطفي"
    assert fold("جماعـــة") == "جماعه"
    assert fold("Gao غاو") == "gao غاو"


# --- fold word by word (issue #15) ----------------------------------------------------------
SPACED = st.lists(
    st.one_of(MIXED, st.sampled_from(["", " ", "\u0301", "\u0308e", "Ménaka", "تمبكتو", "ـ"])),
    max_size=8,
).map(" ".join)


@settings(max_examples=examples(300), deadline=None)
@given(SPACED)
@example(" \u0301é  \u064bا ")
@example("e \u0301 \u0301e\u0301 ﬁ İ Σ ς ’")
def test_fold_word_by_word_is_fold(text: str) -> None:
    from liaison.text.normal import fold_words

    assert fold_words(text) == fold(text)
    assert fold_words(text) == fold(text)  # again, its words now remembered


def test_fold_word_by_word_is_fold_for_every_character_that_fold_changes() -> None:
    """Each character that NFKD decomposes, that is a mark, or that folding changes,
    alone, before and after a mark, and split from its mark by a space."""
    from liaison.text import normal

    chars = [
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c <= 0xDFFF
        and (
            unicodedata.decomposition(chr(c)) or unicodedata.combining(chr(c)) or 0x600 <= c < 0x700
        )
    ]
    assert len(chars) > 5000
    text = " ".join(f"{c} {c}\u0301 \u0301{c} x{c}Y" for c in chars)
    assert normal.fold_words(text) == fold(text)
    normal._FOLDED.clear()
    for i in range(0, len(chars), 500):  # each word new, then remembered
        text = " ".join(chars[i : i + 500])
        assert normal.fold_words(text) == fold(text) == normal.fold_words(text)


def test_fold_word_by_word_remembers_short_words_only_and_boundedly() -> None:
    from liaison.text import normal

    normal._FOLDED.clear()
    long = "é" * (normal._FOLDED_LEN + 1)
    assert normal.fold_words(f"Été {long}") == f"ete {'e' * len(long)}"
    assert "Été" in normal._FOLDED and long not in normal._FOLDED
    words = [f"é{i}" for i in range(normal._FOLDED_MAX + 10)]
    assert normal.fold_words(" ".join(words)) == " ".join(f"e{i}" for i in range(len(words)))
    assert len(normal._FOLDED) <= normal._FOLDED_MAX


# --- tokens ------------------------------------------------------------------------------
def test_a_lone_combining_mark_is_no_word() -> None:
    # "Le JNIM, \u0301" once gave a token with an empty key that crashed the lexicon.
    assert [t.text for t in tokenize("Le JNIM, \u0301")] == ["Le", "JNIM"]
    assert [t.text for t in tokenize("ـ \u064e")] == []
    decomposed = unicodedata.normalize("NFD", "Léré")
    assert [(t.text, t.key) for t in tokenize(decomposed)] == [(decomposed, "lere")]


@settings(max_examples=examples(200), deadline=None)
@given(MIXED)
def test_tokens_have_keys_and_point_into_the_text(text: str) -> None:
    for tok in tokenize(text):
        assert tok.key
        assert text[tok.start : tok.end] == tok.text


def test_keys_and_script() -> None:
    assert [t.key for t in tokenize("Le JNIM à Ségou.")] == ["le", "jnim", "a", "segou"]
    assert normalize("إِبْرَاهِيم") == "ابراهيم"
    assert has_arabic("Gao غاو") and not has_arabic("Gao")
    assert transliterate_ar("إياد أغ غالي") == "iyad agh ghali"


def test_arabic_clitics_and_surface_forms() -> None:
    assert proclitic_variants("وبتمبكتو") == [("وبتمبكتو", 0), ("بتمبكتو", 1), ("تمبكتو", 2)]
    assert proclitic_variants("للجيش") == [("للجيش", 0), ("الجيش", 1)]
    assert proclitic_variants("غاو") == [("غاو", 0)]
    text = "تعرضت قافلة للجيش المالي لهجوم"
    start = text.index("لجيش")
    assert surface_form(text, start, start + len("لجيش المالي")) == "الجيش المالي"
    assert surface_form(text, 0, 5) == "تعرضت"


# --- purity: the foundation imports nothing else of Liaison ------------------------------
def test_the_text_package_imports_no_other_liaison_package() -> None:
    package = Path(__file__).parents[3] / "src" / "liaison" / "text"
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("liaison"):
                    assert name.startswith("liaison.text"), (path.name, name)


def test_warm_builds_the_combining_table_before_any_text_needs_it() -> None:
    from liaison.text import normal

    normal._combining.cache_clear()
    normal.warm()
    assert normal._combining.cache_info().currsize == 1
    assert normal.normalize_latin("Ségou") == "segou"
    assert normal._combining.cache_info().hits >= 1  # the first accent found it built


@settings(max_examples=examples(300), deadline=None)
@given(MIXED, st.text(max_size=5))
def test_a_text_told_narrow_holds_no_character_beyond_the_bmp(text: str, more: str) -> None:
    """``normalize_latin`` skips its search for astral characters in a string that
    CPython stores with fewer than 4 bytes a character: there are none to find."""
    import platform

    from liaison.text import normal

    if platform.python_implementation() == "CPython":
        assert normal._WIDE is not None  # the constant-time answer is in use
    for t in (text, more + text, unicodedata.normalize("NFKD", text), text[1:], text * 3):
        if normal._ASTRAL.search(t):
            assert normal._may_be_astral(t)
    assert normal._may_be_astral("a\U0001e944") and not normal._may_be_astral("aé\uffff")
