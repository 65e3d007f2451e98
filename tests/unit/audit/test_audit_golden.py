"""Golden values of the audit write path, recorded from ``main`` before the issue #15
work on it: entry bodies, leaves, interior nodes, roots and bindings of fixed inputs
stay byte for byte what they were."""

from __future__ import annotations

import hashlib
from pathlib import Path

from audit_support import open_db, stix_id

from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef
from liaison.audit.binding import binding

TIME = "2026-11-29T12:00:00.000000Z"


def entries(n: int, start: int = 0) -> list[AuditEntry]:
    """The write path's entries (``AuditEntry.build``, as ``AuditEvents`` makes them) and
    a few of every other kind, each with a fixed time."""
    out: list[AuditEntry] = []
    for i in range(start, start + n):
        oid = stix_id("indicator", i)
        ref = ObjectRef.build(oid, f"2026-11-{1 + i % 28:02d}T10:00:00.000Z", f"{i % 256:02x}" * 32)
        kind = i % 5
        if kind in (0, 1):
            handling = {"h": {"tlp": "green", "n": i, "x": ["é", "مسموح"]}, "ok": kind == 0}
            out.append(
                AuditEntry.build(
                    Action.OBJECT_CREATED if kind == 0 else Action.OBJECT_RECEIVED,
                    "analyst" if kind == 0 else "MR — partenaire",
                    (ref,),
                    details={
                        "collection": stix_id("x-collection", 1),
                        "from": stix_id("identity", i % 3),
                        "originator": "" if kind == 0 else stix_id("identity", 7),
                        "binding": binding(
                            stix_id("x-collection", 1),
                            handling,
                            [stix_id("identity", 7)] * (i % 3),
                            "" if kind == 0 else stix_id("identity", 2),
                            "" if kind == 0 else stix_id("identity", 7),
                        ),
                    },
                    time=TIME,
                )
            )
        elif kind == 2:
            out.append(
                AuditEntry.build(
                    Action.OBJECT_RELEASED,
                    "DZ",
                    (ref,),
                    agreement=stix_id("x-agreement", 1),
                    recipient=stix_id("identity", 2),
                    decision="allow",
                    reasons=("releasable to DZ", "TLP:GREEN", "r" * 600),
                    time=TIME,
                )
            )
        elif kind == 3:
            out.append(
                AuditEntry(
                    Action.READ_DENIED,
                    "partner-ml",
                    objects=(ObjectRef(oid), ObjectRef(stix_id("report", i))),
                    decision="deny",
                    reasons=('ORCON: originator consent missing \u2028 "x" \\',),
                    time="2026-11-29T13:00:00+01:00",
                )
            )
        else:
            out.append(
                AuditEntry(
                    Action.LOGIN_FAILED,
                    f"user-{i} 😀",
                    details={"address": "10.0.0.7", "attempt": i, "ok": False, "none": None},
                    time=TIME,
                )
            )
    return out


BODIES = "54410031766d9f6d734458cc221f0fa48bf7c84bfe398b6110730b131b088cfd"
TABLES = "7dfe30ec8d3d7725b1fcc4056a44f91662dd0165dc32f458c729e2a5ea00ab2d"
ROOT = "071555f16765e2c22a4f47d7bd0cfcd0aea9945eb387488f766c103f7ad27632"
BINDING = "cbc74fd908fe072cfcefede9ecdf48d43e0b70839a5584b11d3f8139f8165101"


def test_entry_bodies_are_as_recorded() -> None:
    bodies = [e.encode(seq, TIME) for seq, e in enumerate(entries(60))]
    assert hashlib.sha256(b"\n".join(bodies)).hexdigest() == BODIES


def test_bindings_are_as_recorded() -> None:
    got = binding(
        stix_id("x-collection", 3),
        {"h": {"b": 1, "a": [True, None, "é"]}, "collection_default": "x"},
        [stix_id("identity", 1), stix_id("identity", 0)],
        stix_id("identity", 2),
        "",
    )
    assert got == BINDING


def test_log_rows_nodes_and_root_are_as_recorded(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "golden.db")
    try:
        log = AuditLog(conn)  # no key: heads carry the time of signing
        start = 0
        for n in (1, 2, 5, 100, 37, 1, 64, 3):
            assert log.append_many(entries(n, start)) == range(start, start + n)
            start += n
        digest = hashlib.sha256()
        for table, order in (
            ("audit_entries", "seq"),
            ("audit_refs", "seq, ref"),
            ("audit_nodes", "key"),
        ):
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                digest.update(
                    repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode()
                )
        assert digest.hexdigest() == TABLES
        assert log.root().hex() == ROOT
    finally:
        conn.raw.close()
