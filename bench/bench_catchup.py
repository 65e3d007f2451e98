"""CPU of the correlation catch-up per object, in-process (issue #15).

    .venv/bin/python bench/bench_catchup.py            # 10,000 objects
    .venv/bin/python bench/bench_catchup.py -n 2000 --json

Stores ``n`` objects of ``_util.make_objects`` (indicators with IPs, malware,
identities, relationships, notes, reports, ATT&CK objects) into a fresh node home as an
internal party, with no correlation worker, then times
``liaison.service.correlations.catch_up(node)`` as the worker thread runs it (aliases
loaded first, commits with ``derived_writer``): CPU per object (``time.process_time``,
the whole process: nothing else runs), wall time, and how long each write transaction
of the catch-up held the write lock (from ``Store._begin_write`` to the end of the
commit). Prints a digest of the correlations found, so that two versions of the code
can be compared on their output too.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from _util import make_objects, percentile
from bench_cliff import similar
from liaison.correlate.aliases import load_aliases
from liaison.node import Node
from liaison.service import build_exchange
from liaison.service.correlations import BATCH, catch_up, correlations
from liaison.service.runtime import tune_gc
from liaison.taxii.status import ingest as taxii_ingest


def time_writes(node: Node) -> list[float]:
    """Seconds each write transaction holds the write lock, from then on."""
    store: Any = node.store
    plain_write, plain_begin = store._write, store._begin_write
    held: list[float] = []
    since: dict[str, float | None] = {"t": None}

    def begin(conn: Any) -> None:
        plain_begin(conn)
        since["t"] = time.perf_counter()

    @contextlib.contextmanager
    def timed(**options: Any) -> Iterator[Any]:
        since["t"] = None
        try:
            with plain_write(**options) as cur:
                yield cur
        finally:
            t = since["t"]
            if t is not None:
                held.append(time.perf_counter() - t)

    store._write, store._begin_write = timed, begin
    return held


def shared(i: int) -> dict[str, Any]:
    """An indicator whose address ~60 others share (some values saturate)."""
    ts = "2026-02-01T00:00:00.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8999-{i:012d}",
        "created": ts,
        "modified": ts,
        "pattern": f"[ipv4-addr:value = '198.51.100.{i % 40}']",
        "pattern_type": "stix",
        "valid_from": ts,
    }


def workload(n: int, names: int) -> list[dict[str, Any]]:
    """``make_objects(n)``, and with ``names`` similar names (bench_cliff) and as many
    indicators sharing addresses interleaved."""
    objs = [orjson.loads(b) for b in make_objects(n)]
    if not names:
        return objs
    extra = [f(i) for i in range(names) for f in (similar, shared)]
    step = max(1, len(objs) // len(extra))
    out: list[dict[str, Any]] = []
    for i, obj in enumerate(objs):
        out.append(obj)
        if i % step == 0 and extra:
            out.append(extra.pop(0))
    return out + extra


def run(n: int, home: Path, names: int = 0, batch: int | None = None) -> dict[str, Any]:
    node = Node.init(home, org="Bench", country="ML")
    party, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    ex.correlator = None  # stored, not correlated
    objs = workload(n, names)
    n = len(objs)
    for start in range(0, n, 500):
        envelope = {"objects": objs[start : start + 500]}
        status = taxii_ingest(ex, party, node.default_collection_id, envelope)
        assert status["success_count"] == len(envelope["objects"]), status
    node.close()

    node = Node.open(home)
    load_aliases()  # what the worker loads when it starts (``warm``), not per object
    node.store.derived_writer()  # as on the worker thread: derived data only
    tune_gc()  # as the indexing child does once its tables are loaded
    held = time_writes(node)
    backlog = node.store.correlation_backlog()
    c0, t0 = time.process_time(), time.perf_counter()
    done = catch_up(node, batch)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    found = correlations(node, None, 1_000_000)
    keys = ("object_a", "object_b", "kind", "rule", "score", "value_a", "value_b")
    rows = [[c[k] for k in keys] for c in found]
    digest = hashlib.sha256(orjson.dumps(sorted(rows))).hexdigest()[:16]
    # With each correlation's id, in id order: found in the same order too.
    pairs = zip(found, rows, strict=True)
    ordered = hashlib.sha256(orjson.dumps([[c["id"], *r] for c, r in pairs]))
    node.close()
    ms = sorted(h * 1000 for h in held)
    return {
        "objects": n,
        "backlog": backlog,
        "correlated": done,
        "cpu_us_per_object": round(cpu / max(done, 1) * 1e6, 1),
        "wall_us_per_object": round(wall / max(done, 1) * 1e6, 1),
        "write_transactions": len(ms),
        "lock_ms_p50": round(percentile(ms, 50), 2) if ms else 0.0,
        "lock_ms_p99": round(percentile(ms, 99), 2) if ms else 0.0,
        "lock_ms_max": round(ms[-1], 2) if ms else 0.0,
        "correlations": len(found),
        "digest": digest,
        "ordered_digest": ordered.hexdigest()[:16],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000, help="objects (default 10,000)")
    ap.add_argument("--json", action="store_true", help="one JSON line")
    ap.add_argument(
        "--names", type=int, default=0,
        help="also this many similar names and indicators sharing addresses (default 0)",
    )  # fmt: skip
    ap.add_argument(
        "--batch", type=int, default=None, help=f"rows per batch (default: adaptive, <= {BATCH})"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run(args.n, Path(tmp) / "home", args.names, args.batch)
    if args.json:
        print(json.dumps(r))
    else:
        for k, v in r.items():
            print(f"{k:>20}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
