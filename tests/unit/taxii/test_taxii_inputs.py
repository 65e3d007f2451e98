"""TAXII inputs one function at a time: parameters, media types, bodies, error mapping."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams
from starlette.requests import Request

from liaison import errors
from liaison.errors import (
    InvalidInputError,
    NotAcceptableError,
    TooLargeError,
    UnsupportedMediaTypeError,
)
from liaison.taxii.body import json_depth_ok, read_json
from liaison.taxii.errors import status_for
from liaison.taxii.media import check_accept, check_content_type
from liaison.taxii.params import filters_from, limit_from
from suite_support import examples

# --- parameters -------------------------------------------------------------------------


def test_filters_from_parses_every_filter() -> None:
    f = filters_from(
        QueryParams(
            "added_after=2024-01-01T00:00:00.5Z&match[id]=indicator--8e2e2d2b-17d4-4cbf-938f-"
            "98ee46b3cd3f,tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f&match[type]=indicator"
            "&match[type]=tool&match[version]=first,2024-02-01T00:00:00Z"
            "&match[spec_version]=2.1"
        )
    )
    assert f.added_after_us == 1704067200_500000
    assert len(f.ids) == 2 and f.types == ("indicator", "tool")
    assert f.versions == ("first", "timestamp") and f.version_us == (1706745600_000000,)
    assert f.spec_versions == ("2.1",)
    assert filters_from(QueryParams("")).versions == ("last",)


def test_limit_from() -> None:
    assert limit_from(QueryParams(""), default=7, maximum=10) == 7
    assert limit_from(QueryParams("limit=3"), default=7, maximum=10) == 3
    assert limit_from(QueryParams("limit=300"), default=7, maximum=10) == 10
    for bad in ("0", "-1", "x", "1.5", ""):
        with pytest.raises(InvalidInputError):
            limit_from(QueryParams({"limit": bad}), default=7, maximum=10)


def test_too_many_values_are_refused() -> None:
    many = ",".join(["indicator"] * 1001)
    with pytest.raises(InvalidInputError, match="at most"):
        filters_from(QueryParams({"match[type]": many}))


# Tokens known to be good or bad for each parameter; the oracle below knows which is which.
_ID = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
GOOD = {
    "match[type]": ["indicator", "x-acme-thing", "malware"],
    "match[id]": [_ID, "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],
    "match[version]": ["first", "last", "all", "2024-02-01T00:00:00Z", "2024-02-01T00:00:00.25Z"],
    "match[spec_version]": ["2.0", "2.1"],
    "added_after": ["2024-01-01T00:00:00.5Z", "1999-12-31T23:59:59Z"],
    "limit": ["1", "7", "100", "1000"],
    "next": ["anything.at-all"],
}
BAD = {
    "match[type]": ["Not_A_Type", "a--b", "-x"],
    "match[id]": ["indicator--1234", "not-an-id"],
    "match[version]": ["lastish", "2024-13-01T00:00:00Z", "2024-02-01"],
    "match[spec_version]": ["3.0", "2"],
    "added_after": ["yesterday", "2024-01-01T00:00:00+01:00"],
    "limit": ["0", "-1", "x", "1.5"],
    "next": [],
}
MULTI = {"match[type]", "match[id]", "match[version]", "match[spec_version]"}  # comma lists


def _us(ts: str) -> int:
    """Microseconds since the epoch, computed here with the standard library."""
    dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@st.composite
def queries(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """A query, and for each parameter its pieces labelled good, bad or random."""
    query: dict[str, str] = {}
    pieces: dict[str, list[tuple[str, str]]] = {}
    for key in draw(st.lists(st.sampled_from([*GOOD, "match[x]"]), unique=True, max_size=4)):
        n = draw(st.integers(1, 3)) if key in MULTI else 1
        got = []
        for _ in range(n):
            kind = draw(st.sampled_from(["good", "good", "bad", "random"]))
            options = GOOD.get(key, []) if kind == "good" else BAD.get(key, [])
            if kind == "random" or not options:
                kind, value = (
                    "random",
                    draw(st.text(alphabet=st.characters(exclude_characters=","), max_size=30)),
                )
            else:
                value = draw(st.sampled_from(options))
            got.append((kind, value))
        pieces[key] = got
        query[key] = ",".join(v for _, v in got)
    return query, pieces


@settings(max_examples=examples(300), deadline=None)
@given(queries())
def test_any_query_is_parsed_or_refused_as_the_oracle_says(
    case: tuple[dict[str, str], dict[str, list[tuple[str, str]]]],
) -> None:
    query, pieces = case
    params = QueryParams(query)
    # an empty piece of a comma list is skipped; an empty single value is a value
    kinds = {k for key, got in pieces.items() for k, v in got if v.strip() or key not in MULTI}
    must_refuse = "match[x]" in query or "bad" in kinds
    must_accept = not must_refuse and kinds <= {"good"}
    try:
        f = filters_from(params)
        limit = limit_from(params, default=10, maximum=100)
    except InvalidInputError as exc:
        assert not must_accept, (query, str(exc))
        assert str(exc) and "\n" not in str(exc)
        return
    assert not must_refuse, query
    # what was accepted is what was asked, in order
    values = {k: [v.strip() for _, v in got if v.strip()] for k, got in pieces.items()}
    assert f.types == tuple(values.get("match[type]", []))
    assert f.ids == tuple(values.get("match[id]", []))
    assert f.spec_versions == tuple(values.get("match[spec_version]", []))
    versions = values.get("match[version]", [])
    named = [v if v in ("first", "last", "all") else "timestamp" for v in versions]
    assert f.versions == (tuple(named) or ("last",))
    if "random" not in kinds:
        stamps = [_us(v) for v in versions if v not in ("first", "last", "all")]
        assert f.version_us == tuple(stamps)
        after = query.get("added_after")
        assert f.added_after_us == (None if after is None else _us(after))
        raw = query.get("limit")
        assert limit == (10 if raw is None else min(int(raw), 100))
    assert 1 <= limit <= 100


# --- media types --------------------------------------------------------------------------

_MEDIA = ["application/taxii+json", "application/json", "*/*", "application/*", "text/html",
          "application/stix+json"]  # fmt: skip
_PARAMS = ["version=2.1", "version=2.0", "q=0", "q=0.5", "charset=utf-8"]


@st.composite
def media_headers(draw: st.DrawFn) -> tuple[str, list[tuple[str, set[str]]]]:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        mtype = draw(st.sampled_from(_MEDIA))
        params = draw(st.lists(st.sampled_from(_PARAMS), unique_by=lambda p: p.split("=")[0]))
        parts.append((mtype, set(params)))
    case = draw(st.booleans())
    text = ", ".join(
        ";".join([(m.upper() if case else m), *(f" {p}" for p in ps)]) for m, ps in parts
    )
    return text, parts


def _taxii_21(mtype: str, params: set[str]) -> bool:
    return mtype == "application/taxii+json" and "version=2.0" not in params


@settings(max_examples=examples(300), deadline=None)
@given(media_headers())
def test_media_headers_are_judged_as_the_oracle_says(
    case: tuple[str, list[tuple[str, set[str]]]],
) -> None:
    text, parts = case
    acceptable = any(
        "q=0" not in ps and (m in ("*/*", "application/*") or _taxii_21(m, ps)) for m, ps in parts
    )
    try:
        check_accept(text)
        accepted = True
    except NotAcceptableError:
        accepted = False
    assert accepted is acceptable, text
    body_ok = len(parts) == 1 and _taxii_21(*parts[0])
    try:
        check_content_type(text)
        taken = True
    except UnsupportedMediaTypeError:
        taken = False
    assert taken is body_ok, text


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=60))
def test_any_media_header_is_accepted_or_refused_cleanly(value: str) -> None:
    lowered = value.lower()
    try:
        check_accept(value)
    except NotAcceptableError as exc:
        assert value and "\n" not in str(exc).replace(repr(value), "")
    else:  # accepted: empty, or it names TAXII JSON or a wildcard
        assert not value or any(
            m in lowered for m in ("application/taxii+json", "*/*", "application/*")
        ), value
    try:
        check_content_type(value)
    except UnsupportedMediaTypeError:
        pass
    else:
        assert "application/taxii+json" in lowered, value


def test_content_type_needs_taxii_json() -> None:
    check_content_type("application/taxii+json;version=2.1")
    check_content_type("Application/TAXII+json; version=2.1; charset=utf-8")
    for bad in (None, "", "application/taxii+json;version=2.0", "application/json, text/html"):
        with pytest.raises(UnsupportedMediaTypeError):
            check_content_type(bad)


def test_missing_accept_is_fine() -> None:
    check_accept(None)
    check_accept("")


# --- bodies -------------------------------------------------------------------------------


def _request(body: bytes, headers: dict[str, str] | None = None) -> Request:
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "POST", "headers": raw}, receive)


def _read(body: bytes, headers: dict[str, str] | None = None, **kw: int) -> Any:
    limits = {"max_bytes": 10_000, "max_depth": 8, **kw}

    def run() -> Any:  # a thread of its own: immune to an event loop left running here
        return asyncio.run(read_json(_request(body, headers), **limits))

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_read_json_accepts_a_good_body() -> None:
    assert _read(b'{"objects": [{"a": [1, {"b": 2}]}]}') == {"objects": [{"a": [1, {"b": 2}]}]}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", InvalidInputError),
        (b"{", InvalidInputError),
        (b'{"a": "\xc3"}', InvalidInputError),  # truncated UTF-8
        (b'{"a": NaN}', InvalidInputError),
        (b"[" * 9 + b"]" * 9, InvalidInputError),  # deeper than 8
        (b"[" * 5000 + b"]" * 5000, InvalidInputError),
        (json.dumps({"x": "y" * 20_000}).encode(), TooLargeError),
    ],
)
def test_read_json_refuses(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        _read(body, max_bytes=12_000)


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(TooLargeError):
        _read(b"{}", {"Content-Length": "99999999"})
    with pytest.raises(InvalidInputError):
        _read(b"{}", {"Content-Length": "lots"})


def test_json_depth_ok() -> None:
    assert json_depth_ok({"a": [1, 2]}, 2)
    assert not json_depth_ok({"a": [[1]]}, 2)
    assert json_depth_ok("scalar", 1)
    assert json_depth_ok([], 1) and not json_depth_ok([[]], 1)
    assert not json_depth_ok({"a": 1, "b": {"c": [{}]}}, 3)


def _depth(value: object) -> int:
    """Nesting of containers, by the definition (a scalar is 0 deep)."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_json = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=30,
)


@given(_json, st.integers(min_value=1, max_value=8))
def test_json_depth_ok_agrees_with_the_definition(value: object, limit: int) -> None:
    assert json_depth_ok(value, limit) == (_depth(value) <= limit)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(errors.__all__))
def test_every_error_family_has_a_client_or_server_status(name: str) -> None:
    cls = getattr(errors, name)
    status, title = status_for(cls("x"))
    assert 400 <= status < 600 and title
    client_side = issubclass(
        cls,
        (
            errors.InvalidInputError,
            errors.NotFoundError,
            errors.DeniedError,
            errors.UnauthenticatedError,
            errors.ConflictError,
            errors.SignatureError,
            errors.AgreementError,
        ),
    )
    assert (status < 500) == client_side, f"{name} -> {status}"
