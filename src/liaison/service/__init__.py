"""What a node does for a party, with no HTTP in sight: ingest, read, delete, status.

Usage::

    from liaison.service import Exchange, Filters
    ex = Exchange(node)
    status = ex.ingest(party, collection_id, envelope)
    page = ex.objects(party, collection_id, Filters(), limit=100, next_token=None)

Every read goes through ``Exchange.gate`` -- the policy decision -- row by row.
"""

from typing import Literal

from liaison.node import Node
from liaison.service.exchange import Checked, Exchange, Filters, Page, Received

__all__ = ["Checked", "Exchange", "Filters", "Page", "Received", "build_exchange"]


def build_exchange(node: Node, *, indexing: Literal["threads", "process"] = "threads") -> Exchange:
    """The exchange of a node with its real policy gate, signer and audit log.

    ``indexing``: where the derived indexes (search, correlations) are built after a
    store -- worker threads of this process, or a child process of their own
    (``liaison serve``: see ``liaison.service.indexing``).
    """
    from liaison.service.correlations import correlator
    from liaison.service.events import AuditEvents
    from liaison.service.gate import PolicyGate
    from liaison.service.signer import NodeSigner
    from liaison.service.worker import search_indexer

    signer = NodeSigner(node)
    gate = PolicyGate(node, signer.resign)
    if indexing == "process":
        from liaison.service.indexing import IndexerProcess

        return Exchange(node, gate, signer, AuditEvents(node), IndexerProcess(node))
    return Exchange(node, gate, signer, AuditEvents(node), correlator(node), search_indexer(node))
