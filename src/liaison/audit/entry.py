"""What one audit entry says: who did what to which objects, when, why -- never the content.

An ``AuditEntry`` holds only references and metadata: object ids, versions and content
hashes, the agreement, the recipient, the decision and the policy's reasons. Its
canonical form (RFC 8785, plus the log position ``seq``) is the Merkle leaf.

The conventions the rest of Liaison follows:

* creating or receiving an object logs ``object.created`` / ``object.received`` with
  ``ObjectRef.for_stored(id, version, stored_bytes)`` -- the SHA-256 of exactly the bytes
  the store keeps, so ``AuditLog.verify(stored_objects=...)`` can spot an object changed
  behind the log's back;
* a release logs ``object.released`` with ``recipient`` and ``agreement`` and the policy's
  reasons; a refusal logs ``release.refused`` or ``read.denied`` with ``decision="deny"``.
"""

from __future__ import annotations

import copy
import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from liaison.errors import InvalidInputError

__all__ = [
    "STORES_CONTENT",
    "Action",
    "AuditEntry",
    "AuditRecord",
    "ObjectRef",
    "Scalar",
    "encode_body",
    "normalise_time",
    "ref_key",
]

Scalar = str | int | bool | None

_MAX_SAFE_INT = 2**53 - 1
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_STIX_ID_RE = re.compile(r"^[a-z][a-z0-9-]*--[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MAX_NAME = 256
_MAX_REASON = 512
_MAX_REASONS = 64
_MAX_OBJECTS = 1000
_MAX_DETAILS = 32
FORMAT_VERSION = 1
_TAIL = ("seq", "time", "v")


class Action(StrEnum):
    """The security-relevant events Liaison logs (other dotted names are accepted too)."""

    OBJECT_CREATED = "object.created"
    OBJECT_RECEIVED = "object.received"
    OBJECT_RELEASED = "object.released"
    OBJECT_DELETED = "object.deleted"
    RELEASE_REFUSED = "release.refused"
    READ_DENIED = "read.denied"
    AGREEMENT_SIGNED = "agreement.signed"
    CONSENT_SIGNED = "consent.signed"
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    SETTINGS_CHANGED = "settings.changed"
    KEY_ROTATED = "key.rotated"
    PEER_HEAD_ALARM = "audit.peer_alarm"
    ALARM_ACKNOWLEDGED = "audit.alarm_acknowledged"


STORES_CONTENT = frozenset({Action.OBJECT_CREATED.value, Action.OBJECT_RECEIVED.value})
"""Actions whose object references vouch for what the store keeps (``verify`` checks them)."""
_HASHED = STORES_CONTENT | {Action.OBJECT_DELETED.value}
_NEEDS_OBJECTS = STORES_CONTENT | {
    Action.OBJECT_RELEASED.value,
    Action.RELEASE_REFUSED.value,
    Action.OBJECT_DELETED.value,
}


def ref_key(object_id: str) -> int:
    """Key of an object id in the ``audit_refs`` index: CRC-32 of its UTF-8 bytes.

    Only an index: lookups re-check the id in the entry body, so collisions cost a row.
    """
    return zlib.crc32(object_id.encode("utf-8"))


def normalise_time(value: str | datetime, *, assume_utc: bool = False) -> str:
    """UTC, microseconds, ``Z``: ``2026-11-29T12:00:00.000000Z`` (sorts as text).

    A time without a zone is refused unless ``assume_utc`` (query bounds typed by people:
    ``2026-11-29`` means midnight UTC).
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise InvalidInputError(f"not an RFC 3339 timestamp: {value!r}") from exc
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise InvalidInputError(f"not a timestamp: {value!r}")
    if parsed.tzinfo is None:
        if assume_utc:
            parsed = parsed.replace(tzinfo=UTC)
            return parsed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        raise InvalidInputError(f"timestamp without a time zone: {value!r}")
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: object, what: str, limit: int = _MAX_NAME) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidInputError(f"{what} must be a non-empty string of at most {limit} characters")
    return value


def _opt_text(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


@dataclass(frozen=True)
class ObjectRef:
    """A STIX object by id, version (its ``modified``, if any) and SHA-256 of its stored JSON."""

    id: str
    version: str | None = None
    sha256: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _STIX_ID_RE.match(self.id):
            raise InvalidInputError(f"object reference needs a STIX id, got {self.id!r}")
        _opt_text(self.version, "object version")
        if self.sha256 is not None and (
            not isinstance(self.sha256, str) or not _SHA256_RE.match(self.sha256)
        ):
            raise InvalidInputError(f"{self.id}: sha256 must be 64 lowercase hex digits")

    @classmethod
    def for_stored(cls, object_id: str, version: str | None, stored: bytes) -> ObjectRef:
        """Reference carrying the SHA-256 of exactly the bytes the store keeps."""
        return cls(object_id, version, hashlib.sha256(stored).hexdigest())

    def to_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectRef:
        if not isinstance(data, Mapping):
            raise InvalidInputError("object reference must be an object")
        return cls(data.get("id"), data.get("version"), data.get("sha256"))  # type: ignore[arg-type]


def _details(raw: Mapping[str, Any]) -> dict[str, Scalar]:
    if not isinstance(raw, Mapping):
        raise InvalidInputError("details must be a mapping of names to scalars")
    if len(raw) > _MAX_DETAILS:
        raise InvalidInputError(f"at most {_MAX_DETAILS} details per entry")
    out: dict[str, Scalar] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise InvalidInputError(f"detail name {key!r} must be a lowercase identifier")
        if isinstance(value, bool) or value is None:
            out[key] = value
        elif isinstance(value, int):
            if abs(value) > _MAX_SAFE_INT:
                raise InvalidInputError(f"detail {key!r} is outside the safe integer range")
            out[key] = value
        elif isinstance(value, str):
            out[key] = _text(value, f"detail {key!r}") if value else ""
        else:
            raise InvalidInputError(
                f"detail {key!r} must be a string, integer, boolean or null (metadata only)"
            )
    return out


@dataclass(frozen=True)
class AuditEntry:
    """One event to log. ``time`` defaults to the moment it is appended."""

    action: str
    actor: str
    objects: tuple[ObjectRef, ...] = ()
    agreement: str | None = None
    recipient: str | None = None
    decision: str | None = None
    reasons: tuple[str, ...] = ()
    details: Mapping[str, Scalar] = field(default_factory=dict)
    time: str | None = None
    _static: bytes = field(default=b"", init=False, repr=False, compare=False)
    ref_keys: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        action = str(self.action) if isinstance(self.action, StrEnum) else self.action
        if not isinstance(action, str) or len(action) > 64 or not _ACTION_RE.match(action):
            raise InvalidInputError(f"action {self.action!r} must be a dotted lowercase name")
        object.__setattr__(self, "action", action)
        _text(self.actor, "actor")
        objects = tuple(self.objects)
        if len(objects) > _MAX_OBJECTS or not all(isinstance(o, ObjectRef) for o in objects):
            raise InvalidInputError(f"objects must be at most {_MAX_OBJECTS} ObjectRef values")
        object.__setattr__(self, "objects", objects)
        _opt_text(self.agreement, "agreement")
        _opt_text(self.recipient, "recipient")
        if self.decision not in (None, "allow", "deny"):
            raise InvalidInputError("decision must be 'allow', 'deny' or absent")
        reasons = tuple(self.reasons) if not isinstance(self.reasons, str) else (self.reasons,)
        if len(reasons) > _MAX_REASONS:
            raise InvalidInputError(f"at most {_MAX_REASONS} reasons per entry")
        for reason in reasons:
            _text(reason, "reason", 1 << 20)
        # a long policy explanation must not make the event unloggable: keep its start
        reasons = tuple(r if len(r) <= _MAX_REASON else r[: _MAX_REASON - 1] + "…" for r in reasons)
        object.__setattr__(self, "reasons", reasons)
        object.__setattr__(self, "details", _details(self.details))
        if self.time is not None:
            object.__setattr__(self, "time", normalise_time(self.time))
        if action in _NEEDS_OBJECTS and not objects:
            raise InvalidInputError(f"{action} needs at least one object reference")
        if action in _HASHED and any(o.sha256 is None for o in objects):
            raise InvalidInputError(f"{action} needs the sha256 of every stored object")
        if action == Action.OBJECT_RELEASED and (self.recipient is None or self.agreement is None):
            raise InvalidInputError("object.released needs a recipient and an agreement")
        object.__setattr__(self, "ref_keys", tuple({ref_key(o.id) for o in objects}))
        static = {k: v for k, v in self.body(0, "").items() if k not in _TAIL}
        object.__setattr__(self, "_static", encode_body(static)[:-1])

    def encode(self, seq: int, time: str) -> bytes:
        """Canonical bytes of ``body(seq, time)``, fast: the keys ``seq``, ``time`` and
        ``v`` sort after every other key, so they are appended to pre-encoded bytes."""
        return b"%s,\"seq\":%d,\"time\":\"%s\",\"v\":%d}" % (
            self._static, seq, time.encode("ascii"), FORMAT_VERSION,
        )  # fmt: skip

    def stamped(self, now: str) -> AuditEntry:
        """This entry with ``time`` set (kept if already there)."""
        if self.time is not None:
            return self
        stamped = copy.copy(self)  # already validated: skip __post_init__
        object.__setattr__(stamped, "time", now)
        return stamped

    def body(self, seq: int, time: str | None = None) -> dict[str, Any]:
        """The JSON object hashed as the leaf at position ``seq`` (``time`` if unset)."""
        time = self.time or time
        if time is None:
            raise InvalidInputError("entry has no time yet")
        return {
            "v": FORMAT_VERSION,
            "seq": seq,
            "time": time,
            "actor": self.actor,
            "action": self.action,
            "objects": [o.to_dict() for o in self.objects],
            "agreement": self.agreement,
            "recipient": self.recipient,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "details": dict(self.details),
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> AuditEntry:
        if not isinstance(body, Mapping) or body.get("v") != FORMAT_VERSION:
            raise InvalidInputError("not an audit entry of a known format version")
        objects = body.get("objects")
        if not isinstance(objects, list):
            raise InvalidInputError("audit entry objects must be a list")
        reasons = body.get("reasons")
        if not isinstance(reasons, list):
            raise InvalidInputError("audit entry reasons must be a list")
        return cls(
            action=body.get("action"),  # type: ignore[arg-type]
            actor=body.get("actor"),  # type: ignore[arg-type]
            objects=tuple(ObjectRef.from_dict(o) for o in objects),
            agreement=body.get("agreement"),
            recipient=body.get("recipient"),
            decision=body.get("decision"),
            reasons=tuple(reasons),
            details=body.get("details") or {},
            time=body.get("time"),
        )


def encode_body(body: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of an entry body.

    Bodies only hold ASCII-identifier keys, strings, safe-range integers, booleans and
    nulls (``AuditEntry`` enforces it). On that domain orjson with sorted keys emits the
    same bytes as ``liaison.signing.canonical`` -- ~50x faster; the unit tests check the
    equivalence for every Unicode scalar value.
    """
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class AuditRecord:
    """An entry as stored: its position in the log, the entry and its leaf hash."""

    seq: int
    entry: AuditEntry
    leaf_hash: bytes

    def to_dict(self) -> dict[str, Any]:
        return {**self.entry.body(self.seq), "leaf_hash": self.leaf_hash.hex()}


def entries_from(values: Iterable[AuditEntry]) -> list[AuditEntry]:
    out = list(values)
    for value in out:
        if not isinstance(value, AuditEntry):
            raise InvalidInputError(f"expected AuditEntry, got {type(value).__name__}")
    return out
