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
from collections.abc import Iterable, Mapping, Sequence
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
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\Z")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")
_STIX_ID_RE = re.compile(
    r"^[a-z][a-z0-9-]*--[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z"
)
_SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
_MAX_NAME = 256
_MAX_REASON = 512
_MAX_REASONS = 64
_MAX_OBJECTS = 1000
_MAX_DETAILS = 32
FORMAT_VERSION = 1


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
_RELEASED = Action.OBJECT_RELEASED.value
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
        _check_ref(self.id, self.version, self.sha256)

    @classmethod
    def build(cls, object_id: str, version: str | None, sha256: str | None) -> ObjectRef:
        """``ObjectRef(object_id, version, sha256)`` -- the same checks, the same value --
        without the dataclass machinery (a few per stored or released object)."""
        _check_ref(object_id, version, sha256)
        ref = _new(cls)
        _setattr(ref, "__dict__", {"id": object_id, "version": version, "sha256": sha256})
        return ref

    @classmethod
    def build_all(
        cls,
        ids: Sequence[str],
        versions: Sequence[str | None],
        sha256s: Sequence[str | None],
    ) -> list[ObjectRef]:
        """``[ObjectRef.build(i, v, s) for i, v, s in zip(ids, versions, sha256s)]`` --
        equal references, the same first refusal -- with the checks made over the
        whole batch in a few passes in C (``_all_well_formed``) instead of a few calls
        a reference: the write path makes one per version stored. Should any value
        fail them, each reference is made (and refused) as ``build`` makes it."""
        if len(ids) != len(versions) or len(ids) != len(sha256s):
            raise ValueError("ids, versions and sha256s must have the same length")
        if not _all_well_formed(ids, versions, sha256s):
            return [cls.build(i, v, s) for i, v, s in zip(ids, versions, sha256s, strict=True)]
        out: list[ObjectRef] = []
        append = out.append
        for object_id, version, sha256 in zip(ids, versions, sha256s, strict=True):
            ref = _new(cls)
            _setattr(ref, "__dict__", {"id": object_id, "version": version, "sha256": sha256})
            append(ref)
        return out

    @classmethod
    def for_stored(cls, object_id: str, version: str | None, stored: bytes) -> ObjectRef:
        """Reference carrying the SHA-256 of exactly the bytes the store keeps."""
        _check_ref(object_id, version, None)  # a hex digest is well-formed: not checked
        ref = _new(cls)
        _setattr(
            ref,
            "__dict__",
            {"id": object_id, "version": version, "sha256": hashlib.sha256(stored).hexdigest()},
        )
        return ref

    def hashing(self, data: bytes) -> ObjectRef:
        """This reference with the SHA-256 of ``data`` (e.g. the copy a partner was sent):
        the id and version were checked when this one was made, a hex digest is
        well-formed -- nothing is checked again."""
        ref = _new(self.__class__)
        _setattr(
            ref,
            "__dict__",
            {"id": self.id, "version": self.version, "sha256": hashlib.sha256(data).hexdigest()},
        )
        return ref

    def to_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectRef:
        if not isinstance(data, Mapping):
            raise InvalidInputError("object reference must be an object")
        return cls(data.get("id"), data.get("version"), data.get("sha256"))  # type: ignore[arg-type]


_new = object.__new__
_setattr = object.__setattr__
_crc32 = zlib.crc32
_dumps = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS


def _check_ref(object_id: object, version: object, sha256: object) -> None:
    if not isinstance(object_id, str) or not _STIX_ID_RE.match(object_id):
        raise InvalidInputError(f"object reference needs a STIX id, got {object_id!r}")
    if version is not None and not (version.__class__ is str and 0 < len(version) <= _MAX_NAME):
        _text(version, "object version")  # refuses it -- or lets a subclass through
    if sha256 is not None and (not isinstance(sha256, str) or not _SHA256_RE.match(sha256)):
        raise InvalidInputError(f"{object_id}: sha256 must be 64 lowercase hex digits")


#: ``_STIX_ID_RE`` cut in two at a fixed distance from the end (``--`` and a UUID: 38
#: characters): the type before it, matched without the backtracking the whole pattern
#: needs (its ``[a-z0-9-]*`` runs over the UUID's hex digits first, then gives them
#: back one by one), and the tail after it, checked by position: dashes where a tail
#: has them (``_TAIL_DASHES``), ASCII hex digits everywhere else.
_ID_TAIL = 38
_ID_TYPES = re.compile(r"(?:[a-z][a-z0-9-]*\n)*[a-z][a-z0-9-]*")
_TAIL_DASHES = (0, 1, 10, 15, 20, 25)
_TAIL_BYTES = b"-0123456789abcdefABCDEF"
_LOWER_HEX = b"0123456789abcdef"
_STR = {str}
_STR_OR_NONE = {str, type(None)}


def _all_well_formed(
    ids: Sequence[object], versions: Sequence[object], sha256s: Sequence[object]
) -> bool:
    """True only if ``_check_ref`` passes every (id, version, sha256) of the batch -- of
    exact ``str`` values (anything else: False, and each is checked on its own).

    * each id matches ``_STIX_ID_RE``: it is a ``str`` of more than 38 characters whose
      last 38 are ``--<UUID>`` -- all of them, joined, hold 38 * n characters (none is
      shorter: a tail is at most 38), ASCII, with a dash at each of the six places a
      tail has one (every 38th character from each) and nowhere else (6 * n dashes),
      the rest hex digits (nothing left once dashes and hex digits are taken out) --
      and whose type, before them, matches ``[a-z][a-z0-9-]*``: the types joined by
      newlines (which they do not hold: the joined text has n - 1) match that pattern
      between the newlines;
    * each version is None or a ``str`` of 1 to ``_MAX_NAME`` characters;
    * each sha256 is None or 64 lowercase hex digits: the ``str`` ones all have 64
      characters, and joined they are ASCII with nothing left once the lowercase hex
      digits are taken out.

    (Byte checks in C over the batch: the regular expressions and ``bytes.fromhex``
    they replace were 6,600 of the 16,000 instructions a reference cost -- callgrind.)
    """
    n = len(ids)
    if not n:
        return True
    if set(map(type, ids)) != _STR or not set(map(type, versions)) <= _STR_OR_NONE:
        return False
    if not set(map(type, sha256s)) <= _STR_OR_NONE:
        return False
    tails = "".join([i[-_ID_TAIL:] for i in ids])  # type: ignore[index]
    if len(tails) != _ID_TAIL * n or not tails.isascii():
        return False
    raw = tails.encode("ascii")
    dashes = b"-" * n
    if raw.count(b"-") != 6 * n or any(raw[d::_ID_TAIL] != dashes for d in _TAIL_DASHES):
        return False
    if raw.translate(None, _TAIL_BYTES):
        return False
    types = "\n".join([i[:-_ID_TAIL] for i in ids])  # type: ignore[index]
    if types.count("\n") != n - 1 or _ID_TYPES.fullmatch(types) is None:
        return False
    texts = [v for v in versions if v is not None]
    if "" in texts or max(map(len, texts), default=0) > _MAX_NAME:  # type: ignore[arg-type]
        return False
    digests = [s for s in sha256s if s is not None]
    if not digests:
        return True
    if set(map(len, digests)) != {64}:  # type: ignore[arg-type]
        return False
    joined = "".join(digests)  # type: ignore[arg-type]
    return joined.isascii() and not joined.encode("ascii").translate(None, _LOWER_HEX)


#: Action names and detail names already found well-formed (a bounded memo: the check
#: depends on the string only; names come from code, and from stored bodies when read).
_GOOD_ACTIONS: set[str] = set()
_GOOD_KEYS: set[str] = set()
_MEMO_MAX = 1024


def _action(value: object) -> str:
    if value.__class__ is str and value in _GOOD_ACTIONS:
        return value  # type: ignore[return-value]
    action = str(value) if isinstance(value, StrEnum) else value
    if action.__class__ is str and action in _GOOD_ACTIONS:
        return action  # type: ignore[return-value]
    if not isinstance(action, str) or len(action) > 64 or not _ACTION_RE.match(action):
        raise InvalidInputError(f"action {value!r} must be a dotted lowercase name")
    if action.__class__ is str and len(_GOOD_ACTIONS) < _MEMO_MAX:
        _GOOD_ACTIONS.add(action)
    return action


def _details(raw: Mapping[str, Any]) -> dict[str, Scalar]:
    if not isinstance(raw, Mapping):
        raise InvalidInputError("details must be a mapping of names to scalars")
    if len(raw) > _MAX_DETAILS:
        raise InvalidInputError(f"at most {_MAX_DETAILS} details per entry")
    out: dict[str, Scalar] = {}
    for key, value in raw.items():
        if key.__class__ is not str or key not in _GOOD_KEYS:
            if not isinstance(key, str) or not _KEY_RE.match(key):
                raise InvalidInputError(f"detail name {key!r} must be a lowercase identifier")
            if key.__class__ is str and len(_GOOD_KEYS) < _MEMO_MAX:
                _GOOD_KEYS.add(key)
        if (
            (value.__class__ is str and len(value) <= _MAX_NAME)
            or isinstance(value, bool)
            or value is None
        ):  # the common case
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


def _entry_fields(
    action: object,
    actor: object,
    objects: Iterable[ObjectRef],
    agreement: object,
    recipient: object,
    decision: object,
    reasons: object,
    details: Mapping[str, Any],
    time: str | datetime | None,
) -> dict[str, Any]:
    """Every field of an ``AuditEntry`` checked and normalised, and what it derives
    from them: ``ref_keys`` and ``_static`` (the canonical bytes of the body without
    ``seq``, ``time`` and ``v``). The one place both constructors check an entry."""
    action = _action(action)
    _text(actor, "actor")
    objects = tuple(objects)
    if len(objects) > _MAX_OBJECTS or not all(
        o.__class__ is ObjectRef or isinstance(o, ObjectRef) for o in objects
    ):
        raise InvalidInputError(f"objects must be at most {_MAX_OBJECTS} ObjectRef values")
    _opt_text(agreement, "agreement")
    _opt_text(recipient, "recipient")
    if decision not in (None, "allow", "deny"):
        raise InvalidInputError("decision must be 'allow', 'deny' or absent")
    listed: tuple[str, ...] = (
        (reasons,) if isinstance(reasons, str) else tuple(reasons)  # type: ignore[arg-type]
    )
    if listed:
        if len(listed) > _MAX_REASONS:
            raise InvalidInputError(f"at most {_MAX_REASONS} reasons per entry")
        for reason in listed:
            _text(reason, "reason", 1 << 20)
        # a long policy explanation must not make the event unloggable: keep its start
        if max(map(len, listed)) > _MAX_REASON:
            listed = tuple(
                r if len(r) <= _MAX_REASON else r[: _MAX_REASON - 1] + "…" for r in listed
            )
    checked = _details(details)
    if time is not None:
        time = normalise_time(time)
    if action in _NEEDS_OBJECTS:
        if not objects:
            raise InvalidInputError(f"{action} needs at least one object reference")
        if action in _HASHED:
            for o in objects:
                if o.sha256 is None:
                    raise InvalidInputError(f"{action} needs the sha256 of every stored object")
        elif action == _RELEASED and (recipient is None or agreement is None):
            raise InvalidInputError("object.released needs a recipient and an agreement")
    static = {  # body() without seq, time and v (see ``encode``)
        "actor": actor,
        "action": action,
        "objects": [{"id": o.id, "version": o.version, "sha256": o.sha256} for o in objects],
        "agreement": agreement,
        "recipient": recipient,
        "decision": decision,
        "reasons": list(listed),
        "details": checked,
    }
    return {
        "action": action,
        "actor": actor,
        "objects": objects,
        "agreement": agreement,
        "recipient": recipient,
        "decision": decision,
        "reasons": listed,
        "details": checked,
        "time": time,
        "_static": encode_body(static)[:-1],
        "ref_keys": (
            (ref_key(objects[0].id),)
            if len(objects) == 1
            else tuple({ref_key(o.id) for o in objects})
        ),
    }


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
        self.__dict__.update(
            _entry_fields(
                self.action, self.actor, self.objects, self.agreement, self.recipient,
                self.decision, self.reasons, self.details, self.time,
            )
        )  # fmt: skip

    @classmethod
    def build(
        cls,
        action: str,
        actor: str,
        objects: Iterable[ObjectRef] = (),
        *,
        agreement: str | None = None,
        recipient: str | None = None,
        decision: str | None = None,
        reasons: Iterable[str] = (),
        details: Mapping[str, Scalar] | None = None,
        time: str | None = None,
    ) -> AuditEntry:
        """``AuditEntry(...)`` with the same arguments: the same checks, an equal entry,
        the same bytes -- without the dataclass machinery (``__init__`` and its
        frozen ``__setattr__`` per field): the write path logs one entry per object."""
        entry = _new(cls)
        fields = _entry_fields(
            action, actor, objects, agreement, recipient, decision, reasons,
            {} if details is None else details, time,
        )  # fmt: skip
        _setattr(entry, "__dict__", fields)
        return entry

    @classmethod
    def build_each(
        cls,
        action: str,
        actor: str,
        items: Iterable[tuple[ObjectRef, Mapping[str, Scalar]]],
    ) -> list[AuditEntry]:
        """``[AuditEntry.build(action, actor, (ref,), details=d) for ref, d in items]``
        -- equal entries, the same bytes, the same first refusal -- for the write path's
        one entry per object: what depends on ``action`` and ``actor`` alone is checked
        and encoded once, not once per entry."""
        out: list[AuditEntry] = []
        head = b""
        hashed = released = False
        # The details a write-path batch shares (one mapping per distinct binding):
        # checked and encoded once each, by identity -- the mapping itself is kept, so
        # its id is not reused, and found still equal to what was checked before its
        # encoding is reused (a mapping changed meanwhile is checked again).
        seen: dict[int, tuple[Mapping[str, Any], dict[str, Scalar], bytes]] = {}
        for ref, details in items:
            if not head:
                action = _action(action)
                _text(actor, "actor")
                hashed, released = action in _HASHED, action == _RELEASED
                head = encode_body(
                    {"action": action, "actor": actor, "agreement": None, "decision": None}
                )[:-1]
            if not (ref.__class__ is ObjectRef or isinstance(ref, ObjectRef)):
                raise InvalidInputError(f"objects must be at most {_MAX_OBJECTS} ObjectRef values")
            known = seen.get(id(details))
            if known is not None and known[0] is details and details == known[1]:
                checked, encoded = known[1], known[2]
            else:
                checked = _details({} if details is None else details)
                encoded = _dumps(checked, option=_SORTED)
                if details is not None:
                    seen[id(details)] = (details, checked, encoded)
            if hashed and ref.sha256 is None:
                raise InvalidInputError(f"{action} needs the sha256 of every stored object")
            if released:
                raise InvalidInputError("object.released needs a recipient and an agreement")
            oid = ref.id
            entry = _new(cls)
            _setattr(
                entry,
                "__dict__",
                {
                    "action": action,
                    "actor": actor,
                    "objects": (ref,),
                    "agreement": None,
                    "recipient": None,
                    "decision": None,
                    "reasons": (),
                    "details": checked,
                    "time": None,
                    # encode_body(static)[:-1] of ``_entry_fields``: the members of an
                    # object, its keys in order, each value encoded as orjson encodes it
                    "_static": b'%s,"details":%s,"objects":[%s],"reasons":[],"recipient":null'
                    % (
                        head,
                        encoded,
                        _dumps(
                            {"id": oid, "sha256": ref.sha256, "version": ref.version},
                            option=_SORTED,
                        ),
                    ),
                    "ref_keys": (_crc32(oid.encode("utf-8")),),  # ``ref_key(oid)``, inline
                },
            )
            out.append(entry)
        return out

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
