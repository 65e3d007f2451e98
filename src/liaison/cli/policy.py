"""``liaison policy explain DIR OBJECT_ID --party NAME``: the decision and its reasons."""

from __future__ import annotations

import argparse
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node, readable
from liaison.markings.handling import Handling
from liaison.service import build_exchange

__all__ = ["markings_line", "register"]


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
        exchange = build_exchange(node)
        d = exchange.explain(party, args.object_id)
        names = node.names()
        row = min(exchange.latest(args.object_id), key=lambda r: (-r.version_us, -r.seq))
        h = Handling.from_json(row.handling.get("h") or {})
        default_of = row.handling.get("collection_default")
        source = None
        if isinstance(default_of, str):
            title = next((c.title for c in node.collections() if c.id == default_of), "")
            source = f"the default handling of collection {title or default_of}, added at ingest"
    out = {
        "object": args.object_id,
        "party": party.name,
        "allow": d.allow,
        "reasons": [readable(r, names) for r in d.reasons],
        "redact": list(d.redact),
        "agreement": d.agreement_id,
        "markings": markings_line(h, names),
        "markings_from": source or "the object's own markings",
    }
    if args.json:
        emit_json(out)
    else:
        print(f"{'RELEASE' if d.allow else 'WITHHOLD'} {args.object_id} to {party.name}")
        for r in out["reasons"]:
            print(f"  - {r}")
        for r in d.redact:
            print(f"  redact {r}")
        print(f"  markings: {out['markings']}" + (f" ({source})" if source else ""))
    return 0


def markings_line(h: Handling, names: dict[str, str]) -> str:
    """The handling in one line for people: classification, REL TO, TLP, caveats."""
    parts = []
    if h.classification is not None:
        parts.append(f"{h.classification} ({names.get(str(h.scheme_owner), h.scheme_owner)})")
    if h.releasable_to is not None:
        parts.append("REL TO " + (", ".join(sorted(names.get(i, i) for i in h.releasable_to))))
    if h.tlp is not None:
        parts.append(f"TLP:{h.tlp.upper()}")
    if h.originator_control:
        parts.append("ORCON")
    if h.unresolved_markings:
        parts.append("awaiting " + ", ".join(sorted(h.unresolved_markings)))
    return ", ".join(parts) or "none"
