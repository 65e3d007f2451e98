"""Records the store keeps: collections, parties, object rows, status resources, queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "VERSION_ALL",
    "VERSION_FIRST",
    "VERSION_LAST",
    "Collection",
    "NewObject",
    "ObjectQuery",
    "ObjectRow",
    "PartyRecord",
    "PendingRow",
    "Permission",
    "Rehandled",
    "StatusRecord",
]

VERSION_FIRST = "first"
VERSION_LAST = "last"
VERSION_ALL = "all"


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str = ""
    alias: str | None = None


@dataclass(frozen=True)
class Permission:
    collection_id: str
    can_read: bool
    can_write: bool


@dataclass(frozen=True)
class PartyRecord:
    """Someone who talks to this node: a partner organisation or a local (internal) client."""

    name: str
    identity_id: str
    internal: bool
    token_hash: str
    public_key_b64: str = ""
    url: str = ""
    disabled: bool = False
    permissions: tuple[Permission, ...] = ()

    def can_read(self, collection_id: str) -> bool:
        return any(p.collection_id == collection_id and p.can_read for p in self.permissions)

    def can_write(self, collection_id: str) -> bool:
        return any(p.collection_id == collection_id and p.can_write for p in self.permissions)


@dataclass(frozen=True)
class NewObject:
    """One object version ready to be stored: parsed, validated, its handling computed."""

    id: str
    type: str
    spec_version: str
    version: str | None  # modified / created; None for version-less objects (SCOs)
    version_us: int | None
    body: bytes  # the JSON exactly as it will be served
    sha256: str
    handling: dict[str, Any] = field(default_factory=dict)
    origins: tuple[str, ...] = ()
    received_from: str = ""
    search_text: str = ""
    #: The identity that originated this object id ('' for this node): recorded as the
    #: id's owner when the id is first stored here.
    originator: str = ""

    @classmethod
    def of(
        cls,
        id: str,
        type: str,
        spec_version: str,
        version: str | None,
        version_us: int | None,
        body: bytes,
        sha256: str,
        handling: dict[str, Any],
        origins: tuple[str, ...],
        received_from: str,
        search_text: str,
        originator: str,
    ) -> NewObject:
        """``NewObject(...)`` with every field given, the same value, built without the
        frozen dataclass's ``__init__`` (the write path makes one per object stored)."""
        new = _new(cls)
        _setattr(
            new,
            "__dict__",
            {
                "id": id,
                "type": type,
                "spec_version": spec_version,
                "version": version,
                "version_us": version_us,
                "body": body,
                "sha256": sha256,
                "handling": handling,
                "origins": origins,
                "received_from": received_from,
                "search_text": search_text,
                "originator": originator,
            },
        )
        return new


@dataclass(frozen=True)
class ObjectRow:
    seq: int
    collection_id: str
    id: str
    type: str
    spec_version: str
    version: str  # TAXII version: modified/created, else date_added of the first copy
    version_us: int  # the same in microseconds (orders versions)
    date_added: str
    date_added_us: int
    body: bytes
    sha256: str
    handling: dict[str, Any]
    origins: tuple[str, ...]
    received_from: str

    @classmethod
    def of(
        cls,
        seq: int,
        collection_id: str,
        id: str,
        type: str,
        spec_version: str,
        version: str,
        version_us: int,
        date_added: str,
        date_added_us: int,
        body: bytes,
        sha256: str,
        handling: dict[str, Any],
        origins: tuple[str, ...],
        received_from: str,
    ) -> ObjectRow:
        """``ObjectRow(...)``, the same value, built without the frozen dataclass's
        ``__init__`` (one ``object.__setattr__`` per field): the store makes one row per
        version it reads. It checks nothing, like ``__init__``."""
        row = _new(cls)
        _setattr(
            row,
            "__dict__",
            {
                "seq": seq,
                "collection_id": collection_id,
                "id": id,
                "type": type,
                "spec_version": spec_version,
                "version": version,
                "version_us": version_us,
                "date_added": date_added,
                "date_added_us": date_added_us,
                "body": body,
                "sha256": sha256,
                "handling": handling,
                "origins": origins,
                "received_from": received_from,
            },
        )
        return row


_new = object.__new__
_setattr = object.__setattr__


class PendingRow(NamedTuple):
    """A stored version the correlation index does not hold yet: what correlating it
    reads (its sender: '' for this node's own parties) -- and its id, type and TAXII
    version ('' for a version-less object), all that is read of an object that holds
    no name nor observable (``liaison.correlate.lean_object``: its body is not parsed)."""

    seq: int
    body: bytes
    received_from: str
    id: str = ""
    type: str = ""
    version: str = ""


@dataclass(frozen=True)
class ObjectQuery:
    """The TAXII filters, already validated."""

    collection_id: str
    added_after_us: int | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = (VERSION_LAST,)  # first / last / all / timestamps
    version_us: tuple[int, ...] = ()  # parsed timestamps among `versions`
    spec_versions: tuple[str, ...] = ()
    after_seq: int = 0
    limit: int = 100


@dataclass(frozen=True)
class StatusRecord:
    id: str
    collection_id: str
    party: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Rehandled:
    """A stored version whose handling is recomputed (a marking-definition it cited
    arrived): the row as it was, its id's originator ('' this node), the new handling
    and the marking-definitions it still waits for."""

    row: ObjectRow
    originator: str
    handling: dict[str, Any]
    awaits: tuple[str, ...] = ()
