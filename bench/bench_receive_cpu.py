"""CPU per object of a partner's objects received (sync's storing path), in process.

Usage: .venv/bin/python bench/bench_receive_cpu.py [--objects 6000] [--page 1000]
       [--profile out.prof] [--keep DIR]

Two fresh node homes of ``liaison demo``, MR and DZ, under a signed agreement. MR's
analyst stores ``--objects`` reports, indicators and relationships releasable to DZ
(classified in MR's scheme, TLP:GREEN, within the agreement's topics and regions); DZ's
partner view of them is read page by page as a sync would fetch it (MR's signed
bytes). Then ``Exchange.receive`` of each page on DZ is timed alone:
``time.process_time`` per object (validation, signature verification, admission under
the agreement, storage with its audit entries; no correlation or search worker), with the garbage
collector tuned as ``liaison sync`` tunes it. Every object must be stored.

``--split``: instead, the pages are received as a sync with a checking process
receives them (``liaison.sync.checker``): the child's share (parse, checks, bytes and
searchable text of each object, pickled) and the parent's (unpickling, admission,
storage) are timed apart.
"""

from __future__ import annotations

import argparse
import cProfile
import pickle
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from liaison.demo.run import COUNTRIES, LEVELS, ORGS, agree
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id
from liaison.node import Node
from liaison.service import Exchange, Filters
from liaison.service.events import AuditEvents
from liaison.service.gate import PolicyGate
from liaison.service.runtime import tune_gc
from liaison.service.signer import NodeSigner


def exchange(node: Node) -> Exchange:
    """An exchange with no background workers."""
    signer = NodeSigner(node)
    return Exchange(node, PolicyGate(node, signer.resign), signer, AuditEvents(node))


def objects(mr: Node, dz: Node, n: int) -> list[dict[str, Any]]:
    """Two markings, then ``n`` reports, indicators and relationships releasable to DZ."""
    cls = classification_marking(LEVELS["MR"][1], mr.identity_id)
    rel = releasability_marking([mr.identity_id, dz.identity_id])
    marks = [cls["id"], rel["id"], tlp_id("green")]
    out: list[dict[str, Any]] = [cls, rel]
    for i in range(n):
        ts = f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        base = {
            "spec_version": "2.1",
            "created": ts,
            "modified": ts,
            "created_by_ref": mr.identity_id,
            "object_marking_refs": marks,
            "x_liaison_topics": ["terrorism"],
            "x_liaison_regions": ["ML"],
        }
        uid = uuid.UUID(int=i + 1, version=4)
        ip = f"10.0.{i // 256 % 256}.{i % 256}"
        if i % 3 == 0:
            out.append(
                base
                | {
                    "type": "report",
                    "id": f"report--{uid}",
                    "published": ts,
                    "name": f"Convoy sighting {i} near Tessalit",
                    "description": f"Observation {i}: pick-up trucks heading north. Été, إرهاب.",
                    "report_types": ["threat-actor"],
                    "object_refs": [mr.identity_id],
                }
            )
        elif i % 3 == 1:
            out.append(
                base
                | {
                    "type": "indicator",
                    "id": f"indicator--{uid}",
                    "name": f"C2 {ip}",
                    "indicator_types": ["malicious-activity"],
                    "pattern": f"[ipv4-addr:value = '{ip}']",
                    "pattern_type": "stix",
                    "valid_from": ts,
                }
            )
        else:
            out.append(
                base
                | {
                    "type": "relationship",
                    "id": f"relationship--{uid}",
                    "relationship_type": "indicates",
                    "source_ref": f"indicator--{uuid.UUID(int=i, version=4)}",
                    "target_ref": f"report--{uuid.UUID(int=i - 1, version=4)}",
                }
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=6000)
    ap.add_argument("--page", type=int, default=1000, help="objects a page (sync's default)")
    ap.add_argument("--profile", type=Path, help="write a cProfile of the receive here")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    ap.add_argument(
        "--split",
        action="store_true",
        help="also time the two halves as a sync with a checking process runs them: "
        "the checks (child) and the rest (this process, pages unpickled)",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        mr = Node.init(
            work / "mr", org=ORGS["MR"], country=COUNTRIES["MR"], classification_levels=LEVELS["MR"]
        )
        dz = Node.init(
            work / "dz", org=ORGS["DZ"], country=COUNTRIES["DZ"], classification_levels=LEVELS["DZ"]
        )
        try:
            col = mr.add_collection("released to DZ")
            analyst, _ = mr.add_party("analyst", internal=True, read=[col.id], write=[col.id])
            to_dz, _ = mr.add_party(
                "DZ",
                identity_id=dz.identity_id,
                public_key_b64=dz.key.public_key_b64,
                read=[col.id],
            )
            from_mr, _ = dz.add_party(
                "MR", identity_id=mr.identity_id, public_key_b64=mr.key.public_key_b64
            )
            agree(mr, dz, "MR-DZ exchange arrangement", ("MR", "DZ"))
            ex_mr, ex_dz = exchange(mr), exchange(dz)
            objs = objects(mr, dz, args.objects)
            for i in range(0, len(objs), 500):
                got = ex_mr.ingest(analyst, col.id, {"objects": objs[i : i + 500]})
                if got.received.failures:
                    print("MR failures:", got.received.failures[:3], file=sys.stderr)
            pages: list[list[bytes]] = []
            token: str | None = None
            while True:
                page = ex_mr.objects(to_dz, col.id, Filters(), limit=args.page, next_token=token)
                pages.append([body for _, body in page.items])
                if not page.more:
                    break
                token = page.next
            n = sum(map(len, pages))
            tune_gc()  # as `liaison sync` and `serve` do
            if args.split:  # instead of receive: each page into DZ once
                split(ex_dz, from_mr, pages, n, args.profile)
                return
            prof = cProfile.Profile() if args.profile else None
            stored = 0
            c0 = time.process_time()
            if prof:
                prof.enable()
            for bodies in pages:  # a sync parses each page, then receives it
                got_page = ex_dz.receive(
                    from_mr, dz.default_collection_id, [orjson.loads(b) for b in bodies]
                )
                stored += got_page.new
                if got_page.failures:
                    print("failures:", got_page.failures[:3], file=sys.stderr)
            if prof:
                prof.disable()
                prof.dump_stats(args.profile)
            cpu = time.process_time() - c0
            print(f"objects {n}  stored {stored}  pages {len(pages)} of {args.page}")
            print(f"receive  cpu {cpu:.2f} s  {cpu / max(n, 1) * 1e6:.0f} µs/object")
        finally:
            mr.close()
            dz.close()


def split(ex: Exchange, party: Any, pages: list[list[bytes]], n: int, profile: Path | None) -> None:
    """Receive the pages as a sync with a checking process does (``liaison.sync.
    checker``): checks, bodies and texts in the child; unpickling, audit of refused
    signatures, admission and storage in the parent (profiled with ``--profile``)."""
    from liaison.sync.checker import CheckedPage, check_page, parsed

    keys = ex.signer.keys()
    c0 = time.process_time()
    wire = []
    for bodies in pages:
        checked, refused = check_page(
            party.name, ex.node.default_collection_id, [orjson.loads(b) for b in bodies], keys
        )
        wire.append(pickle.dumps(CheckedPage(checked, refused, True, None, None)))
    c1 = time.process_time()
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    stored, unpickling = 0, 0.0
    for raw in wire:
        u0 = time.process_time()
        got: CheckedPage = parsed(pickle.loads(raw))
        unpickling += time.process_time() - u0
        for obj, reason in got.refused:
            ex.events.rejected(party, obj, reason)
        assert got.checked is not None
        stored += ex.store_checked(party, got.checked).new
    if prof and profile:
        prof.disable()
        prof.dump_stats(profile)
    c2 = time.process_time()
    print(f"objects {n}  stored {stored}  pages {len(pages)} (split as a sync's two processes)")
    print(f"  child:  fetched page parsed, checked  {(c1 - c0) / max(n, 1) * 1e6:.0f} µs/object")
    print(
        f"  parent: unpickled, admitted, stored   {(c2 - c1) / max(n, 1) * 1e6:.0f} µs/object"
        f" (unpickling and parsing {unpickling / max(n, 1) * 1e6:.0f})"
    )


if __name__ == "__main__":
    main()
