"""Node-to-node exchange: peers, pull sync with checkpoints, receipts, audit gossip.

Usage::

    from liaison.service import build_exchange
    from liaison.sync import get_peer, pull
    report = pull(build_exchange(node), get_peer(node, "MR"))
    print(report.line())
"""

from liaison.service.peers import Peer, get_peer, peers, put_peer
from liaison.sync.client import PeerClient, PeerError
from liaison.sync.loop import SyncLoop
from liaison.sync.pull import SyncReport, pull

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
