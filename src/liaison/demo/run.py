"""``liaison demo``: three nodes on loopback, an agreement, a shared report, the
third-party rule refusing an onward release, and the originator's consent allowing it.

Everything goes through the same code the CLI and the servers use: nodes are real
homes, servers are ``liaison serve`` processes, sync is the real pull over HTTP.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from liaison.agreements import Agreement, AgreementSpec, grant, request, sign, state
from liaison.demo.scenario import border_report
from liaison.errors import LiaisonError
from liaison.node import Node
from liaison.service import build_exchange, documents
from liaison.sync import Peer, PeerClient, get_peer, pull, put_peer

__all__ = ["COUNTRIES", "LEVELS", "ORGS", "TYPES", "DemoNode", "main", "run_demo"]

Say = Callable[[str], None]

LEVELS = {
    "DZ": ["NON CLASSIFIÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL", "SECRET", "TRÈS SECRET"],
    "MR": [
        "NON PROTÉGÉ",
        "DIFFUSION RESTREINTE",
        "CONFIDENTIEL DÉFENSE",
        "SECRET DÉFENSE",
        "TRÈS SECRET DÉFENSE",
    ],
    "XX": ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"],
}
ORGS = {
    "DZ": "Army intelligence directorate (DZ)",
    "MR": "Armed forces intelligence division (MR)",
    "XX": "Third-party service (XX)",
}
#: ISO 3166-1 country of each node ("XX" is only the third party's label: ISO reserves
#: XX for private use, and a node's country must be a real one).
COUNTRIES = {"DZ": "DZ", "MR": "MR", "XX": "NE"}
TYPES = [
    "report",
    "threat-actor",
    "intrusion-set",
    "identity",
    "location",
    "indicator",
    "relationship",
    "note",
    "sighting",
    "marking-definition",
]


@dataclass
class DemoNode:
    code: str
    node: Node
    port: int
    tokens: dict[str, str] = field(default_factory=dict)  # party name -> credential
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/taxii2/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _connect(a: DemoNode, b: DemoNode) -> None:
    """b pulls from a: a registers b as a partner; b records how to reach a."""
    a_at_b = b.node.party(a.code)
    put_peer(
        b.node,
        Peer(
            party=a_at_b.name,
            url=a.url,
            user=b.code,
            token=a.tokens[b.code],
            into=b.node.default_collection_id,
        ),
    )


def agree(proposer: Node, other: Node, name: str, codes: tuple[str, str]) -> Agreement:
    """The demo's sharing agreement between two of its nodes, signed by both.

    ``codes``: the two nodes' demo codes (their schemes in ``LEVELS``, and the name each
    knows the other by as a party). The document travels in process: the proposer signs,
    the other side imports and countersigns, the proposer imports the result. Used by
    the demo and by the tests that set up nodes the same way.
    """
    me, them = codes
    spec = {
        "name": name,
        "types": TYPES,
        "topics": ["terrorism", "organised-crime"],
        "regions": ["DZ", "MR", "ML", "NE"],
        "max_classification": LEVELS[me][2],
        "retention_days": 730,
        "valid_days": 365,
        "partner": [
            {
                "party": them,
                "levels": LEVELS[them],
                "max_classification": LEVELS[them][2],
                "equivalence": dict(zip(LEVELS[me], LEVELS[them], strict=True)),
            }
        ],
        "contact": [{"party": "self", "name": f"Liaison officer {me}"}],
    }
    a = proposer.propose_agreement(AgreementSpec.from_dict(spec))
    a = documents.put_agreement(proposer, sign(a, proposer.identity_id, proposer.key).to_stix())
    b = documents.put_agreement(other, a.to_stix())
    b = documents.put_agreement(other, sign(b, other.identity_id, other.key).to_stix())
    return documents.put_agreement(proposer, b.to_stix())


def _agree(proposer: DemoNode, other: DemoNode, name: str, say: Say) -> None:
    a = agree(proposer.node, other.node, name, (proposer.code, other.code))
    say(f"  {name}: signed by {proposer.code} and {other.code} -> {state(a)}")


def _console_users(nodes: dict[str, DemoNode]) -> dict[str, tuple[str, str]]:
    """An officer account on each node's console, with a fresh password."""
    import secrets

    from liaison.service.accounts import Accounts

    out = {}
    for n in nodes.values():
        password = secrets.token_urlsafe(9)
        Accounts(n.node).add("officer", password, role="officer", lang="fr")
        out[n.code] = ("officer", password)
    return out


def _start(n: DemoNode) -> None:
    n.proc = subprocess.Popen(
        [sys.executable, "-m", "liaison", "serve", str(n.node.home), "--port", str(n.port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(nodes: list[DemoNode], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    for n in nodes:
        while True:
            try:
                httpx.get(n.url, timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or (n.proc and n.proc.poll() is not None):
                    raise LiaisonError(f"node {n.code} did not start on port {n.port}") from None
                time.sleep(0.1)


def _stop(nodes: list[DemoNode]) -> None:
    for n in nodes:
        if n.proc and n.proc.poll() is None:
            n.proc.send_signal(signal.SIGINT)
    for n in nodes:
        if n.proc:
            try:
                n.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                n.proc.kill()


@contextlib.contextmanager
def _servers(nodes: list[DemoNode]) -> Iterator[None]:
    try:
        for n in nodes:
            _start(n)
        _wait_ready(nodes)
        yield
    finally:
        _stop(nodes)


def _post(n: DemoNode, user: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    r = httpx.post(
        f"http://127.0.0.1:{n.port}/api/collections/{n.node.default_collection_id}/objects/",
        auth=(user, n.tokens[user]),
        json={"objects": objects},
        headers={
            "Accept": "application/taxii+json;version=2.1",
            "Content-Type": "application/taxii+json;version=2.1",
        },
        timeout=30,
    )
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    return body


def _held(n: DemoNode, object_id: str) -> dict[str, Any] | None:
    import orjson

    rows = build_exchange(n.node).latest(object_id)
    return orjson.loads(rows[0].body) if rows else None


def _make_nodes(base: Path, say: Say, stack: contextlib.ExitStack) -> dict[str, DemoNode]:
    """Three node homes that know each other, with agreements signed."""
    nodes: dict[str, DemoNode] = {}
    say("1. Three nodes, each with its own identity key and national classification scheme")
    for code in ("DZ", "MR", "XX"):
        port = _free_port()
        node = stack.enter_context(
            Node.init(
                base / code,
                org=ORGS[code],
                country=COUNTRIES[code],
                port=port,
                classification_levels=LEVELS[code],
                sync_interval=0,
            )
        )
        nodes[code] = DemoNode(code, node, port)
        say(f"  {code}: {ORGS[code]}  key {node.key.fingerprint}")
    dz, mr, xx = nodes["DZ"], nodes["MR"], nodes["XX"]
    for a in nodes.values():  # every node pins the others' keys (fingerprints compared OOB)
        for b in nodes.values():
            if a is not b:
                _, token = a.node.add_party(
                    b.code, identity_id=b.node.identity_id, public_key_b64=b.node.key.public_key_b64
                )
                a.tokens[b.code] = token
    _, mr.tokens["analyst"] = mr.node.add_party("analyst", internal=True)
    _connect(mr, dz)  # DZ pulls from MR
    _connect(dz, mr)  # MR reaches DZ (consent answers)
    _connect(dz, xx)  # XX pulls from DZ

    say("2. Sharing agreements, signed by both parties (Ed25519 over RFC 8785)")
    _agree(dz, mr, "DZ-MR protocol on violent extremism and organised crime in the Sahel", say)
    _agree(dz, xx, "DZ-XX bilateral exchange arrangement", say)
    _agree(mr, xx, "MR-XX standing arrangement", say)
    return nodes


def run_demo(base: Path, say: Say = print, *, wait: bool = False) -> dict[str, Any]:
    """Run the scenario in ``base``; with ``wait``, keep the servers up until Ctrl-C."""
    with contextlib.ExitStack() as stack:  # every node closes, whatever happens
        nodes = _make_nodes(base, say, stack)
        logins = _console_users(nodes)
        with _servers(list(nodes.values())):
            say("3. Servers up on loopback (TAXII and the analyst console)")
            for n in nodes.values():
                user, password = logins[n.code]
                say(
                    f"  {n.code}: {n.url}   console {n.url.replace('/taxii2/', '/ui/')}"
                    f"  (user {user}, password {password})"
                )
            result = _exchange(nodes, say)
            if wait:
                say("")
                say("The three nodes keep running. Try, for example:")
                for line in try_lines(base):
                    say(f"  {line}")
                say("Press Ctrl-C to stop.")
                with contextlib.suppress(KeyboardInterrupt):
                    while all(n.proc and n.proc.poll() is None for n in nodes.values()):
                        time.sleep(0.5)
    say("Stopped cleanly.")
    return result


def try_lines(base: Path) -> list[str]:
    """Commands worth trying on the demo's homes (``base/DZ``, ``base/MR``, ``base/XX``)."""
    return [
        f"liaison agreement list {base / 'DZ'}",
        f"liaison audit show {base / 'DZ'} --action read.denied",
        f"liaison consent list {base / 'MR'}",
        f"liaison party list {base / 'XX'}",
    ]


def _exchange(nodes: dict[str, DemoNode], say: Say) -> dict[str, Any]:
    """Steps 4-8: share, sync, refuse, consent, release."""
    dz, mr, xx = nodes["DZ"], nodes["MR"], nodes["XX"]
    result: dict[str, Any] = {}
    say(
        "4. MR's analyst shares a graded, marked report (DIFFUSION RESTREINTE, REL TO DZ,"
        " MR, XX, ORCON, TLP:GREEN, source B2)"
    )
    objects = border_report(
        mr.node.identity_id, dz.node.identity_id, xx.node.identity_id, level=LEVELS["MR"][1]
    )
    report_id = result["report_id"] = objects[-1]["id"]
    status = _post(mr, "analyst", objects)
    say(
        f"  MR stored {status['success_count']} of {status['total_count']} objects, "
        "signed in one batch by MR's key"
    )

    say("5. DZ syncs from MR, verifies every signature, checks its agreement, stores")
    dz_ex = build_exchange(dz.node)
    rep = pull(dz_ex, get_peer(dz.node, "MR"))
    say(f"  {rep.line()}")
    held = _held(dz, report_id)
    result["dz_has_report"] = held is not None
    if held is not None:
        sig = next(iter(v for k, v in held["extensions"].items() if "signer" in v))
        signer = next(
            (n.code for n in nodes.values() if n.node.identity_id == sig["signer"]),
            sig["signer"],
        )
        say(
            f"  DZ holds '{held['name']}', origin signature by {signer} (key {sig['key']}) verified"
        )
        grading = [v for v in held["extensions"].values() if "source_reliability" in v]
        if grading:
            desc = "withheld" if "source_description" not in grading[0] else "present"
            say(
                f"  source grading {grading[0]['source_reliability']}"
                f"{grading[0]['information_credibility']}; MR's source description {desc}"
            )

    say("6. DZ tries to release it to XX: XX syncs from DZ")
    xx_ex = build_exchange(xx.node)
    rep = pull(xx_ex, get_peer(xx.node, "DZ"))
    say(f"  {rep.line()}")
    result["xx_before_consent"] = _held(xx, report_id) is not None
    decision = dz_ex.explain(dz.node.party("XX"), report_id)
    say(f"  refused: {'; '.join(decision.reasons)}")

    # The report and what it refers to (without them XX would get the report with its
    # links removed: nothing tells a party about objects it does not receive).
    wanted = [report_id, *objects[-1]["object_refs"]]
    say(
        f"7. DZ asks MR for consent to pass the report and the {len(wanted) - 1} objects it"
        " refers to on to XX; MR's officer grants it"
    )
    for object_id in wanted:
        req = request(
            object_id,
            originator=mr.node.identity_id,
            recipient=xx.node.identity_id,
            requester=dz.node.identity_id,
            requester_key=dz.node.key,
            justification="XX border units need it within 72 hours",
        )
        documents.put_consent(dz.node, req.to_stix())
        with PeerClient(get_peer(dz.node, "MR")) as c:
            c.post_json("liaison/consents/", req.to_stix())
        asked = next(k for k in documents.consents(mr.node) if k.id == req.id)
        answer = grant(asked, mr.node.key)
        documents.put_consent(mr.node, answer.to_stix())
        with PeerClient(get_peer(mr.node, "DZ")) as c:
            c.post_json("liaison/consents/", answer.to_stix())
    say(f"  {len(wanted)} consents granted, each signed by MR for one object and XX only")

    say("8. XX syncs from DZ again")
    rep = pull(xx_ex, get_peer(xx.node, "DZ"))
    say(f"  {rep.line()}")
    got_report = _held(xx, report_id)
    result["xx_after_consent"] = got_report is not None
    if got_report is not None:
        say(f"  XX holds '{got_report['name']}', origin signature by MR verified at XX")
    result["nodes"] = {n.code: {"url": n.url, "home": str(n.node.home)} for n in nodes.values()}
    return result


@contextlib.contextmanager
def _terminate_like_ctrl_c(say: Say) -> Iterator[None]:
    """SIGTERM or SIGHUP unwind the demo as Ctrl-C does: its servers are stopped."""

    def stop(signum: int, _frame: object) -> None:
        signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the clean-up
        say(f"{signal.Signals(signum).name}: stopping the servers")
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(keep: bool, wait: bool, say: Say = print) -> dict[str, Any]:
    """``liaison demo``: run the scenario in a new folder, removed afterwards unless ``keep``."""
    base = Path(tempfile.mkdtemp(prefix="liaison-demo-"))
    say(f"Demo folder: {base}")
    with _terminate_like_ctrl_c(say):
        try:
            result = run_demo(base, say, wait=wait)
        finally:
            if not keep:
                shutil.rmtree(base, ignore_errors=True)
    if keep:
        say(f"The three homes are kept in {base}: DZ, MR and XX. Try, for example:")
        for line in try_lines(base):
            say(f"  {line}")
    return result
