"""SQLite vs PostgreSQL: the same node, the same objects, in one run (issues #8 and #15).

For each backend: a fresh node served by ``liaison serve``; ingest N objects in
envelopes of 500 until they are searchable and correlated (server RSS sampled every
N/10), a full paginated read, ``--id-reads`` ``match[id]`` reads (p50/p99), a
manifest read. Then, on PostgreSQL only, ``--pair`` objects posted by two clients at
once (disjoint halves, alternate envelopes) to one ``serve`` process, and to two
``serve`` processes of one home on one database, one client each.

Prints the issue #15 targets with PASS/MISS: PostgreSQL ingest ≥ SQLite's (wall, the
same objects, until searchable and correlated), two ``serve`` processes faster than
one, server RSS < 300 MiB and flat; and, for information, server CPU per object
(PostgreSQL: Liaison's and the database backends' own) and batch p99. Default N is
1,000,000 (SQLite alone takes 15-30 min on 2 busy cores); ``--objects 100000`` gives
the shape in a few minutes. PostgreSQL comes from ``LIAISON_BENCH_PG`` (default the
local server); the script creates and drops its own databases.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _util import (
    TAXII,
    TAXII_HEADERS,
    CpuClock,
    Server,
    Stopwatch,
    cpu_seconds,
    descendants,
    envelopes,
    free_port,
    liaison_command,
    make_objects,
    object_ids,
    percentile,
)
from bench_taxii import ENVELOPE, Figures, Target, memory_verdict, run_steps

PG_ADMIN = os.environ.get("LIAISON_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RSS_LIMIT_MIB = 300  # issue #15
BACKENDS = ("sqlite", "postgresql")


def _cli(*args: str) -> str:
    done = subprocess.run(
        [*liaison_command(), *args], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode:
        raise RuntimeError(f"liaison {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def _field(text: str, name: str) -> str:
    for line in text.splitlines():
        if line.startswith(name):
            return line.split()[1]
    raise RuntimeError(f"no {name} in {text}")


@contextlib.contextmanager
def _pg_database() -> Iterator[str]:
    import psycopg

    name = f"liaison_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _client_pids() -> dict[int, int]:
    """Local TCP port -> pid of the process that holds it, for connections to port 5432
    (``ss``; empty where it is missing)."""
    try:
        listed = subprocess.run(
            ["ss", "-tnpH"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    out: dict[int, int] = {}
    for line in listed.splitlines():
        parts = line.split()
        m = re.search(r"pid=(\d+)", line)
        if len(parts) >= 5 and m and parts[4].endswith(":5432"):
            with contextlib.suppress(ValueError):
                out[int(parts[3].rsplit(":", 1)[1])] = int(m.group(1))
    return out


def _role(pid: int) -> str:
    """``index`` for a ``liaison index`` process (a server's indexing child), ``serve``
    for a ``liaison serve`` one, else ``other``."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "other"
    words = [a.decode(errors="replace") for a in argv]
    return "index" if "index" in words else "serve" if "serve" in words else "other"


class PgBackends:
    """CPU seconds the database's server processes spent (PostgreSQL on this machine):
    every backend connected to the database at the start or the end of a span; and
    the same by the role of the client each served (``by_role``: ``serve``, the
    storing requests and reads; ``index``, the indexing children's full-text index and
    correlations; ``other``), where the client is known at the end of the span."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        self.cpu = 0.0
        self.by_role: dict[str, float] = {}
        self._start: dict[int, float] = {}

    def _sample(self) -> tuple[dict[int, float], dict[int, str]]:
        if self.database is None:
            return {}, {}
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid, client_port FROM pg_stat_activity WHERE datname = %s",
                (self.database,),
            ).fetchall()
        clients = _client_pids()
        out: dict[int, float] = {}
        roles: dict[int, str] = {}
        for pid, port in rows:
            with contextlib.suppress(OSError):
                out[int(pid)] = cpu_seconds(int(pid))
                client = clients.get(int(port)) if port is not None else None
                roles[int(pid)] = "other" if client is None else _role(client)
        return out, roles

    def __enter__(self) -> PgBackends:
        self._start = self._sample()[0]
        return self

    def __exit__(self, *exc: object) -> None:
        end, roles = self._sample()
        self.by_role = {}
        for pid, cpu in end.items():
            spent = cpu - self._start.get(pid, 0.0)
            role = roles.get(pid, "other")
            self.by_role[role] = self.by_role.get(role, 0.0) + spent
        self.cpu = sum(self.by_role.values())


class IndexChildren:
    """CPU seconds the indexing children (``liaison index --follow``, the full-text
    index and the correlator) of these ``serve`` processes spent in a span: the part of
    the servers' CPU that is not the requests'."""

    def __init__(self, servers: list[int]) -> None:
        self.servers = servers
        self.cpu = 0.0
        self._start = 0.0

    def _sample(self) -> float:
        return sum(
            cpu_seconds(c) for pid in self.servers for c in descendants(pid) if _role(c) == "index"
        )

    def __enter__(self) -> IndexChildren:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = self._sample() - self._start


@dataclass
class Home:
    """A fresh node home (its store on ``backend``) and the servers started on it."""

    work: Path
    backend: str
    path: Path
    collection: str
    token: str
    database: str | None = None  # PostgreSQL: the database's name
    targets: list[Target] = field(default_factory=list)

    def serve(self, stack: contextlib.ExitStack) -> Target:
        """One more ``liaison serve`` process on this home, and a client of it."""
        name = f"{self.backend}-{len(self.targets) + 1}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = stack.enter_context(
            Server(
                name=name,
                argv=[*liaison_command(), "serve", str(self.path), "--port", str(port)],
                ready_url=f"{base}/taxii2/",
                log_path=self.work / f"{self.path.name}-{len(self.targets) + 1}.log",
                env=dict(os.environ),
            )
        )
        server.start()
        client = stack.enter_context(httpx.Client(auth=("bench", self.token), timeout=600.0))

        def settle() -> None:  # each read first catches up with what is stored
            for path, params in (("search", {"q": "convoi"}), ("correlations", {"limit": "1"})):
                r = client.get(f"{base}/api/liaison/{path}/", params=params, headers=TAXII_HEADERS)
                if r.status_code != 200:
                    raise RuntimeError(f"{name}: GET {path} answered {r.status_code}: {r.text}")

        settle()  # loads what a running server has loaded (gazetteer, aliases)
        server.wait_idle()
        root = f"{base}/api/collections/{self.collection}/"
        t = Target(name, client, root + "objects/", root + "manifest/", server, settle)
        self.targets.append(t)
        return t


@contextlib.contextmanager
def _home(work: Path, backend: str, label: str) -> Iterator[Home]:
    path = work / label
    with contextlib.ExitStack() as stack:
        init = ["init", str(path), "--org", "Bench", "--country", "FR"]
        database = None
        if backend == "postgresql":
            database = stack.enter_context(_pg_database())
            # init writes the settings; point them at PostgreSQL before the store exists
            from liaison.config import Settings, write_settings
            from liaison.node import Node

            _cli(*init)
            settings = Settings.load(path)
            url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{database}"
            write_settings(path, {**settings.values, "store": url})
            (path / "liaison.db").unlink()
            node = Node.open(path, create=True)
            node.store.put_record("identity", "self", node.identity_object())
            cid = node.add_collection("default", collection_id=node.default_collection_id).id
            node.close()
        else:
            cid = _field(_cli(*init), "collection")
        token = _field(_cli("party", "add", str(path), "bench", "--internal"), "credential")
        home = Home(work, backend, path, cid, token, database)
        yield home  # the servers stop (stack) before the database is dropped


# --- two clients at once ------------------------------------------------------------------
@dataclass
class Pair:
    """``objects`` posted by two clients at once, until searchable and correlated."""

    servers: int
    objects: int
    wall: float = 0.0
    cpu: float = 0.0  # every serve process
    index_cpu: float = 0.0  # of which their indexing children
    db_cpu: float = 0.0  # the database's backends
    db_by_role: dict[str, float] = field(default_factory=dict)  # theirs, by client
    batch_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        n = self.objects
        return {
            "servers": self.servers,
            "objects": n,
            "ingest_s": round(self.wall, 3),
            "ingest_per_s": round(n / self.wall, 1) if self.wall else 0.0,
            "cpu_us_per_object": round(1e6 * self.cpu / n, 1),
            "index_cpu_us_per_object": round(1e6 * self.index_cpu / n, 1),
            "db_cpu_us_per_object": round(1e6 * self.db_cpu / n, 1),
            "db_cpu_us_by_role": {
                k: round(1e6 * v / n, 1) for k, v in sorted(self.db_by_role.items())
            },
            "batch_p99_ms": round(percentile(self.batch_ms, 99), 1) if self.batch_ms else 0.0,
        }


def _post_all(t: Target, bodies: list[bytes], lat: list[float], lock: threading.Lock) -> None:
    headers = {**TAXII_HEADERS, "Content-Type": TAXII}
    for count, body in envelopes(bodies, ENVELOPE):
        with Stopwatch() as sw:
            r = t.client.post(t.objects_url, content=body, headers=headers)
        if r.status_code != 202 or r.json().get("success_count") != count:
            raise RuntimeError(f"{t.name}: POST answered {r.status_code}: {r.text[:300]}")
        with lock:
            lat.append(sw.seconds * 1000)


def pair_ingest(home: Home, targets: list[Target], bodies: list[bytes]) -> Pair:
    """Two clients post alternate envelopes at once, each to its target."""
    halves: list[list[bytes]] = [[], []]
    for k, start in enumerate(range(0, len(bodies), ENVELOPE)):
        halves[k % 2].extend(bodies[start : start + ENVELOPE])
    servers = {t.server.pid: t.server for t in targets}
    out = Pair(len(servers), len(bodies))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(t: Target, half: list[bytes]) -> None:
        try:
            _post_all(t, half, out.batch_ms, lock)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    clocks = [CpuClock(pid) for pid in servers]
    children = IndexChildren(list(servers))
    with contextlib.ExitStack() as stack, PgBackends(home.database) as db:
        stack.enter_context(children)
        for c in clocks:
            stack.enter_context(c)
        threads = [
            threading.Thread(target=run, args=(targets[k % len(targets)], halves[k]))
            for k in range(2)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]
        settle = targets[0].settle
        assert settle is not None
        settle()
    out.wall = clocks[0].wall
    out.cpu = sum(c.cpu for c in clocks)
    out.index_cpu = children.cpu
    out.db_cpu = db.cpu
    out.db_by_role = dict(db.by_role)
    return out


# --- the run -------------------------------------------------------------------------------
Log = Callable[[str], None]


def run_backend(
    work: Path, backend: str, bodies: list[bytes], ids: list[str], log: Log
) -> dict[str, Any]:
    with _home(work, backend, backend) as home, contextlib.ExitStack() as stack:
        t = home.serve(stack)
        db = PgBackends(home.database)
        children = IndexChildren([t.server.pid])
        settle = t.settle
        assert settle is not None

        def settled() -> None:  # the ingest's clock stops here: so do the database's
            settle()  # and the indexing child's
            if not spans:
                db.__exit__()
                children.__exit__()
                spans.append(db.cpu)
                roles.update(db.by_role)

        spans: list[float] = []
        roles: dict[str, float] = {}
        with db, children:
            t = dataclasses.replace(t, settle=settled)
            f: Figures = run_steps(t, bodies, ids, log, rss_every=max(1, len(bodies) // 10))
        out = f.as_dict()
        out["ingest_index_cpu_us_per_object"] = round(1e6 * children.cpu / len(bodies), 1)
        out["db_cpu_us_per_object"] = round(1e6 * spans[0] / len(bodies), 1)
        if home.database is not None:
            out["db_cpu_us_by_role"] = {
                k: round(1e6 * v / len(bodies), 1) for k, v in sorted(roles.items())
            }
        out["memory"] = memory_verdict(f.rss_kib)
        out["rss_max_mib"] = round(max(kib for _, kib in f.rss_kib) / 1024, 1)
        return out


def run_pairs(work: Path, bodies: list[bytes], log: Log) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for servers in (1, 2):
        label = f"pair-{servers}"
        with _home(work, "postgresql", label) as home, contextlib.ExitStack() as stack:
            targets = [home.serve(stack) for _ in range(servers)]
            log(f"postgresql: {len(bodies):,} objects, 2 clients, {servers} serve process(es)")
            out[str(servers)] = pair_ingest(home, targets, bodies).as_dict()
    return out


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(what: str, value: float, goal: str, ok: bool | None, unit: str = "") -> None:
        rows.append({"what": what, "value": value, "unit": unit, "goal": goal, "pass": ok})

    n = results["objects"]
    sq, pg = results.get("sqlite"), results.get("postgresql")
    if sq and pg:
        ratio = pg["ingest_per_s"] / sq["ingest_per_s"]
        add(f"PostgreSQL ingest vs SQLite, {n:,}", ratio, "≥ 1x", ratio >= 1, "x")
    for name in BACKENDS:
        r = results.get(name)
        if not r:
            continue
        add(f"{name} ingest", r["ingest_per_s"], "", None, " obj/s")
        cpu = r["ingest_cpu_us_per_object"]
        add(f"{name} server CPU/object", cpu, "", None, " µs")
        if name == "postgresql":
            db = r["db_cpu_us_per_object"]
            add("postgresql + database CPU/object", cpu + db, "", None, " µs")
        add(f"{name} batch p99", r.get("batch_p99_ms", 0.0), "", None, " ms")
        add(
            f"{name} RSS max",
            r["rss_max_mib"],
            f"< {RSS_LIMIT_MIB} MiB",
            r["rss_max_mib"] < RSS_LIMIT_MIB,
            " MiB",
        )
        mem = r["memory"]
        if mem.get("flat") is not None:
            growth = round(mem["growth_kib"] / 1024, 1)
            goal = f"≤ {mem['allowed_kib'] / 1024:.1f} MiB growth, 2nd half"
            add(f"{name} RSS flat", growth, goal, bool(mem["flat"]), " MiB")
    pairs = results.get("pairs")
    if pairs:
        one, two = pairs["1"], pairs["2"]
        ratio = two["ingest_per_s"] / one["ingest_per_s"]
        what = f"2 serve vs 1, PostgreSQL, {one['objects']:,}"
        add(what, ratio, "> 1x", ratio > 1, "x")
    return rows


def print_report(results: dict[str, Any]) -> None:
    n = results["objects"]
    head = "ingest/s  CPU µs/obj  batch p99 ms   read/s  match[id] p50/p99 ms   RSS MiB"
    print(f"\n{n:,} objects    {head}")
    for name in BACKENDS:
        r = results.get(name)
        if not r:
            continue
        rss = [kib for done, kib in r.get("rss_kib", []) if done > 0]
        cpu = f"{r['ingest_cpu_us_per_object']:.0f}"
        if name == "postgresql":
            cpu += f"+{r['db_cpu_us_per_object']:.0f}"
        print(
            f"  {name:<12} {r['ingest_per_s']:>8,.0f} {cpu:>11} {r.get('batch_p99_ms', 0):>12.0f}"
            f" {r['read_per_s']:>9,.0f}   {r.get('id_p50_ms', 0):>8.2f} /"
            f" {r.get('id_p99_ms', 0):<6.2f}"
            f"   {rss[0] / 1024:.0f} → {rss[-1] / 1024:.0f} (max {r['rss_max_mib']:.0f})"
        )
    kids = ", ".join(
        f"{name} {results[name]['ingest_index_cpu_us_per_object']:.0f}"
        for name in BACKENDS
        if "ingest_index_cpu_us_per_object" in (results.get(name) or {})
    )
    if kids:
        print(f"  (of the serve CPU, its indexing child's, µs/object: {kids})")
    if results.get("postgresql"):
        split = results["postgresql"].get("db_cpu_us_by_role") or {}
        said = ", ".join(f"{k} {v:.0f}" for k, v in split.items())
        print(
            "  (postgresql CPU: the serve process + the database's backends"
            + (f"; theirs by client, µs/object: {said})" if said else ")")
        )
    pairs = results.get("pairs")
    if pairs:
        print(f"\nPostgreSQL, {pairs['1']['objects']:,} objects, two clients at once")
        for k in ("1", "2"):
            p = pairs[k]
            print(
                f"  {k} serve process{'es' if k == '2' else '  '} {p['ingest_per_s']:>8,.0f} obj/s"
                f"  CPU {p['cpu_us_per_object']:.0f}+{p['db_cpu_us_per_object']:.0f} µs/object"
                f" (children {p.get('index_cpu_us_per_object', 0):.0f})"
                f"  batch p99 {p['batch_p99_ms']:.0f} ms  (database: "
                + ", ".join(f"{r} {v:.0f}" for r, v in p.get("db_cpu_us_by_role", {}).items())
                + ")"
            )
    print("\nTargets (issue #15)")
    for v in results["targets"]:
        mark = "info" if v["pass"] is None else ("PASS" if v["pass"] else "MISS")
        value = f"{v['value']:,.2f}" if v["unit"] == "x" else f"{v['value']:,.1f}"
        print(f"  {v['what']:<38} {value:>10}{v['unit']:<7} {v['goal']:<34} {mark}")
    load = results["load"]
    print(f"\nload average {load[0]} -> {load[1]}, {results['seconds']:.0f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--objects", type=int, default=1_000_000)
    p.add_argument("--pair", type=int, default=20_000, help="objects in the 1 vs 2 serve run")
    p.add_argument("--id-reads", type=int, default=500)
    p.add_argument("--backend", action="append", choices=list(BACKENDS))
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else print
    backends = args.backend or list(BACKENDS)
    load0 = round(os.getloadavg()[0], 2)
    bodies = make_objects(max(args.objects, args.pair))
    ids = object_ids(bodies[: args.objects])
    ids = random.Random(7).sample(ids, min(args.id_reads, len(ids)))
    results: dict[str, Any] = {"objects": args.objects}
    with Stopwatch() as total, tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        for backend in backends:
            results[backend] = run_backend(Path(tmp), backend, bodies[: args.objects], ids, log)
        if "postgresql" in backends and args.pair > 0:
            results["pairs"] = run_pairs(Path(tmp), bodies[: args.pair], log)
    results["targets"] = verdicts(results)
    results["load"] = [load0, round(os.getloadavg()[0], 2)]
    results["seconds"] = round(total.seconds, 1)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
