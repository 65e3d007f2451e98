"""TAXII 2.1 over HTTP: app factory, media types, parameters and error mapping.

Usage::

    from liaison.node import Node
    from liaison.taxii import create_app
    app = create_app(Node.open(Path("node")))   # an ASGI app; `liaison serve` runs it
"""

from liaison.taxii.app import create_app
from liaison.taxii.media import STIX, TAXII

__all__ = ["STIX", "TAXII", "create_app"]
