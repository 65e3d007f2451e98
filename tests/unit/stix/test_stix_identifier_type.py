"""``identifier_type``: ``ID_RE`` and the type before the last ``--``, remembered --
the same answer the first time and every time after."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.stix.ids import ID_RE, identifier_type
from suite_support import examples

UUIDS = st.uuids().map(str)
TYPES = st.sampled_from(["indicator", "x-mitre-tactic", "a1", "ab", "Indicator", "x--y", "-ab"])
NEAR = st.one_of(
    st.builds(lambda t, u: f"{t}--{u}", TYPES, UUIDS),
    st.builds(lambda t, u: f"{t}--{u.upper()}", TYPES, UUIDS),
    st.builds(lambda t, u: f"{t}--{u}\n", TYPES, UUIDS),
    st.builds(lambda t, u: f"{t}--{u[:-1]}", TYPES, UUIDS),
    st.text(max_size=60),
    st.none(),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
)


class _Str(str):
    """A str subclass: answered, never remembered."""


def _plain(value: Any) -> str | None:
    if isinstance(value, str) and ID_RE.match(value) is not None:
        return value.rpartition("--")[0]
    return None


@settings(max_examples=examples(500), deadline=None)
@given(NEAR)
def test_identifier_type_is_the_regex_and_the_type(value: Any) -> None:
    want = _plain(value)
    assert identifier_type(value) == want
    assert identifier_type(value) == want  # remembered when it is an identifier
    if isinstance(value, str):
        assert identifier_type(_Str(value)) == want


def test_examples() -> None:
    good = "x-mitre-tactic--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30"
    assert identifier_type(good) == identifier_type(good) == "x-mitre-tactic"
    assert identifier_type(good + " ") is None
    assert identifier_type("x--y--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30") is None
