"""Pull a partner's collections into this node: resumable, idempotent, with receipts.

Per partner collection: read pages with ``added_after`` = the checkpoint, hand each
page to ``Exchange.receive`` (signature check, our agreement's acceptance, storage in
one transaction), send the partner a signed receipt for what was stored, then move
the checkpoint to the page's last ``date_added``. A crash or a network cut at any
point repeats at most one page, which storage makes idempotent.

Objects refused on receipt (altered in transit, not acceptable yet) are behind the
checkpoint afterwards: their ids go on a retry list, fetched again by id at the start
of the next pulls (``MAX_ATTEMPTS`` times), so a man in the middle cannot make us miss
them for good.

On a machine with two cores, the pages after the first are fetched and checked in a
child process (``liaison.sync.checker``, docs/adr/0010) while this one stores.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from liaison.agreements.receipts import make_receipt
from liaison.audit import ConsistencyProof, SignedTreeHead
from liaison.errors import LiaisonError
from liaison.node import Node
from liaison.service import Checked, Exchange, Received, auditing, documents, keys
from liaison.service.peers import (
    Peer,
    pulled_before,
    resume_after,
    retry_list,
    save_retry,
    set_checkpoint,
)
from liaison.store import PartyRecord, format_us, now_us
from liaison.sync.checker import Checker, Job, available, parsed
from liaison.sync.client import PeerClient, PeerError

__all__ = ["SyncReport", "pull"]

log = logging.getLogger("liaison.sync")

Progress = Callable[[str, int, int], None]  # (collection title, stored so far, rejected so far)
#: a page read and checked: (checked objects, more, next token, X-TAXII-Date-Added-Last)
Fetched = tuple[Checked | None, bool, str | None, str | None]


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


def _gossip(exchange: Exchange, peer: Peer, public_key: str, c: PeerClient) -> None:
    """Check the partner's signed audit head against the one we kept; stop on an alarm."""
    node = exchange.node
    blocked = auditing.open_alarms(node, peer.party)
    if blocked:
        ids = ", ".join(str(a.id) for a in blocked)
        raise PeerError(
            f"sync with {peer.party} is stopped by audit alarm {ids}: "
            f"check it, then `liaison audit ack {node.home} ID`"
        )
    prev = auditing.peer_head(node, peer.party)
    if not public_key:
        raise PeerError(f"party {peer.party} has no pinned public key: cannot check its log")
    head = SignedTreeHead.from_dict(c.get_json("liaison/audit/head"))
    proof: tuple[bytes, ...] = ()
    if prev is not None and prev.scope == head.scope and 0 < prev.size < head.size:
        got = c.get_json("liaison/audit/consistency", {"first": prev.size, "second": head.size})
        proof = ConsistencyProof.from_dict(got).path
    result = auditing.observe(node, peer.party, head, proof, public_key)
    if not result.ok:
        raise PeerError(f"{peer.party}: audit alarm ({result.kind}): {result.reason}")


def _follow_rotation(exchange: Exchange, party: PartyRecord, c: PeerClient) -> PartyRecord:
    """Re-pin the partner's key when it announced a rotation signed by the pinned key."""
    anns = c.get_json("liaison/keys/").get("announcements", [])
    for ann in sorted((a for a in anns if isinstance(a, dict)), key=lambda a: str(a.get("time"))):
        updated = keys.accept_rotation(exchange.node, party, ann)
        if updated is not None:
            log.warning("%s rotated its key: now pinned %s", party.name, updated.public_key_b64)
            party = updated
    return party


def _documents(exchange: Exchange, party: PartyRecord, c: PeerClient, report: SyncReport) -> None:
    """Agreements and consents the partner holds about us."""
    node = exchange.node
    for raw in c.get_json("liaison/agreements/").get("agreements", []):
        try:
            documents.put_agreement(node, raw, sender=party, actor="sync", channel="sync")
        except LiaisonError as exc:
            report.reasons.append(f"agreement from {party.name} refused: {exc}")
    for raw in c.get_json("liaison/consents/").get("consents", []):
        try:
            documents.put_consent(node, raw, sender=party, actor="sync", channel="sync")
        except LiaisonError as exc:
            report.reasons.append(f"consent from {party.name} refused: {exc}")


def pull(
    exchange: Exchange,
    peer: Peer,
    *,
    page_size: int = 1000,
    progress: Progress | None = None,
    client: PeerClient | None = None,
    rescan: bool = False,
) -> SyncReport:
    """Pull every readable collection of ``peer`` from its checkpoint on.

    ``rescan`` reads from the beginning instead: objects released to us only after
    our checkpoint passed them (a consent granted later) have an older ``date_added``
    and an incremental pull never sees them; a rescan stores them (the rest are
    duplicates) and moves the checkpoint as usual.
    """
    node = exchange.node
    party = node.party(peer.party)
    report = SyncReport(peer.party)
    started = time.perf_counter()
    own = client is None
    c = client or PeerClient(peer)
    # a fake client given by a test stays in this process, with the checks
    checker = Checker() if own and node.settings.sync_check_process and available() else None
    if checker is not None and (rescan or not pulled_before(node, peer.party)):
        checker.start()  # a first pull (or a rescan) reads everything: the child imports now
    try:
        party = _follow_rotation(exchange, party, c)
        _gossip(exchange, peer, party.public_key_b64, c)
        # Documents first: a consent that lets the partner relay a third party's object
        # to us must be held before the object arrives.
        _documents(exchange, party, c, report)
        for coll in c.collections():
            cid = coll.get("id")
            if not isinstance(cid, str) or not coll.get("can_read"):
                continue
            if peer.collections and cid not in peer.collections:
                continue
            since = None if rescan else resume_after(node, peer.party, cid)
            title = str(coll.get("title", cid))
            _pull_collection(
                exchange, party, peer, c, cid, title, since, page_size, report, progress, checker
            )
    finally:
        if checker is not None:
            checker.close()
        if own:
            c.close()
        report.seconds = time.perf_counter() - started
    return report


def _pull_collection(
    exchange: Exchange,
    party: PartyRecord,
    peer: Peer,
    c: PeerClient,
    cid: str,
    title: str,
    since: str | None,
    page_size: int,
    report: SyncReport,
    progress: Progress | None,
    checker: Checker | None = None,
) -> None:
    """Pages of one collection, in a pipeline of three threads: the next page is fetched
    and checked (STIX, origin signatures: ``Exchange.check``) while this one is
    admitted and stored (``Exchange.store_checked``), while the previous ones (at most
    ``_ACKS_AHEAD``) are acknowledged in turn (each one's receipt signed and sent to
    the partner, then the checkpoint moved).
    The store's commit waits for the disk without the interpreter lock: the checking
    goes on meanwhile.

    With a ``checker`` (a second core), the pages after the first are fetched and
    checked in its process instead (``liaison.sync.checker``): checking no longer
    takes the interpreter lock from storing. The first page is fetched here, so that a
    pull with one page (the usual incremental one) starts no process; the child starts
    as soon as the first page's answer says more follow (it imports while that page is
    checked; a first pull or a rescan starts it at once), and the thread goes on with
    the next pages until the child says it is ready -- the child is then asked for the
    page after the one the thread reads. Signatures it refused are audited here, when
    the page is taken, before it is stored -- as ``Exchange.check`` does.

    The checkpoint still moves only after a page is stored and its receipt sent, one
    page after another, so a cut at any point repeats at most the pages in hand (the
    one being stored, those being acknowledged), which storage makes idempotent. An
    acknowledgement that fails stops those queued after it, and the pull when its page
    is waited for (at most ``_ACKS_AHEAD`` pages later).
    """
    node = exchange.node
    retry = retry_list(node, peer.party, cid)
    if retry:
        _retry(exchange, party, peer, c, cid, retry, report)

    #: the page the child was asked for ahead, by ``fetch`` or ``take`` (its token, how
    #: to take it)
    handed: dict[str, Callable[[], Fetched]] = {}

    def fetch(token: str | None) -> Fetched:
        """The next page, read and checked (STIX, origin signatures): needing nothing
        of the store, that runs while the previous page is stored. Once the child is
        up, it is asked for the page after this one as soon as this one is read: it
        checks that page while this one is checked here (``handed``)."""
        objs, more, next_token, last_added = c.objects_page(
            cid, added_after=since, limit=page_size, next_token=token
        )
        follows = next_token if more else None
        if checker is not None and follows:
            checker.start()  # more pages to come: the child imports while this one is checked
            hand(follows)
        checked = exchange.check(party, peer.into, objs) if objs else None
        if follows:
            hand(follows)  # the child came up while this page was checked
        return checked, more, next_token, last_added

    def hand(token: str) -> None:
        """Ask the child for the page at ``token`` now if it is up (and not asked yet)."""
        if checker is not None and token not in handed and checker.ready():
            handed[token] = ask(token)

    def ask(token: str) -> Callable[[], Fetched]:
        """Ask ``checker`` for the page at ``token``; the page is taken (and its
        refused signatures audited) when the pipeline needs it."""
        assert checker is not None
        keys = exchange.signer.keys()
        checker.request(Job(peer, party.name, cid, since, token, page_size, keys))

        def take() -> Fetched:
            page = checker.take(parse=False)
            if page.more and page.next_token:  # checked by the child while this one is
                hand(page.next_token)  # parsed and stored
            page = parsed(page)
            for obj, reason in page.refused:
                exchange.events.rejected(party, obj, reason)
            return page.checked, page.more, page.next_token, page.last_added

        return take

    def next_page(token: str) -> Callable[[], Fetched]:
        """The next page: from the checking child once it is up, else by the thread."""
        if checker is not None:
            got = handed.pop(token, None)
            if got is not None:  # asked for by ``fetch``
                return got
            checker.start()
            if checker.ready():
                return ask(token)
        return fetcher.submit(fetch, token).result

    # This process's writes take turns: the acknowledging thread's (the receipt kept,
    # the checkpoint) wait here for the page being stored, and are woken as soon as it
    # commits -- not by SQLite's busy handler, whose waits grow to 100 ms, while the
    # storing thread, done, waits for the acknowledgement (and the other way round).
    turn = threading.Lock()

    failed = threading.Event()  # an acknowledgement failed: those queued after it stop

    def acknowledge(result: Received | None, last_added: str | None, last: bool) -> None:
        """A page's receipt signed and sent, then its checkpoint moved -- unless an
        earlier page's acknowledgement failed (its error stops the pull)."""
        if failed.is_set():
            return
        try:
            receipt = _receipt(node, party, cid, result) if result is not None else None
            if receipt is not None:
                _send_receipt(node, c, receipt, turn)
            if last_added:
                with turn:
                    set_checkpoint(node, peer.party, cid, last_added, complete=last)
        except BaseException:
            failed.set()
            raise

    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="liaison-prefetch") as fetcher,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="liaison-acknowledge") as acks,
    ):
        acked: deque[Future[None]] = deque()  # in page order
        pending: Callable[[], Fetched] | None = fetcher.submit(fetch, None).result
        while pending is not None:
            checked, more, next_token, last_added = pending()
            pending = next_page(next_token) if more and next_token else None
            report.pages += 1
            result = None
            if checked is not None:
                report.received += checked.received
                with turn:
                    stored = exchange.store_checked(party, checked)
                result = _count(stored, report)
                refused = {f["id"] for f in result.failures if f.get("id")}
                if refused:
                    for oid in refused:
                        retry.setdefault(oid, 0)
                    with turn:
                        save_retry(node, peer.party, cid, retry)
            while len(acked) >= _ACKS_AHEAD:
                acked.popleft().result()  # an earlier page's: a failure stops here
            # the last page: every batch read whole
            acked.append(acks.submit(acknowledge, result, last_added, pending is None))
            if progress is not None:
                progress(title, report.stored, report.rejected)
        while acked:
            acked.popleft().result()


def _count(result: Received, report: SyncReport) -> Received:
    """Count what happened to one page's objects in ``report``."""
    report.stored += result.new
    report.duplicates += result.duplicates
    report.rejected += len(result.failures)
    report.reasons.extend(f"{f.get('id') or '?'}: {f['message']}" for f in result.failures[:20])
    return result


#: pages being acknowledged while the next is stored: the receipt's round trip to the
#: partner (and its writes here, which wait for the page being stored) need not hold
#: up the storing of the next page
_ACKS_AHEAD = 2


def _receipt(node: Node, party: PartyRecord, cid: str, result: Received) -> dict[str, Any] | None:
    """The signed receipt for what a page stored (None when it stored nothing)."""
    if not result.stored:
        return None
    return make_receipt(
        node.key,
        receiver=node.identity_id,
        sender=party.identity_id,
        collection=cid,
        received=format_us(now_us()),
        objects=result.stored,
    )


def _send_receipt(
    node: Node, c: PeerClient, receipt: dict[str, Any], turn: threading.Lock | None = None
) -> None:
    """Send a signed receipt, then keep our copy (its write after taking ``turn``)."""
    c.post_json("liaison/receipts/", receipt)
    with turn or contextlib.nullcontext():
        documents.keep_sent_receipt(node, receipt)


def _store(
    exchange: Exchange,
    party: PartyRecord,
    peer: Peer,
    c: PeerClient,
    cid: str,
    objs: list[Any],
    report: SyncReport,
) -> Received:
    """Receive one page; acknowledge what was stored with a signed receipt."""
    result = _count(exchange.receive(party, peer.into, objs), report)
    receipt = _receipt(exchange.node, party, cid, result)
    if receipt is not None:
        _send_receipt(exchange.node, c, receipt)
    return result


# --- objects refused earlier, fetched again by id -----------------------------------------
MAX_ATTEMPTS = 5
_CHUNK = 50


def _retry(
    exchange: Exchange,
    party: PartyRecord,
    peer: Peer,
    c: PeerClient,
    cid: str,
    retry: dict[str, int],
    report: SyncReport,
) -> None:
    """Fetch refused objects again by id; forget them once stored or after MAX_ATTEMPTS."""
    ids = list(retry)
    for i in range(0, len(ids), _CHUNK):
        chunk = tuple(ids[i : i + _CHUNK])
        objs, _, _, _ = c.objects_page(
            cid, added_after=None, limit=len(chunk), next_token=None, ids=chunk
        )
        result = _store(exchange, party, peer, c, cid, objs, report) if objs else None
        failed = {f["id"] for f in result.failures if f.get("id")} if result else set()
        for oid in chunk:
            if oid in failed and retry[oid] + 1 < MAX_ATTEMPTS:
                retry[oid] += 1
            else:  # stored, no longer released to us, or given up on
                if oid in failed:
                    report.reasons.append(f"{oid}: refused {MAX_ATTEMPTS} times, not retried")
                del retry[oid]
    save_retry(exchange.node, peer.party, cid, retry)
