"""``liaison search DIR QUERY``: full-text search, as a party would see it."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from liaison.cli._common import add_home, emit_json, open_node, operator_party, positive
from liaison.errors import InvalidInputError
from liaison.service import build_exchange
from liaison.service.search import search

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("search", help="full-text search of reports, notes and names")
    add_home(p)
    p.add_argument("query")
    p.add_argument(
        "--party",
        help="see only what this party may see (default: the node's"
        " own view, through an internal party)",
    )
    p.add_argument("--limit", type=positive, default=20, help="at most this many (≤ 500)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    if args.limit > 500:
        raise InvalidInputError("--limit may be at most 500")
    if not args.query.strip():
        raise InvalidInputError("the query is empty")
    with open_node(args) as node:
        party = node.party(args.party) if args.party else operator_party(node)
        hits = search(build_exchange(node), party, args.query, limit=args.limit)
    if args.json:
        emit_json([orjson.loads(body) for _, body in hits])
        return 0
    for row, body in hits:
        obj = orjson.loads(body)
        print(f"{row.type:<14} {obj.get('name', row.id)}  ({row.id}, {row.date_added})")
    if not hits:
        print("no match")
    return 0
