"""A node with something in its console: DZ receives MR's border report under an agreement.

``make_world(tmp)`` builds two real node homes in process (``Node.init``), pins each
other's keys, has both sign a sharing agreement (as ``liaison demo`` does), lets MR's
analyst post the demo's border report (signed by MR) and hands DZ what MR's gate
releases to DZ -- the same ``receive`` a pull calls. DZ also knows a third service XX
with no agreement, so the release preview has a partner to refuse. Console users of
DZ: ``ana`` (analyst, fr), ``omar`` (officer, ar), ``aude`` (auditor, en).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from argon2 import PasswordHasher

from liaison.agreements import sign
from liaison.cli.agreement import propose_from_spec
from liaison.demo.scenario import border_report
from liaison.node import Node
from liaison.service import Exchange, Filters, build_exchange, documents
from liaison.web import Accounts

if TYPE_CHECKING:
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
#: Still argon2id, with parameters cheap enough for a shared CI machine.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
LEVELS = {
    "DZ": ["NON CLASSIFIÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL", "SECRET", "TRÈS SECRET"],
    "MR": [
        "NON PROTÉGÉ",
        "DIFFUSION RESTREINTE",
        "CONFIDENTIEL DÉFENSE",
        "SECRET DÉFENSE",
        "TRÈS SECRET DÉFENSE",
    ],
}
TYPES = ["report", "threat-actor", "identity", "location", "indicator", "relationship",
         "note", "marking-definition"]  # fmt: skip


@dataclass
class World:
    dz: Node
    mr: Node
    dz_ex: Exchange
    report: dict[str, Any]
    objects: list[dict[str, Any]]

    def close(self) -> None:
        self.dz.close()
        self.mr.close()


def _agree(p: Node, o: Node, other: str) -> None:
    spec = {
        "name": "MR-DZ exchange arrangement",
        "types": TYPES,
        "topics": ["terrorism", "organised-crime"],
        "regions": ["DZ", "MR", "ML", "NE"],
        "max_classification": LEVELS["MR"][2],
        "retention_days": 730,
        "valid_days": 365,
        "partner": [
            {
                "party": other,
                "levels": LEVELS["DZ"],
                "max_classification": LEVELS["DZ"][2],
                "equivalence": dict(zip(LEVELS["MR"], LEVELS["DZ"], strict=True)),
            }
        ],
        "contact": [{"party": "self", "name": "Liaison officer MR"}],
    }
    a = propose_from_spec(p, spec)
    a = documents.put_agreement(p, sign(a, p.identity_id, p.key).to_stix())
    b = documents.put_agreement(o, a.to_stix())
    b = documents.put_agreement(o, sign(b, o.identity_id, o.key).to_stix())
    documents.put_agreement(p, b.to_stix())


def make_world(base: Path) -> World:
    dz = Node.init(base / "dz", org="Army intelligence directorate (DZ)", country="DZ",
                   classification_levels=LEVELS["DZ"], sync_interval=0)  # fmt: skip
    mr = Node.init(base / "mr", org="Armed forces intelligence division (MR)", country="MR",
                   classification_levels=LEVELS["MR"], sync_interval=0)  # fmt: skip
    mr.add_party("analyst", internal=True)
    mr.add_party("DZ", identity_id=dz.identity_id, public_key_b64=dz.key.public_key_b64)
    dz.add_party("MR", identity_id=mr.identity_id, public_key_b64=mr.key.public_key_b64)
    dz.add_party("XX", identity_id=f"identity--{uuid.uuid4()}")
    _agree(mr, dz, "DZ")
    xx = f"identity--{uuid.uuid4()}"
    objs = border_report(mr.identity_id, dz.identity_id, xx, level=LEVELS["MR"][1])
    mr_ex = build_exchange(mr)
    got = mr_ex.receive(mr.store.party("analyst"), mr.default_collection_id, objs)
    assert not got.failures, got.failures
    page = mr_ex.objects(
        mr.store.party("DZ"), mr.default_collection_id, Filters(), limit=1000, next_token=None
    )
    released = [orjson.loads(body) for _, body in page.items]
    dz_ex = build_exchange(dz)
    got = dz_ex.receive(dz.store.party("MR"), dz.default_collection_id, released)
    assert not got.failures, got.failures
    accounts = Accounts(dz, hasher=FAST_HASHER)
    accounts.add("ana", PASSWORD, role="analyst", lang="fr")
    accounts.add("omar", PASSWORD, role="officer", lang="ar")
    accounts.add("aude", PASSWORD, role="auditor", lang="en")
    report = next(o for o in released if o["type"] == "report")
    return World(dz, mr, dz_ex, report, released)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Sign in; return the CSRF token of the first page."""
    page = client.get("/ui/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce
    r = client.post(
        "/ui/login", data={"username": user, "password": password, "nonce": nonce.group(1)}
    )
    assert r.status_code == 200, r.text
    assert r.url.path == "/ui/inbox", r.url
    return csrf_of(r.text)
