"""The agreement spec an operator writes (TOML), checked whole before anything is made.

A spec names partners by their local party names; ``AgreementSpec.propose`` turns it
into an unsigned agreement once the caller supplies who "we" are and how to look a
partner up (``Node.propose_agreement`` does both). Every unknown key, unknown STIX
type and impossible value is an ``InvalidInputError`` naming the file and the line::

    spec = AgreementSpec.load(Path("dz-mr.toml"))      # or AgreementSpec.from_dict({...})
    agreement = spec.propose(me=ours, partner=lambda name: theirs[name])

The format is documented in docs/agreements.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from liaison.agreements.lifecycle import propose
from liaison.agreements.model import Agreement, AgreementParty, Contact, Scope
from liaison.checks import check_stix_type
from liaison.errors import AgreementError, InvalidInputError, LiaisonError
from liaison.tomlfile import KeyLines, parse_toml, read_toml

__all__ = ["AgreementSpec", "ContactSpec", "PartnerSpec"]

_TOP = (
    "name",
    "types",
    "topics",
    "regions",
    "max_classification",
    "retention_days",
    "valid_days",
    "partner",
    "contact",
)
_PARTNER = ("party", "levels", "max_classification", "equivalence")
_CONTACT = ("party", "name", "email", "phone")


@dataclass(frozen=True)
class PartnerSpec:
    """One ``[[partner]]`` table: a local party and its national scheme."""

    party: str
    levels: tuple[str, ...]
    max_classification: str
    equivalence: tuple[tuple[str, str], ...]  # (our level, their level), lowest first


@dataclass(frozen=True)
class ContactSpec:
    """One ``[[contact]]`` table; ``party`` is a local party name or ``"self"``."""

    party: str
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class AgreementSpec:
    """A checked spec. Build it with ``load``, ``from_toml`` or ``from_dict``."""

    name: str
    types: frozenset[str]
    max_classification: str
    partners: tuple[PartnerSpec, ...]
    topics: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    retention_days: int = 365
    valid_days: int = 365
    contacts: tuple[ContactSpec, ...] = ()
    lines: KeyLines = field(
        default_factory=lambda: KeyLines("agreement spec"), compare=False, repr=False
    )

    # --- reading ----------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> AgreementSpec:
        """Read and check a spec file."""
        raw, lines = read_toml(path)
        return cls.from_dict(raw, lines)

    @classmethod
    def from_toml(cls, text: str, where: str = "agreement spec") -> AgreementSpec:
        """Check a spec given as TOML text read from ``where``."""
        raw, lines = parse_toml(text, where)
        return cls.from_dict(raw, lines)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], lines: KeyLines | None = None) -> AgreementSpec:
        """Check a spec given as a mapping (as TOML would parse it)."""
        r = _Reader(lines or KeyLines("agreement spec"))
        r.known(raw, _TOP, ())
        partners = r.tables(raw, "partner", required=True)
        contacts = r.tables(raw, "contact", required=False)
        spec = cls(
            name=r.text(raw, ("name",)),
            types=frozenset(r.stix_types(raw)),
            topics=frozenset(r.strings(raw, ("topics",), required=False)),
            regions=frozenset(r.strings(raw, ("regions",), required=False)),
            max_classification=r.text(raw, ("max_classification",)),
            retention_days=r.days(raw, ("retention_days",), 365, minimum=0),
            valid_days=r.days(raw, ("valid_days",), 365, minimum=1),
            partners=tuple(r.partner(p, i) for i, p in enumerate(partners)),
            contacts=tuple(r.contact(c, i) for i, c in enumerate(contacts)),
            lines=r.lines,
        )
        seen: set[str] = set()
        for i, p in enumerate(spec.partners):
            if p.party in seen:
                raise r.error(("partner", i, "party"), f"party {p.party!r} is named twice")
            seen.add(p.party)
        return spec

    # --- making the agreement ---------------------------------------------------------
    def propose(
        self,
        *,
        me: AgreementParty,
        partner: Callable[[str], AgreementParty],
        now: datetime | None = None,
    ) -> Agreement:
        """An unsigned agreement between ``me`` and the partners (looked up by name)."""
        now = now or datetime.now(UTC)
        at = self.lines.at
        if self.max_classification not in me.classification_levels:
            raise InvalidInputError(
                f"{at('max_classification')}: {self.max_classification!r} is not one of our"
                f" levels ({', '.join(me.classification_levels)})"
            )
        parties, maxima = [me], {me.identity_id: self.max_classification}
        rows: dict[str, dict[str, str]] = {}
        names: dict[str, str] = {"self": me.identity_id}
        for i, p in enumerate(self.partners):
            try:
                found = partner(p.party)
            except LiaisonError as exc:  # no such party, no pinned key …
                raise InvalidInputError(f"{at('partner', i, 'party')}: {exc}") from exc
            if found.identity_id == me.identity_id:
                raise InvalidInputError(f"{at('partner', i, 'party')}: {p.party} is this node")
            names[p.party] = found.identity_id
            parties.append(
                AgreementParty(found.identity_id, found.name, found.public_key_b64, p.levels)
            )
            maxima[found.identity_id] = p.max_classification
            for ours, theirs in p.equivalence:
                if ours not in me.classification_levels:
                    raise InvalidInputError(
                        f"{at('partner', i, 'equivalence')}: {ours!r} is not one of our levels"
                    )
                rows.setdefault(ours, {me.identity_id: ours})[found.identity_id] = theirs
        order = list(me.classification_levels)
        contacts = []
        for i, c in enumerate(self.contacts):
            if c.party not in names:
                raise InvalidInputError(
                    f"{at('contact', i, 'party')}: {c.party!r} is not a partner of this spec"
                    " (or 'self')"
                )
            contacts.append(Contact(names[c.party], c.name, c.email, c.phone))
        try:
            return propose(
                proposer=me.identity_id,
                name=self.name,
                parties=parties,
                scope=Scope(self.types, self.topics, self.regions),
                max_classification=maxima,
                equivalence=sorted(rows.values(), key=lambda r: order.index(r[me.identity_id])),
                retention_days=self.retention_days,
                valid_from=now - timedelta(seconds=1),
                valid_until=now + timedelta(days=self.valid_days),
                contacts=contacts,
                now=now,
            )
        except AgreementError as exc:
            raise InvalidInputError(f"{self.lines.where}: {exc}") from exc


class _Reader:
    """Reads values out of the parsed spec; every problem names its line."""

    def __init__(self, lines: KeyLines) -> None:
        self.lines = lines

    def error(self, path: tuple[str | int, ...], message: str) -> InvalidInputError:
        return InvalidInputError(f"{self.lines.at(*path)}: {message}")

    def known(self, raw: Mapping[str, Any], allowed: Sequence[str], path: tuple[Any, ...]) -> None:
        for key in raw:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1)
                top = difflib.get_close_matches(str(key), _TOP, n=1) if path else []
                hint = (
                    f" (did you mean {close[0]!r}?)"
                    if close
                    else f" (a top-level key such as {top[0]!r} goes before the first table)"
                    if top
                    else ""
                )
                where = f" in [[{path[0]}]]" if path else ""
                raise self.error((*path, key), f"unknown key {key!r}{where}{hint}")

    def tables(self, raw: Mapping[str, Any], key: str, *, required: bool) -> list[Any]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise self.error((key,), f"{key} must be written as [[{key}]] tables")
        if required and not value:
            raise self.error((key,), f"at least one [[{key}]] table is needed")
        return value

    def text(self, raw: Mapping[str, Any], path: tuple[Any, ...], required: bool = True) -> str:
        value = raw.get(path[-1])
        if value is None and not required:
            return ""
        if value is None:
            raise self.error(path[:-1], f"missing {path[-1]!r}")
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"{path[-1]} must be a non-empty string, not {value!r}")
        return value.strip()

    def strings(
        self, raw: Mapping[str, Any], path: tuple[Any, ...], *, required: bool
    ) -> list[str]:
        value = raw.get(path[-1])
        if value is None:
            if required:
                raise self.error(path[:-1], f"missing {path[-1]!r}")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(path, f"{path[-1]} must be a list of non-empty strings")
        if len(set(value)) != len(value):
            raise self.error(path, f"{path[-1]} names a value twice")
        if required and not value:
            raise self.error(path, f"{path[-1]} must not be empty")
        return list(value)

    def stix_types(self, raw: Mapping[str, Any]) -> list[str]:
        types = self.strings(raw, ("types",), required=True)
        for t in types:
            try:
                check_stix_type(t)
            except InvalidInputError as exc:
                raise self.error(("types",), str(exc)) from exc
        return types

    def days(
        self, raw: Mapping[str, Any], path: tuple[Any, ...], default: int, *, minimum: int
    ) -> int:
        value = raw.get(path[-1], default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.error(path, f"{path[-1]} must be a whole number ≥ {minimum}, not {value!r}")
        if value > 100 * 366:
            raise self.error(path, f"{path[-1]} must be at most a century")
        return value

    def partner(self, raw: Mapping[str, Any], i: int) -> PartnerSpec:
        at = ("partner", i)
        self.known(raw, _PARTNER, at)
        party = self.text(raw, (*at, "party"))
        levels = self.strings(raw, (*at, "levels"), required=True)
        maximum = self.text(raw, (*at, "max_classification"))
        if maximum not in levels:
            raise self.error(
                (*at, "max_classification"), f"{maximum!r} is not one of the levels of {party}"
            )
        table = raw.get("equivalence", {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise self.error((*at, "equivalence"), "equivalence must map our level to theirs")
        for theirs in table.values():
            if theirs not in levels:
                raise self.error(
                    (*at, "equivalence"), f"{theirs!r} is not one of the levels of {party}"
                )
        return PartnerSpec(
            party=party,
            levels=tuple(levels),
            max_classification=maximum,
            equivalence=tuple((str(k), str(v)) for k, v in table.items()),
        )

    def contact(self, raw: Mapping[str, Any], i: int) -> ContactSpec:
        at = ("contact", i)
        self.known(raw, _CONTACT, at)
        return ContactSpec(
            party=self.text(raw, (*at, "party"), required=False) or "self",
            name=self.text(raw, (*at, "name")),
            email=self.text(raw, (*at, "email"), required=False) or None,
            phone=self.text(raw, (*at, "phone"), required=False) or None,
        )
