"""``next`` tokens: bound to a party and a query, MAC-protected, expiring; never a crash."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidInputError
from liaison.service import pagination
from liaison.service.pagination import make_token, query_fingerprint, read_token
from suite_support import examples

SECRET = b"k" * 32
FP = query_fingerprint("objects", "col", None, None, (), ("indicator",), ("last",), (), ())


def test_round_trip() -> None:
    token = make_token(SECRET, party="analyst", query=FP, seq=42)
    assert read_token(SECRET, token, party="analyst", query=FP) == 42


def test_token_is_opaque_text_that_fits_a_url() -> None:
    token = make_token(SECRET, party="analyst", query=FP, seq=2**40)
    assert len(token) < 512
    assert all(c.isalnum() or c in "-_." for c in token)


@pytest.mark.parametrize(
    ("party", "query", "secret"),
    [("partner", FP, SECRET), ("analyst", "other-query", SECRET), ("analyst", FP, b"x" * 32)],
)
def test_bound_to_party_query_and_node(party: str, query: str, secret: bytes) -> None:
    token = make_token(SECRET, party="analyst", query=FP, seq=1)
    with pytest.raises(InvalidInputError):
        read_token(secret, token, party=party, query=query)


def test_fingerprint_changes_with_every_filter() -> None:
    base = ("objects", "col", None, None, (), (), ("last",), (), ())
    seen = {query_fingerprint(*base)}
    for i, changed in enumerate(["manifest", "col2", "indicator--x", 5, ("a",), ("t",)]):
        parts = list(base)
        parts[i] = changed
        seen.add(query_fingerprint(*parts))
    assert len(seen) == 7


def test_altered_tokens_are_refused() -> None:
    token = make_token(SECRET, party="analyst", query=FP, seq=7)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    flips = []
    for i in (0, len(raw) // 2, len(raw) - 1):  # nonce, ciphertext, tag
        changed = bytearray(raw)
        changed[i] ^= 0x01
        flips.append(base64.urlsafe_b64encode(bytes(changed)).decode().rstrip("="))
    for bad in (
        *flips,
        token[:-2],
        token + "x",
        "x" * 600,
        "abc.é",
        "é.é",
        "\x00.\x00",
        "",
    ):
        with pytest.raises(InvalidInputError):
            read_token(SECRET, bad, party="analyst", query=FP)


def test_token_reveals_no_counter() -> None:
    """Two tokens for the same position differ, and neither contains the seq in clear."""
    a = make_token(SECRET, party="analyst", query=FP, seq=123456789)
    b = make_token(SECRET, party="analyst", query=FP, seq=123456789)
    assert a != b
    for token in (a, b):
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert (123456789).to_bytes(8, "big") not in raw
        assert b"123456789" not in raw and "123456789" not in token


def test_stale_tokens_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    token = make_token(SECRET, party="analyst", query=FP, seq=3)
    real = pagination.time.time
    monkeypatch.setattr(pagination.time, "time", lambda: real() + pagination.TOKEN_TTL_SECONDS + 5)
    with pytest.raises(InvalidInputError, match="expired"):
        read_token(SECRET, token, party="analyst", query=FP)


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=80) | st.from_regex(r"[A-Za-z0-9_\-]{0,60}\.[A-Za-z0-9_\-é]{0,30}"))
def test_arbitrary_text_is_refused_cleanly(text: str) -> None:
    try:
        read_token(SECRET, text, party="analyst", query=FP)
    except InvalidInputError:
        return
    raise AssertionError(f"{text!r} was accepted")  # pragma: no cover


BAD = "^the 'next' parameter is not a valid pagination token$"


@pytest.mark.parametrize("bad", ["", "abc\ud800", "\ud800", "é" * 10, "x" * 513])
def test_refusals_say_one_thing(bad: str) -> None:
    with pytest.raises(InvalidInputError, match=BAD):
        read_token(SECRET, bad, party="analyst", query=FP)


def test_tokens_live_exactly_their_time_to_live(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(pagination.time, "time", lambda: now[0])
    token = make_token(SECRET, party="analyst", query=FP, seq=3)
    now[0] += pagination.TOKEN_TTL_SECONDS  # the last second it is good
    assert read_token(SECRET, token, party="analyst", query=FP) == 3
    now[0] += 1
    with pytest.raises(InvalidInputError) as info:
        read_token(SECRET, token, party="analyst", query=FP)
    assert str(info.value) == "the 'next' pagination token has expired; start again"


@settings(max_examples=examples(200), deadline=None)
@given(
    party=st.text(min_size=1, max_size=40), query=st.text(max_size=40), seq=st.integers(0, 2**62)
)
def test_every_token_round_trips_and_fits_a_url(party: str, query: str, seq: int) -> None:
    token = make_token(SECRET, party=party, query=query, seq=seq)
    assert all(c.isalnum() or c in "-_" for c in token) and len(token) <= 512
    assert read_token(SECRET, token, party=party, query=query) == seq


def test_the_fingerprint_takes_any_object() -> None:
    """``*parts: object``: values JSON does not know are fingerprinted by their text."""
    assert query_fingerprint(Path("a")) == query_fingerprint("a")
    assert query_fingerprint(Decimal("1.5")) != query_fingerprint(Decimal("2.5"))
