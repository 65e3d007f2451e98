"""Timestamps, identifiers and iter_refs."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stix_examples import IDENTITY, INDICATOR, MARKING, example

from liaison.errors import InvalidInputError, InvalidStixError
from liaison.stix import (
    compare_timestamps,
    format_timestamp,
    is_identifier,
    is_timestamp,
    iter_refs,
    new_id,
    now_timestamp,
    parse_timestamp,
    timestamp_us,
    validate_object,
)


def test_parse_timestamp_precisions() -> None:
    assert parse_timestamp("2026-11-29T12:00:00Z") == datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert parse_timestamp("2026-11-29T12:00:00.1Z").microsecond == 100_000
    assert parse_timestamp("2026-11-29T12:00:00.123456789Z").microsecond == 123_456
    assert parse_timestamp("2016-12-31T23:59:60Z") == datetime(
        2016, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC
    )
    assert parse_timestamp("2024-02-29T00:00:00Z").day == 29


@pytest.mark.parametrize(
    "bad",
    [
        "2026-11-29T12:00:00",
        "2026-11-29T12:00:00+00:00",
        "2026-11-29 12:00:00Z",
        "2026-11-29t12:00:00z",
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-29T24:00:00Z",
        "2026-11-29T12:00:00.Z",
        "26-11-29T12:00:00Z",
        "",
    ],
)
def test_parse_timestamp_rejects(bad: str) -> None:
    with pytest.raises(InvalidStixError):
        parse_timestamp(bad)
    assert not is_timestamp(bad)


def test_format_timestamp() -> None:
    dt = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)
    assert format_timestamp(dt) == "2026-11-29T12:00:00.123456Z"
    assert format_timestamp(dt.replace(microsecond=0)) == "2026-11-29T12:00:00.000Z"
    assert format_timestamp(dt.replace(microsecond=5000)) == "2026-11-29T12:00:00.005Z"
    paris = timezone(timedelta(hours=1))
    assert format_timestamp(datetime(2026, 11, 29, 13, tzinfo=paris)) == "2026-11-29T12:00:00.000Z"
    assert format_timestamp(datetime(33, 1, 2, tzinfo=UTC)) == "0033-01-02T00:00:00.000Z"
    with pytest.raises(InvalidInputError):
        format_timestamp(datetime(2026, 11, 29))  # naive


@given(st.datetimes(timezones=st.just(UTC)))
def test_format_parse_round_trip(dt: datetime) -> None:
    text = format_timestamp(dt)
    assert re.search(r"\.\d{3}(\d{3})?Z$", text)
    assert parse_timestamp(text) == dt


@given(st.datetimes(timezones=st.just(UTC)), st.datetimes(timezones=st.just(UTC)))
def test_compare_timestamps_matches_datetimes(a: datetime, b: datetime) -> None:
    ta, tb = format_timestamp(a), format_timestamp(b)
    assert compare_timestamps(ta, tb) == (a > b) - (a < b)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _slow_us(text: str) -> int:
    return (parse_timestamp(text) - _EPOCH) // timedelta(microseconds=1)


def _outcome(f: Callable[[str], int], text: str) -> tuple[object, ...]:
    try:
        return ("ok", f(text))
    except (InvalidInputError, ValueError) as exc:
        return (type(exc), str(exc))


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from(["", ".", ".1", ".12", ".123456", ".1234567", ".000000001"]),
    st.booleans(),
)
def test_timestamp_us_is_parse_timestamp_in_microseconds(
    dt: datetime, fraction: str, leap: bool
) -> None:
    text = dt.strftime("%Y-%m-%dT%H:%M:") + ("60" if leap else dt.strftime("%S")) + fraction + "Z"
    assert _outcome(timestamp_us, text) == _outcome(_slow_us, text)


@pytest.mark.parametrize(
    "text",
    ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:60.999Z",
     "1969-12-31T23:59:59.999999Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
     "garbage", "", "2026-11-29T12:00:00.Z"],
)  # fmt: skip
def test_timestamp_us_edges(text: str) -> None:
    assert _outcome(timestamp_us, text) == _outcome(_slow_us, text)


def test_is_timestamp_remembers_only_short_good_strings() -> None:
    from liaison.stix import timestamps

    good, bad = "2026-11-29T12:00:00.123Z", "2026-02-29T12:00:00.123Z"
    for _ in range(2):  # the second time from the memo: the same answers
        assert is_timestamp(good) and not is_timestamp(bad)
    assert good in timestamps._KNOWN and bad not in timestamps._KNOWN
    long = "2026-11-29T12:00:00." + "1" * 100 + "Z"
    assert is_timestamp(long) and long not in timestamps._KNOWN
    for i in range(timestamps._KNOWN_MAX + 10):  # bounded
        is_timestamp(f"2026-01-01T00:00:00.{i:06d}Z")
    assert len(timestamps._KNOWN) <= timestamps._KNOWN_MAX


def test_compare_timestamps_mixed_precision() -> None:
    assert compare_timestamps("2026-01-01T00:00:00.1Z", "2026-01-01T00:00:00.100000Z") == 0
    assert compare_timestamps("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z") == 0
    assert compare_timestamps("2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.123Z") == 1
    assert compare_timestamps("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.001Z") == -1


def test_now_timestamp_is_valid_and_recent() -> None:
    stamp = now_timestamp()
    assert is_timestamp(stamp)
    assert abs((parse_timestamp(stamp) - datetime.now(UTC)).total_seconds()) < 5


def test_new_id() -> None:
    ident = new_id("indicator")
    assert is_identifier(ident) and ident.startswith("indicator--")
    assert ident[len("indicator--") :][14] == "4"  # version 4
    assert new_id("indicator") != ident
    with pytest.raises(InvalidInputError):
        new_id("Not A Type")


def test_iter_refs_finds_every_reference() -> None:
    obj = example("indicator")
    obj["object_marking_refs"] = [MARKING]
    obj["granular_markings"] = [{"marking_ref": MARKING, "selectors": ["name"]}]
    obj["extensions"] = {"x-acme-ext": {"reviewers": [{"who_ref": IDENTITY}]}}
    obj["x_misc_refs"] = [INDICATOR, 7]
    assert sorted(iter_refs(obj)) == sorted(
        [
            ("created_by_ref", IDENTITY),
            ("object_marking_refs[0]", MARKING),
            ("granular_markings[0].marking_ref", MARKING),
            ("extensions.x-acme-ext.reviewers[0].who_ref", IDENTITY),
            ("x_misc_refs[0]", INDICATOR),
        ]
    )
    assert validate_object(obj) != []  # the 7 is reported by validation, skipped by iter_refs


def test_iter_refs_skips_observed_data_local_refs() -> None:
    obj = example("observed-data")
    obj["objects"] = {"0": {"type": "network-traffic", "dst_ref": "1"}}
    assert [path for path, _ in iter_refs(obj)] == ["created_by_ref", "object_refs[0]"]


def test_package_docstring_example_runs() -> None:
    import liaison.stix

    doc = liaison.stix.__doc__ or ""
    lines = doc.split("Usage::", 1)[1].splitlines()[1:]
    block = []
    for line in lines:
        if line and not line.startswith("    "):
            break
        block.append(line)
    code = textwrap.dedent("\n".join(block))
    namespace: dict[str, object] = {}
    exec(code, namespace)  # the example asserts that its object is valid
    assert namespace["obj"]


def test_reasons_stay_short_whatever_the_value() -> None:
    obj = example("indicator")
    obj["created"] = ["x" * 10_000]
    obj["confidence"] = list(range(1000))
    reasons = validate_object(obj)
    assert len(reasons) == 2
    assert all(len(r) < 300 for r in reasons), reasons


def test_reasons_are_capped() -> None:
    from liaison.stix.validate import MAX_REASONS

    obj = example("indicator")
    obj.update({f"Bad{i}": i for i in range(500)})
    reasons = validate_object(obj)
    assert len(reasons) == MAX_REASONS
    assert reasons[-1] == f"{INDICATOR}: ... and {500 - MAX_REASONS + 1} more problems"
