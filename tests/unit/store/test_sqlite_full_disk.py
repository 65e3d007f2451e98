"""Opening a SQLite store on a full disk fails with one line that says the disk is full
(SQLite itself only says "disk I/O error": its -wal and -shm files cannot be made)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from liaison.errors import StorageError
from liaison.store import sqlite as backend
from liaison.store.sqlite import SqliteStore


class Usage(NamedTuple):
    total: int
    used: int
    free: int


def _failing_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    raise sqlite3.OperationalError("disk I/O error")


@pytest.mark.parametrize(("free", "said"), [(0, True), (4096, True), (64 << 20, False)])
def test_a_full_disk_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free: int, said: bool
) -> None:
    store = SqliteStore(tmp_path / "s.db", create=True)
    store.migrate()
    store.close()
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: Usage(1 << 30, (1 << 30) - free, free))
    monkeypatch.setattr(backend.sqlite3, "connect", _failing_connect)
    with pytest.raises(StorageError) as err:
        SqliteStore(tmp_path / "s.db")
    assert str(err.value).startswith(f"{tmp_path / 's.db'}: cannot open database: disk I/O error")
    assert str(err.value).endswith(" (the disk is full)") is said
    assert "\n" not in str(err.value)
