"""``liaison key show|rotate DIR``: the node's identity key."""

from __future__ import annotations

import argparse
from typing import Any

from liaison.cli._common import add_home, open_node
from liaison.service.keys import rotate
from liaison.signing import fingerprint

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("key", help="the node's Ed25519 identity key")
    s = p.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    a = s.add_parser("show", help="public key and fingerprint (compare out of band)")
    add_home(a)
    a.set_defaults(func=cmd_show)
    a = s.add_parser("rotate", help="new key, signed by the old one, announced to partners")
    add_home(a)
    a.set_defaults(func=cmd_rotate)


def cmd_show(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        print(f"public key  {node.key.public_key_b64}")
        print(f"fingerprint {node.key.fingerprint}")
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        ann = rotate(node)
    print(f"retired     {fingerprint(ann['old_key'])}")
    print(f"new key     {fingerprint(ann['new_key'])}")
    print("partners re-pin it at their next sync (the announcement is signed by the old key)")
    return 0
