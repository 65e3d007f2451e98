"""SQLite vs PostgreSQL: the same node, the same objects, in one run (issue #8).

For each backend: a fresh node served by ``liaison serve``; ingest N objects in
envelopes of 500 (server RSS sampled every N/10), a full paginated read, 500
``match[id]`` reads (p50/p99), a manifest read. Prints one table; ``--json`` for
machine-readable output. Default N is 1,000,000 (about an hour on 2 busy cores);
``--objects 100000`` gives the shape in a few minutes. PostgreSQL comes from
``LIAISON_BENCH_PG`` (default the local server); the script creates and drops its
own database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from _util import Server, free_port, liaison_command, make_objects, object_ids
from bench_taxii import Target, run_steps

PG_ADMIN = os.environ.get("LIAISON_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _cli(*args: str) -> str:
    import subprocess

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
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextlib.contextmanager
def _node(work: Path, backend: str) -> Iterator[Target]:
    home = work / backend
    with contextlib.ExitStack() as stack:
        init = ["init", str(home), "--org", "Bench", "--country", "FR"]
        if backend == "postgresql":
            url = stack.enter_context(_pg_database())
            # init writes the settings; point them at PostgreSQL before the store exists
            from liaison.config import Settings, write_settings

            _cli(*init)
            settings = Settings.load(home)
            write_settings(home, {**settings.values, "store": url})
            (home / "liaison.db").unlink()
            from liaison.node import Node

            node = Node.open(home, create=True)
            node.store.put_record("identity", "self", node.identity_object())
            cid = node.add_collection("default", collection_id=node.default_collection_id).id
            node.close()
        else:
            out = _cli(*init)
            cid = _field(out, "collection")
        token = _field(_cli("party", "add", str(home), "bench", "--internal"), "credential")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = stack.enter_context(
            Server(
                name=backend,
                argv=[*liaison_command(), "serve", str(home), "--port", str(port)],
                ready_url=f"{base}/taxii2/",
                log_path=work / f"{backend}.log",
                env=dict(os.environ),
            )
        )
        server.start()
        server.wait_idle()
        client = stack.enter_context(httpx.Client(auth=("bench", token), timeout=600.0))
        root = f"{base}/api/collections/{cid}/"
        yield Target(backend, client, root + "objects/", root + "manifest/", server)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--objects", type=int, default=1_000_000)
    p.add_argument("--id-reads", type=int, default=500)
    p.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else print
    bodies = make_objects(args.objects)
    ids = random.Random(7).sample(object_ids(bodies), min(args.id_reads, len(bodies)))
    results: dict[str, Any] = {"objects": args.objects}
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        for backend in args.backend or ["sqlite", "postgresql"]:
            with _node(Path(tmp), backend) as t:
                f = run_steps(t, bodies, ids, log, rss_every=max(1, args.objects // 10))
                results[backend] = f.as_dict()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    head = "ingest/s   read/s   match[id] p50  p99 ms   RSS first→last MiB"
    print(f"\n{args.objects:,} objects        {head}")
    for backend in args.backend or ["sqlite", "postgresql"]:
        r = results[backend]
        rss = [kib for done, kib in r.get("rss_kib", []) if done >= 0]
        print(
            f"  {backend:<16} {r['ingest_per_s']:>9,.0f} {r['read_per_s']:>9,.0f}"
            f"   {r.get('id_p50_ms', 0):>8.2f} {r.get('id_p99_ms', 0):>7.2f}"
            f"   {rss[1] / 1024 if len(rss) > 1 else 0:.0f} → {rss[-1] / 1024:.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
