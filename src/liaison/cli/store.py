"""``liaison store copy SRC DST``: move a node's data between backends."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from liaison.config import SETTINGS_FILE, Settings
from liaison.errors import InvalidInputError, StorageError
from liaison.store import open_store
from liaison.store.copy import copy_store

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("store", help="operations on a node's store")
    s = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    c = s.add_parser("copy", help="copy all data between stores (resumable, verified)")
    c.add_argument("src", help="a node home, sqlite:///FILE or postgresql://…")
    c.add_argument("dst", help="sqlite:///FILE or postgresql://… (created/migrated)")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=cmd_copy)


def _url(ref: str, what: str) -> tuple[str, Path]:
    """(store URL, home for relative SQLite paths) of a node home or a store URL."""
    if ref.startswith(("sqlite:///", "postgresql://", "postgres://")):
        return ref, Path.cwd()
    if "://" in ref:
        raise InvalidInputError(
            f"{what} {ref!r}: unsupported store; use a node home, sqlite:///FILE or postgresql://…"
        )
    home = Path(ref)
    if not home.exists():
        raise InvalidInputError(f"{what} {ref} does not exist")
    if not (home / SETTINGS_FILE).is_file():
        raise InvalidInputError(f"{what} {ref} is not a Liaison node home (no {SETTINGS_FILE})")
    return str(Settings.load(home).store), home


def _same(a: tuple[str, Path], b: tuple[str, Path]) -> bool:
    def where(url: str, home: Path) -> str:
        if url.startswith("sqlite:///"):
            p = Path(url[len("sqlite:///") :])
            return str((p if p.is_absolute() else home / p).resolve())
        return url

    return where(*a) == where(*b)


def cmd_copy(args: argparse.Namespace) -> int:
    src_url, src_home = _url(args.src, "source")
    dst_url, dst_home = _url(args.dst, "destination")
    if _same((src_url, src_home), (dst_url, dst_home)):
        raise InvalidInputError("source and destination are the same store")
    src = open_store(src_url, home=src_home)
    try:
        dst = open_store(dst_url, home=dst_home, create=True)
    except BaseException:
        src.close()
        raise
    try:
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

            report = copy_store(src, dst, progress)
    finally:
        src.close()
        dst.close()
    for table, (a, b) in report.counts.items():
        if a or b:
            print(f"{table:<18} {a:>9} -> {b:<9} ({report.copied.get(table, 0)} copied now)")
    if not report.ok:
        raise StorageError("copy not verified: " + "; ".join(report.problems))
    print(f"verified: row counts, object hashes and audit root match ({dst.description})")
    return 0
