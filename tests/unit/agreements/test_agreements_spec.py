"""The agreement spec: checked whole, every mistake named with its file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from liaison.agreements import AgreementParty, AgreementSpec, state
from liaison.errors import InvalidInputError, NotFoundError
from liaison.signing import SigningKey

DZ_LEVELS = ("NON CLASSIFIÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL", "SECRET")
MR_LEVELS = ("NON PROTÉGÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL DÉFENSE", "SECRET DÉFENSE")
DZ = AgreementParty(
    "identity--0c6f3a1e-6a0c-4a9e-9d61-1f2d3c4b5a60",
    "DZ",
    SigningKey.generate().public_key_b64,
    DZ_LEVELS,
)
MR = AgreementParty(
    "identity--5e0b4f0c-2d7a-4b8e-8f3a-9c1d2e3f4a5b", "MR", SigningKey.generate().public_key_b64, ()
)

SPEC = """\
name = "DZ-MR protocol"
types = ["report", "indicator", "x-sahel-route"]
topics = ["terrorism"]
regions = ["DZ", "ML"]
max_classification = "CONFIDENTIEL"
retention_days = 730
valid_days = 30

[[partner]]
party = "MR"
levels = ["NON PROTÉGÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL DÉFENSE", "SECRET DÉFENSE"]
max_classification = "CONFIDENTIEL DÉFENSE"
equivalence = { "CONFIDENTIEL" = "CONFIDENTIEL DÉFENSE", "NON CLASSIFIÉ" = "NON PROTÉGÉ" }

[[contact]]
party = "MR"
name = "Officer MR"
email = "mr@example.org"
"""


def partner(name: str) -> AgreementParty:
    if name != "MR":
        raise NotFoundError(f"no party {name}")
    return MR


def test_a_good_spec_gives_the_agreement_it_says() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    a = AgreementSpec.from_toml(SPEC, "dz-mr.toml").propose(me=DZ, partner=partner, now=now)
    assert a.name == "DZ-MR protocol" and state(a, now) == "proposed"
    assert a.scope.stix_types == {"report", "indicator", "x-sahel-route"}
    assert a.scope.topics == {"terrorism"} and a.scope.regions == {"DZ", "ML"}
    assert a.max_classification == {
        DZ.identity_id: "CONFIDENTIEL",
        MR.identity_id: "CONFIDENTIEL DÉFENSE",
    }
    assert a.retention_days == 730 and (a.valid_until - now).days == 30
    # rows sorted by our scheme, whatever order the spec wrote them in
    assert a.pairs(DZ.identity_id, MR.identity_id) == [
        ("NON CLASSIFIÉ", "NON PROTÉGÉ"),
        ("CONFIDENTIEL", "CONFIDENTIEL DÉFENSE"),
    ]
    assert [(c.party_ref, c.email) for c in a.contacts] == [(MR.identity_id, "mr@example.org")]


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    assert AgreementSpec.load(path).valid_days == 30
    with pytest.raises(InvalidInputError, match="no such file"):
        AgreementSpec.load(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "regions = ",
            "regoins = ",
            "spec.toml:4: unknown key 'regoins' (did you mean 'regions'?)",
        ),
        ("valid_days = 30", "valid_dayz = 30", "spec.toml:7: unknown key 'valid_dayz'"),
        (
            '"indicator"',
            '"indicatr"',
            "spec.toml:2: unknown STIX type 'indicatr' (did you mean 'indicator'?)",
        ),
        ('"x-sahel-route"', '"X-Route"', "spec.toml:2: unknown STIX type 'X-Route'"),
        ('"report", ', '"report", "report", ', "spec.toml:2: types names a value twice"),
        ("valid_days = 30", "valid_days = 0", "spec.toml:7: valid_days must be a whole number ≥ 1"),
        ("retention_days = 730", 'retention_days = "2y"', "spec.toml:6: retention_days"),
        ('name = "DZ-MR protocol"\n', "", "spec.toml: missing 'name'"),
        ("[[partner]]", "[partner]", "spec.toml:9: partner must be written as [[partner]] tables"),
        (
            'party = "MR"\nlevels',
            'party = "MR"\nlevel',
            "spec.toml:11: unknown key 'level' in [[partner]] (did you mean 'levels'?)",
        ),
        (
            'max_classification = "CONFIDENTIEL DÉFENSE"',
            'max_classification = "TOP"',
            "spec.toml:12: 'TOP' is not one of the levels of MR",
        ),
        (
            '= "NON PROTÉGÉ" }',
            '= "UNCLASSIFIED" }',
            "spec.toml:13: 'UNCLASSIFIED' is not one of the levels of MR",
        ),
        (
            'email = "mr@example.org"',
            'mail = "x"',
            "spec.toml:18: unknown key 'mail' in [[contact]] (did you mean 'email'?)",
        ),
    ],
)
def test_every_mistake_names_its_line(old: str, new: str, message: str) -> None:
    assert old in SPEC
    with pytest.raises(InvalidInputError) as info:
        AgreementSpec.from_toml(SPEC.replace(old, new, 1), "spec.toml")
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'max_classification = "CONFIDENTIEL"',
            'max_classification = "TOP"',
            "spec.toml:5: 'TOP' is not one of our levels",
        ),
        ('party = "MR"\nlevels', 'party = "XX"\nlevels', "spec.toml:10: no party XX"),
        ('"CONFIDENTIEL" = "CONF', '"TOP" = "CONF', "spec.toml:13: 'TOP' is not one of our levels"),
        (
            'party = "MR"\nname',
            'party = "NE"\nname',
            "spec.toml:16: 'NE' is not a partner of this spec",
        ),
    ],
)
def test_what_depends_on_the_node_names_its_line_too(old: str, new: str, message: str) -> None:
    spec = AgreementSpec.from_toml(SPEC.replace(old, new, 1), "spec.toml")
    with pytest.raises(InvalidInputError) as info:
        spec.propose(me=DZ, partner=partner)
    assert str(info.value).startswith(message), str(info.value)


def test_a_mapping_spec_is_checked_the_same() -> None:
    with pytest.raises(InvalidInputError, match="agreement spec: unknown key 'regoins'"):
        AgreementSpec.from_dict({"regoins": []})
    with pytest.raises(InvalidInputError, match="at least one \\[\\[partner\\]\\]"):
        AgreementSpec.from_dict({"name": "x", "types": ["report"], "max_classification": "A"})
