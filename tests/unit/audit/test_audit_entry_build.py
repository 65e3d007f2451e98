"""``AuditEntry.build`` and ``ObjectRef.build`` (the write path's constructors) make what
the dataclass constructors make -- equal entries, the same bytes -- and refuse what
they refuse, with the same message."""

from __future__ import annotations

import hashlib
import itertools
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


TRICKY_IDS = st.sampled_from(
    [
        stix_id("indicator", 4),
        "a" + stix_id("b", 5)[1:],  # a one-letter type
        "x---" + stix_id("y", 6).split("--")[1],  # a type ending in '-'
        "--" + stix_id("z", 7).split("--")[1],  # no type
        stix_id("note", 8).upper(),
        stix_id("note", 9)[:-1],
        stix_id("note", 10) + "\n",
        "in\ndicator--" + stix_id("x", 11).split("--")[1],
        "indicator--" + "0" * 38,
        "é--" + stix_id("x", 12).split("--")[1],
    ]
)
TRICKY_SHA = st.sampled_from(
    ["0" * 64, "a" * 64, "ab" * 31 + " a", " " + "a" * 63, "A" + "a" * 63, "g" * 64, "a" * 65]
)


@settings(max_examples=examples(400), deadline=None)
@given(
    st.lists(
        st.tuples(
            GOOD_IDS | BAD_IDS | TRICKY_IDS,
            GOOD_VERSIONS | BAD_VERSIONS,
            GOOD_SHA | BAD_SHA | TRICKY_SHA,
        ),
        max_size=6,
    )
)
def test_objectref_build_all_equals_one_build_each(triples: list[Any]) -> None:
    """The batch's checks in C refuse what ``build`` refuses, first refusal first."""

    def each(ids: Any, versions: Any, sha256s: Any) -> list[ObjectRef]:
        return [ObjectRef.build(*t) for t in zip(ids, versions, sha256s, strict=True)]

    args = {k: [t[i] for t in triples] for i, k in enumerate(("ids", "versions", "sha256s"))}
    slow = _outcome(each, args)
    fast = _outcome(ObjectRef.build_all, args)
    assert fast[0] == slow[0]
    if slow[0] == "ok":
        assert fast[1] == slow[1]
        assert [vars(r) for r in fast[1]] == [vars(r) for r in slow[1]]
    else:
        assert fast[1] == slow[1]


def test_objectref_build_all_on_a_batch_of_good_references() -> None:
    ids = [stix_id("indicator", i) for i in range(300)] + ["x-a-b--" + stix_id("n", 1)[3:]]
    versions = [None if i % 7 == 0 else f"v{i}" for i in range(len(ids))]
    shas = [None if i % 5 == 0 else hashlib.sha256(b"%d" % i).hexdigest() for i in range(len(ids))]
    got = ObjectRef.build_all(ids, versions, shas)
    assert got == [ObjectRef(*t) for t in zip(ids, versions, shas, strict=True)]
    bad = [*shas[:-1], "F" * 64]
    with pytest.raises(InvalidInputError, match="sha256 must be 64 lowercase"):
        ObjectRef.build_all(ids, versions, bad)


def test_build_each_shares_the_details_of_one_mapping_and_rechecks_a_changed_one() -> None:
    """A mapping given for many items is checked and encoded once -- but one changed
    between items (here by the iterator itself) is checked again, as it now is."""
    details: dict[str, Any] = {"collection": "c", "binding": "ab"}
    refs = [ObjectRef(stix_id("indicator", i), "v", "0f" * 32) for i in range(4)]

    def items() -> Any:
        for i, ref in enumerate(refs):
            if i == 2:
                details["binding"] = "cd"
            if i == 3:
                details["Bad Key"] = 1
            yield ref, details

    with pytest.raises(InvalidInputError, match="Bad Key"):
        AuditEntry.build_each(Action.OBJECT_CREATED, "MR", items())
    del details["Bad Key"]
    details["binding"] = "ab"
    got = AuditEntry.build_each(Action.OBJECT_CREATED, "MR", itertools.islice(items(), 3))
    assert [e.details["binding"] for e in got] == ["ab", "ab", "cd"]
    want = [
        AuditEntry.build(
            Action.OBJECT_CREATED, "MR", (r,), details={"collection": "c", "binding": b}
        )
        for r, b in zip(refs, ["ab", "ab", "cd"], strict=False)
    ]
    assert [vars(e) for e in got] == [vars(e) for e in want]
    assert [e.encode(1, "t") for e in got] == [e.encode(1, "t") for e in want]
