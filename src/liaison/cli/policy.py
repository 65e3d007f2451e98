"""``liaison policy explain DIR OBJECT_ID --party NAME``: the decision and its reasons."""

from __future__ import annotations

import argparse
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node, readable
from liaison.service import build_exchange

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("policy", help="ask the policy engine")
    s = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    e = s.add_parser("explain", help="would this party receive this object, and why")
    add_home(e)
    e.add_argument("object_id")
    e.add_argument("--party", required=True)
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        party = node.party(args.party)
        d = build_exchange(node).explain(party, args.object_id)
        names = node.names()
    out = {
        "object": args.object_id,
        "party": party.name,
        "allow": d.allow,
        "reasons": [readable(r, names) for r in d.reasons],
        "redact": list(d.redact),
        "agreement": d.agreement_id,
    }
    if args.json:
        emit_json(out)
    else:
        print(f"{'RELEASE' if d.allow else 'WITHHOLD'} {args.object_id} to {party.name}")
        for r in out["reasons"]:
            print(f"  - {r}")
        for r in d.redact:
            print(f"  redact {r}")
    return 0
