"""Nodes that exchange signed intelligence on loopback, set up as ``liaison demo`` does.

A ``World`` holds a few nodes (DZ, MR, XX: each a real home made by ``Node.init``
with its national classification scheme). Every node pins the others' keys, the
requested pairs sign sharing agreements (both signatures, in force), and ``connect``
records how one node pulls from another. ``SyncNode.start`` runs ``liaison serve``
as a child process (optionally HTTPS with mutual TLS); ``World.close`` always stops
them. Sync runs in the test process through the real ``pull`` over HTTP.

``marked_reports(origin, n, to=...)`` makes objects an originator may share: its
classification, releasability and TLP markings, topics and regions inside the
agreements' scope.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from liaison.demo.run import COUNTRIES, LEVELS, ORGS, agree
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id
from liaison.node import Node
from liaison.service import Exchange, build_exchange
from liaison.store import ObjectRow
from liaison.sync import Peer, SyncReport, get_peer, pull, put_peer
from liaison.taxii.status import ingest as taxii_ingest

SRC = Path(__file__).resolve().parents[3] / "src"
TAXII = "application/taxii+json;version=2.1"
Obj = dict[str, Any]

# The demo's three national schemes, organisations and agreement scope.
SCOPE = {"x_liaison_topics": ["terrorism"], "x_liaison_regions": ["ML"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass(frozen=True)
class Tls:
    """Files for ``liaison serve --tls-cert --tls-key [--tls-client-ca]``."""

    cert: Path
    key: Path
    client_ca: Path | None = None


@dataclass
class SyncNode:
    code: str
    node: Node
    port: int
    tokens: dict[str, str] = field(default_factory=dict)  # party name here -> credential
    proc: subprocess.Popen[bytes] | None = None
    tls: Tls | None = None
    _exchange: Exchange | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """TAXII discovery URL."""
        return f"{self.scheme}://127.0.0.1:{self.port}/taxii2/"

    @property
    def collection_id(self) -> str:
        return self.node.default_collection_id

    @property
    def exchange(self) -> Exchange:
        if self._exchange is None:
            self._exchange = build_exchange(self.node)
        return self._exchange

    @property
    def log(self) -> Path:
        return self.node.home / "serve.log"

    # --- the server ------------------------------------------------------------------
    def start(self, tls: Tls | None = None, *, ready_ctx: ssl.SSLContext | None = None) -> None:
        """Run ``liaison serve`` on this node's port; wait until it answers."""
        self.launch(tls)
        self.wait_ready(ready_ctx)

    def launch(self, tls: Tls | None = None) -> None:
        self.tls = tls
        args = [sys.executable, "-m", "liaison", "serve", str(self.node.home)]
        args += ["--port", str(self.port)]
        if tls is not None:
            args += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
            if tls.client_ca is not None:
                args += ["--tls-client-ca", str(tls.client_ca)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=cli_env())

    def wait_ready(self, ready_ctx: ssl.SSLContext | None = None) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.code} exited early:\n{self.log.read_text()}")
            try:
                httpx.get(self.url, timeout=1.0, verify=ready_ctx or True)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(
                        f"{self.code} not ready:\n{self.log.read_text()}"
                    ) from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server: no shutdown handler runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def interrupt(self) -> None:
        """Ask the server to stop (SIGINT), without waiting."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.interrupt()
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # --- as a local analyst and as a puller --------------------------------------------
    def post(self, objects: Sequence[Obj], user: str = "analyst") -> Obj:
        """Ingest in process, as the internal party ``user`` (signed by this node)."""
        party = self.node.store.party(user)
        return taxii_ingest(self.exchange, party, self.collection_id, {"objects": list(objects)})

    def pull(self, source: str, **kw: Any) -> SyncReport:
        return pull(self.exchange, get_peer(self.node, source), **kw)

    def held(self, object_id: str) -> Obj | None:
        rows = self.node.store.latest_by_ids([object_id])
        return orjson.loads(rows[0].body) if rows else None

    def rows(self) -> list[ObjectRow]:
        """Every stored version of the default collection, in insertion order."""
        from liaison.store import VERSION_ALL, ObjectQuery

        out: list[ObjectRow] = []
        after = 0
        while True:
            got = self.node.store.query_objects(
                ObjectQuery(
                    collection_id=self.collection_id,
                    versions=(VERSION_ALL,),
                    after_seq=after,
                    limit=5000,
                )
            )
            out.extend(got)
            if len(got) < 5000:
                return out
            after = got[-1].seq


@dataclass
class World:
    base: Path
    nodes: dict[str, SyncNode] = field(default_factory=dict)

    def __getitem__(self, code: str) -> SyncNode:
        return self.nodes[code]

    def add(self, code: str) -> SyncNode:
        port = free_port()
        node = Node.init(
            self.base / code,
            org=ORGS[code],
            country=COUNTRIES[code],
            port=port,
            classification_levels=LEVELS[code],
            sync_interval=0,
        )
        n = SyncNode(code, node, port)
        _, n.tokens["analyst"] = node.add_party("analyst", internal=True)
        for other in self.nodes.values():  # pin each other's keys (compared out of band)
            _, n.tokens[other.code] = node.add_party(
                other.code,
                identity_id=other.node.identity_id,
                public_key_b64=other.node.key.public_key_b64,
            )
            _, other.tokens[code] = other.node.add_party(
                code, identity_id=node.identity_id, public_key_b64=node.key.public_key_b64
            )
        self.nodes[code] = n
        return n

    def connect(self, source: str, puller: str, **tls: str) -> Peer:
        """``puller`` pulls from ``source``: record the URL and the credential it got."""
        a, b = self.nodes[source], self.nodes[puller]
        peer = Peer(
            party=source,
            url=a.url,
            user=puller,
            token=a.tokens[puller],
            into=b.collection_id,
            **tls,
        )
        put_peer(b.node, peer)
        return peer

    def agree(self, proposer: str, other: str) -> None:
        """An agreement both sides signed, held by both (as ``liaison demo`` makes it)."""
        p, o = self.nodes[proposer], self.nodes[other]
        agree(p.node, o.node, f"{proposer}-{other} exchange arrangement", (proposer, other))

    def marked_reports(
        self, origin: str, n: int, *, to: Sequence[str] = (), start: int = 0
    ) -> list[Obj]:
        """Markings plus ``n`` reports by ``origin``, REL TO origin and ``to``, TLP:GREEN."""
        o = self.nodes[origin]
        rel_ids = [o.node.identity_id, *(self.nodes[c].node.identity_id for c in to)]
        cls = classification_marking(LEVELS[origin][1], o.node.identity_id)
        rel = releasability_marking(rel_ids)
        marks = [cls["id"], rel["id"], tlp_id("green")]
        base = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
        out: list[Obj] = [cls, rel]
        for i in range(start, start + n):
            ts = stamp(base + timedelta(seconds=i))
            out.append(
                {
                    "type": "report",
                    "spec_version": "2.1",
                    "id": f"report--{uuid.uuid4()}",
                    "created": ts,
                    "modified": ts,
                    "published": ts,
                    "created_by_ref": o.node.identity_id,
                    "object_marking_refs": marks,
                    "name": f"Convoy sighting {i} near Tessalit",
                    "description": f"Observation {i}: pick-up trucks heading north. Été, إرهاب.",
                    "report_types": ["threat-actor"],
                    "object_refs": [o.node.identity_id],
                    **SCOPE,
                }
            )
        return out

    def close(self) -> None:
        for n in self.nodes.values():
            n.interrupt()
        for n in self.nodes.values():
            n.stop()
        for n in self.nodes.values():
            n.node.close()


def stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def new_version(obj: Obj, seconds: int = 60, **changes: Any) -> Obj:
    """A later version of ``obj`` without its signature (the node signs it again)."""
    from liaison.signing.objects import strip_signature

    modified = datetime.strptime(obj["modified"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    out = strip_signature(obj)
    out.update(modified=stamp(modified + timedelta(seconds=seconds)), **changes)
    return out


def body_of(row: ObjectRow) -> Obj:
    out: Obj = orjson.loads(row.body)
    return out


WorldFactory = Callable[..., World]
