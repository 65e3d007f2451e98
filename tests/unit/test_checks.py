"""Checks of operator input: countries, identity ids, URLs, keys, STIX types, TOML lines."""

from __future__ import annotations

import base64

import pytest

from liaison.checks import (
    check_country,
    check_identity_id,
    check_key,
    check_stix_type,
    check_url,
    countries,
)
from liaison.errors import InvalidInputError
from liaison.signing import SigningKey
from liaison.tomlfile import parse_toml


def test_the_country_list_is_iso_3166_1() -> None:
    codes = countries()
    assert len(codes) == 249  # the officially assigned alpha-2 codes (ISO 3166-1:2020)
    assert {"DZ", "MR", "ML", "NE", "FR", "TD", "BF", "SS", "AQ", "XK"} - codes == {"XK"}
    assert not codes & {"ZZ", "XX", "AA", "QO", "EU", "UN", "UK", "EZ", "001"}
    assert check_country(" ml ") == "ML"
    for bad in ("zz", "XX", "EU", "FRA", "F", ""):
        with pytest.raises(InvalidInputError, match="ISO 3166-1"):
            check_country(bad)


def test_identity_ids() -> None:
    good = "identity--0c6f3a1e-6a0c-4a9e-9d61-1f2d3c4b5a60"
    assert check_identity_id(good) == good
    for bad in ("identity--x", good.upper(), good.replace("identity", "indicator"), good + "0"):
        with pytest.raises(InvalidInputError, match="not a STIX identity id"):
            check_identity_id(bad)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://node/taxii2/", "http://"),
        ("node:6100", "http://"),
        ("https:///taxii2/", "host"),
        ("https://u:p@node/", "credentials"),
        ("https://node:99999/", "not a valid URL"),
        ("https://node/a b", "spaces"),
    ],
)
def test_urls(url: str, words: str) -> None:
    with pytest.raises(InvalidInputError, match=words):
        check_url(url, "--url")


def test_keys() -> None:
    key = SigningKey.generate().public_key_b64
    assert check_key(key) == key
    for bad, words in [
        ("notbase64", "not valid base64"),
        (base64.b64encode(b"x" * 31).decode(), "32 bytes"),
        (base64.b64encode(b"\0" * 32).decode(), "not a valid Ed25519"),
    ]:
        with pytest.raises(InvalidInputError, match=words):
            check_key(bad, "--public-key")


def test_stix_types() -> None:
    assert check_stix_type("report") == "report"
    assert check_stix_type("x-mitre-tactic") == "x-mitre-tactic"
    with pytest.raises(InvalidInputError, match="did you mean 'report'"):
        check_stix_type("reprot")
    for bad in ("bogus", "X-Route", "x-", "bundle"):
        with pytest.raises(InvalidInputError, match="unknown STIX type"):
            check_stix_type(bad)


def test_toml_key_lines() -> None:
    text = """\
# a comment with key = "value"
name = "a # not a comment"
types = [
  "report",   # a = b
  "note",
]
"quoted key" = 1

[[partner]]
party = "MR"
equivalence = { "A" = "B" }

[[partner]]
  party = "XX"
[table . sub]
key = 2
"""
    _, lines = parse_toml(text, "spec.toml")
    assert lines.at("name") == "spec.toml:2"
    assert lines.at("types") == "spec.toml:3"
    assert lines.at("quoted key") == "spec.toml:7"
    assert lines.at("partner", 0) == "spec.toml:9"
    assert lines.at("partner", 0, "equivalence") == "spec.toml:11"
    assert lines.at("partner", 1, "party") == "spec.toml:14"
    assert lines.at("partner", 1, "levels") == "spec.toml:13"  # the table, when the key is absent
    assert lines.at("table", "key") == "spec.toml:16"
    assert lines.at("absent") == "spec.toml"
