"""``canonical`` is RFC 8785: the same bytes as the reference ``rfc8785.dumps``, always."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidInputError
from liaison.signing import canonical
from suite_support import examples

SAFE = 2**53 - 1

keys = st.one_of(
    st.text(max_size=8),  # any Unicode, astral planes included
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
    st.sampled_from(["é", "é", "ß", "ـ", "إرهاب", "\U0001f600", "\u2028", "a\u0000", "A", "a"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-SAFE, max_value=SAFE),
    st.integers(min_value=-(2**70), max_value=2**70),  # beyond 2**53: both must refuse
    st.sampled_from([SAFE, -SAFE, SAFE + 1, -SAFE - 1, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 0.1, 333333333.3]),
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x7F)),  # control characters, escapes
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=25,
)


def _reference(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        return None


@settings(max_examples=examples(300), deadline=None)
@given(json_values)
def test_canonical_equals_the_reference(value: Any) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises(InvalidInputError):
            canonical(value)
    else:
        assert canonical(value) == expected


@settings(max_examples=examples(150), deadline=None)
@given(st.dictionaries(st.text(alphabet="abcdefghij-_0123456789", max_size=6), scalars))
def test_fast_path_objects_equal_the_reference(value: dict[str, Any]) -> None:
    """ASCII keys (the shape of STIX objects): the orjson path, when it applies."""
    expected = _reference(value)
    if expected is not None:
        assert canonical(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None]}, b'{"a":[true,null],"b":1}'),
        ({"\u20ac": 1, "\r": 2, "\U0001f600": 3, "\ufb33": 4}, None),  # UTF-16 key order
        (1e21, b"1e+21"),
        (-0.0, b"0"),
        ('\u2028\x1f"\\', b'"\xe2\x80\xa8\\u001f\\"\\\\"'),
        (SAFE, b"9007199254740991"),
    ],
)
def test_known_forms(value: Any, expected: bytes | None) -> None:
    assert canonical(value) == (expected if expected is not None else rfc8785.dumps(value))


@pytest.mark.parametrize(
    "value",
    [
        2**53,
        -(2**53),
        float("nan"),
        float("inf"),
        "\ud800",  # lone surrogate
        {1: "non-string key"},
        {"a": {1, 2}},
        b"bytes",
    ],
)
def test_refused_values(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="RFC 8785"):
        canonical(value)


def test_utf16_key_order_differs_from_code_point_order() -> None:
    """U+1F600 (surrogates D83D...) sorts before U+FB33 in UTF-16, after it by code point."""
    out = canonical({"\ufb33": 1, "\U0001f600": 2})
    assert out.index("\U0001f600".encode()) < out.index("\ufb33".encode())
