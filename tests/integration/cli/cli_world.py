"""Helpers of the CLI tests: results, the demo world, home digests, refusals.

``digest(home)`` fingerprints everything a node home holds (a logical dump of the
SQLite database -- WAL or not -- and every other file's bytes and mode), so that a
refused command can be shown to have changed nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

DB_FILES = ("liaison.db", "liaison.db-wal", "liaison.db-shm", "liaison.db-journal")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if "error:" in line]


@dataclass(frozen=True)
class World:
    base: Path
    report_id: str  # MR's report, held by DZ and (after consent) by XX

    def home(self, code: str) -> Path:
        return self.base / code


def digest(home: Path) -> str:
    """A fingerprint of a node home: database content and every other file."""
    h = hashlib.sha256()
    if not home.exists():
        return "absent"
    for path in sorted(home.rglob("*")):
        rel = str(path.relative_to(home))
        if path.name in DB_FILES:
            continue
        h.update(f"{rel}\0{stat.S_IMODE(path.stat().st_mode):o}\0".encode())
        if path.is_file():
            h.update(path.read_bytes())
    db = home / "liaison.db"
    if db.exists():
        conn = sqlite3.connect(db)  # reads through the WAL; the logical content only
        try:
            for line in conn.iterdump():
                h.update(line.encode())
        finally:
            conn.close()
    return h.hexdigest()


def assert_one_line_error(result: Result, *words: str) -> str:
    """A refusal: exit code not 0, one error line naming ``words``, no traceback."""
    assert result.code != 0, result
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    errors = result.error_lines
    assert len(errors) == 1, result.err
    assert all(line in errors or line.startswith("warning:") for line in lines), result.err
    assert errors[0].startswith("liaison"), errors[0]
    for w in words:
        assert w in errors[0], errors[0]
    return errors[0]
