"""The sharing agreement, parsed and validated from its STIX object (x-liaison-agreement).

An ``Agreement`` keeps the exact object it was read from, so the bytes every party
signed (RFC 8785 form of the object without ``signatures``) survive a round trip,
unknown properties included.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from liaison.errors import AgreementError
from liaison.markings.extensions import AGREEMENT_EXT_ID, AGREEMENT_TYPE
from liaison.signing import canonical

__all__ = [
    "Agreement",
    "AgreementParty",
    "Contact",
    "DocumentStatus",
    "Scope",
    "format_ts",
    "parse_ts",
]

DocumentStatus = Literal["active", "suspended", "terminated"]
_STATUSES = ("active", "suspended", "terminated")


def format_ts(dt: datetime) -> str:
    """STIX timestamp, UTC, millisecond precision."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_ts(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise AgreementError(f"{what} must be a STIX timestamp, got {value!r}")
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError as exc:
        raise AgreementError(f"{what} must be a STIX timestamp, got {value!r}") from exc


@dataclass(frozen=True, slots=True)
class AgreementParty:
    identity_id: str
    name: str
    public_key_b64: str
    classification_levels: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "identity_ref": self.identity_id,
            "name": self.name,
            "public_key": self.public_key_b64,
            "classification_levels": list(self.classification_levels),
        }


@dataclass(frozen=True, slots=True)
class Scope:
    """What the agreement covers. Empty ``topics``/``regions`` mean any topic/region."""

    stix_types: frozenset[str]
    topics: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {
            "stix_types": sorted(self.stix_types),
            "topics": sorted(self.topics),
            "regions": sorted(self.regions),
        }


@dataclass(frozen=True, slots=True)
class Contact:
    party_ref: str
    name: str
    email: str | None = None
    phone: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"party_ref": self.party_ref, "name": self.name}
        if self.email:
            out["email"] = self.email
        if self.phone:
            out["phone"] = self.phone
        return out


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AgreementError(f"{what} must be a list of non-empty strings")
    return tuple(value)


def _key_ok(pub: Any) -> bool:
    try:
        return isinstance(pub, str) and len(base64.b64decode(pub, validate=True)) == 32
    except ValueError:
        return False


@dataclass(frozen=True)
class Agreement:
    """One version of a sharing agreement. Build with ``from_stix`` or ``propose``."""

    id: str
    created: datetime
    modified: datetime
    created_by_ref: str
    name: str
    parties: tuple[AgreementParty, ...]
    scope: Scope
    max_classification: Mapping[str, str]
    equivalence: tuple[Mapping[str, str], ...]
    retention_days: int
    valid_from: datetime
    valid_until: datetime
    contacts: tuple[Contact, ...]
    signatures: Mapping[str, str]
    status: DocumentStatus = "active"
    status_by: str | None = None
    status_reason: str | None = None
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def version(self) -> datetime:
        return self.modified

    def party(self, identity_id: str) -> AgreementParty | None:
        for p in self.parties:
            if p.identity_id == identity_id:
                return p
        return None

    @property
    def party_ids(self) -> frozenset[str]:
        return frozenset(p.identity_id for p in self.parties)

    def pairs(self, src: str, dst: str) -> list[tuple[str, str]]:
        """(level of ``src``, equivalent level of ``dst``) from the equivalence table."""
        return [(row[src], row[dst]) for row in self.equivalence if src in row and dst in row]

    def to_stix(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self._raw))

    def signing_payload(self) -> bytes:
        """The bytes each signature covers: RFC 8785 form without ``signatures``."""
        return self._payload

    @cached_property
    def _payload(self) -> bytes:
        return canonical({k: v for k, v in self._raw.items() if k != "signatures"})

    @classmethod
    def from_stix(cls, obj: Mapping[str, Any]) -> Agreement:
        """Parse and validate; raises ``AgreementError`` naming the first problem."""
        try:
            return cls._parse(obj)
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            # A value of the wrong JSON type somewhere the checks below did not expect.
            raise AgreementError(f"malformed agreement: {exc}") from exc

    @classmethod
    def _parse(cls, obj: Mapping[str, Any]) -> Agreement:
        if not isinstance(obj, Mapping) or obj.get("type") != AGREEMENT_TYPE:
            raise AgreementError(f"not an agreement object (type must be {AGREEMENT_TYPE})")
        raw = copy.deepcopy(dict(obj))
        oid = raw.get("id")
        if not isinstance(oid, str) or not oid.startswith(AGREEMENT_TYPE + "--"):
            raise AgreementError("agreement id must be x-liaison-agreement--<uuid>")
        if raw.get("spec_version") != "2.1":
            raise AgreementError(f"{oid}: spec_version must be 2.1")
        exts = raw.get("extensions")
        ext = exts.get(AGREEMENT_EXT_ID) if isinstance(exts, dict) else None
        if not isinstance(ext, dict) or ext.get("extension_type") != "new-sdo":
            raise AgreementError(f"{oid}: missing the Liaison agreement extension")
        parties = _parse_parties(raw.get("parties"), oid)
        levels = {p.identity_id: p.classification_levels for p in parties}
        scope_raw = raw.get("scope")
        if not isinstance(scope_raw, dict):
            raise AgreementError(f"{oid}: scope must be an object")
        scope = Scope(
            stix_types=frozenset(_str_list(scope_raw.get("stix_types"), "scope.stix_types")),
            topics=frozenset(_str_list(scope_raw.get("topics", []), "scope.topics")),
            regions=frozenset(_str_list(scope_raw.get("regions", []), "scope.regions")),
        )
        maxc = raw.get("max_classification")
        if not isinstance(maxc, dict) or set(maxc) != set(levels):
            raise AgreementError(f"{oid}: max_classification must name a level for every party")
        for pid, lvl in maxc.items():
            if lvl not in levels[pid]:
                raise AgreementError(f"{oid}: maximum {lvl!r} is not a level of {pid}")
        equivalence = _parse_equivalence(raw.get("classification_equivalence"), levels, oid)
        retention = raw.get("retention_days")
        if not isinstance(retention, int) or isinstance(retention, bool) or retention < 0:
            raise AgreementError(f"{oid}: retention_days must be a non-negative integer")
        valid_from = parse_ts(raw.get("valid_from"), "valid_from")
        valid_until = parse_ts(raw.get("valid_until"), "valid_until")
        if valid_until <= valid_from:
            raise AgreementError(f"{oid}: valid_until must be after valid_from")
        contacts = _parse_contacts(raw.get("contacts", []), levels, oid)
        signatures = _parse_signatures(raw.get("signatures", []), levels, oid)
        status = raw.get("status", "active")
        if status not in _STATUSES:
            raise AgreementError(f"{oid}: status must be one of {', '.join(_STATUSES)}")
        status_by = raw.get("status_by")
        if status != "active" and status_by not in levels:
            raise AgreementError(f"{oid}: a {status} agreement must name the party acting")
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise AgreementError(f"{oid}: an agreement needs a name")
        creator = raw.get("created_by_ref")
        if creator not in levels:
            raise AgreementError(f"{oid}: created_by_ref must be one of the parties")
        return cls(
            id=oid,
            created=parse_ts(raw.get("created"), "created"),
            modified=parse_ts(raw.get("modified"), "modified"),
            created_by_ref=str(creator),
            name=name,
            parties=parties,
            scope=scope,
            max_classification=dict(maxc),
            equivalence=equivalence,
            retention_days=retention,
            valid_from=valid_from,
            valid_until=valid_until,
            contacts=contacts,
            signatures=signatures,
            status=status,
            status_by=status_by if status != "active" else None,
            status_reason=raw.get("status_reason") if status != "active" else None,
            _raw=raw,
        )


def _parse_parties(value: Any, oid: str) -> tuple[AgreementParty, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise AgreementError(f"{oid}: an agreement needs at least two parties")
    out: list[AgreementParty] = []
    for p in value:
        if not isinstance(p, dict):
            raise AgreementError(f"{oid}: each party must be an object")
        pid = p.get("identity_ref")
        if not isinstance(pid, str) or not pid.startswith("identity--"):
            raise AgreementError(f"{oid}: party identity_ref must be an identity id")
        if not _key_ok(p.get("public_key")):
            raise AgreementError(f"{oid}: party {pid} needs a base64 Ed25519 public key")
        lvls = _str_list(p.get("classification_levels"), f"classification levels of {pid}")
        if not lvls or len(set(lvls)) != len(lvls):
            raise AgreementError(f"{oid}: classification levels of {pid} must be distinct")
        out.append(AgreementParty(pid, str(p.get("name") or pid), p["public_key"], lvls))
    if len({p.identity_id for p in out}) != len(out):
        raise AgreementError(f"{oid}: a party appears twice")
    return tuple(out)


def _parse_equivalence(
    value: Any, levels: Mapping[str, tuple[str, ...]], oid: str
) -> tuple[Mapping[str, str], ...]:
    if not isinstance(value, list):
        raise AgreementError(f"{oid}: classification_equivalence must be a list of rows")
    last: dict[str, int] = {}
    rows: list[Mapping[str, str]] = []
    for row in value:
        if not isinstance(row, dict) or len(row) < 2:
            raise AgreementError(f"{oid}: each equivalence row maps two or more parties")
        for pid, lvl in row.items():
            if pid not in levels or lvl not in levels[pid]:
                raise AgreementError(f"{oid}: equivalence names unknown level {lvl!r} of {pid}")
            rank = levels[pid].index(lvl)
            if rank <= last.get(pid, -1):
                raise AgreementError(f"{oid}: equivalence rows must rise for every party")
            last[pid] = rank
        rows.append(dict(row))
    return tuple(rows)


def _parse_contacts(
    value: Any, levels: Mapping[str, tuple[str, ...]], oid: str
) -> tuple[Contact, ...]:
    if not isinstance(value, list):
        raise AgreementError(f"{oid}: contacts must be a list")
    out = []
    for c in value:
        if not isinstance(c, dict) or c.get("party_ref") not in levels or not c.get("name"):
            raise AgreementError(f"{oid}: each contact needs a party_ref (a party) and a name")
        out.append(Contact(c["party_ref"], str(c["name"]), c.get("email"), c.get("phone")))
    return tuple(out)


def _parse_signatures(
    value: Any, levels: Mapping[str, tuple[str, ...]], oid: str
) -> dict[str, str]:
    if not isinstance(value, list):
        raise AgreementError(f"{oid}: signatures must be a list")
    out: dict[str, str] = {}
    for s in value:
        if not isinstance(s, dict) or not isinstance(s.get("signature"), str):
            raise AgreementError(f"{oid}: each signature needs party_ref and signature")
        pid = s.get("party_ref")
        if pid not in levels:
            raise AgreementError(f"{oid}: signature by {pid}, who is not a party")
        if pid in out:
            raise AgreementError(f"{oid}: two signatures by {pid}")
        out[str(pid)] = s["signature"]
    return out
