"""Each validation rule: a valid example passes, a broken one fails with its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from stix_examples import ALL, IDENTITY, INDICATOR, MARKING, example

from liaison.stix import object_version, validate_object

Obj = dict[str, Any]


@pytest.mark.parametrize("type_", sorted(ALL))
def test_valid_examples_pass(type_: str) -> None:
    assert validate_object(example(type_)) == []


def _set(**props: Any) -> Callable[[Obj], None]:
    def mutate(obj: Obj) -> None:
        obj.update(props)

    return mutate


def _drop(*names: str) -> Callable[[Obj], None]:
    def mutate(obj: Obj) -> None:
        for name in names:
            del obj[name]

    return mutate


BAD_ID = "indicator--not-a-uuid"
MISSING_REQUIRED = [
    ("attack-pattern", "name"),
    ("campaign", "name"),
    ("course-of-action", "name"),
    ("grouping", "context"),
    ("grouping", "object_refs"),
    ("identity", "name"),
    ("incident", "name"),
    ("indicator", "pattern"),
    ("indicator", "pattern_type"),
    ("indicator", "valid_from"),
    ("infrastructure", "name"),
    ("intrusion-set", "name"),
    ("malware", "is_family"),
    ("malware-analysis", "product"),
    ("note", "content"),
    ("note", "object_refs"),
    ("observed-data", "number_observed"),
    ("opinion", "opinion"),
    ("report", "published"),
    ("threat-actor", "name"),
    ("tool", "name"),
    ("vulnerability", "name"),
    ("relationship", "relationship_type"),
    ("relationship", "source_ref"),
    ("relationship", "target_ref"),
    ("sighting", "sighting_of_ref"),
    ("language-content", "contents"),
    ("extension-definition", "created_by_ref"),
    ("extension-definition", "extension_types"),
    ("ipv4-addr", "value"),
    ("domain-name", "value"),
    ("url", "value"),
    ("email-addr", "value"),
    ("indicator", "spec_version"),
    ("indicator", "created"),
    ("indicator", "modified"),
    ("marking-definition", "created"),
    ("indicator", "id"),
    ("indicator", "type"),
]


@pytest.mark.parametrize(("type_", "prop"), MISSING_REQUIRED)
def test_missing_required_property(type_: str, prop: str) -> None:
    obj = example(type_)
    del obj[prop]
    reasons = validate_object(obj)
    assert any(r.endswith(f"required property '{prop}' is missing") for r in reasons), reasons


CASES: list[tuple[str, str, Callable[[Obj], None], str]] = [
    # (name, base type, mutation, expected reason text)
    ("bad type chars", "indicator", _set(type="Indicator"), "type 'Indicator' is not a valid"),
    ("type too short", "indicator", _set(type="ab"), "type 'ab' is not a valid type name"),
    ("type double dash", "indicator", _set(type="x--y"), "type 'x--y' is not a valid"),
    ("id not id", "indicator", _set(id="foo"), "id 'foo' is not of the form <type>--<UUID>"),
    ("id bad uuid", "indicator", _set(id=BAD_ID), f"id '{BAD_ID}' is not of the form"),
    (
        "id uuid version 0",
        "indicator",
        _set(id="indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"),
        "is not of the form <type>--<UUID>",
    ),
    ("id other type", "indicator", _set(id=IDENTITY), "does not start with its type 'indicator--'"),
    ("spec_version 2.0", "indicator", _set(spec_version="2.0"), "spec_version must be '2.1'"),
    ("sco spec_version", "ipv4-addr", _set(spec_version="2.0"), "spec_version must be '2.1'"),
    (
        "modified before created",
        "indicator",
        _set(modified="2026-10-01T00:00:00.000Z"),
        "modified (2026-10-01T00:00:00.000Z) is earlier than created",
    ),
    (
        "created no Z",
        "indicator",
        _set(created="2026-11-01T09:00:00.000+01:00"),
        "created '2026-11-01T09:00:00.000+01:00' is not an RFC 3339 timestamp",
    ),
    ("created no millis", "indicator", _set(created="2026-11-01T09:00:00Z"), "millisecond"),
    ("created 31 Nov", "indicator", _set(created="2026-11-31T09:00:00.000Z"), "not an RFC 3339"),
    (
        "valid_until before",
        "indicator",
        _set(valid_until="2026-01-01T00:00:00Z"),
        "valid_until must be later than valid_from",
    ),
    (
        "valid_from not timestamp",
        "indicator",
        _set(valid_from="yesterday"),
        "valid_from 'yesterday' is not an RFC 3339",
    ),
    (
        "last_seen before",
        "campaign",
        _set(last_seen="2020-01-01T00:00:00Z"),
        "last_seen must be equal to or later than first_seen",
    ),
    ("confidence high", "indicator", _set(confidence=101), "confidence must be an integer from 0"),
    ("confidence bool", "indicator", _set(confidence=True), "confidence must be an integer"),
    (
        "labels not list",
        "indicator",
        _set(labels="x"),
        "labels must be a non-empty list of strings",
    ),
    ("labels empty", "indicator", _set(labels=[]), "labels must be a non-empty list of strings"),
    ("labels ints", "indicator", _set(labels=[1]), "labels must be a non-empty list of strings"),
    ("lang not str", "indicator", _set(lang=3), "lang 3 is not an RFC 5646 language tag"),
    ("lang not tag", "indicator", _set(lang="fr_FR"), "lang 'fr_FR' is not an RFC 5646"),
    ("empty custom list", "indicator", _set(x_acme_tags=[]), "x_acme_tags is an empty list"),
    ("empty aliases", "tool", _set(aliases=[]), "aliases must be a non-empty list of strings"),
    ("types not list", "tool", _set(tool_types="scanner"), "tool_types must be a non-empty list"),
    ("class not str", "identity", _set(identity_class={}), "identity_class must be a string"),
    ("reserved on SCO", "url", _set(action="block"), "property 'action' is reserved"),
    (
        "relationship_type chars",
        "relationship",
        _set(relationship_type="Uses"),
        "relationship_type 'Uses' may only hold a-z, 0-9 and hyphens",
    ),
    (
        "granular lang tag",
        "indicator",
        _set(granular_markings=[{"lang": "français", "selectors": ["name"]}]),
        "granular_markings[0].lang 'français' is not an RFC 5646 language tag",
    ),
    ("revoked str", "indicator", _set(revoked="no"), "revoked must be a boolean"),
    (
        "created_by_ref not identity",
        "indicator",
        _set(created_by_ref=INDICATOR),
        f"created_by_ref must point to identity, not '{INDICATOR}'",
    ),
    (
        "created_by_ref not id",
        "indicator",
        _set(created_by_ref="bob"),
        "created_by_ref 'bob' is not an identifier",
    ),
    (
        "object_marking_refs to identity",
        "indicator",
        _set(object_marking_refs=[MARKING, IDENTITY]),
        "object_marking_refs[1] must point to marking-definition",
    ),
    (
        "object_marking_refs empty",
        "indicator",
        _set(object_marking_refs=[]),
        "object_marking_refs must be a non-empty list of identifiers",
    ),
    (
        "object_refs bad",
        "report",
        _set(object_refs=["x"]),
        "object_refs[0] 'x' is not an identifier",
    ),
    (
        "nested ref in extension",
        "indicator",
        _set(extensions={"x-acme-ext": {"analyst_ref": "nobody"}}),
        "extensions.x-acme-ext.analyst_ref 'nobody' is not an identifier",
    ),
    (
        "nested refs in list",
        "indicator",
        _set(x_acme_links=[{"target_refs": [1]}]),
        "x_acme_links[0].target_refs[0] 1 is not an identifier",
    ),
    (
        "external reference without source_name",
        "indicator",
        _set(external_references=[{"url": "https://example.com"}]),
        "external_references[0] needs a 'source_name' string",
    ),
    (
        "custom ref in external reference",
        "indicator",
        _set(external_references=[{"source_name": "x", "x_owner_ref": "nobody"}]),
        "external_references[0].x_owner_ref 'nobody' is not an identifier",
    ),
    (
        "external references empty",
        "indicator",
        _set(external_references=[]),
        "external_references must be a non-empty list",
    ),
    (
        "granular marking without selectors",
        "indicator",
        _set(granular_markings=[{"marking_ref": MARKING}]),
        "granular_markings[0].selectors must be a non-empty list of strings",
    ),
    (
        "granular marking with both",
        "indicator",
        _set(granular_markings=[{"marking_ref": MARKING, "lang": "fr", "selectors": ["name"]}]),
        "granular_markings[0] needs exactly one of 'marking_ref' and 'lang'",
    ),
    (
        "granular marking with neither",
        "indicator",
        _set(granular_markings=[{"selectors": ["name"]}]),
        "granular_markings[0] needs exactly one of 'marking_ref' and 'lang'",
    ),
    (
        "granular marking to identity",
        "indicator",
        _set(granular_markings=[{"marking_ref": IDENTITY, "selectors": ["name"]}]),
        "granular_markings[0].marking_ref must point to a marking-definition",
    ),
    (
        "granular marking bad ref syntax",
        "indicator",
        _set(granular_markings=[{"marking_ref": "tlp:red", "selectors": ["name"]}]),
        "granular_markings[0].marking_ref 'tlp:red' is not an identifier",
    ),
    (
        "granular selector dangling",
        "indicator",
        _set(granular_markings=[{"lang": "fr", "selectors": ["labels.3"]}]),
        "selector 'labels.3' does not select a property",
    ),
    ("extensions not dict", "indicator", _set(extensions=[]), "extensions must be a non-empty"),
    (
        "extension bad key",
        "indicator",
        _set(extensions={"acme": {"a": 1}}),
        "extension key 'acme' is neither an extension-definition id nor a '*-ext' name",
    ),
    (
        "extension without type",
        "indicator",
        _set(extensions={"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {"r": 1}}),
        "needs an 'extension_type'",
    ),
    (
        "extension unknown type",
        "indicator",
        _set(
            extensions={
                "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {
                    "extension_type": "new-thing"
                }
            }
        ),
        "unknown extension_type 'new-thing'",
    ),
    ("predefined ext empty", "file", _set(extensions={"archive-ext": {}}), "must be a non-empty"),
    (
        "extension empty list",
        "indicator",
        _set(extensions={"x-acme-ext": {"proofs": []}}),
        "extensions.x-acme-ext.proofs is an empty list",
    ),
    (
        "extension property name",
        "indicator",
        _set(extensions={"x-acme-ext": {"Bad-Name": 1}}),
        "extensions.x-acme-ext: property name 'Bad-Name' is not valid",
    ),
    (
        "extension hex",
        "indicator",
        _set(extensions={"x-acme-ext": {"key_hex": "abc"}}),
        "extensions.x-acme-ext.key_hex must be an even number of hexadecimal digits",
    ),
    ("top-level hex", "file", _set(magic_number_hex="zz"), "magic_number_hex must be an even"),
    ("top-level base64", "indicator", _set(x_blob_bin="not base64!"), "x_blob_bin must be base64"),
    (
        "custom property uppercase",
        "indicator",
        _set(x_Acme=1),
        "property name 'x_Acme' is not valid",
    ),
    ("custom property short", "indicator", _set(xy=1), "property name 'xy' is not valid"),
    ("custom property dash", "indicator", _set(**{"x-acme": 1}), "property name 'x-acme'"),
    ("reserved property", "indicator", _set(severity="high"), "property 'severity' is reserved"),
    ("name not string", "campaign", _set(name=["a"]), "name must be a string"),
    ("is_family not bool", "malware", _set(is_family="yes"), "is_family must be a boolean"),
    ("family without name", "malware", _drop("name"), "name is required when is_family is true"),
    (
        "number_observed zero",
        "observed-data",
        _set(number_observed=0),
        "number_observed must be an integer from 1 to 999999999",
    ),
    (
        "observed-data both",
        "observed-data",
        _set(objects={"0": {"type": "ipv4-addr", "value": "198.51.100.7"}}),
        "exactly one of 'objects' and 'object_refs' is required",
    ),
    ("opinion vocabulary", "opinion", _set(opinion="maybe"), "opinion must be one of"),
    ("location empty", "location", _drop("region", "country"), "at least one of 'region'"),
    ("latitude alone", "location", _set(latitude=12.5), "latitude and longitude must be given"),
    (
        "latitude out of range",
        "location",
        _set(latitude=120, longitude=3),
        "latitude must be a number from -90 to 90",
    ),
    (
        "relationship to marking",
        "relationship",
        _set(target_ref=MARKING),
        "target_ref must point to an SDO or SCO, not a marking-definition",
    ),
    (
        "sighting of SCO",
        "sighting",
        _set(sighting_of_ref="ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"),
        "sighting_of_ref must point to an SDO, not a ipv4-addr",
    ),
    (
        "where_sighted_refs to indicator",
        "sighting",
        _set(where_sighted_refs=[INDICATOR]),
        "where_sighted_refs[0] must point to one of identity, location",
    ),
    ("sighting count", "sighting", _set(count=-1), "count must be an integer from 0"),
    (
        "marking without definition",
        "marking-definition",
        _drop("definition"),
        "definition and definition_type must be given together",
    ),
    (
        "tlp marking bad colour",
        "marking-definition",
        _set(definition_type="tlp", definition={"tlp": "purple"}),
        "a tlp definition needs 'tlp' set to white, green, amber or red",
    ),
    (
        "marking marks itself",
        "marking-definition",
        lambda o: o.update(object_marking_refs=[o["id"]]),
        "must not mark itself",
    ),
    (
        "language-content contents",
        "language-content",
        _set(contents={"fr": "x"}),
        "contents must map language tags to non-empty dictionaries",
    ),
    (
        "extension_types vocabulary",
        "extension-definition",
        _set(extension_types=["new-widget"]),
        "extension_types must be a non-empty list of",
    ),
    ("file needs hashes or name", "file", _drop("hashes", "name"), "at least one of 'hashes'"),
    ("value not string", "ipv4-addr", _set(value=17), "value must be a string"),
    (
        "kill chain phase incomplete",
        "attack-pattern",
        _set(kill_chain_phases=[{"kill_chain_name": "lockheed"}]),
        "kill_chain_phases[0] needs 'kill_chain_name' and 'phase_name' strings",
    ),
    ("bundle", "indicator", _set(type="bundle"), "a bundle is not a STIX object"),
    (
        "pattern without brackets",
        "indicator",
        _set(pattern="ipv4-addr:value = '1.2.3.4'"),
        "pattern has no [object-type:property ...] comparison",
    ),
    (
        "pattern unterminated",
        "indicator",
        _set(pattern="[ipv4-addr:value = '1.2.3.4]"),
        "pattern has an unterminated string",
    ),
]


@pytest.mark.parametrize(
    ("base", "mutate", "expected"),
    [pytest.param(base, mutate, expected, id=name) for name, base, mutate, expected in CASES],
)
def test_rule_violations_are_reported(
    base: str, mutate: Callable[[Obj], None], expected: str
) -> None:
    obj = example(base)
    mutate(obj)
    reasons = validate_object(obj)
    assert any(expected in r for r in reasons), reasons


def test_reasons_are_prefixed_with_a_valid_id() -> None:
    obj = example("indicator")
    del obj["pattern"]
    assert validate_object(obj) == [f"{INDICATOR}: required property 'pattern' is missing"]


def test_reasons_without_a_valid_id_have_no_prefix() -> None:
    obj = example("indicator")
    obj["id"] = "foo"
    assert validate_object(obj) == ["id 'foo' is not of the form <type>--<UUID>"]


def test_several_problems_are_all_reported() -> None:
    obj = example("indicator")
    del obj["pattern"]
    obj["confidence"] = 200
    obj["labels"] = []
    assert len(validate_object(obj)) == 3


@pytest.mark.parametrize("value", [None, [], "indicator", 3, 1.5, True])
def test_non_objects_are_rejected(value: object) -> None:
    (reason,) = validate_object(value)
    assert reason.startswith("a STIX object must be a JSON object")


def test_unknown_properties_are_kept_and_accepted() -> None:
    obj = example("indicator")
    obj["x_liaison_handling"] = {"classification": "CONFIDENTIEL", "owner_ref": IDENTITY}
    before = repr(obj)
    assert validate_object(obj) == []
    assert repr(obj) == before  # validation never mutates


def test_custom_type_with_sdo_shape_passes() -> None:
    obj = example("indicator")
    obj = {k: v for k, v in obj.items() if k not in ("pattern", "pattern_type", "valid_from")}
    obj["type"] = "x-acme-widget"
    obj["id"] = "x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    assert validate_object(obj) == []
    obj["modified"] = "2000-01-01T00:00:00.000Z"
    assert any("earlier than created" in r for r in validate_object(obj))


def test_custom_new_sdo_needs_created_and_modified() -> None:
    ext = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
    obj = {
        "type": "x-acme-widget",
        "spec_version": "2.1",
        "id": "x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "extensions": {ext: {"extension_type": "new-sdo"}},
    }
    reasons = validate_object(obj)
    assert any("required property 'created' is missing" in r for r in reasons)
    obj["extensions"][ext]["extension_type"] = "new-sco"
    assert validate_object(obj) == []


def test_observed_data_local_refs_are_not_identifiers() -> None:
    obj = example("observed-data")
    del obj["object_refs"]
    obj["objects"] = {
        "0": {"type": "ipv4-addr", "value": "198.51.100.7"},
        "1": {"type": "network-traffic", "dst_ref": "0", "protocols": ["tcp"]},
    }
    assert validate_object(obj) == []


def test_deep_nesting_is_reported_not_crashing() -> None:
    obj = example("indicator")
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"x_deeper": deep}
    obj["x_deep"] = deep
    assert any("nested more than" in r for r in validate_object(obj))


def test_object_version() -> None:
    assert object_version(example("indicator")) == example("indicator")["modified"]
    assert object_version(example("marking-definition")) == example("marking-definition")["created"]
    assert object_version(example("ipv4-addr")) is None


def test_well_formed_hex_and_base64_pass() -> None:
    obj = example("file")
    obj["magic_number_hex"] = "FFD8"
    obj["extensions"] = {"x-acme-ext": {"sample_bin": "aGVsbG8=", "digest_hex": "00ff"}}
    assert validate_object(obj) == []


def test_a_type_name_begins_with_a_letter() -> None:
    # STIX 2.1 (and the OASIS stix2 library): a digit first is refused, here and in ids.
    obj = example("indicator")
    obj = {k: v for k, v in obj.items() if k not in ("pattern", "pattern_type", "valid_from")}
    obj["type"] = "3dx-model"
    obj["id"] = "3dx-model--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    reasons = validate_object(obj)
    assert any("is not a valid type name" in r and "a letter first" in r for r in reasons)
    assert any("is not of the form <type>--<UUID>" in r for r in reasons)
    obj["type"], obj["id"] = "x3d-model", "x3d-model--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    assert validate_object(obj) == []


@pytest.mark.parametrize(
    "names",
    [
        ["good_name", "Bad-Name", "good_name", "id", "ab", "x" * 251, "Bad-Name"],
        ["Bad-Name", "good_name", "Bad-Name", "id", "good_name"],
    ],
)
def test_extension_property_names_remembered_say_the_same(names: list[str]) -> None:
    """Valid names inside extensions are remembered: each object is judged as alone."""
    ext = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"

    def reasons(name: str) -> tuple[list[str], list[str]]:
        body = {"extension_type": "property-extension", name: "v"}
        obj = example("indicator") | {"extensions": {ext: body}}
        warned: list[str] = []
        return validate_object(obj, warned), warned

    first = {n: reasons(n) for n in dict.fromkeys(names)}
    for n in names:
        assert reasons(n) == first[n]
    assert first["good_name"] == ([], [])
    assert first["Bad-Name"] != ([], [])


def test_timestamps_remembered_as_precise_say_the_same() -> None:
    """Timestamps found precise to the millisecond are remembered; no other is."""
    precise, coarse = "2025-01-01T00:00:00.000Z", "2025-01-01T00:00:00Z"
    for _ in range(2):
        good = example("indicator") | {"created": precise, "modified": precise}
        assert validate_object(good) == []
        bad = example("indicator") | {"created": coarse, "modified": coarse}
        reasons = validate_object(bad)
        assert len(reasons) == 2
        assert all("must be precise to at least the millisecond" in r for r in reasons)


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("id", None),  # the example's own id, with a newline after it
        ("created", "2026-01-01T00:00:00.000Z\n"),
        ("valid_from", "2026-01-01T00:00:00Z\n"),
        ("lang", "en\n"),
        ("x_note\n", "a custom property whose name ends in a newline"),
    ],
)
def test_a_trailing_newline_is_not_a_valid_end(prop: str, value: str | None) -> None:
    """A regular expression's ``$`` also matches before a final newline: an id
    ``indicator--<uuid>\\n`` was a valid id, another string than the id it shows."""
    obj = example("indicator")
    obj[prop] = f"{obj['id']}\n" if value is None else value
    assert validate_object(obj), obj[prop]
