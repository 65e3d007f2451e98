"""Ingest and read object versions on behalf of a party, through the policy gate."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from liaison.errors import DeniedError, InvalidInputError, NotFoundError
from liaison.node import Node
from liaison.service.pagination import make_token, query_fingerprint, read_token
from liaison.stix import object_version, parse_timestamp, validate_object
from liaison.store import (
    VERSION_ALL,
    Collection,
    NewObject,
    ObjectQuery,
    ObjectRow,
    PartyRecord,
    StatusRecord,
    format_us,
    now_us,
)

__all__ = ["Exchange", "Filters", "Gate", "Page", "Release"]

#: Given a stored row, the bytes this party may receive, or None when it may not.
Release = Callable[[ObjectRow], bytes | None]


class Gate(Protocol):
    """The policy decision, prepared once per request for one party."""

    def for_party(self, party: PartyRecord) -> Release: ...

    def prepare(
        self, party: PartyRecord, obj: dict[str, Any]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Handling (stored) and origins of an object this party submits; may refuse it."""
        ...


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


class Exchange:
    def __init__(self, node: Node, gate: Gate) -> None:
        self.node = node
        self.gate = gate
        self.store = node.store
        self._secret = node.token_secret()

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
    def ingest(self, party: PartyRecord, collection_id: str, envelope: Any) -> dict[str, Any]:
        self._need_write(party, collection_id)
        if not isinstance(envelope, dict):
            raise InvalidInputError("the body must be a TAXII envelope (a JSON object)")
        objects = envelope.get("objects", [])
        if not isinstance(objects, list):
            raise InvalidInputError("'objects' in the envelope must be a list")
        request_ts = format_us(now_us())
        failures: list[dict[str, Any]] = []
        accepted: list[NewObject] = []
        for obj in objects:
            reasons = validate_object(obj)
            oid = obj.get("id") if isinstance(obj, dict) else None
            ver = object_version(obj) if isinstance(obj, dict) and not reasons else None
            if reasons:
                failures.append(_failure(oid, obj, "; ".join(reasons)))
                continue
            assert isinstance(obj, dict)
            try:
                handling, origins = self.gate.prepare(party, obj)
            except (InvalidInputError, DeniedError) as exc:
                failures.append(_failure(oid, obj, str(exc)))
                continue
            body = orjson.dumps(obj)
            accepted.append(
                NewObject(
                    id=obj["id"],
                    type=obj["type"],
                    spec_version=obj.get("spec_version", "2.1"),
                    version=ver,
                    version_us=None if ver is None else _us(ver),
                    body=body,
                    sha256=hashlib.sha256(body).hexdigest(),
                    handling=handling,
                    origins=origins,
                    received_from="" if party.internal else party.identity_id,
                )
            )
        successes: list[dict[str, Any]] = []
        if accepted:
            results = self.store.add_objects(collection_id, accepted)
            for o, (date_added, _new) in zip(accepted, results, strict=True):
                successes.append(
                    {
                        "id": o.id,
                        "version": o.version or date_added,
                        "message": "stored" if _new else "already stored",
                    }
                )
        status_id = str(uuid.uuid4())
        status: dict[str, Any] = {
            "id": status_id,
            "status": "complete",
            "request_timestamp": request_ts,
            "total_count": len(objects),
            "success_count": len(successes),
            "successes": successes,
            "failure_count": len(failures),
            "failures": failures,
            "pending_count": 0,
            "pendings": [],
        }
        self.store.put_status(StatusRecord(status_id, collection_id, party.name, status))
        return status

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
        release = self.gate.for_party(party)
        ids = (object_id,) if object_id is not None else filters.ids
        versions = (VERSION_ALL,) if kind == "versions" else filters.versions
        page = Page()
        batch = max(limit + 1, 200)
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
            for row in rows:
                body = release(row)
                if body is None:
                    continue
                if len(page.items) == limit:
                    page.more = True
                    last = page.items[-1][0].seq
                    page.next = make_token(self._secret, party=party.name, query=fp, seq=last)
                    return page
                page.items.append((row, body))
            if len(rows) < batch:
                return page
            after = rows[-1].seq

    def delete(
        self, party: PartyRecord, collection_id: str, object_id: str, filters: Filters
    ) -> int:
        self._need_read(party, collection_id)
        self._need_write(party, collection_id)
        release = self.gate.for_party(party)
        rows = self.store.query_objects(
            ObjectQuery(
                collection_id=collection_id,
                ids=(object_id,),
                versions=filters.versions if filters.versions != ("last",) else (VERSION_ALL,),
                version_us=filters.version_us,
                spec_versions=filters.spec_versions,
                limit=100_000,
            )
        )
        visible = [r.seq for r in rows if release(r) is not None]
        if not visible:
            raise NotFoundError(f"no object {object_id}")
        return self.store.delete_versions(collection_id, object_id, visible)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(ts: str) -> int:
    return (parse_timestamp(ts) - _EPOCH) // timedelta(microseconds=1)


def _failure(oid: Any, obj: Any, message: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": oid if isinstance(oid, str) else "", "message": message}
    if isinstance(obj, dict):
        ver = obj.get("modified") or obj.get("created")
        if isinstance(ver, str):
            out["version"] = ver
    return out
