"""Fixtures for the audit tests: a real SQLite file in WAL mode, a node key, entries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_support import MakeEntries, open_db, stix_id

from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef
from liaison.signing import SigningKey
from liaison.store.db import SqliteDb


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "liaison.db"


@pytest.fixture
def conn(db_path: Path) -> Iterator[SqliteDb]:
    c = open_db(db_path)
    yield c
    c.raw.close()


@pytest.fixture
def log(conn: SqliteDb, key: SigningKey) -> AuditLog:
    return AuditLog(conn, signing_key=key)


@pytest.fixture
def make_entries() -> MakeEntries:
    """``make_entries(n, start=0)``: a mix of the events the node logs."""

    def make(n: int, start: int = 0) -> list[AuditEntry]:
        out: list[AuditEntry] = []
        for i in range(start, start + n):
            obj = stix_id("indicator", i)
            version = f"2026-11-{1 + i % 28:02d}T10:00:00.000Z"
            kind = i % 4
            if kind == 0:
                out.append(
                    AuditEntry(
                        Action.OBJECT_CREATED,
                        f"analyst-{i % 3}",
                        objects=(ObjectRef.for_stored(obj, version, f"body {i}".encode()),),
                    )
                )
            elif kind == 1:
                out.append(
                    AuditEntry(
                        Action.OBJECT_RELEASED,
                        "node-fr",
                        objects=(ObjectRef(obj, version, "ab" * 32),),
                        agreement=stix_id("x-agreement", 1),
                        recipient=stix_id("identity", 2),
                        decision="allow",
                        reasons=("releasable to ML", "TLP:AMBER"),
                    )
                )
            elif kind == 2:
                out.append(
                    AuditEntry(
                        Action.READ_DENIED,
                        "partner-ml",
                        objects=(ObjectRef(obj),),
                        decision="deny",
                        reasons=("ORCON: originator consent missing",),
                    )
                )
            else:
                out.append(
                    AuditEntry(
                        Action.LOGIN_FAILED,
                        f"user-{i}",
                        details={"address": "10.0.0.7", "attempt": i},
                    )
                )
        return out

    return make
