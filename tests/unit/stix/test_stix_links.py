"""``links``: every id an object points at as intelligence, against ``iter_refs``."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.stix.refs import _walk_links, iter_refs, links, without_links
from suite_support import examples

ID = st.sampled_from([f"indicator--0000000{i}-0000-4000-8000-000000000000" for i in range(6)])
KEYS = st.sampled_from(["a", "b_ref", "c_refs", "name", "x_liaison_derived_from"])
LEAF = st.one_of(ID, st.lists(ID, max_size=3), st.text(max_size=3), st.integers())
VALUE = st.recursive(
    LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)


def _oracle(obj: dict[str, Any]) -> set[str]:
    skip = ("created_by_ref", "object_marking_refs", "granular_markings")
    found = {ref for path, ref in iter_refs(obj) if not path.startswith(skip)}
    derived = obj.get("x_liaison_derived_from")
    if isinstance(derived, list):
        found |= {v for v in derived if isinstance(v, str)}
    return found


@settings(max_examples=examples(300), deadline=None)
@given(st.dictionaries(KEYS, VALUE, max_size=5))
def test_links_are_the_refs_but_authorship_and_markings(body: dict[str, Any]) -> None:
    obj = {
        "type": "report",
        "created_by_ref": "identity--00000000-0000-4000-8000-000000000001",
        "object_marking_refs": ["marking-definition--00000000-0000-4000-8000-000000000002"],
        **body,
    }
    assert set(links(obj)) == _oracle(obj)


def test_a_report_and_a_relationship() -> None:
    a, b, c = (f"indicator--0000000{i}-0000-4000-8000-000000000000" for i in range(3))
    report = {"type": "report", "object_refs": [a, b], "created_by_ref": c}
    assert links(report) == [a, b]
    assert without_links(report, {a}, "identity--x") == {**report, "object_refs": [b]}
    assert without_links(report, {a, b}, "identity--x")["object_refs"] == ["identity--x"]  # type: ignore[index]
    rel = {"type": "relationship", "source_ref": a, "target_ref": b}
    assert without_links(rel, {b}, "identity--x") is None
    nested = {"type": "note", "object_refs": [a], "x_ext": {"deep": {"thing_ref": b}}}
    assert without_links(nested, {b}, "identity--x") is None


# --- the fast path: the same ids in the same order as the walk -----------------------

ODD_KEYS = st.sampled_from(
    [
        "a",
        "b_ref",
        "c_refs",
        "x_liaison_derived_from",
        "created_by_ref",
        "object_marking_refs",
        "granular_markings",
        "objects",
        "x_reference",  # holds "_ref" without being a reference
        "_ref",
        "a_ref_refs",
        "ref",
        "x_",
        "refs",
    ]
)
ODD_TEXT = st.one_of(
    ID,
    st.sampled_from(["_ref", "a_ref", "_re", "f", "_\ref", "\\_ref", '"_ref"', "x_refs", ""]),
    st.text(alphabet='_refx\\"\n\x00é', max_size=6),
)
ODD_LEAF = st.one_of(
    ODD_TEXT,
    st.lists(ODD_TEXT, max_size=3),
    st.integers(),
    st.integers(min_value=2**64, max_value=2**70),  # orjson refuses it: the walk
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
ODD_VALUE = st.recursive(
    ODD_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(ODD_KEYS, ODD_TEXT), inner, max_size=3),
        st.tuples(inner),  # not walked, but serialised by orjson
        st.dictionaries(st.integers(0, 3), inner, max_size=2),  # keys orjson refuses
    ),
    max_leaves=14,
)


@settings(max_examples=examples(500), deadline=None)
@given(
    st.dictionaries(st.one_of(ODD_KEYS, ODD_TEXT), ODD_VALUE, max_size=7),
    st.sampled_from(["report", "observed-data", "relationship"]),
)
def test_links_equals_the_walk_in_order(body: dict[str, Any], kind: str) -> None:
    """Whichever path ``links`` takes, the ids and their order are those of the walk
    (they are stored in the handling an audit entry binds)."""
    obj = {"type": kind, **body}
    assert links(obj) == _walk_links(obj)
    assert links(obj) == _walk_links(obj)  # the plan of these keys is remembered now
    try:  # the bytes the store keeps, handed over by the caller: the same answer
        stored = orjson.dumps(obj)
    except (TypeError, orjson.JSONEncodeError):
        return
    assert links(obj, stored) == _walk_links(obj)


def test_a_nested_reference_or_a_string_holding_ref_takes_the_walk() -> None:
    a, b = (f"indicator--0000000{i}-0000-4000-8000-000000000000" for i in range(2))
    flat = {"type": "report", "object_refs": [a], "name": "x"}
    nested = {"type": "report", "object_refs": [a], "name": "x", "x_ext": [{"y_ref": b}]}
    assert links(flat) == [a]
    assert links(nested) == [a, b]
    assert links({**flat, "name": "a_ref"}) == [a]
    assert links({**flat, "x_ext": {1: "x"}}) == [a]  # a key orjson refuses: the walk
