"""Pull a partner's collections into this node: resumable, idempotent, with receipts.

Per partner collection: read pages with ``added_after`` = the checkpoint, hand each
page to ``Exchange.receive`` (signature check, our agreement's acceptance, storage in
one transaction), send the partner a signed receipt for what was stored, then move
the checkpoint to the page's last ``date_added``. A crash or a network cut at any
point repeats at most one page, which storage makes idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from liaison.errors import LiaisonError
from liaison.service import Exchange
from liaison.store import format_us, now_us
from liaison.sync.client import PeerClient
from liaison.sync.peers import Peer, checkpoint, set_checkpoint
from liaison.sync.receipts import make_receipt

__all__ = ["SyncReport", "pull"]

log = logging.getLogger("liaison.sync")

Progress = Callable[[str, int, int], None]  # (collection title, stored so far, rejected so far)


@dataclass
class SyncReport:
    party: str
    pages: int = 0
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.party}: {self.stored} new, {self.duplicates} already held, "
            f"{self.rejected} rejected in {self.pages} pages ({self.seconds:.1f} s)"
        )


def pull(
    exchange: Exchange,
    peer: Peer,
    *,
    page_size: int = 1000,
    progress: Progress | None = None,
    client: PeerClient | None = None,
) -> SyncReport:
    node = exchange.node
    party = node.store.party(peer.party)
    report = SyncReport(peer.party)
    started = time.perf_counter()
    own = client is None
    c = client or PeerClient(peer)
    try:
        for coll in c.collections():
            cid = coll.get("id")
            if not isinstance(cid, str) or not coll.get("can_read"):
                continue
            if peer.collections and cid not in peer.collections:
                continue
            since = checkpoint(node.store, peer.party, cid)
            next_token: str | None = None
            while True:
                objs, more, next_token, last_added = c.objects_page(
                    cid, added_after=since, limit=page_size, next_token=next_token
                )
                report.pages += 1
                report.received += len(objs)
                if objs:
                    result = exchange.receive(party, peer.into, objs)
                    report.stored += result.new
                    report.duplicates += result.duplicates
                    report.rejected += len(result.failures)
                    report.reasons.extend(
                        f"{f.get('id') or '?'}: {f['message']}" for f in result.failures[:20]
                    )
                    if result.stored:
                        receipt = make_receipt(
                            node.key,
                            receiver=node.identity_id,
                            sender=party.identity_id,
                            collection=cid,
                            received=format_us(now_us()),
                            objects=result.stored,
                        )
                        c.post_json("liaison/receipts/", receipt)
                        node.store.put_record("receipt-sent", receipt["id"], receipt)
                if last_added:
                    set_checkpoint(node.store, peer.party, cid, last_added)
                if progress is not None:
                    progress(str(coll.get("title", cid)), report.stored, report.rejected)
                if not more or not next_token:
                    break
    except LiaisonError:
        raise
    finally:
        if own:
            c.close()
        report.seconds = time.perf_counter() - started
    return report
