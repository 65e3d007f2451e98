"""A host under attack: DZ, its partner MR, and a hostile partner XX, all in process.

``Hostile(base)`` builds the demo's three nodes (``sync_world.World``: real homes,
pinned keys, agreements DZ-MR, DZ-XX and MR-XX signed by both sides). DZ's analyst
posts DZ's own report; MR's analyst posts MR's report (ORCON, REL TO DZ, MR, XX) and
DZ receives it as a pull would. XX then attacks DZ over HTTP with its own credential
at DZ and its own signing key -- it was given write access to DZ's default
collection, the worst case. ``as_xx`` is a TAXII client with XX's credential at DZ;
``xx_signed`` signs objects with XX's key as XX's node would.
"""

from __future__ import annotations

import sqlite3
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from sync_world import SCOPE, World

from liaison.markings import caveats_marking, classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id
from liaison.signing.objects import sign_objects
from liaison.store import Permission, format_us, now_us
from liaison.taxii import TAXII, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

Obj = dict[str, Any]
HEADERS = {"Accept": TAXII, "Content-Type": TAXII}


def report(author: str, marks: list[str], name: str, **extra: Any) -> Obj:
    ts = format_us(now_us())[:-4] + "Z"
    import uuid

    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--{uuid.uuid4()}",
        "created": ts,
        "modified": ts,
        "published": ts,
        "created_by_ref": author,
        "object_marking_refs": marks,
        "name": name,
        "description": f"{name}: convoy movements north of Tessalit.",
        "report_types": ["threat-report"],
        "object_refs": [author],
        **SCOPE,
        **extra,
    }


@dataclass
class Hostile:
    world: World
    dz_report: Obj
    mr_report: Obj
    mr_marks: list[Obj]

    @property
    def dz(self) -> Any:
        return self.world["DZ"]

    @property
    def mr(self) -> Any:
        return self.world["MR"]

    @property
    def xx(self) -> Any:
        return self.world["XX"]

    def client(self, party: str) -> TestClient:
        app = create_app(self.dz.node, self.dz.exchange)
        headers = {**HEADERS, "Authorization": f"Bearer {self.dz.tokens[party]}"}
        return TestClient(app, raise_server_exceptions=False, headers=headers)

    @property
    def objects_url(self) -> str:
        return f"/api/collections/{self.dz.collection_id}/objects/"

    def xx_signed(self, objs: list[Obj], *, origin: str | None = None) -> list[Obj]:
        xx = self.xx.node
        return sign_objects(objs, xx.key, xx.identity_id, format_us(now_us()), origin=origin)

    def post_as_xx(self, objs: list[Obj]) -> Obj:
        with self.client("XX") as c:
            r = c.post(self.objects_url, json={"objects": objs})
        assert r.status_code == 202, r.text
        body: Obj = r.json()
        return body

    def held_bytes(self) -> dict[tuple[str, str], tuple[bytes, str]]:
        """(id, version) -> (stored bytes, handling JSON) of everything DZ holds."""
        return {
            (r.id, r.version): (r.body, orjson.dumps(r.handling).decode()) for r in self.dz.rows()
        }

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.dz.node.home / "liaison.db")


def build(base: Path) -> Hostile:
    world = World(base)
    for code in ("DZ", "MR", "XX"):
        world.add(code)
    for a, b in (("DZ", "MR"), ("DZ", "XX"), ("MR", "XX")):
        world.agree(a, b)
    dz, mr = world["DZ"], world["MR"]
    # The worst case: the hostile partner may write to DZ's default collection.
    party = dz.node.store.party("XX")
    perms = (Permission(dz.collection_id, True, True),)
    dz.node.store.update_party(replace(party, permissions=perms))
    dz.exchange.gate.invalidate()  # type: ignore[attr-defined]
    ids = {c: world[c].node.identity_id for c in ("DZ", "MR", "XX")}
    # DZ's own report, releasable to MR and XX.
    cls = classification_marking("DIFFUSION RESTREINTE", ids["DZ"])
    rel = releasability_marking(ids.values())
    dz_report = report(ids["DZ"], [cls["id"], rel["id"], tlp_id("green")], "DZ border report")
    status = dz.post([cls, rel, dz_report])
    assert status["success_count"] == 3, status
    # MR's report, ORCON, REL TO DZ, MR, XX: received by DZ as a pull would.
    mcls = classification_marking("DIFFUSION RESTREINTE", ids["MR"])
    mrel = releasability_marking(ids.values())
    orcon = caveats_marking(originator_control=True, no_evidence_use=False)
    marks = [mcls["id"], mrel["id"], orcon["id"], tlp_id("green")]
    mr_report = report(ids["MR"], marks, "MR convoy report")
    assert mr.post([mcls, mrel, orcon, mr_report])["success_count"] == 4
    signed = [orjson.loads(r.body) for r in mr.rows()]
    got = dz.exchange.receive(dz.node.store.party("MR"), dz.collection_id, signed)
    assert not got.failures, got.failures
    mr_stored = next(o for o in signed if o["id"] == mr_report["id"])
    dz_stored = orjson.loads(dz.node.store.latest_by_ids([dz_report["id"]])[0].body)
    return Hostile(world, dz_stored, mr_stored, [mcls, mrel, orcon])
