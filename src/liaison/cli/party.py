"""``liaison party add|list|disable``."""

from __future__ import annotations

import argparse
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node
from liaison.errors import ConflictError, InvalidInputError

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("party", help="manage the parties that may talk to this node")
    ps = p.add_subparsers(dest="party_command", metavar="ACTION", required=True)

    a = ps.add_parser("add", help="register a party and print its credential once")
    add_home(a)
    a.add_argument("name", help="party name (used as the HTTP Basic user name)")
    a.add_argument("--read", nargs="+", metavar="COLL", help="collections it may read")
    a.add_argument("--write", nargs="+", metavar="COLL", help="collections it may write")
    a.add_argument("--identity", default="", help="the party's STIX identity id")
    a.add_argument("--public-key", default="", help="the party's Ed25519 public key (base64)")
    a.add_argument("--url", default="", help="the party's TAXII discovery URL, for sync")
    a.add_argument(
        "--internal",
        action="store_true",
        help="a client of this node's own organisation (not a partner)",
    )
    a.set_defaults(func=cmd_add)

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


def cmd_add(args: argparse.Namespace) -> int:
    node = open_node(args)
    try:
        party, token = node.add_party(
            args.name,
            identity_id=args.identity,
            internal=args.internal,
            read=args.read,
            write=args.write,
            public_key_b64=args.public_key,
            url=args.url,
        )
    except ConflictError as exc:
        raise ConflictError(f"party {args.name!r} already exists") from exc
    finally:
        node.close()
    print(f"party       {party.name} ({'internal' if party.internal else 'partner'})")
    print(f"identity    {party.identity_id}")
    if party.public_key_b64:
        from liaison.signing import fingerprint

        print(f"key pinned  {fingerprint(party.public_key_b64)}  (compare it out of band)")
    print(f"credential  {token}")
    print("            (shown once: HTTP Basic user = party name, password = credential;")
    print("             or Authorization: Bearer <credential>)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    node = open_node(args)
    rows = [
        {
            "name": p.name,
            "identity_id": p.identity_id,
            "kind": "internal" if p.internal else "partner",
            "disabled": p.disabled,
            "read": [x.collection_id for x in p.permissions if x.can_read],
            "write": [x.collection_id for x in p.permissions if x.can_write],
        }
        for p in node.store.parties()
    ]
    node.close()
    if args.json:
        emit_json(rows)
    else:
        for r in rows:
            flag = " (disabled)" if r["disabled"] else ""
            print(f"{r['name']:<20} {r['kind']:<9} {r['identity_id']}{flag}")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from dataclasses import replace

    node = open_node(args)
    party = node.store.party(args.name)
    node.store.update_party(replace(party, disabled=True))
    node.close()
    print(f"party {args.name} disabled")
    return 0


def cmd_connect(args: argparse.Namespace) -> int:
    from liaison.sync import Peer, put_peer

    node = open_node(args)
    party = node.store.party(args.name)
    if party.internal:
        raise InvalidInputError(f"{args.name} is an internal party, not a partner")
    into = node.resolve_collection(args.into).id if args.into else node.default_collection_id
    put_peer(
        node.store,
        Peer(
            party=party.name,
            url=args.url,
            user=args.user,
            token=args.token,
            into=into,
            ca=args.ca,
            client_cert=args.client_cert,
            client_key=args.client_key,
            collections=tuple(args.collection),
        ),
    )
    node.close()
    print(f"{args.name}: sync from {args.url} as {args.user}")
    return 0
