"""``liaison agreement propose|sign|import|export|send|show|list|suspend|terminate``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from liaison.agreements import (
    Agreement,
    AgreementSpec,
    problems,
    sign,
    state,
    suspend,
    terminate,
)
from liaison.agreements.model import format_ts
from liaison.cli._common import add_home, check_out, emit_json, open_node
from liaison.errors import InvalidInputError
from liaison.node import Node
from liaison.service import documents

__all__ = ["propose_from_spec", "register"]


def register(sub: Any) -> None:
    p = sub.add_parser("agreement", help="sharing agreements: propose, sign, exchange")
    s = p.add_subparsers(dest="agreement_command", metavar="ACTION", required=True)

    a = s.add_parser("propose", help="propose an agreement from a TOML spec (docs/agreements.md)")
    add_home(a)
    a.add_argument("spec", type=Path)
    a.add_argument("--sign", action="store_true", help="also sign it at once")
    a.set_defaults(func=cmd_propose)

    a = s.add_parser("sign", help="sign an agreement (by id or name, or a file a partner sent)")
    add_home(a)
    a.add_argument("ref", help="agreement id, name, or JSON file")
    a.set_defaults(func=cmd_sign)

    a = s.add_parser("import", help="store an agreement version a partner sent (JSON file)")
    add_home(a)
    a.add_argument("file", type=Path)
    a.set_defaults(func=cmd_import)

    a = s.add_parser("export", help="write an agreement's latest version as JSON")
    add_home(a)
    a.add_argument("ref")
    a.add_argument("--out", type=Path, help="file (default: standard output)")
    a.set_defaults(func=cmd_export)

    a = s.add_parser("send", help="hand an agreement to a partner's node")
    add_home(a)
    a.add_argument("ref")
    a.add_argument("--to", required=True, metavar="PARTY")
    a.set_defaults(func=cmd_send)

    for name, helptext in (("show", "show one agreement"), ("list", "list agreements")):
        a = s.add_parser(name, help=helptext)
        add_home(a)
        if name == "show":
            a.add_argument("ref")
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=cmd_show if name == "show" else cmd_list)

    for name in ("suspend", "terminate"):
        a = s.add_parser(name, help=f"{name} an agreement (a notice signed by this node)")
        add_home(a)
        a.add_argument("ref")
        a.add_argument("--reason", default="")
        a.set_defaults(func=cmd_suspend if name == "suspend" else cmd_terminate)


def propose_from_spec(
    node: Node, spec: Mapping[str, Any], now: datetime | None = None
) -> Agreement:
    """An agreement from a spec given as a mapping (for scripts and tests)."""
    return node.propose_agreement(AgreementSpec.from_dict(spec), now)


def _summary(a: Agreement) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "version": format_ts(a.modified),
        "state": state(a),
        "parties": [p.name for p in a.parties],
        "signed_by": sorted(
            next((p.name for p in a.parties if p.identity_id == pid), pid) for pid in a.signatures
        ),
        "missing": problems(a),
        "types": sorted(a.scope.stix_types),
        "topics": sorted(a.scope.topics),
        "regions": sorted(a.scope.regions),
        "max_classification": {
            next(p.name for p in a.parties if p.identity_id == k): v
            for k, v in a.max_classification.items()
        },
        "valid_from": format_ts(a.valid_from),
        "valid_until": format_ts(a.valid_until),
        "retention_days": a.retention_days,
    }


def _print(a: Agreement) -> None:
    s = _summary(a)
    print(f"{s['name']}  [{s['state']}]")
    print(f"  id        {s['id']}  (version {s['version']})")
    print(f"  parties   {', '.join(s['parties'])}; signed by {', '.join(s['signed_by']) or '-'}")
    for m in s["missing"]:
        print(f"  missing   {m}")
    print(
        f"  scope     {', '.join(s['types'])}; topics {', '.join(s['topics']) or 'any'};"
        f" regions {', '.join(s['regions']) or 'any'}"
    )
    print("  maximum   " + "; ".join(f"{k}: {v}" for k, v in s["max_classification"].items()))
    print(f"  valid     {s['valid_from']} .. {s['valid_until']}; retention {s['retention_days']} d")


def _load_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInputError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{path}: not a readable JSON document: {exc}") from exc


def cmd_propose(args: argparse.Namespace) -> int:
    spec = AgreementSpec.load(args.spec)  # checked whole before the node is touched
    with open_node(args) as node:
        a = node.propose_agreement(spec)
        if args.sign:
            a = sign(a, node.identity_id, node.key)
        a = documents.put_agreement(node, a.to_stix())
    _print(a)
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    path = Path(args.ref)
    raw = _load_file(path) if path.suffix == ".json" or path.is_file() else None
    with open_node(args) as node:
        a = Agreement.from_stix(raw) if raw is not None else documents.get_agreement(node, args.ref)
        # Signed first, stored once: a file whose signing fails leaves nothing behind.
        a = documents.put_agreement(node, sign(a, node.identity_id, node.key).to_stix())
    _print(a)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    raw = _load_file(args.file)
    with open_node(args) as node:
        a = documents.put_agreement(node, raw)
    _print(a)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if args.out:
        check_out(args.out)
    with open_node(args) as node:
        a = documents.get_agreement(node, args.ref)
    text = json.dumps(a.to_stix(), ensure_ascii=False, indent=2) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from liaison.service.peers import get_peer
    from liaison.sync.client import PeerClient

    with open_node(args) as node:
        party = node.party(args.to)  # "no party nobody" before anything else
        if party.internal:
            raise InvalidInputError(f"{args.to} is an internal party, not a partner")
        a = documents.get_agreement(node, args.ref)
        if a.party(party.identity_id) is None:
            raise InvalidInputError(f"{args.to} is not a party to {a.name!r}")
        with PeerClient(get_peer(node, args.to)) as c:
            c.post_json("liaison/agreements/", a.to_stix())
    print(f"sent {a.name} (version {format_ts(a.modified)}) to {args.to}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        a = documents.get_agreement(node, args.ref)
    if args.json:
        emit_json({**_summary(a), "document": a.to_stix()})
    else:
        _print(a)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        items = documents.agreements(node)
    if args.json:
        emit_json([_summary(a) for a in items])
        return 0
    if not items:
        print("no agreements (liaison agreement propose)")
    for a in items:
        print(f"{a.id}  {state(a):<11} {a.name}")
    return 0


def _notice(args: argparse.Namespace, act: Any) -> int:
    with open_node(args) as node:
        a = documents.get_agreement(node, args.ref)
        a = documents.put_agreement(
            node, act(a, node.identity_id, node.key, reason=args.reason).to_stix()
        )
    _print(a)
    return 0


def cmd_suspend(args: argparse.Namespace) -> int:
    return _notice(args, suspend)


def cmd_terminate(args: argparse.Namespace) -> int:
    return _notice(args, terminate)
