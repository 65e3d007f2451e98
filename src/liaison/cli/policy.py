"""``liaison policy explain DIR OBJECT_ID --party NAME``: the decision and its reasons."""

from __future__ import annotations

import argparse
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node, readable
from liaison.errors import NotFoundError
from liaison.service.gate import PolicyGate
from liaison.service.signer import NodeSigner

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
        party = node.store.party(args.party)
        rows = node.store.latest_by_ids([args.object_id])
        if not rows:
            raise NotFoundError(f"no object {args.object_id} here")
        gate = PolicyGate(node, NodeSigner(node).resign)
        d = gate.decide(party, rows[0])
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
