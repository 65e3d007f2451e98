"""``liaison party add|set|remove|list|disable|connect``: who may talk to this node."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from liaison.checks import check_url
from liaison.cli._common import add_home, emit_json, open_node
from liaison.errors import ConflictError, InvalidInputError
from liaison.node import Node
from liaison.signing import fingerprint
from liaison.store import PartyRecord

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("party", help="manage the parties that may talk to this node")
    ps = p.add_subparsers(dest="party_command", metavar="ACTION", required=True)

    a = ps.add_parser("add", help="register a party and print its credential once")
    add_home(a)
    a.add_argument("name", help="party name (used as the HTTP Basic user name)")
    _party_options(a)
    a.add_argument(
        "--internal",
        action="store_true",
        help="a client of this node's own organisation (not a partner)",
    )
    a.set_defaults(func=cmd_add)

    s = ps.add_parser("set", help="change a party's key, URL, identity or access")
    add_home(s)
    s.add_argument("name")
    _party_options(s)
    s.set_defaults(func=cmd_set)

    r = ps.add_parser("remove", help="delete a party that nothing cites")
    add_home(r)
    r.add_argument("name")
    r.set_defaults(func=cmd_remove)

    c = ps.add_parser("connect", help="how to reach a partner's node (for sync)")
    add_home(c)
    c.add_argument("name", help="the partner's party name here")
    c.add_argument("--url", required=True, help="the partner's TAXII discovery URL")
    c.add_argument("--user", required=True, help="our party name at the partner's node")
    c.add_argument("--token", required=True, help="the credential the partner gave us")
    c.add_argument("--into", help="local collection for what we receive (default: default)")
    c.add_argument(
        "--collection",
        action="append",
        default=[],
        metavar="ID",
        help="only these partner collections (default: all we can read)",
    )
    c.add_argument("--ca", default="", help="PEM CA of the partner's TLS certificate")
    c.add_argument("--client-cert", default="", help="our client certificate (mutual TLS)")
    c.add_argument("--client-key", default="", help="key of --client-cert")
    c.set_defaults(func=cmd_connect)

    ls = ps.add_parser("list", help="list parties")
    add_home(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    d = ps.add_parser("disable", help="disable a party's credential")
    add_home(d)
    d.add_argument("name")
    d.set_defaults(func=cmd_disable)


def _party_options(a: argparse.ArgumentParser) -> None:
    a.add_argument("--read", nargs="+", metavar="COLL", help="collections it may read")
    a.add_argument("--write", nargs="+", metavar="COLL", help="collections it may write")
    a.add_argument("--identity", help="the party's STIX identity id")
    a.add_argument("--public-key", help="the party's Ed25519 public key (base64)")
    a.add_argument("--url", help="the party's TAXII discovery URL, for sync")


def _print_party(party: PartyRecord) -> None:
    print(f"party       {party.name} ({'internal' if party.internal else 'partner'})")
    print(f"identity    {party.identity_id}")
    if party.public_key_b64:
        print(f"key pinned  {fingerprint(party.public_key_b64)}  (compare it out of band)")


def _not_ours(node: Node, public_key: str | None) -> None:
    if public_key and public_key.strip() == node.key.public_key_b64:
        raise InvalidInputError("--public-key is this node's own key, not the partner's")


def cmd_add(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        _not_ours(node, args.public_key)
        party, token = node.add_party(
            args.name,
            identity_id=args.identity or "",
            internal=args.internal,
            read=args.read,
            write=args.write,
            public_key_b64=args.public_key or "",
            url=args.url or "",
        )
    _print_party(party)
    print(f"credential  {token}")
    print("            (shown once: HTTP Basic user = party name, password = credential;")
    print("             or Authorization: Bearer <credential>)")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    changes = (args.identity, args.public_key, args.url, args.read, args.write)
    if all(c is None for c in changes):
        raise InvalidInputError(
            "nothing to change: give --public-key, --url, --identity, --read or --write"
        )
    with open_node(args) as node:
        _not_ours(node, args.public_key)
        party = node.set_party(
            args.name,
            identity_id=args.identity,
            public_key_b64=args.public_key,
            url=args.url,
            read=args.read,
            write=args.write,
        )
        titles = {c.id: c.title for c in node.collections()}
    _print_party(party)
    if party.url:
        print(f"url         {party.url}")
    for what, ids in (
        ("reads", [p.collection_id for p in party.permissions if p.can_read]),
        ("writes", [p.collection_id for p in party.permissions if p.can_write]),
    ):
        print(f"{what:<11} {', '.join(titles.get(i, i) for i in ids) or '-'}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        if args.name in _console_parties(node):
            raise ConflictError(
                f"party {args.name} is how console user {args.name[3:]!r} reads:"
                " disable the user instead (liaison user disable)"
            )
        node.remove_party(args.name)
    print(f"party {args.name} removed")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        console = _console_parties(node)
        rows = [
            {
                "name": p.name,
                "identity_id": p.identity_id,
                "kind": "partner"
                if not p.internal
                else ("console" if p.name in console else "internal"),
                "disabled": p.disabled,
                "read": [x.collection_id for x in p.permissions if x.can_read],
                "write": [x.collection_id for x in p.permissions if x.can_write],
                "public_key": bool(p.public_key_b64),
                "url": p.url,
            }
            for p in node.parties()
        ]
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no parties (liaison party add)")
    for r in rows:
        flag = " (disabled)" if r["disabled"] else ""
        print(f"{r['name']:<20} {r['kind']:<9} {r['identity_id']}{flag}")
    return 0


def _console_parties(node: Node) -> set[str]:
    """Names of the internal parties console users read through."""
    from liaison.service.accounts import Accounts

    return {u.party_name for u in Accounts(node).users()}


def cmd_disable(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        node.disable_party(args.name)
    print(f"party {args.name} disabled")
    return 0


def _pem(path: str, what: str) -> str:
    if path and not Path(path).is_file():
        raise InvalidInputError(f"{what} {path}: no such file")
    return path


def cmd_connect(args: argparse.Namespace) -> int:
    from liaison.sync import Peer, put_peer

    check_url(args.url, "--url")
    if bool(args.client_cert) != bool(args.client_key):
        raise InvalidInputError("--client-cert and --client-key go together")
    peer_files = {
        "ca": _pem(args.ca, "--ca"),
        "client_cert": _pem(args.client_cert, "--client-cert"),
        "client_key": _pem(args.client_key, "--client-key"),
    }
    with open_node(args) as node:
        party = node.party(args.name)
        if party.internal:
            raise InvalidInputError(f"{args.name} is an internal party, not a partner")
        into = node.resolve_collection(args.into).id if args.into else node.default_collection_id
        put_peer(
            node,
            Peer(
                party=party.name,
                url=args.url,
                user=args.user,
                token=args.token,
                into=into,
                collections=tuple(args.collection),
                **peer_files,
            ),
        )
    print(f"{args.name}: sync from {args.url} as {args.user}")
    return 0
