"""``liaison init``, ``liaison serve`` and ``liaison info``."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

from liaison.cli._common import add_home, emit_json, open_node
from liaison.errors import ConfigError
from liaison.node import Node

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a node home")
    add_home(p)
    p.add_argument("--org", required=True, help="name of the organisation running the node")
    p.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 country code")
    p.add_argument("--port", type=int, help="port to serve on (default 6100)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve the node over TAXII 2.1")
    add_home(p)
    p.add_argument("--host", help="address to listen on (default from settings)")
    p.add_argument("--port", type=int, help="port to listen on (default from settings)")
    p.add_argument("--tls-cert", help="PEM certificate (enables HTTPS)")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--tls-client-ca", help="PEM CA bundle: require client certificates")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending schema migrations to the node's store")
    add_home(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("info", help="describe a node home")
    add_home(p)
    p.set_defaults(func=cmd_info)


def cmd_init(args: argparse.Namespace) -> int:
    extra = {"port": args.port} if args.port else {}
    node = Node.init(args.home, org=args.org, country=args.country, **extra)
    print(f"node home   {node.home}")
    print(f"identity    {node.identity_id}")
    print(f"fingerprint {node.key.fingerprint}")
    print(f"collection  {node.default_collection_id} (default)")
    node.close()
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from liaison.taxii import create_app

    node = open_node(args)
    s = node.settings
    host = args.host or str(s.host)
    port = args.port or int(s.port)
    cert = args.tls_cert or str(s.tls_cert)
    key = args.tls_key or str(s.tls_key)
    client_ca = args.tls_client_ca or str(s.tls_client_ca)
    if bool(cert) != bool(key):
        raise ConfigError("--tls-cert and --tls-key go together")
    if not cert and not _is_loopback(host):
        raise ConfigError(f"refusing plain HTTP on {host}: give --tls-cert and --tls-key")
    if not cert:
        print(
            "warning: plain HTTP on loopback only; use --tls-cert/--tls-key between nodes",
            file=sys.stderr,
        )
    scheme = "https" if cert else "http"
    from liaison.sync import SyncLoop, peers
    from liaison.web import routes as console_routes

    app = create_app(node, extra_routes=console_routes(node))
    if s.preload_extraction:
        _preload_extraction()
    loop = None
    if peers(node.store) and int(s.sync_interval) > 0:
        loop = SyncLoop(app.state.exchange, float(s.sync_interval))
        loop.start()
    print(f"Liaison node {s.org} serving TAXII 2.1 at {scheme}://{host}:{port}/taxii2/")
    print(f"Analyst console at {scheme}://{host}:{port}/ui/", flush=True)
    ssl: dict[str, Any] = {}
    if cert:
        import ssl as _ssl

        ssl = {"ssl_certfile": cert, "ssl_keyfile": key}
        if client_ca:
            ssl.update(ssl_ca_certs=client_ca, ssl_cert_reqs=_ssl.CERT_REQUIRED)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, **ssl)
    finally:
        if loop is not None:
            loop.stop()
        node.close()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from liaison.config import Settings
    from liaison.store import open_store

    settings = Settings.load(args.home)
    store = open_store(str(settings.store), home=args.home, durable=bool(settings.durable))
    try:
        applied = store.migrate()
        version = store.schema_version()
    finally:
        store.close()
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
    node = open_node(args)
    emit_json(node.describe())
    node.close()
    return 0
