"""``next`` tokens: bound to a party and a query, MAC-protected, expiring; never a crash."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidInputError
from liaison.service import pagination
from liaison.service.pagination import make_token, query_fingerprint, read_token
from suite_support import examples

SECRET = b"k" * 32
BAD = "^the 'next' parameter is not a valid pagination token$"
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
        "abc.\ud800",  # a lone surrogate: no UTF-8 form
        "\ud800." + mac,
    ):
        with pytest.raises(InvalidInputError, match=BAD):
            read_token(SECRET, bad, party="analyst", query=FP)


def _forge(token: str, **changes: object) -> str:
    """The token's MAC on another payload: what a partner would try to move its cursor."""
    body, mac = token.rsplit(".", 1)
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(orjson.dumps({**payload, **changes})).decode()
    return forged.rstrip("=") + "." + mac


@pytest.mark.parametrize(
    "changes",
    [{"s": 0}, {"s": 10**6}, {"p": "partner"}, {"q": "other-query"}, {"t": 2**40}],
    ids=["rewound", "skipped", "other-party", "other-query", "never-expires"],
)
def test_the_mac_covers_every_field(changes: dict[str, object]) -> None:
    token = make_token(SECRET, party="analyst", query=FP, seq=7)
    forged = _forge(token, **changes)
    party = str(changes.get("p", "analyst"))
    query = str(changes.get("q", FP))
    with pytest.raises(InvalidInputError, match=BAD):
        read_token(SECRET, forged, party=party, query=query)


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
    party=st.text(min_size=1, max_size=40),
    query=st.text(max_size=40),
    seq=st.integers(0, 2**62),
)
def test_every_token_round_trips_and_fits_a_url(party: str, query: str, seq: int) -> None:
    """Whatever the party name, query and position (so every base64 length and padding)."""
    token = make_token(SECRET, party=party, query=query, seq=seq)
    assert all(c.isalnum() or c in "-_." for c in token) and token.count(".") == 1
    if len(token) <= 512:
        assert read_token(SECRET, token, party=party, query=query) == seq


def test_the_length_limit_is_512_characters() -> None:
    by_length = {}
    for n in range(200, 400):
        token = make_token(SECRET, party="p" * n, query=FP, seq=1)
        by_length[len(token)] = ("p" * n, token)
    party, token = by_length[512]
    assert read_token(SECRET, token, party=party, query=FP) == 1
    party, token = by_length[513]
    with pytest.raises(InvalidInputError, match=BAD):
        read_token(SECRET, token, party=party, query=FP)


def test_the_fingerprint_takes_any_object() -> None:
    """``*parts: object``: values JSON does not know are fingerprinted by their text."""
    assert query_fingerprint(Path("a")) == query_fingerprint("a")
    assert query_fingerprint(Decimal("1.5")) != query_fingerprint(Decimal("2.5"))


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=80) | st.from_regex(r"[A-Za-z0-9_\-]{0,60}\.[A-Za-z0-9_\-é]{0,30}"))
def test_arbitrary_text_is_refused_cleanly(text: str) -> None:
    try:
        read_token(SECRET, text, party="analyst", query=FP)
    except InvalidInputError:
        return
    raise AssertionError(f"{text!r} was accepted")  # pragma: no cover
