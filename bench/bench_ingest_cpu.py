"""CPU per object of the storing path, in process (issue #15, "a lean write path").

Usage: .venv/bin/python bench/bench_ingest_cpu.py [--objects 10000] [--envelope 500]
       [--partner] [--profile out.prof] [--keep DIR]

A fresh node home; an internal party (``--partner``: also a partner reading every
page back, whose reads are timed apart); ``Exchange.ingest`` of ``make_objects`` in
envelopes of ``--envelope``. The exchange has no correlation or search worker, so the
figure is the storing thread's own: ``time.process_time`` per object (this process
only, user + system, including the commits' fsync calls as the kernel charges them).
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import make_objects
from liaison.node import Node
from liaison.service import Exchange, Filters
from liaison.service.events import AuditEvents
from liaison.service.gate import PolicyGate
from liaison.service.signer import NodeSigner


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=10_000)
    ap.add_argument("--envelope", type=int, default=500)
    ap.add_argument("--profile", type=Path, help="write a cProfile of the ingest here")
    ap.add_argument("--read", action="store_true", help="also time an internal full read")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args()

    bodies = [orjson.loads(b) for b in make_objects(args.objects)]
    with tempfile.TemporaryDirectory() as tmp:
        home = (args.keep or Path(tmp)) / "home"
        node = Node.init(home, org="DGSE liaison", country="FR")
        try:
            signer = NodeSigner(node)
            gate = PolicyGate(node, signer.resign)
            ex = Exchange(node, gate, signer, AuditEvents(node))  # no background workers
            cid = node.default_collection_id
            party, _ = node.add_party("bench", internal=True, read=[cid], write=[cid])
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
        finally:
            node.close()


if __name__ == "__main__":
    main()
