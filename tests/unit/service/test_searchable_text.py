"""``searchable_text``, folded part by part, is what the search index always held: the
texts joined by spaces, then folded, then cut (issue #15)."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from liaison.service.search import _FIELDS, _LISTS, _MAX_TEXT, fold, searchable_text
from suite_support import examples


def _joined_then_folded(obj: dict[str, Any]) -> str:
    """``searchable_text`` as it was written when the indexes were built."""
    parts: list[str] = []
    for f in _FIELDS:
        v = obj.get(f)
        if isinstance(v, str):
            parts.append(v)
    for f in _LISTS:
        v = obj.get(f)
        if isinstance(v, list):
            parts.extend(x for x in v if isinstance(x, str))
    return fold(" ".join(parts))[:_MAX_TEXT]


TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        # combining marks (also first in a part), ligatures, case folding that grows or
        # decomposes, apostrophes, tatweel, astral letters and marks, spaces
        st.sampled_from("aZéÉœßﬁİΣς’' -\u0301\u0308\u0345\u064b\u0670ـ\U0001d400\U0001e944\u3000"),
        st.characters(),
    ),
    max_size=30,
)
VALUE = st.one_of(TEXT, st.lists(st.one_of(TEXT, st.integers(), st.none()), max_size=4), st.none())


@settings(max_examples=examples(500), deadline=None)
@given(st.fixed_dictionaries({}, optional={k: VALUE for k in (*_FIELDS, *_LISTS, "x_other")}))
@example({"name": "Réunion", "description": "\u0301à تمبكتو", "labels": ["\u0308x", "ß"]})
@example({"name": "e", "description": "\u0301"})
@example({"name": "", "description": "", "aliases": ["", "É"]})
def test_the_parts_folded_apart_are_the_text_folded_whole(obj: dict[str, Any]) -> None:
    assert searchable_text(obj) == _joined_then_folded(obj)


def test_long_texts_are_cut_where_they_were() -> None:
    for first in (_MAX_TEXT - 3, _MAX_TEXT - 1, _MAX_TEXT, _MAX_TEXT + 5):
        for tail in ("ﬁ" * 4, "é" * 4, "abc", "ß"):
            obj = {"name": "Ç" * first, "description": tail, "labels": ["x", "ﬃ"]}
            assert searchable_text(obj) == _joined_then_folded(obj)
            obj = {"name": "ﬁ" * (first // 2), "description": "e\u0301" * 3, "labels": ["y"]}
            assert searchable_text(obj) == _joined_then_folded(obj)
