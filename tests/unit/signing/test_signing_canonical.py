"""``canonical`` is RFC 8785: the same bytes as the reference ``rfc8785.dumps``, always."""

from __future__ import annotations

import importlib
import struct
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidInputError
from liaison.signing import canonical
from suite_support import examples

SAFE = 2**53 - 1
#: The module (``liaison.signing.canonical`` the name is the function, re-exported).
canonical_module = importlib.import_module("liaison.signing.canonical")

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


# --- an RFC 8785 implementation of the test's own, sharing no code with either path ----

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _jcs_string(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError("lone surrogate")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _jcs_number(x: float) -> str:
    """ECMAScript Number.prototype.toString, from the shortest round-trip digits."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    _, digits, exponent = Decimal(repr(abs(x))).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0")
    exponent = int(exponent) + len(digits) - len(ds)  # x = int(ds) * 10**exponent
    k, n = len(ds), int(exponent) + len(ds)
    if k <= n <= 21:
        return sign + ds + "0" * (n - k)
    if 0 < n <= 21:
        return sign + ds[:n] + "." + ds[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + ds
    e = n - 1
    mantissa = ds[0] + ("." + ds[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _jcs(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        if abs(value) > SAFE:
            raise ValueError("integer outside the IEEE 754 exact range")
        return _jcs_number(float(value))
    if type(value) is float:
        return _jcs_number(value)
    if type(value) is str:
        return _jcs_string(value)
    if type(value) is list:
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise TypeError("non-string key")
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_jcs_string(k) + ":" + _jcs(value[k]) for k in keys) + "}"
    raise TypeError(f"not JSON: {type(value).__name__}")


def jcs(value: Any) -> bytes | None:
    """RFC 8785 bytes, or None where the value cannot be canonicalised."""
    try:
        return _jcs(value).encode("utf-8")
    except (ValueError, TypeError):
        return None


# --- the properties ------------------------------------------------------------------


@settings(max_examples=examples(300), deadline=None)
@given(json_values)
def test_canonical_equals_an_independent_implementation(value: Any) -> None:
    """Every value, whichever path ``canonical`` takes: the bytes of the test's own
    RFC 8785 implementation -- and the reference library agrees with it too."""
    expected = jcs(value)
    if expected is None:
        with pytest.raises(InvalidInputError):
            canonical(value)
    else:
        assert canonical(value) == expected
    assert _reference(value) == expected


ASCII_KEYS = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=8)
simple_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE, max_value=SAFE)
    | st.sampled_from([SAFE, -SAFE, 0, -1])
    | st.text()  # any Unicode in values: only keys must be ASCII
    | st.text(alphabet=st.characters(max_codepoint=0x7F)),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=8), inner, max_size=5
        )
    ),
    max_leaves=25,
)


@settings(max_examples=examples(300), deadline=None)
@given(simple_values)
def test_fast_path_alone_equals_both_references(value: Any) -> None:
    """Values of the fast path's domain (no floats, ASCII keys, safe integers), with the
    reference library taken away from ``canonical``: the orjson path alone must give the
    bytes of the test's implementation and of ``rfc8785``."""

    def unavailable(_: Any) -> bytes:
        raise AssertionError("the reference path was taken")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(canonical_module.rfc8785, "dumps", unavailable)
        got = canonical(value)
    assert got == jcs(value) == rfc8785.dumps(value)


# RFC 8785 appendix B: IEEE 754 bit patterns and their canonical forms.
NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), NUMBERS)
def test_numbers_of_the_rfc(bits: str, text: str) -> None:
    (x,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical(x) == text.encode() == jcs(x)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None]}, b'{"a":[true,null],"b":1}'),
        # UTF-16 key order: U+000D, U+20AC, U+1F600 (D83D DE00), U+FB33
        (
            {"\u20ac": 1, "\r": 2, "\U0001f600": 3, "\ufb33": 4},
            '{"\\r":2,"\u20ac":1,"\U0001f600":3,"\ufb33":4}',
        ),
        (1e21, b"1e+21"),
        (-0.0, b"0"),
        ('\u2028\x1f"\\', b'"\xe2\x80\xa8\\u001f\\"\\\\"'),
        (SAFE, b"9007199254740991"),
    ],
)
def test_known_forms(value: Any, expected: bytes | str) -> None:
    want = expected.encode() if isinstance(expected, str) else expected
    assert canonical(value) == want == jcs(value)


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


def _in_fast_domain(value: Any) -> bool:
    """The fast path's domain, spelt plainly (the walk ``_simple`` replaced)."""
    if value is None or type(value) is str or type(value) is bool:
        return True
    if type(value) is int:
        return -SAFE <= value <= SAFE
    if type(value) is list:
        return all(_in_fast_domain(v) for v in value)
    if type(value) is dict:
        return all(
            isinstance(k, str) and k.isascii() and _in_fast_domain(v) for k, v in value.items()
        )
    return False


class _Key(str):
    """A ``str`` subclass as a key: orjson refuses it, the reference path does not."""


@settings(max_examples=examples(300), deadline=None)
@given(json_values)
def test_fast_domain_is_what_it_says(value: Any) -> None:
    assert canonical_module._simple(value) == _in_fast_domain(value)
    assert canonical_module._simple([value, {"k": value}]) == _in_fast_domain(value)


@pytest.mark.parametrize(
    "value",
    [
        {_Key("b"): 1, "a": 2},
        [{"x": {_Key("k"): [1, "v"]}}],
        {"a": 1.5, _Key("b"): 2},
        {1: 2},
        {"a": [1, 2.0, {"b": True}]},
        "top-level string",
        7,
        None,
    ],
)
def test_odd_values_as_the_reference(value: Any) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises(InvalidInputError):
            canonical(value)
    else:
        assert canonical(value) == expected
