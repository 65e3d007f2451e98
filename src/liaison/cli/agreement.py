"""``liaison agreement propose|sign|import|export|send|show|list|suspend|terminate``."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from liaison.agreements import (
    Agreement,
    AgreementParty,
    Contact,
    Scope,
    problems,
    propose,
    sign,
    state,
    suspend,
    terminate,
)
from liaison.agreements.model import format_ts
from liaison.cli._common import add_home, emit_json, open_node
from liaison.errors import AgreementError, InvalidInputError
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


def _spec(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: not valid TOML: {exc}") from exc


def propose_from_spec(node: Node, spec: dict[str, Any], now: datetime | None = None) -> Agreement:
    """Build an agreement from a spec naming partners by their local party names."""
    now = now or datetime.now(UTC)
    try:
        me = node.identity_id
        levels = tuple(node.settings.classification_levels)
        parties = [AgreementParty(me, str(node.settings.org), node.key.public_key_b64, levels)]
        maxima = {me: str(spec["max_classification"])}
        rows: dict[str, dict[str, str]] = {}
        for p in spec["partner"]:
            rec = node.store.party(str(p["party"]))
            if not rec.public_key_b64:
                raise AgreementError(f"party {rec.name} has no pinned public key")
            parties.append(
                AgreementParty(rec.identity_id, rec.name, rec.public_key_b64, tuple(p["levels"]))
            )
            maxima[rec.identity_id] = str(p["max_classification"])
            for ours, theirs in dict(p.get("equivalence", {})).items():
                rows.setdefault(ours, {me: ours})[rec.identity_id] = str(theirs)
        contacts = [
            Contact(
                me
                if c.get("party") in (None, "self")
                else node.store.party(str(c["party"])).identity_id,
                str(c["name"]),
                c.get("email"),
                c.get("phone"),
            )
            for c in spec.get("contact", [])
        ]
        return propose(
            proposer=me,
            name=str(spec["name"]),
            parties=parties,
            scope=Scope(
                frozenset(spec["types"]),
                frozenset(spec.get("topics", [])),
                frozenset(spec.get("regions", [])),
            ),
            max_classification=maxima,
            equivalence=list(rows.values()),
            retention_days=int(spec.get("retention_days", 365)),
            valid_from=now - timedelta(seconds=1),
            valid_until=now + timedelta(days=int(spec.get("valid_days", 365))),
            contacts=contacts,
            now=now,
        )
    except KeyError as exc:
        raise InvalidInputError(f"agreement spec: missing {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"agreement spec: {exc}") from exc


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
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{path}: not a readable JSON document: {exc}") from exc


def cmd_propose(args: argparse.Namespace) -> int:
    node = open_node(args)
    a = propose_from_spec(node, _spec(args.spec))
    if args.sign:
        a = sign(a, node.identity_id, node.key)
    a = documents.put_agreement(node, a.to_stix())
    _print(a)
    node.close()
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    node = open_node(args)
    path = Path(args.ref)
    a = (
        documents.put_agreement(node, _load_file(path))
        if path.is_file()
        else documents.get_agreement(node, args.ref)
    )
    a = documents.put_agreement(node, sign(a, node.identity_id, node.key).to_stix())
    _print(a)
    node.close()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    node = open_node(args)
    _print(documents.put_agreement(node, _load_file(args.file)))
    node.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    node = open_node(args)
    text = json.dumps(
        documents.get_agreement(node, args.ref).to_stix(), ensure_ascii=False, indent=2
    )
    node.close()
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from liaison.sync.client import PeerClient
    from liaison.sync.peers import get_peer

    node = open_node(args)
    a = documents.get_agreement(node, args.ref)
    with PeerClient(get_peer(node.store, args.to)) as c:
        c.post_json("liaison/agreements/", a.to_stix())
    print(f"sent {a.name} (version {format_ts(a.modified)}) to {args.to}")
    node.close()
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    node = open_node(args)
    a = documents.get_agreement(node, args.ref)
    node.close()
    if args.json:
        emit_json({**_summary(a), "document": a.to_stix()})
    else:
        _print(a)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    node = open_node(args)
    items = documents.agreements(node)
    node.close()
    if args.json:
        emit_json([_summary(a) for a in items])
    else:
        for a in items:
            print(f"{a.id}  {state(a):<11} {a.name}")
    return 0


def _notice(args: argparse.Namespace, act: Any) -> int:
    node = open_node(args)
    a = documents.get_agreement(node, args.ref)
    a = documents.put_agreement(
        node, act(a, node.identity_id, node.key, reason=args.reason).to_stix()
    )
    _print(a)
    node.close()
    return 0


def cmd_suspend(args: argparse.Namespace) -> int:
    return _notice(args, suspend)


def cmd_terminate(args: argparse.Namespace) -> int:
    return _notice(args, terminate)
