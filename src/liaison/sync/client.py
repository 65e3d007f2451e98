"""A small TAXII 2.1 client for node-to-node sync (httpx), with pinned TLS."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson

from liaison.errors import ConfigError, InvalidInputError, LiaisonError, SignatureError
from liaison.service.peers import Peer

__all__ = ["PeerClient", "PeerError"]

TAXII = "application/taxii+json;version=2.1"


class PeerError(LiaisonError):
    """The partner's node could not be reached or answered with an error."""


class PeerClient:
    def __init__(self, peer: Peer, *, timeout: float = 30.0) -> None:
        self.peer = peer
        # Plain HTTP speaks no TLS (no redirect is followed), but httpx would still make a
        # context with the system's CA bundle: 30-55 ms of CPU a client, one a pull and
        # one in its checking process. A context that trusts nothing instead: it would
        # refuse any certificate, should TLS ever be spoken on this client.
        verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if peer.url.startswith("https://"):
            try:
                ctx = ssl.create_default_context(cafile=peer.ca or None)
                if peer.client_cert:
                    ctx.load_cert_chain(peer.client_cert, peer.client_key or None)
            except (OSError, ssl.SSLError) as exc:  # SSLError is an OSError; named for clarity
                raise ConfigError(
                    f"{peer.party}: cannot load the TLS files of this connection "
                    f"(--ca {peer.ca or '-'}, --client-cert {peer.client_cert or '-'}): {exc}"
                ) from exc
            verify = ctx
        self.http = httpx.Client(
            auth=(peer.user, peer.token),
            timeout=timeout,
            verify=verify,
            headers={"Accept": TAXII},
        )
        self._root: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """One request; once more on a fresh connection if a kept-alive one was dropped.

        The partner closes idle connections (uvicorn: after 5 s) while we store a large
        page; the next request on that connection then fails before reaching it. Every
        request sync makes is safe to repeat (reads, and receipts/documents by id).
        """
        try:
            return self.http.request(method, url, **kw)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            pass  # a dropped connection: once more, below
        except httpx.HTTPError as exc:
            raise self._unreachable(url, exc) from exc
        try:
            return self.http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            raise self._unreachable(url, exc) from exc

    def _get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        r = self._send("GET", url, params=params)
        self._check(r, url)
        return r

    def _unreachable(self, url: str, exc: httpx.HTTPError) -> PeerError:
        """A transport failure, with what it most likely means for TLS set-ups."""
        text = str(exc) or type(exc).__name__
        low = text.lower()
        hint = ""
        if "certificate_verify_failed" in low or "certificate verify failed" in low:
            hint = "the partner's TLS certificate is not trusted (check the CA given with --ca)"
        elif url.startswith("https://") and (
            isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError)
            or "alert" in low
            or "ssl" in low
        ):
            hint = (
                "the partner closed the TLS connection: it probably requires a client certificate "
                "(liaison party connect --client-cert/--client-key)"
                if not self.peer.client_cert
                else "the partner closed the TLS connection: it may not accept our client "
                "certificate (check --client-cert against the CA the partner pinned)"
            )
        elif url.startswith("http://") and isinstance(exc, httpx.RemoteProtocolError):
            hint = "plain HTTP was refused: does the partner serve HTTPS only?"
        return PeerError(
            f"{self.peer.party}: cannot reach {url}: {text}" + (f" -- {hint}" if hint else "")
        )

    def _check(self, r: httpx.Response, url: str) -> None:
        if r.status_code >= 400:
            try:
                desc = orjson.loads(r.content).get("description", "")
            except (orjson.JSONDecodeError, AttributeError):
                desc = ""
            raise PeerError(f"{self.peer.party}: {url} answered {r.status_code} {desc}".strip())

    def _json(self, r: httpx.Response) -> Any:
        try:
            return orjson.loads(r.content)
        except orjson.JSONDecodeError as exc:
            raise InvalidInputError(f"{self.peer.party}: answer is not JSON") from exc

    @property
    def api_root(self) -> str:
        if self._root is None:
            disc = self._json(self._get(self.peer.url))
            default = disc.get("default") or (disc.get("api_roots") or [None])[0]
            if not isinstance(default, str):
                raise PeerError(f"{self.peer.party}: discovery names no API root")
            self._root = urljoin(self.peer.url, default)
        return self._root

    def collections(self) -> list[dict[str, Any]]:
        body = self._json(self._get(urljoin(self.api_root, "collections/")))
        return [c for c in body.get("collections", []) if isinstance(c, dict)]

    def objects_page(
        self,
        collection_id: str,
        *,
        added_after: str | None,
        limit: int,
        next_token: str | None,
        ids: tuple[str, ...] = (),
    ) -> tuple[list[Any], bool, str | None, str | None]:
        """(objects, more, next, X-TAXII-Date-Added-Last) of one page (``ids``: match[id])."""
        params: dict[str, Any] = {"limit": limit}
        if ids:
            params["match[id]"] = ",".join(ids)
        if added_after:
            params["added_after"] = added_after
        if next_token:
            params["next"] = next_token
        url = urljoin(self.api_root, f"collections/{collection_id}/objects/")
        r = self._get(url, params)
        body = self._json(r)
        if not isinstance(body, dict):
            raise InvalidInputError(f"{self.peer.party}: the envelope is not an object")
        objs = body.get("objects", [])
        if not isinstance(objs, list):
            raise InvalidInputError(f"{self.peer.party}: 'objects' is not a list")
        nxt = body.get("next")
        return (
            objs,
            bool(body.get("more")),
            nxt if isinstance(nxt, str) else None,
            r.headers.get("X-TAXII-Date-Added-Last"),
        )

    def post_json(self, path: str, body: Any) -> Any:
        url = urljoin(self.api_root, path)
        r = self._send("POST", url, content=orjson.dumps(body), headers={"Content-Type": TAXII})
        if r.status_code == 422:
            raise SignatureError(f"{self.peer.party} refused our signature at {url}")
        self._check(r, url)
        return self._json(r) if r.content else None

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._json(self._get(urljoin(self.api_root, path), params))
