"""Copy a node's data between stores (SQLite <-> PostgreSQL): resumable and verified.

Tables are copied in key order, in batches, each batch one transaction with
``INSERT … ON CONFLICT DO NOTHING``: a copy interrupted at any point is resumed by
running it again. At the end the row counts of every table, a digest of every object
version's hash and the audit log's Merkle root must match, or the copy is reported
as failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from liaison.audit import AuditLog
from liaison.errors import StorageError
from liaison.store.base import Store
from liaison.store.schema import COPY

__all__ = ["TABLES", "CopyReport", "copy_store"]

#: (table, key columns, monotonic integer key for resuming or None), parents first --
#: every table of the schema (``liaison.store.schema.COPY``).
TABLES: tuple[tuple[str, tuple[str, ...], str | None], ...] = tuple(
    (name, c.keys, c.resume) for name, c in COPY.items()
)
#: Columns never copied (computed by the destination).
_SKIP = {"search"}
BATCH = 1000

Progress = Callable[[str, int, int], None]  # table, rows done, rows total


@dataclass
class CopyReport:
    copied: dict[str, int] = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _prepare(store: Store) -> None:
    store.migrate()  # every table, the audit log's and the correlation index's included


def _count(store: Store, table: str) -> int:
    with store._read() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        return int(cur.fetchone()[0])


def _max(store: Store, table: str, col: str) -> int:
    with store._read() as cur:
        cur.execute(f"SELECT COALESCE(MAX({col}), -1) FROM {table}")
        return int(cur.fetchone()[0])


def _columns(store: Store, table: str) -> list[str]:
    with store._read() as cur:
        cur.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        return [d[0] for d in cur.description if d[0] not in _SKIP]


def _copy_table(
    src: Store,
    dst: Store,
    table: str,
    keys: tuple[str, ...],
    resume: str | None,
    progress: Progress | None,
) -> int:
    cols = _columns(src, table)
    total = _count(src, table)
    start = _max(dst, table, resume) if resume else None
    order = ", ".join([resume, *(k for k in keys if k != resume)] if resume else keys)
    generated = COPY[table].always  # GENERATED ALWAYS on PostgreSQL
    overriding = " OVERRIDING SYSTEM VALUE" if dst.placeholder != "?" and generated else ""
    insert = dst._sql(
        f"INSERT INTO {table} ({', '.join(cols)}){overriding}"
        f" VALUES ({', '.join('?' * len(cols))}) ON CONFLICT DO NOTHING"
    )
    done = 0 if start is None else _count(dst, table)
    copied = 0
    offset = 0
    while True:
        with src._read() as cur:
            if resume is not None:
                cur.execute(
                    src._sql(
                        f"SELECT {', '.join(cols)} FROM {table} WHERE {resume} > ?"
                        f" ORDER BY {order} LIMIT {BATCH}"
                    ),
                    (start,),
                )
            else:
                cur.execute(
                    f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}"
                    f" LIMIT {BATCH} OFFSET {offset}"
                )
            rows = [tuple(r) for r in cur.fetchall()]
        if not rows:
            break
        with dst._write() as cur:
            for row in rows:
                cur.execute(insert, row)
                copied += max(int(cur.rowcount), 0)
        done += len(rows)
        offset += len(rows)
        if resume is not None:  # rows sharing the last key value may follow: go back one
            start = int(rows[-1][cols.index(resume)]) - (1 if len(rows) == BATCH else 0)
        if progress is not None:
            progress(table, min(done, total), total)
        if len(rows) < BATCH:
            break
    return copied


def _fix_identities(dst: Store) -> None:
    if dst.placeholder == "?":
        return
    with dst._write() as cur:
        for table, col in ((t, c.identity) for t, c in COPY.items() if c.identity):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{col}'),"
                f" GREATEST((SELECT COALESCE(MAX({col}), 0) FROM {table}), 1))"
            )


def _objects_digest(store: Store) -> str:
    h = hashlib.sha256()
    with store._read() as cur:
        cur.execute("SELECT seq, id, version, sha256 FROM objects ORDER BY seq")
        for seq, oid, version, sha in cur.fetchall():
            h.update(f"{seq}|{oid}|{version}|{sha}\n".encode())
    return h.hexdigest()


def _audit_root(store: Store) -> tuple[int, bytes]:
    with store.connection() as conn:
        log = AuditLog(conn)
        return log.size(), log.root()


def copy_store(src: Store, dst: Store, progress: Progress | None = None) -> CopyReport:
    report = CopyReport()
    if src.schema_version() < dst.schema_version() or src.pending_migrations():
        raise StorageError("migrate the source store first (liaison migrate)")
    _prepare(src)
    _prepare(dst)
    for table, keys, resume in TABLES:
        report.copied[table] = _copy_table(src, dst, table, keys, resume, progress)
    _fix_identities(dst)
    # An id held without an ``owners`` row is the node's own on SQLite: the
    # destination gets a row for each, and the ids with an owner are compared.
    dst.complete_owners()
    for table, _, _ in TABLES:
        if table == "owners":
            a, b = src.owner_count(), dst.owner_count()
        else:
            a, b = _count(src, table), _count(dst, table)
        report.counts[table] = (a, b)
        if a != b:
            report.problems.append(f"{table}: {a} rows in the source, {b} in the destination")
    if _objects_digest(src) != _objects_digest(dst):
        report.problems.append("objects: the digests of stored versions differ")
    if _audit_root(src) != _audit_root(dst):
        report.problems.append("audit log: the Merkle roots differ")
    return report
