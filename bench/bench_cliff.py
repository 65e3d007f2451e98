"""No cliff: correlation cost per object whether the store holds 10 or 10,000 similar names.

    .venv/bin/python bench/bench_cliff.py                   # sizes 10, 1,000, 10,000
    .venv/bin/python bench/bench_cliff.py --sizes 10,1000 --rounds 2 --json

Issue #15: names sharing a word ("Réseau N", "Katiba N") made a sync 8x slower, the
storing thread waiting on the write lock while the correlation worker matched similar
names. For each size S, a real node (``Node.init``, the real exchange with its policy
gate, signer, audit log and correlation worker) is loaded with S threat actors and
identities named "Réseau N", "Katiba N", "Katibat N" and "كتيبة N" (ingested and
correlated), closed, and copied once per round. Each round, on a fresh copy, ingests
two envelopes of 500 objects back to back (the second one while the worker correlates
the first) and waits until every object is correlated:

* ``similar``: 1,000 more names of the same four families (new ones every round);
* ``unrelated``: indicators with their own IPv4 address and intrusion sets with
  generated names.

Printed per size and kind: CPU per object (the whole process: validation, signing,
audit, storage and correlation; and the worker thread alone), the worker's write
transactions (how long each held the write lock: p50/p99/max, and their count), and
the ingest calls (``receive`` through the TAXII status path, wall clock, p50/p99).

Verdicts (PASS/MISS):

* *flat*: the process CPU per object at every size is at most 25 % above that at the
  smallest size, for each kind (as bench_taxii's "flat": a bounded cost stops growing,
  a per-object cost that depends on the store keeps growing). At the smallest size the
  round itself brings 1,000 similar names, so a cost that grows with the similar names
  held shows there already: compare with the unrelated objects (printed as info);
* the worker's write transactions: p99 at most 50 ms at every size.

Printed as information: a similar name's CPU against an unrelated object's, at each
size; the ingest p99 (wall) from the smallest to the largest size. All sizes are
loaded first and the rounds interleaved, so that a change of load on the (shared)
machine falls on every size alike.

The lock hold time is measured on the store's write transactions made on the worker
thread, from the moment the lock is taken (``Store._begin_write``) to the end of the
commit (``Store._write``): it measures the code before and after a change alike.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _util import percentile
from liaison.node import Node
from liaison.service import build_exchange
from liaison.taxii.status import ingest as taxii_ingest

FAMILIES = ("Réseau {}", "Katiba {}", "Katibat {}", "كتيبة {}")
ENVELOPE = 500
FLAT = 1.25  # at most +25 % per object from the smallest size to any other
LOCK_P99_MS = 50.0
WORKER = "liaison-correlate"
_SYLLABLES = ("ka", "zu", "mor", "tel", "vex", "ri", "dan", "sol", "qu", "ix", "bel", "tor")


def _uuid(kind: int, i: int) -> str:
    return f"00000000-0000-4000-8{kind:03d}-{i:012d}"


def similar(i: int) -> dict[str, Any]:
    """The i-th similar name: "Katiba 7", "Katibat 7" and "كتيبة 7" name one group."""
    name = FAMILIES[i % 4].format(i // 4)
    ts = "2026-02-01T00:00:00.000Z"
    if (i // 4) % 2:
        return {
            "type": "identity",
            "spec_version": "2.1",
            "id": f"identity--{_uuid(1, i)}",
            "created": ts,
            "modified": ts,
            "name": name,
            "identity_class": "organization",
        }
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--{_uuid(2, i)}",
        "created": ts,
        "modified": ts,
        "name": name,
        "threat_actor_types": ["terrorist"],
    }


def unrelated(i: int, rng: random.Random) -> dict[str, Any]:
    """An indicator with its own address, or an intrusion set with a generated name."""
    ts = "2026-02-01T00:00:00.000Z"
    if i % 2:
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{_uuid(3, i)}",
            "created": ts,
            "modified": ts,
            "pattern": f"[ipv4-addr:value = '{ip}']",
            "pattern_type": "stix",
            "valid_from": ts,
        }
    words = ["".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))).capitalize() for _ in "ab"]
    return {
        "type": "intrusion-set",
        "spec_version": "2.1",
        "id": f"intrusion-set--{_uuid(4, i)}",
        "created": ts,
        "modified": ts,
        "name": " ".join(words),
    }


# --- instrumentation -------------------------------------------------------------------
def thread_cpu(native_id: int) -> float:
    """User + system CPU seconds of one thread of this process (Linux)."""
    with open(f"/proc/self/task/{native_id}/stat", encoding="ascii") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_cpu() -> float:
    for t in threading.enumerate():
        if t.name == WORKER and t.native_id is not None:
            with contextlib.suppress(OSError):
                return thread_cpu(t.native_id)
    return 0.0


def time_worker_writes(node: Node) -> list[float]:
    """Record how long each write transaction of the worker thread holds the write lock
    (seconds): from the moment it has the lock to the end of its commit."""
    store: Any = node.store
    plain_write, plain_begin = store._write, store._begin_write
    held: list[float] = []
    since = threading.local()

    def begin(conn: Any) -> None:
        plain_begin(conn)
        since.t = time.perf_counter()

    @contextlib.contextmanager
    def timed(**options: Any) -> Iterator[Any]:
        if threading.current_thread().name != WORKER:
            with plain_write(**options) as cur:
                yield cur
            return
        since.t = None
        try:
            with plain_write(**options) as cur:
                yield cur
        finally:
            if since.t is not None:
                held.append(time.perf_counter() - since.t)

    store._write, store._begin_write = timed, begin
    return held


#: Rows the correlation worker has not done yet (``ObjectStore.correlation_backlog``).
PENDING = (
    "SELECT COUNT(*) FROM objects"
    " WHERE seq > COALESCE((SELECT seq FROM corr_watermark WHERE id = 1), 0)"
    " AND seq NOT IN (SELECT seq FROM corr_ahead)"
)


def pending(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute(PENDING).fetchone()[0])
    finally:
        conn.close()


def drain(db: Path, timeout: float = 600.0) -> None:
    """Wait until the worker has correlated every stored object."""
    end = time.monotonic() + timeout
    while pending(db):
        if time.monotonic() > end:
            raise TimeoutError("the correlation worker did not catch up")
        time.sleep(0.005)


# --- one size --------------------------------------------------------------------------
def preload(home: Path, size: int) -> dict[str, Any]:
    node = Node.init(home, org="Bench", country="ML")
    party, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    t0, c0 = time.perf_counter(), time.process_time()
    for start in range(0, size, ENVELOPE):
        objs = [similar(i) for i in range(start, min(size, start + ENVELOPE))]
        status = taxii_ingest(ex, party, node.default_collection_id, {"objects": objs})
        assert status["success_count"] == len(objs), status
    drain(Path(node.store.description.removeprefix("sqlite:///")))
    out = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    node.close()
    return out


def one_round(base: Path, work: Path, size: int, kind: str, n: int) -> dict[str, Any]:
    """Round ``n``: 1,000 objects never seen before (new names to prepare, as in life)."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work)
    node = Node.open(work)
    db = Path(node.store.description.removeprefix("sqlite:///"))
    party = node.store.party("analyst")
    ex = build_exchange(node)
    held = time_worker_writes(node)
    rng = random.Random(size * 1000 + n)
    first = 100_000 * (n + 1)
    objs = [
        similar(first + i) if kind == "similar" else unrelated(first + i, rng) for i in range(1000)
    ]
    receive: list[float] = []
    c0, t0 = time.process_time(), time.perf_counter()
    for start in (0, ENVELOPE):
        t = time.perf_counter()
        status = taxii_ingest(
            ex, party, node.default_collection_id, {"objects": objs[start : start + ENVELOPE]}
        )
        receive.append(time.perf_counter() - t)
        assert status["success_count"] == ENVELOPE, status
    drain(db)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    wcpu = worker_cpu()
    node.close()
    shutil.rmtree(work, ignore_errors=True)
    return {"cpu": cpu, "wall": wall, "worker_cpu": wcpu, "held": held, "receive": receive}


def measure(sizes: list[int], rounds: int, tmp: Path) -> list[dict[str, Any]]:
    """Every size loaded first, then the rounds interleaved (round 1 of every size and
    kind, then round 2, ...): a change of load on the machine falls on all sizes alike."""
    bases = {size: tmp / f"base-{size}" for size in sizes}
    out: dict[int, dict[str, Any]] = {
        size: {"size": size, "preload": preload(bases[size], size)} for size in sizes
    }
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for n in range(rounds):
        for size in sizes:
            for kind in ("similar", "unrelated"):
                got = one_round(bases[size], tmp / "work", size, kind, n)
                runs.setdefault((size, kind), []).append(got)
    for (size, kind), done in runs.items():
        n = 1000 * len(done)
        held = [h * 1000 for r in done for h in r["held"]]
        receive = [x * 1000 for r in done for x in r["receive"]]
        out[size][kind] = {
            "objects": n,
            "cpu_us_per_object": sum(r["cpu"] for r in done) / n * 1e6,
            "worker_cpu_us_per_object": sum(r["worker_cpu"] for r in done) / n * 1e6,
            "wall_us_per_object": sum(r["wall"] for r in done) / n * 1e6,
            "worker_writes": len(held),
            "lock_p50_ms": percentile(held, 50) if held else 0.0,
            "lock_p99_ms": percentile(held, 99) if held else 0.0,
            "lock_max_ms": max(held, default=0.0),
            "receive_p50_ms": percentile(receive, 50),
            "receive_p99_ms": percentile(receive, 99),
        }
    for base in bases.values():
        shutil.rmtree(base, ignore_errors=True)
    return [out[size] for size in sizes]


def verdicts(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first, last = results[0], results[-1]
    out = []
    for r in results:
        sim, other = r["similar"]["cpu_us_per_object"], r["unrelated"]["cpu_us_per_object"]
        out.append(
            {
                "what": f"{r['size']:,} held: a similar name against an unrelated object",
                "value": f"{sim:.0f} us vs {other:.0f} us (x{sim / other:.2f})",
                "pass": None,
            }
        )
    for kind in ("similar", "unrelated"):
        lo = first[kind]["cpu_us_per_object"]
        hi = max(r[kind]["cpu_us_per_object"] for r in results)
        out.append(
            {
                "what": f"{kind}: CPU per object flat ({first['size']:,} -> {last['size']:,})",
                "value": f"max {hi:.0f} us vs {lo:.0f} us (x{hi / lo:.2f}, allowed x{FLAT})",
                "pass": hi <= FLAT * lo,
            }
        )
        worst = max(r[kind]["lock_p99_ms"] for r in results)
        out.append(
            {
                "what": f"{kind}: worker write transaction p99 <= {LOCK_P99_MS:.0f} ms",
                "value": f"worst p99 {worst:.1f} ms",
                "pass": worst <= LOCK_P99_MS,
            }
        )
        lo_r, hi_r = first[kind]["receive_p99_ms"], last[kind]["receive_p99_ms"]
        out.append(
            {
                "what": f"{kind}: ingest p99 ({first['size']:,} -> {last['size']:,}), wall",
                "value": f"{hi_r:.0f} ms vs {lo_r:.0f} ms (x{hi_r / lo_r:.2f})",
                "pass": None,
            }
        )
    return out


def report(results: list[dict[str, Any]], checks: list[dict[str, Any]]) -> None:
    print("CPU per object in microseconds (process; worker thread), worker write transactions"
          " in ms, ingest calls (one envelope of 500) in ms, wall clock")  # fmt: skip
    print(f"{'size':>7} {'kind':<10}{'CPU/obj':>8}{'worker':>8}{'wall/obj':>9}{'writes':>7}"
          f"{'lock p50':>9}{'p99':>8}{'max':>8}{'ingest p50':>11}{'p99':>7}")  # fmt: skip
    for r in results:
        for kind in ("similar", "unrelated"):
            k = r[kind]
            print(f"{r['size']:>7,} {kind:<10}{k['cpu_us_per_object']:>8.0f}"
                  f"{k['worker_cpu_us_per_object']:>8.0f}{k['wall_us_per_object']:>9.0f}"
                  f"{k['worker_writes']:>7}{k['lock_p50_ms']:>9.1f}{k['lock_p99_ms']:>8.1f}"
                  f"{k['lock_max_ms']:>8.1f}{k['receive_p50_ms']:>11.0f}"
                  f"{k['receive_p99_ms']:>7.0f}")  # fmt: skip
        p = r["preload"]
        print(f"{'':>8}(loading {r['size']:,} similar names: {p['wall_s']:.1f} s wall,"
              f" {p['cpu_s']:.1f} s CPU)")  # fmt: skip
    for c in checks:
        mark = "info" if c["pass"] is None else ("PASS" if c["pass"] else "MISS")
        print(f"  {mark:<4}  {c['what']}: {c['value']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000", help="similar names held")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per size and kind")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(sizes, args.rounds, Path(tmp))
    checks = verdicts(results)
    if args.json:
        print(json.dumps({"results": results, "verdicts": checks}, indent=1))
    else:
        report(results, checks)


if __name__ == "__main__":
    main()
