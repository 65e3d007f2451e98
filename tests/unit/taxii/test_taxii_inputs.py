"""TAXII inputs one function at a time: parameters, media types, bodies, error mapping."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
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


@settings(max_examples=examples(300), deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "added_after",
                "limit",
                "next",
                "match[id]",
                "match[type]",
                "match[version]",
                "match[spec_version]",
                "match[x]",
            ]
        ),
        st.text(max_size=40),
        max_size=4,
    )
)
def test_any_query_is_parsed_or_refused_cleanly(query: dict[str, str]) -> None:
    params = QueryParams(query)
    try:
        filters_from(params)
        limit_from(params, default=10, maximum=100)
    except InvalidInputError:
        pass


# --- media types --------------------------------------------------------------------------


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=60))
def test_any_media_header_is_accepted_or_refused_cleanly(value: str) -> None:
    with contextlib.suppress(NotAcceptableError):
        check_accept(value)
    with contextlib.suppress(UnsupportedMediaTypeError):
        check_content_type(value)


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
