"""The optimised validation says exactly what the original said (issue #15).

``validate_reference`` (beside this file) is a frozen copy of ``liaison.stix`` validation
before it was made cheaper. Every object here -- the valid examples of each type, the
ATT&CK bundles, the benchmarks' generated objects, and tens of thousands of mutations of
them (wrong types, bad identifiers and timestamps, missing and reserved properties, bad
references at every depth, custom properties, extensions, granular markings, deep
nesting) -- must get byte-identical reasons and warnings from both, in both modes (with
and without a ``warnings`` list), whatever the caches already hold, and must not be
changed by validation. ``refs.links`` is compared the same way.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import validate_reference.refs as ref_refs
import validate_reference.rules as ref_rules
import validate_reference.timestamps as ref_timestamps
import validate_reference.validate as ref_validate
import validate_reference.vocab as vocab
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix_examples import ALL, IDENTITY, INDICATOR, MARKING

from liaison.stix import object_version, refs, validate_object
from liaison.stix.rules import stix_pattern_problem
from liaison.stix.timestamps import timestamp_us
from suite_support import CHECKOUT, examples, missing, shared_file

Obj = dict[str, Any]

ATTACK = [
    shared_file(f"data/attack/{n}") for n in ("mobile-attack-17.0.json", "ics-attack-16.1.json")
]


class Text(str):
    """A ``str`` subclass: caches keyed on exact ``str`` must not change a verdict."""

    __slots__ = ()


class Odd:
    """Not JSON: a value whose comparisons cannot be read as booleans. Validation never
    raises, whatever a Python caller hands it."""

    def __eq__(self, other: object) -> Any:
        return self

    def __ne__(self, other: object) -> Any:
        return self

    def __bool__(self) -> bool:
        raise TypeError("no truth value")

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "Odd()"


def _deep(levels: int) -> Any:
    value: Any = {"x_leaf_ref": "bad"}
    for i in range(levels):
        value = {"x_level": value} if i % 2 else [value]
    return value


T = "2026-11-29T12:00:00.123Z"
UUID = "2f1d1d6c-07d9-4a3c-9c7e-6f1b2a9c1d34"
EXT_ID = f"extension-definition--{UUID}"
#: Values put everywhere: scalars of each JSON type, timestamps and identifiers right and
#: wrong, empty and odd containers, references nested at several depths.
WEIRD: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    50,
    100,
    101,
    1.5,
    -90.5,
    1e309,
    "",
    "x",
    "abc",
    "2.1",
    "2.0",
    "fr",
    "en-GB",
    "x-klingon",
    "zz-",
    "Été إرهاب",
    "deadBEEF",
    "abc",
    "aGVsbG8=",
    "aGVsbG8",
    "stix",
    "uses",
    "Uses It",
    "agree",
    "tlp",
    "statement",
    "property-extension",
    "new-sdo",
    "[ipv4-addr:value = '198.51.100.7']",
    "[ipv4-addr:value = '1.2.3.4'",
    "([file:name = 'a'] AND [file:size > 3])",
    "[x = 'a']",
    "['unterminated]",
    T,
    "2026-11-29T12:00:00Z",
    "2026-11-29T12:00:00.1Z",
    "2026-11-29T12:00:00.123456789Z",
    "2026-11-29T12:00:00.000Z",
    "2020-01-01T00:00:00.000Z",
    "2030-01-01T00:00:00.000Z",
    "2024-02-29T00:00:00.000Z",
    "2023-02-29T00:00:00.000Z",
    "2026-04-31T00:00:00.000Z",
    "2016-12-31T23:59:60.000Z",
    "2026-11-29t12:00:00.123z",
    "2026-11-29T12:00:00.123+00:00",
    "0000-01-01T00:00:00.000Z",
    Text(T),
    Text("2026-11-29T12:00:00Z"),
    IDENTITY,
    INDICATOR,
    MARKING,
    f"relationship--{UUID}",
    f"bundle--{UUID}",
    f"language-content--{UUID}",
    f"ipv4-addr--{UUID}",
    f"x-custom-thing--{UUID}",
    EXT_ID,
    f"Indicator--{UUID}",
    f"indicator--{UUID.upper()}",
    "indicator--2f1d1d6c-07d9-0a3c-9c7e-6f1b2a9c1d34",
    "indicator--2f1d1d6c-07d9-4a3c-cc7e-6f1b2a9c1d34",
    "indicator--1234",
    f"indicator--{UUID}\n",
    T + "\n",
    "a--b--" + UUID,
    "--" + UUID,
    Text(IDENTITY),
    Text("indicator--1234"),
    [],
    [""],
    ["x"],
    [1],
    [None],
    [[]],
    [{}],
    [IDENTITY],
    [IDENTITY, "bad"],
    [MARKING, MARKING],
    [INDICATOR, f"relationship--{UUID}"],
    [Text(IDENTITY)],
    ["x", 2, None],
    [[IDENTITY]],
    [{"x_ref": "bad", "source_name": "s"}],
    {},
    {"a": 1},
    {"key": "value", "x_ref": IDENTITY},
    {"x_ref": "bad"},
    {"x_refs": [1, "bad", IDENTITY]},
    {"x_refs": []},
    {"x_refs": "bad"},
    {"x_ref": ["nested"]},
    {"x_ref": 3},
    {"data_hex": "zz"},
    {"nested": {"deeper_ref": "indicator--1234"}},
    {"SHA-256": "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"},
    {"tlp": "green"},
    {"statement": "Copyright"},
    {"fr": {"name": "x"}, "zz-": {}},
    {"en": {"name": "x"}},
    {3: "int key"},
    _deep(5),
    _deep(62),
    _deep(63),
    _deep(64),
    _deep(65),
    _deep(130),
    Odd(),
]

#: Property names: every name the type tables mention, the common ones, custom ones of
#: each kind (plain, reference, list, encoded), invalid and reserved names.
NAMES: list[Any] = [
    *sorted(
        {
            *(p for props in vocab.REQUIRED.values() for p in props),
            *(p for props in vocab.ANY_OF.values() for p in props),
            *(p for kinds in vocab.PROPERTY_KINDS.values() for p in kinds),
            *(p for ranges in vocab.INT_RANGES.values() for p, _, _ in ranges),
            *(p for ranges in vocab.NUMBER_RANGES.values() for p, _, _ in ranges),
            *(p for props in vocab.TIMESTAMP_PROPS.values() for p in props),
            *(p for targets in vocab.REF_TARGETS.values() for p in targets),
            *vocab.RESERVED_PROPERTIES,
            "type",
            "id",
            "spec_version",
            "created",
            "modified",
            "revoked",
            "labels",
            "confidence",
            "lang",
            "external_references",
            "object_marking_refs",
            "granular_markings",
            "extensions",
            "defanged",
            "kill_chain_phases",
            "objects",
            "x_custom",
            "x_mitre_version",
            "x_thing_ref",
            "x_thing_refs",
            "x_data_hex",
            "x_data_bin",
            "ab",
            "ABC",
            "x-dash",
            "x" * 250,
            "x" * 251,
            "a_ref",
            "x_liaison_derived_from",
        }
    ),
    12,
    None,
]

EXTENSIONS: list[Any] = [
    {EXT_ID: {"extension_type": "property-extension", "rank": 1}},
    {EXT_ID: {"extension_type": "new-sdo"}},
    {EXT_ID: {"extension_type": "new-sco"}},
    {EXT_ID: {"extension_type": "new-sro"}},
    {EXT_ID: {"extension_type": "toplevel-property-extension"}},
    {EXT_ID: {"extension_type": "bogus"}},
    {EXT_ID: {"extension_type": 3}},
    {EXT_ID: {"rank": 1}},
    {EXT_ID: []},
    {EXT_ID: {}},
    {"extension-definition--1234": {"extension_type": "new-sdo"}},
    {f"extension-definition--{UUID.upper()}": {"extension_type": "new-sdo"}},
    {"acme-ext": {"rank": 1, "x_ref": "bad", "sample_refs": ["bad"], "Bad": 1}},
    {"acme-corp-ext": {"payload_bin": "aGVsbG8=", "key_hex": "zz", "empty": []}},
    {"acme-ext": {}},
    {"acme-ext": []},
    {"acme-ext": {"id": 1, "ab": 2, "abc-d": 3, "abc_d": {}, "x" * 251: 4, 7: 5}},
    {"acme-ext": {"nested": _deep(70)}},
    {"Acme-ext": {"a": 1}},
    {
        EXT_ID: {
            "extension_type": "property-extension",
            "signer_ref": IDENTITY,
            "ids_refs": [MARKING],
        }
    },
    {EXT_ID: {"extension_type": "property-extension", "signer_ref": "bad"}},
    {EXT_ID: {"extension_type": "property-extension", "signer_ref": [IDENTITY]}},
    {EXT_ID: {"extension_type": "property-extension", "ids_refs": []}},
    {EXT_ID: {"extension_type": "property-extension", "ids_refs": ["bad", 1]}},
    {EXT_ID: {"extension_type": "property-extension", "proof": ["a", "b"], "index": 3}},
    {EXT_ID: {"extension_type": "property-extension", "proof": [["a"]], "x": {}}},
    {EXT_ID: {"extension_type": "property-extension", "deep": {"a_ref": "bad"}}},
    {EXT_ID: {"extension_type": "property-extension", "deep": [{"a_ref": IDENTITY}]}},
    {EXT_ID: {"extension_type": Text("property-extension"), "id": 1}},
    {EXT_ID + "\n": {"extension_type": "property-extension"}},
    {"extension-definition--x--" + UUID: {"extension_type": "property-extension"}},
    {f"indicator--{UUID}": {"extension_type": "property-extension"}},
    {"acme-ext\n": {"a": 1}, "acme-ext": {"key_bin": "aGVsbG8=", "key_hex": "0a"}},
    {"acme-ext": {"a": None, "b": True, "c": 1.5, "d": ["x", 1, None]}},
    {"acme-ext": {"key_hex": "zz"}},
    {"acme-ext": {"key_bin": "a"}},
    {"acme-ext": {"empty": []}},
    {"acme-ext": {"deep": [{"a_ref": "bad"}]}},
    {"acme-ext": {"deep": ["x", ["y", {"b_refs": [1]}]]}},
    {"acme-ext": {"tlp_2_0": "green"}, EXT_ID: {"extension_type": "new-sdo"}},
    {"acme": {"a": 1}},
    {"-ext": {"a": 1}},
    {3: {"a": 1}},
    {},
    [],
    "acme-ext",
]

MARKINGS: list[Any] = [
    [{"marking_ref": MARKING, "selectors": ["name"]}],
    [{"marking_ref": MARKING, "selectors": ["external_references.0.source_name"]}],
    [{"marking_ref": MARKING, "selectors": ["external_references.9"]}],
    [{"marking_ref": MARKING, "selectors": ["labels.00"]}],
    [{"marking_ref": MARKING, "selectors": ["labels.-1", "labels.١"]}],
    [{"marking_ref": MARKING, "selectors": ["nope", "name.x", ""]}],
    [{"marking_ref": MARKING, "selectors": []}],
    [{"marking_ref": MARKING, "selectors": [1]}],
    [{"marking_ref": MARKING}],
    [{"marking_ref": IDENTITY, "selectors": ["name"]}],
    [{"marking_ref": "bad", "selectors": ["name"]}],
    [{"marking_ref": 3, "selectors": ["name"]}],
    [{"marking_ref": [MARKING], "selectors": ["name"]}],
    [{"lang": "fr", "selectors": ["name"]}],
    [{"lang": "zz-", "selectors": ["name"]}],
    [{"lang": "fr", "marking_ref": MARKING, "selectors": ["name"]}],
    [{"selectors": ["name"]}],
    [{"marking_ref": MARKING, "selectors": ["name"], "x_ref": "bad", "x_refs": [2]}],
    ["x"],
    [],
    {},
]

EXTERNAL: list[Any] = [
    [{"source_name": "cve", "external_id": "CVE-1"}],
    [{"source_name": "a", "url": 3, "description": None, "external_id": []}],
    [{"source_name": "a", "hashes": {}}, {"source_name": "b", "hashes": "x"}],
    [{"url": "https://x.example"}],
    [{"source_name": "a", "x_ref": "bad", "x_refs": ["bad"], "deep": _deep(70)}],
    [{"source_name": "a", "custom_ref": IDENTITY}],
    ["x", None],
    [],
    {},
]

KILL_CHAIN: list[Any] = [
    [{"kill_chain_name": "k", "phase_name": "p"}],
    [{"kill_chain_name": "k"}],
    [{"kill_chain_name": 1, "phase_name": "p"}],
    ["x"],
    [],
]

ALL_TYPES = [
    *sorted(vocab.SDO_TYPES | vocab.SRO_TYPES | vocab.META_TYPES | vocab.SCO_TYPES),
    "x-custom-thing",
    "bundle",
    "action",
    "Indicator",
    "ab",
    "x--y",
    "a" * 251,
    "",
]


@pytest.fixture(autouse=True)
def _forget_link_plans() -> Iterator[None]:
    """``refs.links`` remembers a plan per list of keys (at most 4,096): the thousands of
    mutations here would fill it for the tests that run next."""
    yield
    refs._PLANS.clear()
    ref_refs._PLANS.clear()


def _attack() -> list[Obj]:
    out: list[Obj] = []
    for path in ATTACK:
        if path.is_file():
            out.extend(json.loads(path.read_bytes())["objects"])
    return out


def _generated(n: int) -> list[Obj]:
    sys.path.insert(0, str(CHECKOUT / "bench"))
    try:
        from _util import make_objects  # the benchmarks' objects

        return [json.loads(b) for b in make_objects(n, attack=None)]
    finally:
        sys.path.remove(str(CHECKOUT / "bench"))


def _mutations(base: Obj, rng: random.Random, scale: int) -> Iterator[Any]:
    """Objects made from ``base``: each key removed, set to odd values (``3 * scale`` of
    them), new keys added (``scale`` values each), other types, and the structured common
    properties varied."""
    yield base
    for key in list(base):
        yield {k: v for k, v in base.items() if k != key}
        for value in rng.sample(WEIRD, 3 * scale):
            yield {**base, key: value}
    for name in NAMES:
        for value in rng.sample(WEIRD, scale):
            yield {**base, name: value}
    for type_ in ALL_TYPES:
        yield {**base, "type": type_}
        yield {**base, "type": type_, "id": f"{type_}--{UUID}"}
    for exts in EXTENSIONS:
        yield {**base, "extensions": exts}
        yield {
            **base,
            "type": "x-custom-thing",
            "id": f"x-custom-thing--{UUID}",
            "extensions": exts,
        }
    for marks in MARKINGS:
        yield {**base, "granular_markings": marks}
    for external in EXTERNAL:
        yield {**base, "external_references": external}
    for phases in KILL_CHAIN:
        yield {**base, "kill_chain_phases": phases}
    for later, earlier, _ in vocab.TIMESTAMP_ORDER.get(base.get("type"), ()):
        for when in (
            T,
            "2026-11-29T12:00:00.12300Z",
            "2020-01-01T00:00:00Z",
            "2030-01-01T00:00:00Z",
        ):
            yield {**base, earlier: T, later: when}  # later, equal (in two ways), earlier
    for key in ("id", "created", "modified", "created_by_ref"):  # "$" matches before "\n"
        if isinstance(base.get(key), str):
            yield {**base, key: base[key] + "\n"}
    yield {**base, "object_marking_refs": [base.get("id"), MARKING]}
    yield {**base, "created": T, "modified": "2020-01-01T00:00:00.000Z"}
    yield {**base, "created": T, "modified": "2026-11-29T12:00:00.12300Z"}
    yield {**base, **{f"x_custom_{i}": [] for i in range(60)}}  # more than MAX_REASONS
    yield {**base, **{f"x_bad_{i}_ref": "bad" for i in range(60)}}
    keys = list(base)
    rng.shuffle(keys)
    yield {k: base[k] for k in keys}
    yield list(base.items())
    yield json.dumps(base)


def _compare(objects: list[Any]) -> None:
    for obj in objects:
        before = repr(obj)
        for _ in range(2):  # the second time, with every cache warm
            assert _outcome(validate_object, obj) == _outcome(ref_validate.validate_object, obj)
            got = _verdict(validate_object, obj)
            assert got == _verdict(ref_validate.validate_object, obj), obj
            if isinstance(got[0], list):
                assert all(type(r) is str for r in got[0] + got[1])
            if isinstance(obj, dict):
                assert _outcome(refs.links, obj) == _outcome(ref_refs.links, obj), obj
                assert object_version(obj) == ref_validate.object_version(obj)
        assert repr(obj) == before, "validation changed the object"


def _verdict(validate: Any, obj: Any) -> tuple[Any, Any]:
    """The reasons and the warnings, or what was raised (only a value that is not JSON,
    such as ``Odd``, makes validation raise: it must raise the same)."""
    warned: list[str] = []
    try:
        return validate(obj, warned), warned
    except Exception as exc:
        return type(exc), str(exc)


def _outcome(fn: Any, obj: Obj) -> Any:
    """What ``fn(obj)`` returns, or the type of what it raises (``links`` assumes a
    validated object: a key that is not a string makes it raise)."""
    try:
        return fn(obj)
    except Exception as exc:
        return type(exc)


def _corpus(bases: list[Obj], seed: int, scale: int = 4) -> list[Any]:
    rng = random.Random(seed)
    return [m for base in bases for m in _mutations(base, rng, scale)]


def test_same_reasons_for_every_example_and_its_mutations() -> None:
    corpus = _corpus([copy.deepcopy(o) for o in ALL.values()], seed=1)
    assert len(corpus) > 20_000
    _compare(corpus)
    _compare(corpus[::-1])  # whatever the caches hold


def test_same_reasons_for_the_generated_objects_and_their_mutations() -> None:
    objects = _generated(3000)
    _compare(objects)
    rng = random.Random(2)
    _compare(_corpus(rng.sample(objects, 12), seed=2))


def test_same_reasons_for_attack_and_its_mutations() -> None:
    objects = _attack()
    if not objects:
        missing("the ATT&CK bundles of ../shared/data/attack are absent")
    _compare(objects)
    rng = random.Random(3)
    by_type: dict[str, list[Obj]] = {}
    for obj in objects:
        by_type.setdefault(obj["type"], []).append(obj)
    # Not the collection (thousands of nested references: slow to mutate, seen above).
    bases = [rng.choice(group) for t, group in sorted(by_type.items()) if t != "x-mitre-collection"]
    _compare(_corpus(bases, seed=3, scale=1))  # large objects: fewer mutations


def test_same_reasons_for_objects_that_are_not_objects() -> None:
    _compare([None, 1, "x", [], [{}], {}, {"type": None}, {"id": None}, {"type": "indicator"}])
    _compare([{k: v} for k, v in itertools.product(NAMES, WEIRD)])


# --- Hypothesis: chains of edits on the examples, and arbitrary JSON-like objects ------
_scalars = st.one_of(
    st.sampled_from(WEIRD[:80]),
    st.text(max_size=12),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(NAMES[:-2]) | st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=12,
)
_edits = st.lists(
    st.tuples(st.sampled_from(NAMES), st.one_of(_json, st.just(KeyError))), max_size=8
)


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(ALL)), _edits)
def test_same_reasons_after_any_edits(type_: str, edits: list[tuple[Any, Any]]) -> None:
    obj = copy.deepcopy(ALL[type_])
    for key, value in edits:
        if value is KeyError:
            obj.pop(key, None)
        else:
            obj[key] = value
    _compare([obj])


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ALL_TYPES),
    st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=8), _json, max_size=10),
)
def test_same_reasons_for_arbitrary_objects(type_: str, props: dict[Any, Any]) -> None:
    _compare([{"type": type_, "id": f"{type_}--{UUID}", **props}, props])


#: The names of a Liaison origin signature (``liaison.signing.objects``), and others.
_SIGNATURE_NAMES = [
    "extension_type",
    "alg",
    "batch_root",
    "batch_size",
    "key",
    "signed",
    "signer",
    "origin",
    "signature",
    "index",
    "proof",
    "signer_ref",
    "ids_refs",
    "blob_hex",
    "blob_bin",
    "Bad-Name",
    "id",
    3,
]
_signature_values = st.one_of(
    _scalars,
    st.lists(st.one_of(st.text(max_size=8), st.integers(), st.none(), st.booleans())),
    _json,
)


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(ALL)),
    st.sampled_from(
        ["extension-definition--3c1f7a52-8d0e-4b7a-9f5e-2a6b1c9d4e70", EXT_ID, "x-ext", "bad"]
    ),
    st.dictionaries(st.sampled_from(_SIGNATURE_NAMES), _signature_values, max_size=12),
    st.booleans(),
)
def test_same_reasons_for_signature_like_extensions(
    type_: str, ext_id: str, props: dict[Any, Any], typed: bool
) -> None:
    """Extensions shaped like an origin signature (scalars and lists of scalars under
    plain names), and every variation of them, as a partner's objects carry them."""
    if typed:
        props = {"extension_type": "property-extension", **props}
    obj = copy.deepcopy(ALL[type_])
    obj["extensions"] = {ext_id: props}
    _compare([obj, {**obj, "extensions": {ext_id: props, EXT_ID: dict(props)}}])


PATTERNS = [
    "[ipv4-addr:value = '198.51.100.7']",
    "[ipv4-addr:value = 'a\\'b']",
    "[ipv4-addr:value = 'a\\\\']",
    "[ipv4-addr:value = 'a\\']",
    "[ipv4-addr:value = 'a\\'",
    "[ipv4-addr:value = '[x]']",
    "[ipv4-addr:value = '(x']",
    "[ipv4-addr:value = 'x']\n",
    "[ipv4-addr:value = 'x'] ",
    "[ ipv4-addr:value = 'x']",
    "[ipv4-addr: value = 'x']",
    "[ipv4-addr:value = 'x' AND ipv4-addr:value = 'y']",
    "[ipv4-addr:value = 'x'] AND [file:name = 'y']",
    "[file:extensions.'windows-pebinary-ext'.sections[*].name = 'x']",
    "[email-message:body_multipart[*].body_raw_ref.name = 'x']",
    "[ipv4-addr:value = 'x']]",
    "[[ipv4-addr:value = 'x']",
    "[IPV4:value = 'x']",
    "[ipv4-addr:Value = 'x\n']",
    "[ipv4-addr:value = 'é']",
    "[ipv4-addr:value = 42]",
    "",
]


@settings(max_examples=examples(400))
@given(
    st.sampled_from(PATTERNS)
    | st.text(alphabet="[]()'\\ :=-_.*aZ09\né", max_size=30)
    | st.builds(
        lambda a, b, c: f"[{a}:{b} = '{c}']",
        st.text(alphabet="az09-:[' ", max_size=8),
        st.text(alphabet="aZ09_.[]*' ", max_size=8),
        st.text(alphabet="a'\\[]()\n", max_size=8),
    )
)
def test_same_pattern_problems(pattern: str) -> None:
    assert stix_pattern_problem(pattern) == ref_rules.stix_pattern_problem(pattern)


def _us(fn: Any, s: str) -> Any:
    try:
        return fn(s)
    except Exception as exc:  # the message reaches the TAXII status: it must match too
        return type(exc), str(exc)


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=9)


@settings(max_examples=examples(400))
@given(
    st.sampled_from([w for w in WEIRD if isinstance(w, str)])
    | st.builds(
        lambda y, mo, d, h, mi, sec, frac, end: f"{y}-{mo}-{d}T{h}:{mi}:{sec}{frac}{end}",
        st.sampled_from(["0000", "0001", "1970", "2016", "2024", "2026", "9999"]),
        st.sampled_from(["01", "02", "04", "12", "13"]),
        st.sampled_from(["01", "28", "29", "30", "31"]),
        st.sampled_from(["00", "23", "24"]),
        st.sampled_from(["00", "59"]),
        st.sampled_from(["00", "59", "60"]),
        st.just("") | _DIGITS.map(lambda d: "." + d),
        st.sampled_from(["Z", "Z\n", "z", ""]),
    )
)
def test_same_microseconds_and_errors(s: str) -> None:
    assert _us(timestamp_us, s) == _us(ref_timestamps.timestamp_us, s)
    assert _us(timestamp_us, s) == _us(timestamp_us, s)  # and again, remembered


@pytest.mark.parametrize("extra", [{}, {"x_note": "x"}])
def test_the_reference_is_the_original(extra: Obj) -> None:
    """The frozen copy still judges as the tests of ``test_stix_validate`` expect."""
    obj = {**ALL["indicator"], **extra}
    assert ref_validate.validate_object(obj) == []
    assert ref_validate.validate_object({**obj, "id": "indicator--1234"}) == [
        "id 'indicator--1234' is not of the form <type>--<UUID>"
    ]
    assert Path(ref_validate.__file__).parent.name == "validate_reference"
