"""PeerClient: one retry on a dropped kept-alive connection, readable transport errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from liaison.errors import ConfigError, SignatureError
from liaison.sync import Peer, PeerClient, PeerError

TAXII = "application/taxii+json;version=2.1"
Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, url: str = "http://node.test/taxii2/", **kw: str) -> PeerClient:
    peer = Peer(party="MR", url=url, user="DZ", token="t", into="c")
    c = PeerClient(peer)
    c.peer = replace(peer, **kw)  # TLS file names only, the files are not needed here
    c.http.close()
    c.http = httpx.Client(transport=httpx.MockTransport(handler), auth=("DZ", "t"))
    return c


def flaky(errors: list[Exception]) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if errors:
            raise errors.pop(0)
        if request.url.path == "/taxii2/":
            return httpx.Response(200, json={"api_roots": ["/api/"]})
        return httpx.Response(200, json={"collections": [{"id": "c1", "can_read": True}]})

    return handle, seen


@pytest.mark.parametrize(
    "error",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.WriteError("[Errno 32] Broken pipe"),
    ],
)
def test_dropped_connection_is_retried_once(error: Exception) -> None:
    handle, seen = flaky([error])
    with client(handle) as c:
        assert c.collections() == [{"id": "c1", "can_read": True}]
    assert len(seen) == 3  # discovery failed once, then discovery and collections


def test_second_drop_is_a_peer_error() -> None:
    handle, seen = flaky([httpx.ReadError("reset"), httpx.ReadError("reset again")])
    with client(handle) as c, pytest.raises(PeerError, match=r"MR: cannot reach .*reset again"):
        c.collections()
    assert len(seen) == 2


def test_refused_connection_is_not_retried() -> None:
    handle, seen = flaky([httpx.ConnectError("[Errno 111] Connection refused")])
    with client(handle) as c, pytest.raises(PeerError, match="Connection refused"):
        c.collections()
    assert len(seen) == 1


def test_post_is_retried_and_422_is_a_signature_error() -> None:
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/taxii2/":
            return httpx.Response(200, json={"api_roots": ["/api/"]})
        if len(calls) == 2:
            raise httpx.RemoteProtocolError("Server disconnected")
        return httpx.Response(422, json={"description": "bad signature"})

    with client(handle) as c, pytest.raises(SignatureError, match="refused our signature"):
        c.post_json("liaison/receipts/", {"id": "receipt--1"})
    assert calls == ["/taxii2/", "/api/liaison/receipts/", "/api/liaison/receipts/"]


@pytest.mark.parametrize(
    ("url", "error", "kw", "hint"),
    [
        (
            "https://node.test/taxii2/",
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            {},
            "not trusted (check the CA given with --ca)",
        ),
        (
            "https://node.test/taxii2/",
            httpx.RemoteProtocolError("Server disconnected"),
            {},
            "probably requires a client certificate",
        ),
        (
            "https://node.test/taxii2/",
            httpx.RemoteProtocolError("Server disconnected"),
            {"client_cert": "/etc/dz.pem"},
            "may not accept our client certificate",
        ),
        (
            "http://node.test/taxii2/",
            httpx.RemoteProtocolError("Server disconnected"),
            {},
            "does the partner serve HTTPS only?",
        ),
    ],
)
def test_transport_errors_say_what_they_mean(
    url: str, error: Exception, kw: dict[str, str], hint: str
) -> None:
    handle, _ = flaky([error, error])
    with client(handle, url, **kw) as c, pytest.raises(PeerError) as exc:
        c.collections()
    assert str(exc.value).startswith(f"MR: cannot reach {url}")
    assert hint in str(exc.value)


def test_error_answers_carry_the_description() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"title": "Unauthorized", "description": "bad token"})

    with client(handle) as c, pytest.raises(PeerError, match="answered 401 bad token"):
        c.collections()


def test_missing_tls_files_are_a_config_error(tmp_path: Path) -> None:
    peer = Peer(party="MR", url="https://node.test/taxii2/", user="DZ", token="t", into="c")
    with pytest.raises(ConfigError, match="MR: cannot load the TLS files"):
        PeerClient(replace(peer, client_cert=str(tmp_path / "missing.pem")))
    (tmp_path / "ca.pem").write_text("not a certificate")
    with pytest.raises(ConfigError, match="--ca"):
        PeerClient(replace(peer, ca=str(tmp_path / "ca.pem")))


def test_a_plain_http_client_loads_no_ca_bundle_and_would_trust_no_certificate() -> None:
    """(The CA bundle costs 30-55 ms a client; an http:// peer never speaks TLS.)"""
    import ssl

    c = PeerClient(Peer(party="MR", url="http://node.test/taxii2/", user="DZ", token="t", into="c"))
    try:
        assert c.http.follow_redirects is False  # never taken to an https:// address
        ctx = c.http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
        assert ctx.cert_store_stats()["x509_ca"] == 0
    finally:
        c.close()
