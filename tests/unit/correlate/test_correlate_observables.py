"""Observable normalisation and extraction from STIX objects."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.correlate import OBSERVABLE_KINDS, normalise_observable, observables_of


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("phone-number", "+223 76 12 34 56", "+22376123456"),
        ("phone-number", "00223-76-12-34-56", "+22376123456"),
        ("phone-number", "(+227) 90 12 34 56", "+22790123456"),
        ("phone-number", "TLP:GREEN", None),
        ("phone-number", "12", None),
        ("email-addr", "Mailto:Ag.Ghali@Example.ORG", "ag.ghali@example.org"),
        ("email-addr", "bob[at]mail[.]ml", "bob@mail.ml"),
        ("email-addr", "not an address", None),
        ("domain-name", "WWW.Sahel-Info.ML.", "www.sahel-info.ml"),
        ("domain-name", "evil[.]example[.]com", "evil.example.com"),
        ("domain-name", "tombouctou.مثال", "tombouctou.xn--mgbh0fb"),
        ("domain-name", "TLP:GREEN", None),
        ("domain-name", "10.0.0.1", None),
        ("url", "hxxps://Evil.Example.com:443/a/b?c=1#frag", "https://evil.example.com/a/b?c=1"),
        ("url", "HTTP://evil.example.com", "http://evil.example.com/"),
        ("url", "http://evil.example.com:8080/x", "http://evil.example.com:8080/x"),
        ("url", "no scheme here", None),
        ("ipv4-addr", " 198.51.100.7 ", "198.51.100.7"),
        ("ipv4-addr", "198.51.100.7/32", "198.51.100.7"),
        ("ipv4-addr", "198.51.100.0/24", "198.51.100.0/24"),
        ("ipv4-addr", "198.51.100.300", None),
        ("ipv4-addr", "2001:db8::1", None),
        ("ipv6-addr", "2001:DB8:0:0::1", "2001:db8::1"),
        ("crypto-wallet", "0xABCDEF0123456789abcdef0123456789ABCDEF01",
         "0xabcdef0123456789abcdef0123456789abcdef01"),
        ("crypto-wallet", "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
         "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ("crypto-wallet", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
         "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        ("crypto-wallet", "TLP:GREEN", None),
        ("file-hash", "D41D8CD98F00B204E9800998ECF8427E", "md5:d41d8cd98f00b204e9800998ecf8427e"),
        ("file-hash", "sha256:" + "AB" * 32, "sha256:" + "ab" * 32),
        ("file-hash", "xyz", None),
        ("unknown-kind", "value", None),
    ],
)  # fmt: skip
def test_normalise_observable(kind: str, raw: str, expected: str | None) -> None:
    assert normalise_observable(kind, raw) == expected


def test_national_phone_numbers_need_a_region() -> None:
    assert normalise_observable("phone-number", "76 12 34 56") is None
    assert normalise_observable("phone-number", "76 12 34 56", default_region="ML") == (
        "+22376123456"
    )


def test_hash_algorithm_name_is_folded() -> None:
    value = "a" * 64
    assert normalise_observable("file-hash", value, algorithm="SHA-256") == f"sha256:{value}"
    assert normalise_observable("file-hash", value, algorithm="MD5") is None


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(OBSERVABLE_KINDS), st.text(max_size=60))
def test_normalisation_is_idempotent(kind: str, raw: str) -> None:
    once = normalise_observable(kind, raw)
    if once is not None:
        assert normalise_observable(kind, once) == once


def test_observables_from_scos_patterns_and_custom_properties() -> None:
    sha = "e" * 64
    assert observables_of({"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.1.2.3"}) == [
        ("ipv4-addr", "10.1.2.3")
    ]
    assert observables_of(
        {"type": "file", "id": "file--1", "hashes": {"SHA-256": sha.upper(), "MD5": "bad"}}
    ) == [("file-hash", f"sha256:{sha}")]
    pattern = (
        "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value != 'skip.example']"
        f" OR [file:hashes.'SHA-256' = '{sha}'] AND [email-addr:value = 'X@Y.org']"
        " OR [url:value LIKE 'http://skip.example/%']"
    )
    found = observables_of({"type": "indicator", "pattern": pattern, "pattern_type": "stix"})
    assert found == [
        ("ipv4-addr", "198.51.100.7"),
        ("file-hash", f"sha256:{sha}"),
        ("email-addr", "x@y.org"),
    ]
    assert observables_of({"type": "indicator", "pattern": pattern, "pattern_type": "sigma"}) == []
    person = {
        "type": "identity",
        "name": "Iyad Ag Ghali",
        "contact_information": "Tél. 00223 76 12 34 56, courriel iyad@example.ml",
        "x_liaison_phones": ["+227 90 12 34 56", "garbage"],
        "x_btc_wallet": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "description": "+223 76 00 00 00 is not read from free text",
    }
    assert sorted(observables_of(person)) == [
        ("crypto-wallet", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        ("email-addr", "iyad@example.ml"),
        ("phone-number", "+22376123456"),
        ("phone-number", "+22790123456"),
    ]


def _plain_ipv4(value: str) -> str | None:
    """What ``ipaddress`` alone makes of an IPv4 value (before the canonical fast path)."""
    import ipaddress

    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    if net.version != 4:
        return None
    return str(net.network_address) if net.num_addresses == 1 else str(net)


_OCTET = st.one_of(
    st.integers(0, 300).map(str),
    st.sampled_from(["00", "01", "007", "256", "1000", "", " ", "-1", "+1", "٣", "１", "a"]),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_OCTET, min_size=1, max_size=5),
    st.sampled_from(["", "/32", "/24", "/0", "\n", " ", "/33"]),
)
def test_ipv4_fast_path_is_ipaddress(octets: list[str], tail: str) -> None:
    """Canonical dotted quads skip ``ipaddress``; every value normalises as it would."""
    value = ".".join(octets) + tail
    got = normalise_observable("ipv4-addr", value)
    assert got == (_plain_ipv4(value) if value.strip() else None)
    assert normalise_observable("ipv4-addr", value) == got  # remembered: the same again


def test_ipv4_edge_values() -> None:
    for value in ("0.0.0.0", "255.255.255.255", "10.0.0.1", "1.2.3.4\n"):
        assert normalise_observable("ipv4-addr", value) == _plain_ipv4(value)
    for value in ("01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.4.5", "١.٢.٣.٤"):
        assert normalise_observable("ipv4-addr", value) is None
    assert normalise_observable("ipv6-addr", "1.2.3.4") is None


@given(
    st.text(
        alphabet=st.sampled_from([*"hHxXpPfFtTaAdDoO.:/@[](){}sS ſ0", "\u212a", "é"]),
        max_size=16,
    )
)
def test_refang_skips_only_values_no_pattern_touches(value: str) -> None:
    """``_refang`` returns at once the values without a bracket or a leading h/f: the
    same as applying every substitution."""
    from liaison.correlate.observables import _REFANG, _refang

    full = value
    for pattern, repl in _REFANG:
        full = pattern.sub(repl, full)  # type: ignore[arg-type]
    assert _refang(value) == full
