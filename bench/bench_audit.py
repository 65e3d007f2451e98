"""Audit log figures: batched appends per second, full verify and inclusion proofs at 1M.

    PYTHONPATH=src .venv/bin/python bench/bench_audit.py                 # 1M entries
    PYTHONPATH=src .venv/bin/python bench/bench_audit.py --entries 100000 --json

1. Appends: ``AuditLog.append_many`` in batches (default 1,000 entries, a signed tree
   head per batch) into a SQLite file in WAL mode with ``synchronous=FULL``, as the node
   opens it. Entries are built before timing (the caller's cost); a second figure
   includes building them.
2. Verify: ``AuditLog.verify`` over the whole log (every leaf recomputed from its row,
   every interior node, every signed head), at the full size.
3. Inclusion proofs: ``AuditLog.inclusion_proof(seq, size)`` for random ``seq`` at the
   full size, checked against the latest signed head; median and p99.

Targets (issue #5): >= 50,000 appends/s batched, verify 1M in <= 10 s, a proof <= 1 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef
from liaison.signing import SigningKey
from liaison.store.db import SqliteDb
from liaison.store.sqlite import open_db as store_db

TARGET_APPENDS = 50_000.0
TARGET_VERIFY_1M = 10.0
TARGET_PROOF_MS = 1.0


def make_entries(n: int, start: int) -> list[AuditEntry]:
    """A realistic mix: creations, releases with reasons, denials, logins."""
    agreement = f"x-agreement--{uuid.UUID(int=1)}"
    partner = f"identity--{uuid.UUID(int=2)}"
    out: list[AuditEntry] = []
    for i in range(start, start + n):
        obj = f"indicator--{uuid.UUID(int=i)}"
        version = f"2026-11-{1 + i % 28:02d}T10:00:00.000Z"
        kind = i % 4
        if kind == 0:
            out.append(
                AuditEntry(
                    Action.OBJECT_CREATED,
                    f"analyst-{i % 40}",
                    objects=(ObjectRef(obj, version, f"{i:064x}"),),
                    details={"collection": "ops"},
                )
            )
        elif kind == 1:
            out.append(
                AuditEntry(
                    Action.OBJECT_RELEASED,
                    "node-fr",
                    objects=(ObjectRef(obj, version, f"{i:064x}"),),
                    agreement=agreement,
                    recipient=partner,
                    decision="allow",
                    reasons=("releasable: REL TO FRA, MLI", "TLP:AMBER within agreement"),
                )
            )
        elif kind == 2:
            out.append(
                AuditEntry(
                    Action.READ_DENIED,
                    "partner-ml",
                    objects=(ObjectRef(obj, version),),
                    decision="deny",
                    reasons=("ORCON: originator consent missing",),
                )
            )
        else:
            out.append(AuditEntry(Action.LOGIN, f"user-{i % 97}", details={"address": "10.0.0.7"}))
    return out


def open_db(path: Path) -> SqliteDb:
    """The store's tables in a SQLite file, as the node opens it (WAL, FULL)."""
    db = store_db(path)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA cache_size=-65536")
    return db


def bench(entries: int, batch: int, proofs: int, seed: int) -> dict[str, Any]:
    key = SigningKey.generate()
    with tempfile.TemporaryDirectory(prefix="bench_audit_") as tmp:
        path = Path(tmp) / "liaison.db"
        conn = open_db(path)
        log = AuditLog(conn, signing_key=key)

        # 1. appends, entries pre-built (one batch template per 100 batches: memory)
        build = 0.0
        append = 0.0
        append_cpu = 0.0
        done = 0
        while done < entries:
            n = min(batch * 100, entries - done)
            t0 = time.perf_counter()
            chunk = make_entries(n, done)
            t1 = time.perf_counter()
            c1 = time.process_time()
            for i in range(0, n, batch):
                log.append_many(chunk[i : i + batch])
            t2 = time.perf_counter()
            append_cpu += time.process_time() - c1
            build += t1 - t0
            append += t2 - t1
            done += n
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size_mb = path.stat().st_size / 1e6

        # 2. verify the whole log from storage (fresh connection, cold Python caches)
        conn.close()
        conn = open_db(path)
        log = AuditLog(conn)
        t0 = time.perf_counter()
        c0 = time.process_time()
        report = log.verify(key.public_key_b64)
        verify_s = time.perf_counter() - t0
        verify_cpu = time.process_time() - c0
        if not report.ok:
            raise SystemExit(f"verify failed: {report.summary()}")

        # 3. inclusion proofs at full size, checked against the signed head
        head = log.latest_head()
        assert head is not None and head.size == entries
        rng = random.Random(seed)
        times: list[float] = []
        for _ in range(proofs):
            seq = rng.randrange(entries)
            t0 = time.perf_counter()
            proof = log.inclusion_proof(seq, entries)
            times.append((time.perf_counter() - t0) * 1000)
            if not proof.verify(head.root_hash):
                raise SystemExit(f"inclusion proof for {seq} does not verify")
        conn.close()

    times.sort()
    result: dict[str, Any] = {
        "entries": entries,
        "batch": batch,
        "appends_per_s": entries / append,
        "appends_per_s_with_build": entries / (append + build),
        "appends_per_cpu_s": entries / append_cpu,
        "db_mb": round(size_mb, 1),
        "verify_s": verify_s,
        "verify_s_per_1m": verify_s * 1_000_000 / entries,
        "verify_cpu_s": verify_cpu,
        "load_average": os.getloadavg()[0],
        "heads_checked": report.heads_checked,
        "proof_p50_ms": statistics.median(times),
        "proof_p99_ms": times[int(len(times) * 0.99) - 1] if len(times) >= 100 else times[-1],
        "proof_path_len": len(proof.path),
    }
    result["targets"] = [
        {"what": "appends/s batched", "target": TARGET_APPENDS,
         "got": result["appends_per_s"], "pass": result["appends_per_s"] >= TARGET_APPENDS},
        {"what": "verify 1M entries (s)", "target": TARGET_VERIFY_1M,
         "got": result["verify_s_per_1m"], "pass": result["verify_s_per_1m"] <= TARGET_VERIFY_1M},
        {"what": "inclusion proof p99 (ms)", "target": TARGET_PROOF_MS,
         "got": result["proof_p99_ms"], "pass": result["proof_p99_ms"] <= TARGET_PROOF_MS},
    ]  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    r = bench(args.entries, args.batch, args.proofs, args.seed)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(f"audit log, {r['entries']:,} entries, batches of {r['batch']:,} (WAL, synchronous=FULL)")
    print(f"  appends/s (batched)          {r['appends_per_s']:>12,.0f}")
    print(f"  appends/s incl. building     {r['appends_per_s_with_build']:>12,.0f}")
    print(f"  appends per CPU second       {r['appends_per_cpu_s']:>12,.0f}")
    print(f"  database size                {r['db_mb']:>12,.1f} MB")
    print(f"  verify whole log             {r['verify_s']:>12.2f} s "
          f"({r['verify_s_per_1m']:.2f} s per 1M; {r['heads_checked']} heads checked)")  # fmt: skip
    print(f"  verify CPU time              {r['verify_cpu_s']:>12.2f} s")
    print(f"  load average (1 min)         {r['load_average']:>12.2f} on {os.cpu_count()} CPUs")
    print(f"  inclusion proof p50 / p99    {r['proof_p50_ms']:>8.3f} / {r['proof_p99_ms']:.3f} ms "
          f"({r['proof_path_len']} hashes)")  # fmt: skip
    for t in r["targets"]:
        verdict = "PASS" if t["pass"] else "MISS"
        print(f"  {verdict}  {t['what']}: {t['got']:,.3f} (target {t['target']:,})")


if __name__ == "__main__":
    main()
