"""``liaison export DIR [--party NAME] [--collection C]``: a STIX bundle, as a party sees it.

The export reads through the same exchange and policy gate as TAXII: exporting for a
partner gives exactly what that partner would receive (redactions included).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import uuid
from pathlib import Path
from typing import Any

from liaison.checks import check_stix_type
from liaison.cli._common import add_home, check_out, open_node, operator_party
from liaison.errors import InvalidInputError
from liaison.service import Filters, build_exchange

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("export", help="write a STIX 2.1 bundle of what a party may receive")
    add_home(p)
    p.add_argument("--party", help="as this party sees it (default: the node's own view)")
    p.add_argument("--collection", help="collection id or title (default: the default one)")
    p.add_argument("--type", action="append", default=[], help="only these STIX types")
    p.add_argument("--out", type=Path, help="file (default: standard output)")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    types = tuple(check_stix_type(t) for t in args.type)
    if args.out:
        check_out(args.out)
    with open_node(args) as node:
        party = node.party(args.party) if args.party else operator_party(node)
        cid = (
            node.resolve_collection(args.collection).id
            if args.collection
            else node.default_collection_id
        )
        ex = build_exchange(node)
        bodies: list[bytes] = []
        token: str | None = None
        while True:
            page = ex.objects(party, cid, Filters(types=types), limit=1000, next_token=token)
            bodies.extend(body for _, body in page.items)
            if not page.more:
                break
            token = page.next
    bundle = (
        b'{"type":"bundle","id":"bundle--'
        + str(uuid.uuid4()).encode()
        + b'","objects":['
        + b",".join(bodies)
        + b"]}\n"
    )
    if args.out:
        _write(args.out, bundle)
        print(f"{len(bodies)} objects written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(bundle)
    return 0


def _write(out: Path, data: bytes) -> None:
    """Write ``out`` whole or not at all (a temporary file beside it, then a rename)."""
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InvalidInputError(f"cannot write {out}: {exc.strerror or exc}") from exc
