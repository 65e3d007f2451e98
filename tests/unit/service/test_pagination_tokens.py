"""``next`` tokens: bound to a party and a query, MAC-protected, expiring; never a crash."""

from __future__ import annotations

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
    body, mac = token.rsplit(".", 1)
    flipped_mac = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for bad in (
        body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac,
        body + "." + flipped_mac,
        body,
        "." + mac,
        token + "x",
        "x" * 600,
        "abc.é",
        "é.é",
        "\x00.\x00",
    ):
        with pytest.raises(InvalidInputError):
            read_token(SECRET, bad, party="analyst", query=FP)


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
