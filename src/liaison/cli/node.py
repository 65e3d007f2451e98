"""``liaison init``, ``liaison serve`` and ``liaison info``."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node, tcp_port
from liaison.errors import ConfigError
from liaison.node import Node

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a node home")
    add_home(p)
    p.add_argument("--org", required=True, help="name of the organisation running the node")
    p.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 country code")
    p.add_argument("--port", type=tcp_port, help="port to serve on (default 6100)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve the node over TAXII 2.1")
    add_home(p)
    p.add_argument("--host", help="address to listen on (default from settings)")
    p.add_argument("--port", type=tcp_port, help="port to listen on (default from settings)")
    p.add_argument("--tls-cert", help="PEM certificate (enables HTTPS)")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--tls-client-ca", help="PEM CA bundle: require client certificates")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "index",
        help="bring the search index and the correlations up to date",
        description="Build what the store holds into the full-text search index and the"
        " correlations, then exit. `liaison serve` runs `index --follow` as a child process,"
        " woken after each store through standard input (ends with it).",
    )
    add_home(p)
    p.add_argument("--follow", action="store_true", help="keep indexing, woken by standard input")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("migrate", help="apply pending schema migrations to the node's store")
    add_home(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("info", help="describe a node home")
    add_home(p)
    p.set_defaults(func=cmd_info)


def cmd_init(args: argparse.Namespace) -> int:
    extra = {"port": args.port} if args.port else {}
    with Node.init(args.home, org=args.org, country=args.country, **extra) as node:
        print(f"node home   {node.home}")
        print(f"identity    {node.identity_id}")
        print(f"fingerprint {node.key.fingerprint}")
        print(f"collection  {node.default_collection_id} (default)")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says "serving"; one line if it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use (another `liaison serve`?):"
                " stop it or give --port"
            ) from exc
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def _tls(cert: str, key: str, client_ca: str) -> dict[str, Any]:
    """uvicorn's TLS options, after checking that each file can be used."""
    import ssl

    if bool(cert) != bool(key):
        raise ConfigError("--tls-cert and --tls-key go together")
    if not cert:
        if client_ca:
            raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key")
        return {}
    for what, path in (("--tls-cert", cert), ("--tls-key", key), ("--tls-client-ca", client_ca)):
        if path and not Path(path).is_file():
            raise ConfigError(f"{what} {path}: no such file")
    try:  # the same loading uvicorn does, so that a bad file stops us here
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if client_ca:
            ctx.load_verify_locations(client_ca)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"TLS files unusable: {exc}") from exc
    out: dict[str, Any] = {"ssl_certfile": cert, "ssl_keyfile": key}
    if client_ca:
        out.update(ssl_ca_certs=client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    return out


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from liaison.service import build_exchange
    from liaison.sync import SyncLoop, peers
    from liaison.taxii import create_app
    from liaison.web import routes as console_routes

    with open_node(args) as node, node.serving():
        s = node.settings
        host = args.host or s.host
        port = args.port or s.port
        tls = _tls(
            args.tls_cert or s.tls_cert,
            args.tls_key or s.tls_key,
            args.tls_client_ca or s.tls_client_ca,
        )
        if not tls and not _is_loopback(host):
            raise ConfigError(f"refusing plain HTTP on {host}: give --tls-cert and --tls-key")
        sock = _bind(host, port)
        try:
            # search and correlations are built by a child process (`liaison index`)
            exchange = build_exchange(node, indexing="process")
            app = create_app(node, exchange, extra_routes=console_routes(node))
            server = uvicorn.Server(
                uvicorn.Config(
                    app, host=host, port=port, log_level="warning", access_log=False, **tls
                )
            )
            if not tls:
                print(
                    "warning: plain HTTP on loopback only; use --tls-cert/--tls-key between nodes",
                    file=sys.stderr,
                )
            if s.preload_extraction:
                _preload_extraction()
            app.state.exchange.start_background()
            loop = None
            if peers(node) and s.sync_interval > 0:
                loop = SyncLoop(app.state.exchange, float(s.sync_interval))
                loop.start()
            scheme = "https" if tls else "http"
            shown = f"[{host}]" if ":" in host else host
            print(f"Liaison node {s.org} serving TAXII 2.1 at {scheme}://{shown}:{port}/taxii2/")
            print(f"Analyst console at {scheme}://{shown}:{port}/ui/", flush=True)
            try:
                server.run(sockets=[sock])
            finally:
                if loop is not None:
                    loop.stop()
        finally:
            sock.close()
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from liaison.service.indexing import backlogs, catch_up_indexes, follow

    with open_node(args) as node:
        if args.follow:
            follow(node, sys.stdin.buffer)
            return 0
        search, correlation = backlogs(node)
        catch_up_indexes(node)
        print(f"search index: {search} version(s) added; correlated: {correlation} version(s)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    applied, version = Node.migrate(args.home)
    if applied:
        print(f"applied migration(s) {', '.join(map(str, applied))}; schema version {version}")
    else:
        print(f"schema version {version}: nothing to do")
    return 0


def _preload_extraction() -> None:
    """Load the language models in the background: the first draft is then fast."""
    import threading

    def load() -> None:
        from liaison.extract import preload

        preload()

    threading.Thread(target=load, name="liaison-preload", daemon=True).start()


def cmd_info(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        emit_json(node.describe())
    return 0
