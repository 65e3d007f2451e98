"""``Handlings``: a batch's ``handling_of``, read once per list of refs -- always the
same value as ``handling_of``, and the same refusal."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidStixError
from liaison.markings import (
    TLP_AMBER,
    TLP_RED,
    Handlings,
    caveats_marking,
    classification_marking,
    handling_of,
    releasability_marking,
    source_grading,
    statement_marking,
)

FR = "identity--00000000-0000-4000-8000-0000000000f1"
DZ = "identity--00000000-0000-4000-8000-0000000000d2"
MR = "identity--00000000-0000-4000-8000-0000000000a3"
UNKNOWN = "marking-definition--00000000-0000-4000-8000-00000000dead"


def _no_owner() -> dict[str, Any]:
    """A classification marking naming no scheme owner: read in the scheme_owner's."""
    m = copy.deepcopy(classification_marking("RESTREINT", FR))
    m["id"] = "marking-definition--00000000-0000-4000-8000-00000000beef"
    for ext in m["extensions"].values():
        if isinstance(ext, dict):
            ext.pop("scheme_owner", None)
    return m


MARKINGS = [
    classification_marking("CONFIDENTIEL", FR),
    classification_marking("SECRET", FR),
    _no_owner(),
    releasability_marking([DZ, MR]),
    releasability_marking([MR]),
    caveats_marking(originator_control=True, no_evidence_use=True),
    statement_marking("Pas d'usage judiciaire sans accord"),
    statement_marking("Second statement"),
]
INDEX = {m["id"]: m for m in MARKINGS}
REFS = [*INDEX, TLP_AMBER["id"], TLP_RED["id"], UNKNOWN]

ref_lists = st.one_of(
    st.lists(st.sampled_from(REFS), max_size=5),
    st.lists(st.sampled_from([*REFS[:3], 7, None]), max_size=3),  # not all strings
    st.sampled_from([None, "", "x", 0, {}, {"a": 1}]),  # not a list
)
granular = st.one_of(
    st.none(),
    st.just([]),
    st.lists(
        st.fixed_dictionaries(
            {"marking_ref": st.sampled_from(REFS), "selectors": st.just(["name"])}
        ),
        min_size=1,
        max_size=2,
    ),
)
extensions = st.one_of(
    st.none(),
    st.just({}),
    st.just({"x-other-ext": {"a": 1}}),
    st.just(source_grading("C", "3", description="source X")),
    st.just(["not", "a", "dict"]),
)


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "report", "id": "report--1", "name": "n"}
    for key, strategy in (
        ("object_marking_refs", ref_lists),
        ("granular_markings", granular),
        ("extensions", extensions),
    ):
        value = draw(strategy)
        if value is not None or draw(st.booleans()):
            obj[key] = value
    return obj


def _outcome(f: Any, obj: dict[str, Any], owner: str, pending: bool) -> Any:
    try:
        return f(obj, owner, pending)
    except InvalidStixError as exc:
        return ("refused", str(exc))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(objects(), st.sampled_from([DZ, FR, MR]), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_handlings_equals_handling_of(batch: list[tuple[dict[str, Any], str, bool]]) -> None:
    memo = Handlings(INDEX)

    def fast(o: dict[str, Any], w: str, p: bool) -> Any:
        return memo(o, scheme_owner=w, pending=p)

    def slow(o: dict[str, Any], w: str, p: bool) -> Any:
        return handling_of(o, INDEX, scheme_owner=w, pending=p)

    for obj, owner, pending in batch:
        for _ in range(2):  # the second time from the memo, when remembered
            assert _outcome(fast, obj, owner, pending) == _outcome(slow, obj, owner, pending)


def test_a_refusal_is_not_remembered_and_a_handling_is_shared() -> None:
    memo = Handlings(INDEX)
    bad = {"type": "report", "id": "report--1", "object_marking_refs": [UNKNOWN]}
    for _ in range(2):
        try:
            memo(bad, scheme_owner=DZ, pending=False)
        except InvalidStixError as exc:
            assert UNKNOWN in str(exc)
        else:
            raise AssertionError("an unknown marking must be refused")
    ok = {"type": "report", "id": "report--2", "object_marking_refs": [TLP_AMBER["id"]]}
    first = memo(ok, scheme_owner=DZ, pending=False)
    assert memo(dict(ok, id="report--3"), scheme_owner=DZ, pending=False) is first
    assert memo(ok, scheme_owner=FR, pending=False) is not first  # another key
