"""A partner's read is audited: every version released is named in an ``object.released``
entry -- those of a page released under the same agreement for the same reasons share
one entry (at most 1,000 references each)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from liaison.demo.run import COUNTRIES, LEVELS, ORGS, agree
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id
from liaison.node import Node
from liaison.service import Exchange, Filters
from liaison.service.events import AuditEvents, audit_log
from liaison.service.gate import PolicyGate
from liaison.service.signer import NodeSigner


def _reports(node: Node, mr: Node, n: int) -> list[dict[str, Any]]:
    cls = classification_marking(LEVELS["DZ"][1], node.identity_id)
    rel = releasability_marking([node.identity_id, mr.identity_id])
    marks = [cls["id"], rel["id"], tlp_id("green")]
    out: list[dict[str, Any]] = [cls, rel]
    for i in range(n):
        ts = f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        out.append(
            {
                "type": "report",
                "spec_version": "2.1",
                "id": f"report--{uuid.UUID(int=i + 1, version=4)}",
                "created": ts,
                "modified": ts,
                "published": ts,
                "created_by_ref": node.identity_id,
                "object_marking_refs": marks,
                "name": f"Convoy sighting {i} near Tessalit",
                "report_types": ["threat-actor"],
                "object_refs": [node.identity_id],
                "x_liaison_topics": ["terrorism"],
                "x_liaison_regions": ["ML"],
            }
        )
    return out


def test_every_released_version_is_in_one_release_entry(tmp_path: Path) -> None:
    node = Node.init(
        tmp_path / "dz", org=ORGS["DZ"], country=COUNTRIES["DZ"], classification_levels=LEVELS["DZ"]
    )
    mr = Node.init(
        tmp_path / "mr", org=ORGS["MR"], country=COUNTRIES["MR"], classification_levels=LEVELS["MR"]
    )
    try:
        signer = NodeSigner(node)
        ex = Exchange(node, PolicyGate(node, signer.resign), signer, AuditEvents(node))
        cid = node.default_collection_id
        analyst, _ = node.add_party("analyst", internal=True, read=[cid], write=[cid])
        partner, _ = node.add_party(
            "MR", identity_id=mr.identity_id, public_key_b64=mr.key.public_key_b64, read=[cid]
        )
        agreement = agree(node, mr, "DZ-MR exchange arrangement", ("DZ", "MR"))
        reports = _reports(node, mr, 1_200)
        for i in range(0, len(reports), 500):
            assert not ex.ingest(analyst, cid, {"objects": reports[i : i + 500]}).received.failures
        sent: list[tuple[str, str]] = []
        token: str | None = None
        while True:  # pages of 1,000: the first page's versions share one entry
            page = ex.objects(partner, cid, Filters(), limit=1_000, next_token=token)
            sent += [(row.id, row.version) for row, _ in page.items]
            if not page.more:
                break
            token = page.next
        assert len(set(sent)) == len(sent) == len(reports)  # the definitions too
        with audit_log(node) as log:
            entries = [r.entry for r in log.query(action="object.released")]
            named = [(o.id, o.version) for e in entries for o in e.objects]
            assert sorted(named) == sorted(sent)  # each version once, none left out
            assert all(len(e.objects) <= 1_000 for e in entries)
            # page 1: the two marking-definitions (released for a reason of their own),
            # 998 reports; page 2: 202 reports
            assert [len(e.objects) for e in entries] == [2, 998, 202]
            assert {(e.agreement, e.recipient, e.decision) for e in entries} == {
                (agreement.id, mr.identity_id, "allow")
            }
            probe = reports[700]["id"]
            found = log.query(object_id=probe, action="object.released")
            assert [o.id for r in found for o in r.entry.objects if o.id == probe] == [probe]
    finally:
        node.close()
        mr.close()
