#!/usr/bin/env python3
"""TAXII 2.1 benchmark of issue #2: Liaison against medallion, then Liaison at scale.

Run from the repository root with the project's virtualenv::

    .venv/bin/python bench/bench_taxii.py            # full run, about five minutes
    .venv/bin/python bench/bench_taxii.py --quick --skip-medallion   # smoke run
    .venv/bin/python bench/bench_taxii.py --json     # machine-readable figures

Part 1 (``--compare`` objects, default 2,000) runs the same steps against a fresh
Liaison node and the OASIS reference server medallion (memory backend, installed
into ``bench/.venv-medallion``): ingest in envelopes of 500, a full paginated read,
``--id-reads`` ``match[id]`` reads (default 500), a full manifest read. Part 2
(``--objects``, default 100,000) ingests into a fresh Liaison node sampling the
server's RSS at every tenth, reads everything back, and compares the ingest rate
with a plain SQLite bulk insert of the same JSON bytes (this machine's ceiling).
Wall times are what the targets use; the server's CPU seconds are printed too,
since they hardly move when other jobs load the machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import (  # the bench directory is not a package
    TAXII,
    TAXII_HEADERS,
    CpuClock,
    Server,
    Stopwatch,
    envelopes,
    free_port,
    make_objects,
    object_ids,
    percentile,
    start_liaison,
)

BENCH = Path(__file__).resolve().parent
ENVELOPE = 500
PAGE = 1000
MEDALLION_VENV = BENCH / ".venv-medallion"
# medallion 3.0.0 sets no upper bounds; these are the releases it ran with here.
MEDALLION_PINS = (
    "medallion==3.0.0",
    "Flask==3.1.3",
    "Werkzeug==3.1.9",
    "Flask-HTTPAuth==4.8.1",
    "six==1.17.0",
    "pytz==2026.6",
)
# (label, synchronous, unique index on id): the first two are the ceiling.
CEILINGS = (("FULL", "FULL", False), ("NORMAL", "NORMAL", False), ("FULL + id index", "FULL", True))
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
Log = Callable[[str], None]


# --- measurements against one TAXII server ---------------------------------------------
@dataclass
class Target:
    name: str
    client: httpx.Client
    objects_url: str
    manifest_url: str
    server: Server
    #: Requests that return once everything stored is searchable and correlated.
    settle: Callable[[], None] | None = None


@dataclass
class Phase:
    """Seconds spent in requests (wall) and by the server process (CPU)."""

    wall: float = 0.0
    cpu: float = 0.0

    def add(self, clock: CpuClock) -> None:
        self.wall += clock.wall
        self.cpu += clock.cpu


@dataclass
class Figures:
    objects: int
    ingest: Phase = field(default_factory=Phase)
    read: Phase = field(default_factory=Phase)
    read_pages: int = 0
    ids: Phase = field(default_factory=Phase)
    id_ms: list[float] = field(default_factory=list)
    manifest: Phase = field(default_factory=Phase)
    rss_kib: list[tuple[int, int]] = field(default_factory=list)
    batch_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        n = self.objects
        out: dict[str, Any] = {"objects": n}
        for name, ph in (("ingest", self.ingest), ("read", self.read), ("manifest", self.manifest)):
            out[f"{name}_s"] = round(ph.wall, 3)
            out[f"{name}_cpu_s"] = round(ph.cpu, 2)
            out[f"{name}_per_s"] = round(n / ph.wall, 1) if ph.wall > 0 else 0.0
        out["read_pages"] = self.read_pages
        out["ingest_cpu_us_per_object"] = round(1e6 * self.ingest.cpu / n, 1) if n else 0.0
        if self.batch_ms:
            out["batch_p50_ms"] = round(percentile(self.batch_ms, 50), 1)
            out["batch_p99_ms"] = round(percentile(self.batch_ms, 99), 1)
        if self.id_ms:
            out["id_reads"] = len(self.id_ms)
            out["id_p50_ms"] = round(percentile(self.id_ms, 50), 3)
            out["id_p99_ms"] = round(percentile(self.id_ms, 99), 3)
            out["id_cpu_ms"] = round(1000 * self.ids.cpu / len(self.id_ms), 3)
        if self.rss_kib:
            out["rss_kib"] = [list(s) for s in self.rss_kib]
        return out


def ingest(t: Target, bodies: list[bytes], f: Figures, on_stored: Callable[[int], None]) -> None:
    """POST all objects in envelopes of ENVELOPE; every status must report success.

    One clock runs from the first POST until the data is searchable and correlated
    (``t.settle``: a search and a correlation read, each of which waits for the
    background indexers): the server's CPU over that span -- request threads and
    workers alike -- is what issue #15 counts per object.
    """
    headers = {**TAXII_HEADERS, "Content-Type": TAXII}
    done = 0
    with CpuClock(t.server.pid) as clock:
        for count, body in envelopes(bodies, ENVELOPE):
            with Stopwatch() as sw:
                r = t.client.post(t.objects_url, content=body, headers=headers)
            f.batch_ms.append(sw.seconds * 1000)
            if r.status_code != 202:
                raise RuntimeError(f"{t.name}: POST answered {r.status_code}: {r.text[:300]}")
            status = r.json()
            if status.get("success_count") != count:
                failures = status.get("failures", [])[:3]
                raise RuntimeError(f"{t.name}: {status.get('success_count')}/{count} {failures}")
            done += count
            on_stored(done)
        if t.settle is not None:
            t.settle()
    f.ingest.add(clock)


def read_all(t: Target, url: str, expect: int, phase: Phase) -> int:
    """Follow ``next`` with ``limit=PAGE`` to the end; the number of pages."""
    seen = pages = 0
    params = {"limit": str(PAGE)}
    with CpuClock(t.server.pid) as clock:
        while True:
            r = t.client.get(url, params=params, headers=TAXII_HEADERS)
            if r.status_code != 200:
                raise RuntimeError(f"{t.name}: GET {url} answered {r.status_code}: {r.text[:300]}")
            page = orjson.loads(r.content)
            seen += len(page.get("objects", []))
            pages += 1
            if not page.get("more") or not page.get("next"):
                break
            params = {"limit": str(PAGE), "next": page["next"]}
    phase.add(clock)
    if seen != expect:
        raise RuntimeError(f"{t.name}: read {seen} entries from {url}, expected {expect}")
    return pages


def read_ids(t: Target, ids: list[str], f: Figures) -> None:
    """``GET objects/?match[id]=`` once per id; each must return exactly that object."""
    with CpuClock(t.server.pid) as clock:
        for oid in ids:
            with Stopwatch() as sw:
                r = t.client.get(t.objects_url, params={"match[id]": oid}, headers=TAXII_HEADERS)
            objs = orjson.loads(r.content).get("objects", []) if r.status_code == 200 else []
            if len(objs) != 1 or objs[0].get("id") != oid:
                raise RuntimeError(f"{t.name}: match[id]={oid}: {r.status_code} {r.text[:200]}")
            f.id_ms.append(sw.seconds * 1000)
    f.ids.add(clock)


def run_steps(
    t: Target, bodies: list[bytes], ids: list[str], log: Log, rss_every: int = 0
) -> Figures:
    """Ingest, paginated read, ``match[id]`` reads, manifest; RSS every ``rss_every``."""
    n = len(bodies)
    f = Figures(objects=n)
    f.rss_kib.append((0, t.server.rss_kib()))
    mark = [rss_every]

    def on_stored(done: int) -> None:
        if rss_every and (done >= mark[0] or done == n):
            f.rss_kib.append((done, t.server.rss_kib()))
            mark[0] = (done // rss_every + 1) * rss_every
            log(f"{t.name}: {done:>7,} objects stored, RSS {t.server.rss_text()}")

    log(f"{t.name}: ingest {n:,} objects")
    ingest(t, bodies, f, on_stored)
    log(f"{t.name}: paginated read, RSS {t.server.rss_text()}")
    f.read_pages = read_all(t, t.objects_url, n, f.read)
    log(f"{t.name}: {len(ids)} match[id] reads, RSS {t.server.rss_text()}")
    read_ids(t, ids, f)
    log(f"{t.name}: manifest read, RSS {t.server.rss_text()}")
    read_all(t, t.manifest_url, n, f.manifest)
    f.rss_kib.append((-1, t.server.rss_kib()))  # -1: after the reads
    log(f"{t.name}: after the reads, RSS {t.server.rss_text()}")
    return f


def ingest_only(t: Target, bodies: list[bytes]) -> Figures:
    f = Figures(objects=len(bodies))
    ingest(t, bodies, f, lambda done: None)
    return f


# --- the servers -----------------------------------------------------------------------
@contextlib.contextmanager
def liaison_target(work: Path, name: str) -> Iterator[Target]:
    with (
        start_liaison(work / name) as node,
        httpx.Client(auth=node.auth, timeout=300.0) as client,
    ):

        def settle() -> None:
            for path, params in (("search", {"q": "convoi"}), ("correlations", {"limit": "1"})):
                url = f"{node.api_root_url}liaison/{path}/"
                r = client.get(url, params=params, headers=TAXII_HEADERS)
                if r.status_code != 200:
                    raise RuntimeError(f"liaison: GET {path} answered {r.status_code}: {r.text}")

        settle()  # loads what a running server has loaded (gazetteer, aliases)
        yield Target("liaison", client, node.objects_url, node.manifest_url, node.server, settle)


def medallion_python(log: Log) -> Path:
    """The medallion venv's interpreter, creating the venv on first use."""
    py = MEDALLION_VENV / "bin" / "python"
    probe = [str(py), "-c", "import medallion, flask; print(medallion.__version__)"]
    if py.exists():
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip() == "3.0.0":
            return py
    log(f"installing medallion into {MEDALLION_VENV}")
    subprocess.run(["python3", "-m", "venv", str(MEDALLION_VENV)], check=True)
    pip = [str(py), "-m", "pip", "install", "-q", *MEDALLION_PINS]
    done = subprocess.run(pip, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"installing medallion failed:\n{done.stderr[-2000:]}")
    return py


def medallion_config(base: str, data_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, data) for medallion's memory backend: one API root, one collection."""
    data = {
        "/discovery": {
            "title": "medallion",
            "default": f"{base}/api1/",
            "api_roots": [f"{base}/api1/"],
        },
        "api1": {
            "information": {"title": "api1", "versions": [TAXII], "max_content_length": 2**28},
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "bench",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(data_file),
        },
        "users": {"bench": "bench-password"},
        "taxii": {"max_page_size": PAGE},
    }
    return config, data


@contextlib.contextmanager
def medallion_target(work: Path, log: Log) -> Iterator[Target]:
    py = medallion_python(log)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Path(tempfile.mkdtemp(prefix="medallion-", dir=work))  # a fresh one each time
    config, data = medallion_config(base, d / "data.json")
    (d / "data.json").write_text(json.dumps(data), encoding="utf-8")
    (d / "config.json").write_text(json.dumps(config), encoding="utf-8")
    argv = [str(py), "-m", "medallion.scripts.run", "--port", str(port), str(d / "config.json")]
    server = Server("medallion", argv, f"{base}/taxii2/", d / "server.log")
    with server, httpx.Client(auth=("bench", "bench-password"), timeout=300.0) as client:
        server.start()
        server.wait_idle()
        coll = f"{base}/api1/collections/{COLLECTION}"
        yield Target("medallion", client, f"{coll}/objects/", f"{coll}/manifest/", server)


# --- the SQLite ceiling ----------------------------------------------------------------
def sqlite_ceiling(
    path: Path, ids: list[str], bodies: list[bytes], synchronous: str, *, id_index: bool = False
) -> float:
    """Objects/s of ``INSERT INTO t(id, body)``, WAL, 1,000 rows a transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("CREATE TABLE t (id TEXT NOT NULL, body BLOB NOT NULL)")
        if id_index:
            conn.execute("CREATE UNIQUE INDEX t_id ON t (id)")
        rows = list(zip(ids, bodies, strict=True))
        with Stopwatch() as sw:
            for start in range(0, len(rows), 1000):
                conn.execute("BEGIN")
                conn.executemany(
                    "INSERT INTO t(id, body) VALUES (?, ?)", rows[start : start + 1000]
                )
                conn.execute("COMMIT")
    finally:
        conn.close()
    return len(rows) / sw.seconds


# --- verdicts --------------------------------------------------------------------------
def memory_verdict(samples: list[tuple[int, int]]) -> dict[str, Any]:
    """Flat when the second half of the ingest grows RSS by at most 10 % (or 8 MiB).

    A bounded cache fills and then stays put; anything kept per object grows as fast
    in the second half as in the first.
    """
    stored = [(n, kib) for n, kib in samples if n > 0]
    if len(stored) < 3:
        return {"flat": None, "reason": "too few samples"}
    mid_n, mid = stored[len(stored) // 2 - 1]
    last_n, last = stored[-1]
    growth = last - mid
    allowed = max(8 * 1024, mid // 10)
    return {
        "flat": growth <= allowed,
        "from_objects": mid_n,
        "to_objects": last_n,
        "growth_kib": growth,
        "allowed_kib": allowed,
        "kib_per_10k_objects": round(growth / ((last_n - mid_n) / 10_000), 1),
    }


def verdicts(
    compare: dict[str, Figures],
    scale: Figures,
    ceiling: dict[str, float],
    memory: dict[str, Any],
    large: dict[str, Figures] | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(
        what: str, value: float, target: float | None, unit: str, *, most: bool = False
    ) -> None:
        """A figure and its target: at least ``target``, or at most with ``most``."""
        ok = None if target is None else (value <= target if most else value >= target)
        rows.append({"what": what, "value": round(value, 2), "target": target, "unit": unit})
        rows[-1]["pass"] = ok
        if most:
            rows[-1]["at_most"] = True

    li, me = compare.get("liaison"), compare.get("medallion")
    if li and me:
        add("ingest vs medallion (#2)", me.ingest.wall / li.ingest.wall, 3, "x")
        add(f"ingest vs medallion, {li.objects:,}", me.ingest.wall / li.ingest.wall, 1, "x")
    if large and "liaison" in large and "medallion" in large:
        a, b = large["liaison"], large["medallion"]
        add(f"ingest vs medallion, {a.objects:,}", b.ingest.wall / a.ingest.wall, 50, "x")
    for f in (li, scale):
        if f is not None and f.objects:
            cpu = 1e6 * f.ingest.cpu / f.objects
            add(f"ingest CPU/object, {f.objects:,}", cpu, 100, "µs", most=True)
            add(f"ingest batch p99, {f.objects:,}", percentile(f.batch_ms, 99), None, "ms")
    if li and me:
        add("paginated read vs medallion", me.read.wall / li.read.wall, 100, "x")
        p50 = percentile(me.id_ms, 50) / percentile(li.id_ms, 50)
        add("match[id] p50 vs medallion", p50, 100, "x")
        add("manifest read vs medallion", me.manifest.wall / li.manifest.wall, None, "x")
    rate = scale.objects / scale.ingest.wall
    add("ingest vs SQLite ceiling (FULL)", 100 * rate / ceiling["FULL"], 50, "%")
    if memory.get("flat") is not None:
        rows.append(
            {
                "what": "server memory flat",
                "value": round(memory["growth_kib"] / 1024, 1),
                "target": round(memory["allowed_kib"] / 1024, 1),
                "unit": "MiB",
                "pass": bool(memory["flat"]),
            }
        )
    return rows


# --- output ----------------------------------------------------------------------------
_ROWS = (
    ("ingest (objects/s)", "ingest_per_s", True),
    ("paginated read (objects/s)", "read_per_s", True),
    ("match[id] p50 (ms)", "id_p50_ms", False),
    ("match[id] p99 (ms)", "id_p99_ms", False),
    ("manifest read (entries/s)", "manifest_per_s", True),
    ("server CPU: ingest (s)", "ingest_cpu_s", False),
    ("server CPU/object (µs)", "ingest_cpu_us_per_object", False),
    ("ingest batch p99 (ms)", "batch_p99_ms", False),
    ("server CPU: read (s)", "read_cpu_s", False),
    ("server CPU: match[id] (ms)", "id_cpu_ms", False),
    ("server CPU: manifest (s)", "manifest_cpu_s", False),
)


def print_report(result: dict[str, Any]) -> None:
    comp: dict[str, dict[str, Any]] = result["compare"]
    n = comp["liaison"]["objects"]
    print(f"\nPart 1: {n:,} objects, envelopes of {ENVELOPE}, pages of {PAGE}")
    print(f"{'':<28}" + "".join(f"{name:>12}" for name in comp) + f"{'ratio':>10}")
    for label, key, higher in _ROWS:
        vals = [c[key] for c in comp.values()]
        line = f"{label:<28}" + "".join(f"{v:>12,.2f}" for v in vals)
        if len(vals) == 2 and min(vals) > 0:
            line += f"{(vals[0] / vals[1] if higher else vals[1] / vals[0]):>9.1f}x"
        print(line)
    if len(comp) == 2:
        print("(ratio: how many times Liaison does better than medallion; wall time unless CPU)")
    sc = result["scale"]
    print(f"\nPart 2: Liaison alone at {sc['objects']:,} objects")
    print(f"  ingest                 {sc['ingest_per_s']:>10,.0f} objects/s", end="")
    print(f"  ({sc['ingest_s']:.1f} s, server CPU {sc['ingest_cpu_s']:.1f} s", end="")
    print(f" = {sc['ingest_cpu_us_per_object']:.0f} µs/object)")
    print(
        f"  ingest batch latency   p50 {sc['batch_p50_ms']:.0f} ms, p99 {sc['batch_p99_ms']:.0f} ms"
    )
    for name, lf in result.get("large", {}).items():
        print(
            f"  {name} ingest of {lf['objects']:,}: {lf['ingest_per_s']:,.0f} objects/s"
            f" ({lf['ingest_s']:.1f} s, server CPU {lf['ingest_cpu_us_per_object']:.0f} µs/object)"
        )
    for name, rate in result["sqlite_ceiling"].items():
        print(f"  SQLite {name:<15} {rate:>10,.0f} objects/s  (1,000 rows a transaction)")
    print(f"  paginated read         {sc['read_per_s']:>10,.0f} objects/s", end="")
    print(f"  ({sc['read_pages']} pages, server CPU {sc['read_cpu_s']:.1f} s)")
    print(f"  match[id]              p50 {sc['id_p50_ms']:.2f} ms, p99 {sc['id_p99_ms']:.2f} ms")
    print(f"  manifest read          {sc['manifest_per_s']:>10,.0f} entries/s")
    rss = ", ".join(
        f"{'after reads' if k < 0 else f'{k / 1000:g}k'}: {kib / 1024:.0f}"
        for k, kib in sc["rss_kib"]
    )
    print(f"  server RSS (MiB)       {rss}")
    print("\nTargets")
    for v in result["targets"]:
        mark = "info" if v["pass"] is None else ("PASS" if v["pass"] else "MISS")
        if v["unit"] == "MiB":
            goal = f"growth ≤ {v['target']} MiB over the second half"
        elif v.get("at_most"):
            goal = f"≤ {v['target']}{v['unit']}"
        else:
            goal = "" if v["target"] is None else f"≥ {v['target']}{v['unit']}"
        print(f"  {v['what']:<32} {v['value']:>9,.1f}{v['unit']:<4} {goal:<42} {mark}")
    env = result["environment"]
    print(
        f"\nliaison {env['liaison_source']}  load average {env['load_before']} -> "
        f"{env['load_after']} on {env['cpus']} CPUs  total {result['seconds']:.0f} s"
    )


def environment() -> dict[str, Any]:
    import liaison

    src = Path(liaison.__file__).resolve().parents[1]
    where = str(src)
    repo = BENCH.parent
    if src == repo / "src":
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        where = f"{head}{'+uncommitted' if dirty else ''}"
    return {"liaison_source": where, "cpus": os.cpu_count(), "load_before": _load()}


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--objects", type=int, help="objects in the Liaison scale run (100,000)")
    p.add_argument("--compare", type=int, help="objects in the comparison (2,000)")
    p.add_argument(
        "--compare-large", type=int, help="objects in the ingest-only comparison (20,000)"
    )
    p.add_argument("--id-reads", type=int, help="match[id] reads per server (500)")
    p.add_argument("--skip-medallion", action="store_true", help="Liaison only in part 1")
    p.add_argument("--json", action="store_true", help="print the figures as JSON only")
    p.add_argument("--keep", type=Path, help="work in this (new) directory and keep it")
    args = p.parse_args(argv)

    def size(given: int | None, quick: int, full: int) -> int:
        return given if given is not None else (quick if args.quick else full)

    n_scale = size(args.objects, 2_000, 100_000)
    n_compare = size(args.compare, 500, 2_000)
    n_ids = size(args.id_reads, 50, 500)
    n_large = size(args.compare_large, 1_000, 20_000)
    if min(n_scale, n_compare, n_ids, n_large) < 1:
        p.error("sizes must be positive")

    def log(msg: str) -> None:
        print(f"... {msg}", file=sys.stderr, flush=True)

    env = environment()
    with Stopwatch() as total, contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True)
            work = args.keep
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        log(f"generating {max(n_scale, n_compare):,} objects")
        bodies = make_objects(max(n_scale, n_compare, n_large))
        ids = object_ids(bodies)
        rng = random.Random(7)
        compare: dict[str, Figures] = {}
        sample = [rng.choice(ids[:n_compare]) for _ in range(n_ids)]
        with liaison_target(work, "liaison") as t:
            compare["liaison"] = run_steps(t, bodies[:n_compare], sample, log)
        if not args.skip_medallion:
            with medallion_target(work, log) as t:
                compare["medallion"] = run_steps(t, bodies[:n_compare], sample, log)
        large: dict[str, Figures] = {}
        with liaison_target(work, "liaison-large") as t:
            log(f"liaison: ingest {n_large:,} objects (ingest-only comparison)")
            large["liaison"] = ingest_only(t, bodies[:n_large])
        if not args.skip_medallion:
            with medallion_target(work, log) as t:
                log(f"medallion: ingest {n_large:,} objects (ingest-only comparison)")
                large["medallion"] = ingest_only(t, bodies[:n_large])
        sample = [rng.choice(ids[:n_scale]) for _ in range(n_ids)]
        with liaison_target(work, "liaison-scale") as t:
            step = max(ENVELOPE, n_scale // 10)
            scale = run_steps(t, bodies[:n_scale], sample, log, rss_every=step)
        ceiling: dict[str, float] = {}
        for name, sync, index in CEILINGS:
            log(f"SQLite ceiling, {name}")
            path = work / f"ceiling-{len(ceiling)}.db"
            ceiling[name] = sqlite_ceiling(
                path, ids[:n_scale], bodies[:n_scale], sync, id_index=index
            )
    memory = memory_verdict(scale.rss_kib)
    env["load_after"] = _load()
    result = {
        "compare": {name: f.as_dict() for name, f in compare.items()},
        "scale": scale.as_dict(),
        "memory": memory,
        "sqlite_ceiling": {k: round(v, 1) for k, v in ceiling.items()},
        "large": {name: f.as_dict() for name, f in large.items()},
        "targets": verdicts(compare, scale, ceiling, memory, large),
        "environment": env,
        "seconds": round(total.seconds, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
