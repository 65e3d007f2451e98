"""Ingest and read object versions on behalf of a party, through the policy gate."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from liaison.errors import (
    DeniedError,
    InvalidInputError,
    NotFoundError,
    TooLargeError,
)
from liaison.node import Node
from liaison.policy import Decision, PolicyContext
from liaison.service.admission import Admitted
from liaison.service.checking import Checked, Stamps, check_signed
from liaison.service.ingest import (
    Received,
    checked,
    message,
    waiting,
    with_default,
)
from liaison.service.pagination import make_token, query_fingerprint, read_token
from liaison.service.runtime import tune_gc
from liaison.service.search import searchable_text
from liaison.signing.objects import Keyring, SignatureInfo
from liaison.stix import object_version
from liaison.store import (
    VERSION_ALL,
    Collection,
    NewObject,
    ObjectQuery,
    ObjectRow,
    PartyRecord,
    Rehandled,
    StatusRecord,
    format_us,
    now_us,
)
from liaison.store.handling import Lookup
from liaison.text.normal import warm as warm_text

__all__ = [
    "Admitted",
    "Checked",
    "Correlator",
    "Events",
    "Exchange",
    "Filters",
    "Gate",
    "Ingested",
    "Page",
    "Received",
    "Release",
    "Signer",
    "Verdict",
]


@dataclass(frozen=True)
class Verdict:
    """The bytes a party may receive of a row (None: withheld) and the decision's reasons."""

    body: bytes | None
    reasons: tuple[str, ...]
    agreement_id: str | None = None


class Release(Protocol):
    """Given stored rows, what one party may receive of each (one request)."""

    def __call__(self, row: ObjectRow) -> Verdict: ...

    def prepare(self, rows: Sequence[ObjectRow]) -> None:
        """Batch the look-ups deciding ``rows`` needs (optional, for speed)."""
        ...


class Gate(Protocol):
    """The policy decision, prepared once per request for one party."""

    def verdicts(self, party: PartyRecord) -> Release: ...

    def context(self) -> PolicyContext:
        """The agreements and consents in force (for a banner's classification scale)."""
        ...

    def decide(
        self, party: PartyRecord, row: ObjectRow, ctx: PolicyContext | None = None
    ) -> Decision:
        """The policy decision for one stored row (``liaison policy explain``)."""
        ...

    def preview(
        self, obj: dict[str, Any], markings: dict[str, dict[str, Any]]
    ) -> list[tuple[PartyRecord, Decision]]:
        """Would each partner receive ``obj`` (not stored yet), and why."""
        ...

    def admit(
        self,
        party: PartyRecord,
        objs: list[dict[str, Any]],
        infos: list[SignatureInfo],
        version_key: Callable[[dict[str, Any]], str],
        bodies: Sequence[bytes] | None = None,
    ) -> list[Admitted | str]:
        """Per object: its handling, originator and origins to store, or why it is refused
        (``bodies``: ``orjson.dumps`` of each object, when the caller has them)."""
        ...

    def rehandle(self, waiting: list[tuple[ObjectRow, str]], lookup: Lookup) -> list[Rehandled]:
        """The handling of stored versions whose awaited marking-definitions arrived."""
        ...


class Signer(Protocol):
    """Origin signatures: sign what local clients create, verify what partners send."""

    def sign_new(
        self, objs: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], SignatureInfo] | str]: ...

    def verify(self, obj: dict[str, Any]) -> SignatureInfo: ...

    def keys(self) -> tuple[Keyring, frozenset[str]]:
        """What ``verify`` checks with now: the trusted keys by signer, the revoked
        fingerprints (a sync hands them to the process that checks its pages)."""
        ...


class Correlator(Protocol):
    """Correlates newly stored objects with what the node holds (local knowledge)."""

    def kick(self) -> None: ...


class Events(Protocol):
    """Where security-relevant events go (the audit log)."""

    def stored(
        self,
        party: PartyRecord,
        collection_id: str,
        objs: list[NewObject],
        results: list[tuple[str, bool]],
    ) -> None: ...

    def rehandled(self, party: PartyRecord, items: list[Rehandled]) -> None: ...

    def rejected(self, party: PartyRecord, obj: dict[str, Any], reason: str) -> None: ...

    def released(self, party: PartyRecord, items: list[tuple[ObjectRow, Verdict]]) -> None: ...

    def withheld(
        self,
        party: PartyRecord,
        items: list[tuple[ObjectRow, Verdict]],
        listing: bool = False,
        asked: str | None = None,
    ) -> None: ...

    def deleted(self, party: PartyRecord, collection_id: str, rows: list[ObjectRow]) -> None: ...


@dataclass(frozen=True)
class Filters:
    added_after_us: int | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    version_us: tuple[int, ...] = ()
    spec_versions: tuple[str, ...] = ()

    def fingerprint(self, kind: str, collection_id: str, object_id: str | None) -> str:
        return query_fingerprint(
            kind,
            collection_id,
            object_id,
            self.added_after_us,
            self.ids,
            self.types,
            self.versions,
            self.version_us,
            self.spec_versions,
        )


@dataclass
class Page:
    items: list[tuple[ObjectRow, bytes]] = field(default_factory=list)
    more: bool = False
    next: str | None = None

    @property
    def first_added(self) -> str | None:
        return min((r.date_added for r, _ in self.items), default=None)

    @property
    def last_added(self) -> str | None:
        return max((r.date_added for r, _ in self.items), default=None)


@dataclass
class Ingested:
    """What happened to a posted envelope, when it was asked, how many objects it held."""

    received: Received
    request_timestamp: str
    total: int


class Exchange:
    def __init__(
        self,
        node: Node,
        gate: Gate,
        signer: Signer,
        events: Events,
        correlator: Correlator | None = None,
        indexer: Correlator | None = None,
    ) -> None:
        self.node = node
        self.correlator = correlator
        self.indexer = indexer
        self.gate = gate
        self.signer = signer
        self.events = events
        self.store = node.store
        self._secret = node.token_secret()

    def start_background(self) -> None:
        """Start the derived-index workers now (a serving node): they catch up on what a
        previous run left behind and load their tables before the first request -- as
        does the ingest path here (the text normal forms' tables). What is loaded by then
        is left out of garbage collection from now on (``runtime.tune_gc``)."""
        warm_text()
        for worker in (self.correlator, self.indexer):
            if worker is not None:
                worker.kick()
        tune_gc()

    # --- access to collections --------------------------------------------------------
    def readable(self, party: PartyRecord) -> list[Collection]:
        return [
            c for c in self.store.collections() if party.can_read(c.id) or party.can_write(c.id)
        ]

    def collection(self, party: PartyRecord, collection_id: str) -> Collection:
        """The collection if the party has any access; otherwise as if it did not exist."""
        if not (party.can_read(collection_id) or party.can_write(collection_id)):
            raise NotFoundError(f"no collection {collection_id}")
        return self.store.collection(collection_id)

    def _need_read(self, party: PartyRecord, collection_id: str) -> None:
        self.collection(party, collection_id)
        if not party.can_read(collection_id):
            raise DeniedError("this party may not read this collection")

    def _need_write(self, party: PartyRecord, collection_id: str) -> None:
        self.collection(party, collection_id)
        if not party.can_write(collection_id):
            raise DeniedError("this party may not write to this collection")

    # --- ingest -----------------------------------------------------------------------
    def ingest(self, party: PartyRecord, collection_id: str, envelope: Any) -> Ingested:
        """An envelope a party posts: store what is valid, say what happened to each object.

        (The TAXII status resource is built from the answer by ``liaison.taxii.status``.)
        """
        self._need_write(party, collection_id)
        if not isinstance(envelope, dict):
            raise InvalidInputError("the body must be a TAXII envelope (a JSON object)")
        objects = envelope.get("objects", [])
        if not isinstance(objects, list):
            raise InvalidInputError("'objects' in the envelope must be a list")
        most = self.node.settings.max_envelope_objects
        if len(objects) > most:
            raise TooLargeError(f"an envelope may hold at most {most} objects")
        request_ts = format_us(now_us())
        result = self.receive(party, collection_id, objects)
        return Ingested(result, request_ts, len(objects))

    def keep_status(
        self, party: PartyRecord, collection_id: str, status_id: str, body: dict[str, Any]
    ) -> None:
        """Keep a status resource for ``party`` to read again (``status``)."""
        self.store.put_status(StatusRecord(status_id, collection_id, party.name, body))

    def _stored(
        self,
        party: PartyRecord,
        collection_id: str,
        news: list[NewObject],
        awaits: list[tuple[str, ...]],
        results: list[tuple[str, bool]],
    ) -> None:
        """Inside the storing transaction: the audit entries; the new versions that await
        a marking-definition; and the handling of those that awaited one now stored."""
        self.events.stored(party, collection_id, news, results)
        # the new versions that await a definition (one pass: most await none)
        fresh = [(o, a) for o, a, (_, new) in zip(news, awaits, results, strict=True) if a and new]
        self.store.add_awaiting(collection_id, fresh)
        # Definitions stored now -- and, in case one was stored since this batch was
        # admitted, those the new versions await.
        ids = {o.id for o in news if o.type == "marking-definition"}
        for _, a in fresh:
            ids.update(a)
        if ids:
            changed = self.store.resolve_awaiting(sorted(ids), self.gate.rehandle)
            if changed:
                self.events.rehandled(party, changed)

    def receive(self, party: PartyRecord, collection_id: str, objects: list[Any]) -> Received:
        """Check and store objects that ``party`` hands us, all valid ones in one transaction.

        Each object must be valid STIX 2.1. From a partner it must carry a valid origin
        signature and be acceptable under our agreement with that partner; from a local
        client it is signed by this node as originator. Nothing of a rejected object is
        stored; the others still land.
        """
        return self.store_checked(party, self.check(party, collection_id, objects))

    def check(self, party: PartyRecord, collection_id: str, objects: list[Any]) -> Checked:
        """The first half of ``receive``: what needs no state of the store -- STIX
        validation, and the origin signatures (a partner's verified, a local client's
        objects signed by this node). A sync checks the next page with it while the
        current one is stored (``store_checked``)."""
        if not party.internal:
            got, refused = check_signed(party.name, collection_id, objects, self.signer.verify)
            for obj, reason in refused:
                self.events.rejected(party, obj, reason)
            return got
        result = Received()
        stamps = Stamps()  # each version parsed once (a signed copy has the same one)
        valid, notes = checked(objects, result, stamps.us)
        infos: list[SignatureInfo] = []
        # unmarked objects get the collection's default handling
        default = self.node.collection_default(collection_id)
        batch = with_default(valid, default, self.node.identity_id)
        if batch.objects is valid:  # as checked: each version was parsed (``checked``)
            signable = valid
        else:  # with the definitions and copies the default added
            signable = []
            for obj in batch.objects:
                try:
                    stamps.us(object_version(obj) or "1970-01-01T00:00:00Z")
                except (ValueError, OverflowError) as exc:
                    result.fail(obj, f"cannot be stored: {exc}")
                    continue
                signable.append(obj)
        valid = []
        # RFC 8785 refuses e.g. integers beyond 2^53: that object alone fails
        for obj, signed in zip(signable, self.signer.sign_new(signable), strict=True):
            if isinstance(signed, str):
                result.fail(obj, signed)
                continue
            valid.append(signed[0])
            infos.append(signed[1])
        return Checked(
            party.name, collection_id, len(objects), result, stamps, valid, notes, infos, batch
        )

    def store_checked(self, party: PartyRecord, checked: Checked) -> Received:
        """The second half of ``receive``: admission under the policy and the agreement
        (which reads the store), then storage with the audit entries, in one transaction."""
        if checked.party != party.name:
            raise DeniedError("these objects were checked for another party")
        collection_id = checked.collection_id
        result, stamps, valid, notes = checked.result, checked.stamps, checked.valid, checked.notes
        infos, batch = checked.infos, checked.batch
        bodies = checked.bodies  # the bytes stored, made once
        if bodies is None:
            bodies = [orjson.dumps(obj) for obj in valid]
        texts, digests = checked.texts, checked.digests
        admitted = self.gate.admit(party, valid, infos, stamps.version_key, bodies)
        news: list[NewObject] = []
        awaits: list[tuple[str, ...]] = []
        copies: list[dict[str, Any]] = []
        received_from = "" if party.internal else party.identity_id
        sha256 = hashlib.sha256
        marked, us, new_object = batch.marked, stamps.us, NewObject.of
        for i, (obj, verdict, body) in enumerate(zip(valid, admitted, bodies, strict=True)):
            if verdict.__class__ is not Admitted and isinstance(verdict, str):
                result.fail(obj, verdict)
                if not party.internal:
                    self.events.rejected(party, obj, verdict)
                continue
            if verdict.copy_only:  # one of our own versions, back from a partner
                copies.append(obj)
                continue
            ver = obj.get("modified")  # ``object_version(obj)``, its common case inline
            if ver.__class__ is not str:
                ver = object_version(obj)
            handling = verdict.handling
            if marked and (obj["id"], ver) in marked:  # said in policy explain
                handling = {**handling, "collection_default": collection_id}
            news.append(
                new_object(
                    obj["id"],
                    obj["type"],
                    obj.get("spec_version", "2.1"),
                    ver,
                    None if ver is None else us(ver),
                    body,
                    sha256(body).hexdigest() if digests is None else digests[i],
                    handling,
                    verdict.origins,
                    received_from,
                    searchable_text(obj) if texts is None else texts[i],
                    verdict.originator,
                )
            )
            awaits.append(verdict.awaits)
        for obj in copies:
            ver = object_version(obj)
            said = message("stored", notes.get((obj["id"], ver), ()))
            result.successes.append({"id": obj["id"], "version": ver, "message": said})
            result.duplicates += 1
        if news:
            stored = self.store.add_objects(
                collection_id,
                news,
                within=lambda res: self._stored(party, collection_id, news, awaits, res),
            )
            # (the appends bound once, a note looked up only if there are notes: this
            # runs once per object posted)
            successes, listed = result.successes.append, result.stored.append
            added, internal = batch.added, party.internal
            fresh = 0
            for o, waits, (date_added, new) in zip(news, awaits, stored, strict=True):
                fresh += new
                if added and o.id in added:  # a definition of the default, not posted
                    continue
                result.duplicates += not new
                version = o.version or date_added
                # To a partner, "already stored" would say that this node holds the
                # version -- perhaps from someone else. Only local clients are told.
                said = "stored" if new or not internal else "already stored"
                noted = notes.get((o.id, o.version)) if notes else None
                if noted or (waits and new):
                    extra = list(noted or ())
                    if waits and new:
                        extra.insert(0, waiting(waits))
                    said = message(said, extra)
                successes({"id": o.id, "version": version, "message": said})
                listed({"id": o.id, "version": version, "digest": o.sha256})
            result.new += fresh
            if result.new:  # derived indexes follow after the commit, off this request
                if self.correlator is not None:
                    self.correlator.kick()
                if self.indexer is not None:
                    self.indexer.kick()
        return result

    def status(self, party: PartyRecord, status_id: str) -> dict[str, Any]:
        rec = self.store.status(status_id)
        if rec.party != party.name:
            raise NotFoundError(f"no status {status_id}")
        return rec.body

    # --- reads ------------------------------------------------------------------------
    def objects(
        self,
        party: PartyRecord,
        collection_id: str,
        filters: Filters,
        *,
        limit: int,
        next_token: str | None,
        object_id: str | None = None,
        kind: str = "objects",
    ) -> Page:
        """One page of visible rows, in insertion order. Hidden rows leave no trace."""
        self._need_read(party, collection_id)
        fp = filters.fingerprint(kind, collection_id, object_id)
        after = 0
        if next_token:
            after = read_token(self._secret, next_token, party=party.name, query=fp)
        verdict = self.gate.verdicts(party)
        ids = (object_id,) if object_id is not None else filters.ids
        versions = (VERSION_ALL,) if kind == "versions" else filters.versions
        page = Page()
        shown: list[tuple[ObjectRow, Verdict]] = []
        hidden: list[tuple[ObjectRow, Verdict]] = []
        batch = max(limit + 1, 200)
        try:
            while True:
                rows = self.store.query_objects(
                    ObjectQuery(
                        collection_id=collection_id,
                        added_after_us=filters.added_after_us,
                        ids=ids,
                        types=filters.types,
                        versions=versions,
                        version_us=filters.version_us,
                        spec_versions=filters.spec_versions,
                        after_seq=after,
                        limit=batch,
                    )
                )
                verdict.prepare(rows)
                for row in rows:
                    v = verdict(row)
                    if v.body is None:
                        hidden.append((row, v))
                        continue
                    if len(page.items) == limit:
                        page.more = True
                        last = page.items[-1][0].seq
                        page.next = make_token(self._secret, party=party.name, query=fp, seq=last)
                        hidden = [h for h in hidden if h[0].seq <= last]
                        return page
                    page.items.append((row, v.body))
                    shown.append((row, v))
                if len(rows) < batch:
                    return page
                after = rows[-1].seq
        finally:
            if not party.internal:
                if shown and kind == "objects":
                    self.events.released(party, shown)
                if object_id is None:
                    self.events.withheld(party, hidden, listing=True)
                elif not shown and not next_token:  # refused or absent: logged alike
                    self.events.withheld(party, hidden, asked=object_id)

    def latest(self, object_id: str) -> list[ObjectRow]:
        """The latest stored version of ``object_id`` in each collection (the operator's
        view: no policy applies -- never hand these to a party)."""
        return self.store.latest_by_ids([object_id])

    def explain(self, party: PartyRecord, object_id: str) -> Decision:
        """Would ``party`` receive the latest version of ``object_id``, and why."""
        rows = sorted(self.latest(object_id), key=lambda r: (-r.version_us, -r.seq))
        if not rows:
            raise NotFoundError(f"no object {object_id} here")
        return self.gate.decide(party, rows[0])

    def released(
        self, party: PartyRecord, ids: Sequence[str]
    ) -> dict[str, tuple[ObjectRow, bytes]]:
        """The latest version of each id that ``party`` may see (in a collection it reads),
        as released to it -- for pages that follow links (the console's views)."""
        verdict = self.gate.verdicts(party)
        rows = sorted(self.store.latest_by_ids(list(ids)), key=lambda r: -r.seq)
        readable = [r for r in rows if party.can_read(r.collection_id)]
        verdict.prepare(readable)
        out: dict[str, tuple[ObjectRow, bytes]] = {}
        for row in readable:
            if row.id in out:
                continue
            v = verdict(row)
            if v.body is not None:
                out[row.id] = (row, v.body)
        return out

    def delete(
        self, party: PartyRecord, collection_id: str, object_id: str, filters: Filters
    ) -> int:
        """Erase versions of an object: a local administrative act, never a partner's.

        Each erased version is recorded in the audit log (with its content hash) in the
        same transaction, so ``audit verify`` tells a recorded deletion from a gap. The
        id keeps its originator: nobody else can take it over afterwards.
        """
        if not party.internal:
            raise DeniedError("partners may not delete objects on this node")
        self._need_read(party, collection_id)
        self._need_write(party, collection_id)
        rows = self.store.query_objects(
            ObjectQuery(
                collection_id=collection_id,
                ids=(object_id,),
                versions=filters.versions,
                version_us=filters.version_us,
                spec_versions=filters.spec_versions,
                limit=100_000,
            )
        )
        if not rows:
            raise NotFoundError(f"no object {object_id}")
        gone = self.store.delete_versions(
            collection_id,
            object_id,
            [r.seq for r in rows],
            within=lambda deleted: self.events.deleted(party, collection_id, deleted),
        )
        return len(gone)
