"""Node-to-node exchange: peers, pull sync with checkpoints, receipts, audit gossip.

Usage::

    from liaison.service import build_exchange
    from liaison.sync import get_peer, pull
    report = pull(build_exchange(node), get_peer(node, "MR"))
    print(report.line())

The names below are imported when first used (PEP 562): the sync's checking process
(``liaison.sync.checker``) imports this package and needs none of the pull's modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liaison.lazy import lazy_names

if TYPE_CHECKING:
    from liaison.service.peers import Peer, get_peer, peers, put_peer
    from liaison.sync.client import PeerClient, PeerError
    from liaison.sync.loop import SyncLoop
    from liaison.sync.pulling import SyncReport, pull

__all__ = [
    "Peer",
    "PeerClient",
    "PeerError",
    "SyncLoop",
    "SyncReport",
    "get_peer",
    "peers",
    "pull",
    "put_peer",
]

__getattr__ = lazy_names(
    __name__,
    {
        "Peer": "liaison.service.peers",
        "get_peer": "liaison.service.peers",
        "peers": "liaison.service.peers",
        "put_peer": "liaison.service.peers",
        "PeerClient": "liaison.sync.client",
        "PeerError": "liaison.sync.client",
        "SyncLoop": "liaison.sync.loop",
        "SyncReport": "liaison.sync.pulling",
        "pull": "liaison.sync.pulling",
    },
)
