"""``AuditEntry.build`` and ``ObjectRef.build`` (the write path's constructors) make what
the dataclass constructors make -- equal entries, the same bytes -- and refuse what
they refuse, with the same message."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from audit_support import stix_id
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.audit import Action, AuditEntry, ObjectRef
from liaison.audit.entry import encode_body
from liaison.errors import InvalidInputError
from suite_support import examples

NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12
) | st.sampled_from(["é", "مسموح", 'quote " \\ \n \u2028 😀', "x" * 256, "\x00"])
LONG = st.sampled_from(["y" * 511, "z" * 512, "w" * 513, "é" * 600, "😀" * 1000])
GOOD_ACTIONS = st.sampled_from(
    [*Action, "object.rejected", "object.rehandled", "a.b_2.c", "x" * 64]
)
BAD_ACTIONS = st.sampled_from(["Bad Action", "a" * 65, "x.", "", "a\n", 7, None])
GOOD_IDS = st.sampled_from([stix_id("indicator", 1), stix_id("report", 2), stix_id("x-a-b", 3)])
BAD_IDS = st.sampled_from(["not-an-id", "indicator--1234", "", 5, None])
GOOD_SHA = st.sampled_from([None, "0f" * 32, "e3" * 32])
BAD_SHA = st.sampled_from(["0F" * 32, "abc", "", 7])
GOOD_VERSIONS = st.sampled_from([None, "2026-11-29T10:00:00.000Z", "v" * 256, "é"])
BAD_VERSIONS = st.sampled_from(["", "v" * 257, 3])
GOOD_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    NAMES,
    st.just(""),
)
BAD_SCALARS = st.sampled_from([2**53, -(2**60), 0.5, "s" * 257, [1], {"a": 1}, b"x"])
GOOD_KEYS = st.sampled_from(["collection", "from", "binding", "originator", "n", "ok_2", "a" * 64])
BAD_KEYS = st.sampled_from(["Bad Key", "x" * 65, "2a", "", 3])
GOOD_TIMES = st.sampled_from(
    [None, "2026-11-29T13:00:00+01:00", "2026-11-29T12:00:00Z",
     datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)]
)  # fmt: skip
BAD_TIMES = st.sampled_from(["yesterday", "2026-11-29T12:00:00", 5])


def maybe(draw: st.DrawFn, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
    """Mostly a valid value, sometimes one the constructor refuses."""
    return draw(bad) if draw(st.integers(0, 24)) == 0 else draw(good)


@st.composite
def refs(draw: st.DrawFn) -> Any:
    args = (maybe(draw, GOOD_IDS, BAD_IDS), maybe(draw, GOOD_VERSIONS, BAD_VERSIONS))
    try:
        return ObjectRef(*args, maybe(draw, GOOD_SHA, BAD_SHA))
    except InvalidInputError:
        return "not an ObjectRef"


@st.composite
def arguments(draw: st.DrawFn) -> dict[str, Any]:
    reasons = draw(st.lists(NAMES | LONG, max_size=4))
    shape = draw(
        st.sampled_from(["tuple"] * 6 + ["list"] * 3 + ["str", "too many", "empty string"])
    )
    return {
        "action": maybe(draw, GOOD_ACTIONS, BAD_ACTIONS),
        "actor": maybe(draw, NAMES, st.sampled_from(["", "a" * 257, None])),
        "objects": tuple(draw(st.lists(refs(), max_size=3))),
        "agreement": maybe(draw, st.none() | NAMES, st.just("")),
        "recipient": draw(st.none() | st.just(stix_id("identity", 9)) | NAMES),
        "decision": maybe(draw, st.sampled_from([None, "allow", "deny"]), st.just("maybe")),
        "reasons": {
            "tuple": tuple(reasons),
            "list": reasons,
            "str": "one reason",
            "too many": ("r",) * 65,
            "empty string": ("",),
        }[shape],
        "details": {
            **draw(st.dictionaries(GOOD_KEYS, GOOD_SCALARS, max_size=5)),
            **maybe(draw, st.just({}), st.dictionaries(BAD_KEYS, GOOD_SCALARS | BAD_SCALARS)),
            **maybe(draw, st.just({}), st.dictionaries(GOOD_KEYS, BAD_SCALARS)),
        },
        "time": maybe(draw, GOOD_TIMES, BAD_TIMES),
    }


def _outcome(make: Any, kwargs: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", make(**kwargs)
    except InvalidInputError as exc:
        return "refused", str(exc)


@settings(max_examples=examples(600), deadline=None)
@given(arguments())
def test_build_equals_the_constructor(kwargs: dict[str, Any]) -> None:
    slow = _outcome(AuditEntry, kwargs)
    fast = _outcome(AuditEntry.build, kwargs)
    assert fast[0] == slow[0]
    if slow[0] == "refused":
        assert fast[1] == slow[1]
        return
    a, b = slow[1], fast[1]
    assert type(b) is AuditEntry
    assert a == b and vars(a) == vars(b) and repr(a) == repr(b)
    assert a.ref_keys == b.ref_keys
    for seq, now in ((0, "2026-11-29T12:00:00.000000Z"), (2**40, "t")):
        time = a.time or now  # as the log stamps it
        assert b.encode(seq, time) == a.encode(seq, time) == encode_body(a.body(seq, time))
        assert b.body(seq, now) == a.body(seq, now)
    assert b.stamped("2026-01-01T00:00:00.000000Z") == a.stamped("2026-01-01T00:00:00.000000Z")
    assert AuditEntry.from_body(b.body(7, "2026-11-29T12:00:00.000000Z")) == a.stamped(
        "2026-11-29T12:00:00.000000Z"
    )


REF = ObjectRef(stix_id("note", 1), "v", "0f" * 32)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reasons": ("x" * 600, "é" * 512, "short")},  # shortened, not refused
        {"reasons": "a single string"},
        {"details": {"n": 2**53 - 1, "s": "", "b": False, "z": None, "t": "é" * 256}},
        {"action": Action.OBJECT_CREATED, "objects": (REF,)},
        {"action": Action.OBJECT_CREATED, "objects": [REF, REF]},  # a list, one id twice
    ],
)  # fmt: skip
def test_build_on_the_tricky_cases(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"action": "settings.changed", "actor": "analyste@défense.fr", **kwargs}
    a, b = AuditEntry(**args), AuditEntry.build(**args)
    assert a == b and vars(a) == vars(b)
    assert a.encode(3, "2026-11-29T12:00:00.000000Z") == b.encode(3, "2026-11-29T12:00:00.000000Z")


@settings(max_examples=examples(300), deadline=None)
@given(GOOD_IDS | BAD_IDS, GOOD_VERSIONS | BAD_VERSIONS, GOOD_SHA | BAD_SHA)
def test_objectref_build_equals_the_constructor(oid: Any, version: Any, sha: Any) -> None:
    slow = _outcome(ObjectRef, {"id": oid, "version": version, "sha256": sha})
    fast = _outcome(ObjectRef.build, {"object_id": oid, "version": version, "sha256": sha})
    assert fast[0] == slow[0]
    if slow[0] == "ok":
        assert fast[1] == slow[1] and vars(fast[1]) == vars(slow[1])
        assert hash(fast[1]) == hash(slow[1])
    else:
        assert fast[1] == slow[1]


@settings(max_examples=examples(200), deadline=None)
@given(GOOD_IDS | BAD_IDS, GOOD_VERSIONS | BAD_VERSIONS, st.binary(max_size=64))
def test_hashed_references_equal_the_constructor(oid: Any, version: Any, data: bytes) -> None:
    """``for_stored`` and ``hashing`` skip only the check of a hex digest they make."""
    digest = hashlib.sha256(data).hexdigest()
    slow = _outcome(ObjectRef, {"id": oid, "version": version, "sha256": digest})
    fast = _outcome(ObjectRef.for_stored, {"object_id": oid, "version": version, "stored": data})
    assert fast[0] == slow[0]
    if slow[0] == "refused":
        assert fast[1] == slow[1]
        return
    other = ObjectRef(oid, version, "0f" * 32).hashing(data)
    assert fast[1] == slow[1] == other
    assert vars(fast[1]) == vars(slow[1]) == vars(other)


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    """``build_each``'s arguments: mostly valid, sometimes one bad item anywhere."""
    items = []
    for _ in range(draw(st.integers(0, 4))):
        ref = draw(refs())
        details = {
            **draw(st.dictionaries(GOOD_KEYS, GOOD_SCALARS, max_size=5)),
            **maybe(draw, st.just({}), st.dictionaries(BAD_KEYS, GOOD_SCALARS | BAD_SCALARS)),
            **maybe(draw, st.just({}), st.dictionaries(GOOD_KEYS, BAD_SCALARS)),
        }
        items.append((ref, maybe(draw, st.just(details), st.sampled_from([None, [], "x"]))))
    return {
        "action": maybe(draw, GOOD_ACTIONS, BAD_ACTIONS),
        "actor": maybe(draw, NAMES, st.sampled_from(["", "a" * 257, None])),
        "items": items,
    }


def _each(action: Any, actor: Any, items: list[Any]) -> list[AuditEntry]:
    return [AuditEntry.build(action, actor, (ref,), details=d) for ref, d in items]


@settings(max_examples=examples(600), deadline=None)
@given(batches())
def test_build_each_equals_one_build_per_item(kwargs: dict[str, Any]) -> None:
    slow = _outcome(_each, kwargs)
    fast = _outcome(AuditEntry.build_each, kwargs)
    assert fast[0] == slow[0]
    if slow[0] == "refused":
        assert fast[1] == slow[1]
        return
    assert len(fast[1]) == len(slow[1])
    for a, b in zip(slow[1], fast[1], strict=True):
        assert type(b) is AuditEntry
        assert a == b and vars(a) == vars(b) and repr(a) == repr(b)
        for seq, now in ((0, "2026-11-29T12:00:00.000000Z"), (2**40, "t")):
            assert b.encode(seq, now) == a.encode(seq, now) == encode_body(a.body(seq, now))


@pytest.mark.parametrize(
    "action", [Action.OBJECT_CREATED, Action.OBJECT_RECEIVED, Action.OBJECT_RELEASED, "x.y"]
)
def test_build_each_on_the_write_paths_shapes(action: str) -> None:
    details = {"collection": "c", "from": stix_id("identity", 2), "originator": "", "binding": "ab"}
    items = [
        (ObjectRef(stix_id("indicator", i), f"2026-11-0{1 + i}T10:00:00.000Z", "0f" * 32), details)
        for i in range(3)
    ] + [(ObjectRef(stix_id("note", 1)), {"n": 1})]  # fmt: skip
    assert _outcome(AuditEntry.build_each, {"action": action, "actor": "MR", "items": items}) == (
        _outcome(_each, {"action": action, "actor": "MR", "items": items})
    )
    assert AuditEntry.build_each("bad action", None, []) == []  # nothing to check: no entry
