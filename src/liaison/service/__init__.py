"""What a node does for a party, with no HTTP in sight: ingest, read, delete, status.

Usage::

    from liaison.service import Exchange, Filters
    ex = Exchange(node)
    status = ex.ingest(party, collection_id, envelope)
    page = ex.objects(party, collection_id, Filters(), limit=100, next_token=None)

Every read goes through ``Exchange.gate`` -- the policy decision -- row by row.

The names below are imported when first used (PEP 562): a process that needs one
module of the package -- the sync's checking process, ``liaison.service.checking`` --
does not import the whole service (the exchange, the store, the policy) to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from liaison.lazy import lazy_names

if TYPE_CHECKING:
    from liaison.node import Node
    from liaison.service.checking import Checked
    from liaison.service.exchange import Exchange, Filters, Page, Received

__all__ = ["Checked", "Exchange", "Filters", "Page", "Received", "build_exchange"]

__getattr__ = lazy_names(
    __name__,
    {
        "Checked": "liaison.service.checking",
        "Exchange": "liaison.service.exchange",
        "Filters": "liaison.service.exchange",
        "Page": "liaison.service.exchange",
        "Received": "liaison.service.ingest",
    },
)


def build_exchange(node: Node, *, indexing: Literal["threads", "process"] = "threads") -> Exchange:
    """The exchange of a node with its real policy gate, signer and audit log.

    ``indexing``: where the derived indexes (search, correlations) are built after a
    store -- worker threads of this process, or a child process of their own
    (``liaison serve``: see ``liaison.service.indexing``).
    """
    from liaison.service.correlations import correlator
    from liaison.service.events import AuditEvents
    from liaison.service.exchange import Exchange
    from liaison.service.gate import PolicyGate
    from liaison.service.signer import NodeSigner
    from liaison.service.worker import search_indexer

    signer = NodeSigner(node)
    gate = PolicyGate(node, signer.resign)
    if indexing == "process":
        from liaison.service.indexing import IndexerProcess

        return Exchange(node, gate, signer, AuditEvents(node), IndexerProcess(node))
    return Exchange(node, gate, signer, AuditEvents(node), correlator(node), search_indexer(node))
