"""``liaison audit verify|show|alarms|ack``: check and read the node's tamper-evident log.

``DIR`` is a node home. With a ``liaison.toml`` it is opened as a node (its store, its
key, and the store's object hashes for ``verify``); a bare directory holding
``liaison.db`` and ``node.key`` works too.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from liaison.audit import Action, AuditRecord
from liaison.cli._common import positive, readable
from liaison.errors import InvalidInputError, StorageError
from liaison.service.auditing import open_home

__all__ = ["register"]


def _emit_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


_ACTIONS = frozenset(a.value for a in Action)


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="verify and read the tamper-evident audit log")
    ps = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    v = ps.add_parser("verify", help="recompute the whole log and check it against its heads")
    v.add_argument("home", metavar="DIR", type=Path, help="the node home")
    v.add_argument("--json", action="store_true", help="print the full report as JSON")
    v.add_argument("--problems", action="store_true", help="list every problem found")
    v.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        metavar="B64",
        help="also accept heads signed by this public key (e.g. before a key rotation)",
    )
    v.set_defaults(func=cmd_verify)

    s = ps.add_parser("show", help="list audit entries")
    s.add_argument("home", metavar="DIR", type=Path, help="the node home")
    s.add_argument("--actor", help="only entries by this actor")
    s.add_argument("--action", help="only this action, e.g. object.released")
    s.add_argument("--object", dest="object_id", help="only entries about this STIX id")
    s.add_argument("--since", help="from this time (RFC 3339, inclusive)")
    s.add_argument("--until", help="up to this time (RFC 3339, inclusive)")
    s.add_argument("--limit", type=positive, help="at most this many entries")
    s.add_argument("--newest-first", action="store_true", help="latest entries first")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=cmd_show)

    a = ps.add_parser("alarms", help="list gossip alarms (open ones unless --all)")
    a.add_argument("home", metavar="DIR", type=Path, help="the node home")
    a.add_argument("--all", action="store_true", help="include acknowledged alarms")
    a.add_argument("--json", action="store_true", help="print JSON instead of a table")
    a.set_defaults(func=cmd_alarms)

    k = ps.add_parser("ack", help="acknowledge an alarm (sync with that peer resumes)")
    k.add_argument("home", metavar="DIR", type=Path, help="the node home")
    k.add_argument("alarm_id", metavar="ALARM_ID", type=int)
    k.add_argument("--operator", help="who acknowledges (default: the login name)")
    k.add_argument(
        "--accept-head",
        action="store_true",
        help="adopt the peer's offending tree head as the new baseline",
    )
    k.set_defaults(func=cmd_ack)


def cmd_verify(args: argparse.Namespace) -> int:
    with open_home(args.home) as home:
        report = home.verify(args.trusted_key)
    if args.json:
        _emit_json(report.to_dict())
        return 0 if report.ok else 1
    if args.problems:
        for problem in report.problems:
            print(f"{problem.kind}: {problem.message}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    if not report.ok:
        raise StorageError(report.summary())
    print(report.summary())
    return 0


def _row(record: AuditRecord, names: dict[str, str]) -> list[str]:
    e = record.entry
    objects = ", ".join(o.id for o in e.objects[:2]) + (
        f" +{len(e.objects) - 2}" if len(e.objects) > 2 else ""
    )
    to = " ".join(x for x in (e.recipient and f"to {e.recipient}", e.agreement) if x)
    why = "; ".join([*e.reasons, *(f"{k}={v}" for k, v in e.details.items())])
    return [
        str(record.seq),
        e.time or "",
        readable(e.actor, names),
        e.action,
        e.decision or "",
        objects,
        readable(to, names),
        readable(why, names),
    ]


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    widths[-1] = 0  # the last column runs free
    for line in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def cmd_show(args: argparse.Namespace) -> int:
    with open_home(args.home) as home:
        records = home.query(
            actor=args.actor,
            action=args.action,
            object_id=args.object_id,
            since=args.since,
            until=args.until,
            limit=args.limit,
            newest_first=args.newest_first,
        )
        names = home.names
    if not records and args.action and args.action not in _ACTIONS:
        raise InvalidInputError(
            f"no entry has action {args.action!r}, which is not one Liaison logs"
            f" ({', '.join(sorted(_ACTIONS))})"
        )
    if args.json:
        _emit_json([r.to_dict() for r in records])
        return 0
    if not records:
        print("no entries match")
        return 0
    header = ["SEQ", "TIME", "ACTOR", "ACTION", "DECISION", "OBJECTS", "TO / AGREEMENT", "WHY"]
    _table(header, [_row(r, names) for r in records])
    return 0


def cmd_alarms(args: argparse.Namespace) -> int:
    with open_home(args.home) as home:
        alarms = home.alarms(include_acknowledged=args.all)
    if args.json:
        _emit_json([a.to_dict() for a in alarms])
        return 0
    if not alarms:
        print("no open alarms" if not args.all else "no alarms")
        return 0
    rows = [
        [
            str(a.id),
            a.time,
            a.peer,
            a.kind,
            "open" if a.open else f"ack by {a.acknowledged_by}",
            a.reason,
        ]
        for a in alarms
    ]
    _table(["ID", "TIME", "PEER", "KIND", "STATE", "REASON"], rows)
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    operator = args.operator or os.environ.get("LIAISON_OPERATOR") or getpass.getuser()
    with open_home(args.home) as home:
        alarm, blocked = home.acknowledge(args.alarm_id, operator, accept_head=args.accept_head)
    state = "still blocked (other open alarms)" if blocked else "sync may resume"
    print(f"alarm {alarm.id} for {alarm.peer} acknowledged by {operator}: {state}")
    return 0
