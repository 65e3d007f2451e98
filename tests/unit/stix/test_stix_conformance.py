"""Cross-checks against the reference tools: stix2-validator as an oracle, objects built by
the stix2 library, and the MITRE ATT&CK bundle (real-world custom types and properties)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stix2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance
from stix_examples import ALL, IDENTITY, INDICATOR, MALWARE, example

from liaison.stix import iter_refs, object_version, validate_object
from suite_support import examples, missing, shared_file

ATTACK = shared_file("data/attack/mobile-attack-17.0.json")  # ../shared beside the checkout
ORACLE = ValidationOptions(version="2.1")


@pytest.mark.parametrize("type_", sorted(ALL))
def test_examples_are_valid_for_the_reference_validator(type_: str) -> None:
    obj = example(type_)
    result = validate_instance(obj, ORACLE)
    assert result.is_valid, [str(e) for e in result.errors]
    assert validate_object(obj) == []


TLP2_GREEN = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "created": "2022-10-01T00:00:00.000Z",
    "name": "TLP:GREEN",
    "extensions": {
        "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            "extension_type": "property-extension",
            "tlp_2_0": "green",
        }
    },
}


@pytest.mark.parametrize(
    "marking",
    [TLP2_GREEN, *(json.loads(m.serialize()) for m in (stix2.TLP_WHITE, stix2.TLP_RED))],
    ids=["tlp2-green", "tlp1-white", "tlp1-red"],
)
def test_tlp_markings_are_valid(marking: dict[str, Any]) -> None:
    assert validate_instance(marking, ORACLE).is_valid
    assert validate_object(marking) == []


# Breakages both validators must reject (the oracle agrees with our verdict).
ORACLE_REJECTS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("indicator", lambda o: o.pop("pattern")),
    ("indicator", lambda o: o.update(id="indicator--1234")),
    ("indicator", lambda o: o.update(modified="2000-01-01T00:00:00.000Z")),
    ("indicator", lambda o: o.update(created="2026-11-01T09:00:00Z")),
    ("indicator", lambda o: o.update(confidence=101)),
    ("indicator", lambda o: o.update(labels=[])),
    ("indicator", lambda o: o.update(external_references=[{"url": "https://x.example"}])),
    ("indicator", lambda o: o.update(extensions={"acme": {"a": 1}})),
    ("indicator", lambda o: o.update(created_by_ref="bob")),
    ("report", lambda o: o.pop("object_refs")),
    ("relationship", lambda o: o.pop("target_ref")),
    ("sighting", lambda o: o.update(count=-1)),
    ("malware", lambda o: o.pop("is_family")),
    ("observed-data", lambda o: o.update(number_observed=0)),
    ("location", lambda o: o.update(latitude=100, longitude=0)),
    ("ipv4-addr", lambda o: o.pop("value")),
    ("file", lambda o: (o.pop("name"), o.pop("hashes"))),
]


@pytest.mark.parametrize(("type_", "breakage"), ORACLE_REJECTS)
def test_we_reject_what_the_reference_validator_rejects(
    type_: str, breakage: Callable[[dict[str, Any]], None]
) -> None:
    obj = example(type_)
    breakage(obj)
    assert not validate_instance(obj, ORACLE).is_valid
    assert validate_object(obj) != []


GOOD_PATTERNS = [
    "[ipv4-addr:value = '198.51.100.7']",
    "[file:hashes.'SHA-256' = '" + "ab" * 32 + "'] AND [file:name = 'x[1]\\'s']",
    "([ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.com']) "
    "FOLLOWEDBY [url:value MATCHES '^http'] WITHIN 300 SECONDS",
    "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_port IN (80, 443)]"
    " REPEATS 5 TIMES",
    "[x-acme-thing:x_prop = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    "[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
    "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.0]",
]
BAD_PATTERNS = [
    "",
    "ipv4-addr:value = '1.2.3.4'",
    "[ipv4-addr:value = '1.2.3.4'",
    "[value = 1]",
    "[ipv4-addr:value = '1.2.3.4]",
    "[[a-b:c = 1]]",
    "([a-b:c = 1]))",
    "[a-b:c = 1)",
    "[a-b:c[0 = 1]",
]


@pytest.mark.parametrize("pattern", GOOD_PATTERNS)
def test_patterns_the_reference_grammar_accepts_pass(pattern: str) -> None:
    assert run_validator(pattern) == []
    obj = example("indicator")
    obj["pattern"] = pattern
    assert validate_object(obj) == []


@pytest.mark.parametrize("pattern", BAD_PATTERNS)
def test_patterns_the_reference_grammar_rejects_fail(pattern: str) -> None:
    if pattern:  # stix2-patterns 2.1.2 crashes on an empty pattern
        assert run_validator(pattern) != []
    obj = example("indicator")
    obj["pattern"] = pattern
    assert any(": pattern " in reason for reason in validate_object(obj))


# --- objects built by the stix2 library ---------------------------------------------------
_text = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
_when = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def stix2_objects(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(_text)
    start = draw(_when)
    end = start + draw(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=900)))
    common: dict[str, Any] = {"created_by_ref": IDENTITY}
    if draw(st.booleans()):
        common["confidence"] = draw(st.integers(0, 100))
    if draw(st.booleans()):
        common["labels"] = draw(st.lists(_text, min_size=1, max_size=3))
    if draw(st.booleans()):
        common["external_references"] = [
            {"source_name": draw(_text), "url": "https://example.com/r"}
        ]
    if draw(st.booleans()):
        common["lang"] = draw(st.sampled_from(["fr", "ar", "en"]))
    if draw(st.booleans()):
        common["object_marking_refs"] = [stix2.TLP_GREEN.id]
    if draw(st.booleans()):
        common["granular_markings"] = [
            {"marking_ref": stix2.TLP_AMBER.id, "selectors": ["created_by_ref"]}
        ]
    builders: list[Callable[[], Any]] = [
        lambda: stix2.AttackPattern(name=name, **common),
        lambda: stix2.Campaign(name=name, first_seen=start, last_seen=end, **common),
        lambda: stix2.CourseOfAction(name=name, **common),
        lambda: stix2.Grouping(context="unspecified", object_refs=[INDICATOR], **common),
        lambda: stix2.Identity(name=name, identity_class="individual", **common),
        lambda: stix2.Incident(name=name, **common),
        lambda: stix2.Indicator(
            name=name,
            pattern="[domain-name:value = 'example.com']",
            pattern_type="stix",
            valid_from=start,
            valid_until=end,
            **common,
        ),
        lambda: stix2.Infrastructure(name=name, **common),
        lambda: stix2.IntrusionSet(name=name, first_seen=start, last_seen=end, **common),
        lambda: stix2.Location(
            latitude=draw(st.floats(-90, 90)), longitude=draw(st.floats(-180, 180)), **common
        ),
        lambda: stix2.Malware(name=name, is_family=draw(st.booleans()), **common),
        lambda: stix2.MalwareAnalysis(product=name, result="benign", **common),
        lambda: stix2.Note(content=name, object_refs=[MALWARE], **common),
        lambda: stix2.ObservedData(
            first_observed=start,
            last_observed=end,
            number_observed=draw(st.integers(1, 999_999_999)),
            object_refs=["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"],
            **common,
        ),
        lambda: stix2.Opinion(opinion="neutral", object_refs=[INDICATOR], **common),
        lambda: stix2.Report(name=name, published=end, object_refs=[INDICATOR], **common),
        lambda: stix2.ThreatActor(name=name, first_seen=start, last_seen=end, **common),
        lambda: stix2.Tool(name=name, **common),
        lambda: stix2.Vulnerability(name=name, **common),
        lambda: stix2.Relationship(
            source_ref=INDICATOR,
            relationship_type="indicates",
            target_ref=MALWARE,
            start_time=start,
            stop_time=end,
            **common,
        ),
        lambda: stix2.Sighting(
            sighting_of_ref=INDICATOR,
            count=draw(st.integers(0, 999_999_999)),
            where_sighted_refs=[IDENTITY],
            **common,
        ),
        lambda: stix2.IPv4Address(value="198.51.100.7"),
        lambda: stix2.DomainName(value="example.com"),
        lambda: stix2.URL(value="https://example.com/" + str(draw(st.integers(0, 999)))),
        lambda: stix2.File(name=name),
        lambda: stix2.EmailAddress(value="a@example.com", display_name=name),
        lambda: stix2.MarkingDefinition(
            definition_type="statement", definition=stix2.StatementMarking(statement=name)
        ),
    ]
    built = draw(st.sampled_from(builders))()
    result: dict[str, Any] = json.loads(built.serialize())
    return result


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stix2_objects())
def test_objects_built_by_stix2_validate(obj: dict[str, Any]) -> None:
    assert validate_object(obj) == []


# --- robustness -------------------------------------------------------------------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12) | st.sampled_from(["x_ref", "y_refs"]), inner)
    ),
    max_leaves=12,
)


def _refs_oracle(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """Every ``*_ref`` string and ``*_refs`` string item, with its path, found by a plain
    recursive walk (observed-data's deprecated ``objects`` holds no identifiers)."""
    found: list[tuple[str, str]] = []

    def walk(value: Any, path: str | None) -> None:  # path None: the object itself
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str):
                    continue
                here = k if path is None else f"{path}.{k}"
                if k.endswith("_ref"):
                    found.extend([(here, v)] if isinstance(v, str) else [])
                elif k.endswith("_refs"):
                    if isinstance(v, list):
                        found.extend(
                            (f"{here}[{i}]", x) for i, x in enumerate(v) if isinstance(x, str)
                        )
                elif not (path is None and k == "objects" and obj.get("type") == "observed-data"):
                    walk(v, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(obj, None)
    return found


@settings(max_examples=examples(100), deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(example("sighting"))) | st.text(), _json))
def test_arbitrary_json_never_raises(obj: dict[str, Any]) -> None:
    reasons = validate_object(obj)
    assert all(isinstance(r, str) and r for r in reasons)
    if "id" not in obj:
        assert reasons  # every STIX object has an id
    assert sorted(iter_refs(obj)) == sorted(_refs_oracle(obj))
    version = next((obj[k] for k in ("modified", "created") if isinstance(obj.get(k), str)), None)
    assert object_version(obj) == version


@settings(max_examples=examples(200), deadline=None)
@given(st.sampled_from(sorted(ALL)), st.data())
def test_corrupting_properties_never_raises(type_: str, data: st.DataObject) -> None:
    """Random JSON in up to three properties: reasons, never a crash -- and what we still
    accept, the reference validator accepts too, but for the form of strings (hostnames,
    IP addresses, e-mail, URLs), which Liaison's validator does not check."""
    obj = example(type_)
    for key in data.draw(st.lists(st.sampled_from(sorted(obj)), min_size=1, max_size=3)):
        obj[key] = data.draw(_json)
    reasons = validate_object(obj)
    assert all(isinstance(r, str) and r for r in reasons)
    if not reasons:
        result = validate_instance(obj, ORACLE)
        structural = [str(e) for e in result.errors if not FORMAT_ONLY.search(str(e))]
        assert structural == [], obj


#: A reference-validator error about the form of a string only (JSON Schema "format" or
#: "pattern": hostnames, addresses, e-mail, URLs). It quotes the string with "" when it
#: holds a ' (``value: "'" is not a 'uri'``).
FORMAT_ONLY = re.compile(r""": (?:'.*'|".*") (is not a '[\w-]+'|does not match '.*')$""")


@pytest.mark.parametrize(
    ("type_", "key"), [(t, k) for t in sorted(ALL) for k in sorted(example(t)) if k != "type"]
)
def test_a_null_property_is_never_valid(type_: str, key: str) -> None:
    """STIX has no null values: a property set to null is not an absent one."""
    obj = example(type_)
    obj[key] = None
    assert validate_object(obj) != []


@pytest.mark.parametrize(
    ("type_", "key", "value"),
    [
        ("opinion", "opinion", [1]),
        ("extension-definition", "extension_types", [[1]]),
        ("indicator", "extensions", {1: {}}),
        ("indicator", "extensions", {"x-a-ext": [1]}),
        ("indicator", 7, "int key"),
        (
            "indicator",
            "extensions",
            {"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {"extension_type": [1]}},
        ),
        ("indicator", "granular_markings", [{"marking_ref": [1], "selectors": [{}]}]),
        ("indicator", "spec_version", {"a": 1}),
        ("indicator", "granular_markings", [{"lang": "fr", "selectors": ["labels.²"]}]),
        ("indicator", "granular_markings", [{"lang": "fr", "selectors": ["labels." + "9" * 5000]}]),
        ("relationship", "source_ref", ["x"]),
        ("marking-definition", "definition", [1]),
        ("marking-definition", "definition_type", ["tlp"]),
        ("language-content", "contents", {}),  # found by the differential test above
    ],
)
def test_unhashable_and_odd_values_are_reported(type_: str, key: Any, value: Any) -> None:
    obj = example(type_)
    obj[key] = value
    assert validate_object(obj) != []


# --- MITRE ATT&CK -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def attack_objects() -> list[dict[str, Any]]:
    if not ATTACK.is_file():
        missing(f"ATT&CK bundle not found at {ATTACK}")
    objects: list[dict[str, Any]] = json.loads(ATTACK.read_text())["objects"]
    return objects


def test_attack_bundle_validates_fully(attack_objects: list[dict[str, Any]]) -> None:
    assert len(attack_objects) == 2150
    failures = {o.get("id"): r for o in attack_objects if (r := validate_object(o))}
    assert failures == {}
    assert {o["type"] for o in attack_objects} >= {"x-mitre-tactic", "relationship"}


def test_attack_objects_broken_are_rejected(attack_objects: list[dict[str, Any]]) -> None:
    rel = next(o for o in attack_objects if o["type"] == "relationship")
    broken = {**rel, "source_ref": "T1234"}
    assert validate_object(broken) == [
        f"{rel['id']}: source_ref 'T1234' is not an identifier (<type>--<UUID>)"
    ]
    custom = next(o for o in attack_objects if o["type"] == "x-mitre-tactic")
    assert validate_object({**custom, "modified": "yesterday"}) != []
