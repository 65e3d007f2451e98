"""A process killed (SIGKILL) while appending leaves a log that verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from audit_support import open_db

from liaison.audit import AuditLog
from liaison.signing import SigningKey

SRC = Path(__file__).resolve().parents[3] / "src"

CHILD = r"""
import sqlite3, sys, uuid
from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef
from liaison.signing import SigningKey

from liaison.store.db import SqliteDb
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=FULL")
log = AuditLog(SqliteDb(conn), signing_key=SigningKey.from_seed_b64(sys.argv[2]))
batch = [
    AuditEntry(Action.OBJECT_CREATED, "writer", objects=(
        ObjectRef(f"note--{uuid.UUID(int=i)}", "v1", "cd" * 32),))
    for i in range(400)
]
print("ready", flush=True)
while True:
    log.append_many(batch)
"""


@pytest.mark.timeout(60)
def test_sigkill_during_appends_leaves_a_verifiable_log(tmp_path: Path) -> None:
    db = tmp_path / "liaison.db"
    key = SigningKey.generate()
    setup = open_db(db)
    AuditLog(setup)  # tables exist before the writers start
    setup.close()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    sizes = []
    for round_ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), key.seed_b64()],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(0.25 + 0.1 * round_)  # mid-stream: most of the time is spent in a batch
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        conn = open_db(db)
        log = AuditLog(conn)
        report = log.verify(key.public_key_b64)
        assert report.ok, report.problems
        assert report.warnings == []  # every committed batch carries its head
        assert report.size % 400 == 0  # whole batches only
        sizes.append(report.size)
        conn.close()
    assert sizes == sorted(sizes) and sizes[-1] > 0
