"""CPU per object of the storing path, in process (issue #15, "a lean write path").

Usage: .venv/bin/python bench/bench_ingest_cpu.py [--objects 10000] [--envelope 500]
       [--read] [--partner N] [--profile out.prof] [--keep DIR]

A fresh node home (DZ of ``liaison demo``); an internal party; ``Exchange.ingest`` of
``make_objects`` in envelopes of ``--envelope``. The exchange has no correlation or
search worker, so the figure is the storing thread's own: ``time.process_time`` per
object (this process only, user + system, including the commits' fsync calls as the
kernel charges them). ``--read``: then the internal party's full paginated read.
``--partner N``: then N reports releasable to a partner (MR, under a signed agreement)
stored in another collection, and the partner's full paginated read of them (each
released version audited), timed apart.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import make_objects
from liaison.demo.run import COUNTRIES, LEVELS, ORGS, agree
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id
from liaison.node import Node
from liaison.service import Exchange, Filters
from liaison.service.events import AuditEvents
from liaison.service.gate import PolicyGate
from liaison.service.signer import NodeSigner
from liaison.store import PartyRecord, Permission


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=10_000)
    ap.add_argument("--envelope", type=int, default=500)
    ap.add_argument("--profile", type=Path, help="write a cProfile of the ingest here")
    ap.add_argument("--read", action="store_true", help="also time an internal full read")
    ap.add_argument("--partner", type=int, default=0, help="reports a partner then reads")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args()

    bodies = [orjson.loads(b) for b in make_objects(args.objects)]
    with tempfile.TemporaryDirectory() as tmp:
        home = (args.keep or Path(tmp)) / "home"
        node = Node.init(
            home, org=ORGS["DZ"], country=COUNTRIES["DZ"], classification_levels=LEVELS["DZ"]
        )
        try:
            signer = NodeSigner(node)
            gate = PolicyGate(node, signer.resign)
            ex = Exchange(node, gate, signer, AuditEvents(node))  # no background workers
            cid = node.default_collection_id
            party, _ = node.add_party("bench", internal=True, read=[cid], write=[cid])
            # As `liaison serve` does before its first request (no workers here): the text
            # tables warmed, what start-up loaded left out of garbage collection.
            ex.start_background()
            envs = [
                {"objects": bodies[i : i + args.envelope]}
                for i in range(0, len(bodies), args.envelope)
            ]
            prof = cProfile.Profile() if args.profile else None
            stored = 0
            c0, t0 = time.process_time(), time.perf_counter()
            if prof:
                prof.enable()
            for env in envs:
                got = ex.ingest(party, cid, env)
                stored += got.received.new
                if got.received.failures:
                    print("failures:", got.received.failures[:3], file=sys.stderr)
            if prof:
                prof.disable()
                prof.dump_stats(args.profile)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            n = len(bodies)
            print(f"objects {n}  stored {stored}  envelopes {len(envs)} of {args.envelope}")
            print(f"ingest  cpu {cpu:.2f} s  {cpu / n * 1e6:.0f} µs/object   wall {wall:.2f} s")
            if args.read:
                c0 = time.process_time()
                token: str | None = None
                rows = 0
                while True:
                    page = ex.objects(party, cid, Filters(), limit=1000, next_token=token)
                    rows += len(page.items)
                    if not page.more:
                        break
                    token = page.next
                cpu = time.process_time() - c0
                print(f"read    cpu {cpu:.2f} s  {cpu / rows * 1e6:.0f} µs/object ({rows} rows)")
            if args.partner:
                partner_read(ex, node, party, args.partner, (args.keep or Path(tmp)) / "mr")
        finally:
            node.close()


def partner_read(ex: Exchange, node: Node, analyst: PartyRecord, n: int, home: Path) -> None:
    """MR, a partner under a signed agreement, reads ``n`` reports released to it."""
    mr = Node.init(
        home, org=ORGS["MR"], country=COUNTRIES["MR"], classification_levels=LEVELS["MR"]
    )
    try:
        col = node.add_collection("released to MR")
        partner, _ = node.add_party(
            "MR",
            identity_id=mr.identity_id,
            public_key_b64=mr.key.public_key_b64,
            read=[col.id],
        )
        node.store.update_party(
            replace(analyst, permissions=(*analyst.permissions, Permission(col.id, True, True)))
        )
        analyst = node.store.party(analyst.name)
        agree(node, mr, "DZ-MR exchange arrangement", ("DZ", "MR"))
        ids = [node.identity_id, mr.identity_id]
        cls = classification_marking(LEVELS["DZ"][1], node.identity_id)
        rel = releasability_marking(ids)
        marks = [cls["id"], rel["id"], tlp_id("green")]
        reports: list[dict[str, Any]] = [cls, rel]
        for i in range(n):
            ts = f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
            reports.append(
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
                    "description": f"Observation {i}: pick-up trucks heading north. Été, إرهاب.",
                    "report_types": ["threat-actor"],
                    "object_refs": [node.identity_id],
                    "x_liaison_topics": ["terrorism"],
                    "x_liaison_regions": ["ML"],
                }
            )
        for i in range(0, len(reports), 500):
            got = ex.ingest(analyst, col.id, {"objects": reports[i : i + 500]})
            if got.received.failures:
                print("failures:", got.received.failures[:3], file=sys.stderr)
        c0 = time.process_time()
        token: str | None = None
        rows = 0
        while True:
            page = ex.objects(partner, col.id, Filters(), limit=1000, next_token=token)
            rows += len(page.items)
            if not page.more:
                break
            token = page.next
        cpu = time.process_time() - c0
        print(
            f"partner read  cpu {cpu:.2f} s  {cpu / max(rows, 1) * 1e6:.0f} µs/object ({rows} rows)"
        )
    finally:
        mr.close()


if __name__ == "__main__":
    main()
