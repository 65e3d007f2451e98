"""``liaison store copy SRC DST``: move a node's data between backends."""

from __future__ import annotations

import argparse
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from liaison.errors import StorageError
from liaison.service.storecopy import copy_between

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("store", help="operations on a node's store")
    s = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    c = s.add_parser("copy", help="copy all data between stores (resumable, verified)")
    c.add_argument("src", help="a node home, sqlite:///FILE or postgresql://…")
    c.add_argument("dst", help="sqlite:///FILE or postgresql://… (created/migrated)")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=cmd_copy)


def cmd_copy(args: argparse.Namespace) -> int:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        disable=bool(args.quiet),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total)
            bar.update(tasks[table], completed=done)

        report, where = copy_between(args.src, args.dst, progress)
    for table, (a, b) in report.counts.items():
        if a or b:
            print(f"{table:<18} {a:>9} -> {b:<9} ({report.copied.get(table, 0)} copied now)")
    if not report.ok:
        raise StorageError("copy not verified: " + "; ".join(report.problems))
    print(f"verified: row counts, object hashes and audit root match ({where})")
    return 0
