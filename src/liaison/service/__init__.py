"""What a node does for a party, with no HTTP in sight: ingest, read, delete, status.

Usage::

    from liaison.service import Exchange, Filters
    ex = Exchange(node)
    status = ex.ingest(party, collection_id, envelope)
    page = ex.objects(party, collection_id, Filters(), limit=100, next_token=None)

Every read goes through ``Exchange.gate`` -- the policy decision -- row by row.
"""

from liaison.node import Node
from liaison.service.exchange import Exchange, Filters, Page, Received

__all__ = ["Exchange", "Filters", "Page", "Received", "build_exchange"]


def build_exchange(node: Node) -> Exchange:
    """The exchange of a node with its real policy gate, signer and audit log."""
    from liaison.service.correlations import correlator
    from liaison.service.events import AuditEvents
    from liaison.service.gate import PolicyGate
    from liaison.service.signer import NodeSigner
    from liaison.service.worker import search_indexer

    signer = NodeSigner(node)
    gate = PolicyGate(node, signer.resign)
    return Exchange(node, gate, signer, AuditEvents(node), correlator(node), search_indexer(node))
