"""Copying a node's data between stores (SQLite <-> PostgreSQL), for the operator.

``copy_between(src, dst, progress)`` takes node homes or store URLs, refuses a copy
onto itself, opens both stores and runs ``liaison.store.copy.copy_store`` (resumable,
verified); it answers the report and where the data now lives.
"""

from __future__ import annotations

from pathlib import Path

from liaison.config import SETTINGS_FILE, Settings
from liaison.errors import InvalidInputError
from liaison.store import open_store
from liaison.store.copy import CopyReport, Progress, copy_store

__all__ = ["copy_between"]


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


def _where(url: str, home: Path) -> str:
    if url.startswith("sqlite:///"):
        p = Path(url[len("sqlite:///") :])
        return str((p if p.is_absolute() else home / p).resolve())
    return url


def copy_between(
    src_ref: str, dst_ref: str, progress: Progress | None = None
) -> tuple[CopyReport, str]:
    """Copy everything from ``src_ref`` to ``dst_ref``; the report and the destination."""
    src_url, src_home = _url(src_ref, "source")
    dst_url, dst_home = _url(dst_ref, "destination")
    if _where(src_url, src_home) == _where(dst_url, dst_home):
        raise InvalidInputError("source and destination are the same store")
    src = open_store(src_url, home=src_home)
    try:
        dst = open_store(dst_url, home=dst_home, create=True)
    except BaseException:
        src.close()
        raise
    try:
        return copy_store(src, dst, progress), dst.description
    finally:
        src.close()
        dst.close()
