"""Agreements in the console: the list, the full terms, and signing what was shown.

An officer signs only from an agreement's own page, which shows every term the
signature covers (parties and keys, scope, ceilings, classification equivalence,
retention, validity, contacts, signatures) and warns where the proposal resembles or
departs from what is in force: another agreement with the same name, or terms looser
than the agreement in force with the same partner (ADR 0005, attack 8 of issue #12).
The sign form carries the digest of the exact version shown; if the document changed
in between, nothing is signed.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from liaison.agreements import Agreement, sign, state
from liaison.agreements.model import format_ts
from liaison.errors import ConflictError
from liaison.service import documents
from liaison.signing import fingerprint
from liaison.web.console import Ctx
from liaison.web.present import Names
from liaison.web.views import names_of

__all__ = ["agreement_page", "agreements_page", "digest_of", "sign_agreement", "warnings_for"]


def digest_of(a: Agreement) -> str:
    """What the officer saw: SHA-256 of the exact bytes the signatures cover."""
    return hashlib.sha256(a.signing_payload()).hexdigest()


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).casefold()
    return " ".join("".join(ch for ch in text if ch.isalnum() or ch.isspace()).split())


def _rank(a: Agreement, pid: str, level: str) -> int:
    p = a.party(pid)
    if p is None or level not in p.classification_levels:
        return -1
    return p.classification_levels.index(level)


def warnings_for(a: Agreement, others: list[Agreement], names: Names) -> list[str]:
    """What an officer must notice before signing ``a`` (English; shown as is)."""
    out: list[str] = []
    in_force = [o for o in others if o.id != a.id and state(o) == "in-force"]
    for o in others:
        if o.id != a.id and _fold(o.name) == _fold(a.name):
            out.append(
                f"Same name as agreement {o.id} ({o.name!r}, {state(o)}): "
                "this is a different agreement, not a new version of it."
            )
    for o in in_force:
        shared = a.party_ids & o.party_ids
        if len(shared) < 2:
            continue
        label = f"in force {o.name!r}"
        for pid in sorted(shared):
            new, old = a.max_classification.get(pid), o.max_classification.get(pid)
            if new and old and _rank(a, pid, new) > _rank(o, pid, old):
                out.append(f"Raises the ceiling for {names(pid)} from {old} ({label}) to {new}.")
        added = sorted(a.scope.stix_types - o.scope.stix_types)
        if added:
            out.append(f"Covers types that {label} does not: {', '.join(added)}.")
        for what, new_set, old_set in (
            ("topics", a.scope.topics, o.scope.topics),
            ("regions", a.scope.regions, o.scope.regions),
        ):
            if old_set and (not new_set or new_set - old_set):
                extra = ", ".join(sorted(new_set - old_set)) or "every one"
                out.append(f"Widens the {what} of {label}: {extra}.")
        if a.retention_days > o.retention_days:
            out.append(f"Keeps material {a.retention_days} days, {label} {o.retention_days} days.")
        if a.valid_until > o.valid_until:
            out.append(
                f"Valid until {format_ts(a.valid_until)}, beyond {label} "
                f"({format_ts(o.valid_until)})."
            )
    return out


@dataclass(frozen=True)
class AgreementRow:
    id: str
    name: str
    state: str
    parties: list[tuple[str, bool]]
    topics: list[str]
    regions: list[str]
    valid_until: str
    may_sign: bool
    warnings: int


def agreements_page(c: Ctx) -> Response:
    rows = []
    me = c.node.identity_id
    held = documents.agreements(c.node)
    names = names_of(c)
    for a in held:
        signed = [(p.name, p.identity_id in a.signatures) for p in a.parties]
        rows.append(
            AgreementRow(
                a.id, a.name, state(a), signed, sorted(a.scope.topics), sorted(a.scope.regions),
                a.valid_until.isoformat(), a.party(me) is not None and me not in a.signatures,
                len(warnings_for(a, held, names)),
            )
        )  # fmt: skip
    return c.render("agreements.html", agreements=rows, may_sign=c.user.may("sign"))


@dataclass
class Terms:
    """Everything a signature on this version covers, ready to display."""

    agreement: Agreement
    state: str
    digest: str
    parties: list[dict[str, Any]] = field(default_factory=list)
    equivalence: list[list[str]] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)


def _terms(a: Agreement, names: Names) -> Terms:
    t = Terms(a, state(a), digest_of(a))
    for p in a.parties:
        t.parties.append(
            {
                "name": p.name,
                "known_as": names(p.identity_id),
                "identity": p.identity_id,
                "fingerprint": fingerprint(p.public_key_b64),
                "levels": list(p.classification_levels),
                "ceiling": a.max_classification.get(p.identity_id, ""),
                "signed": p.identity_id in a.signatures,
            }
        )
    t.equivalence = [[row.get(p.identity_id, "—") for p in a.parties] for row in a.equivalence]
    t.contacts = [
        " · ".join(x for x in (names(k.party_ref), k.name, k.email or "", k.phone or "") if x)
        for k in a.contacts
    ]
    return t


def agreement_page(c: Ctx) -> Response:
    a = documents.get_agreement(c.node, c.request.path_params["aid"])
    names = names_of(c)
    me = c.node.identity_id
    return c.render(
        "agreement.html",
        terms=_terms(a, names),
        warnings=warnings_for(a, documents.agreements(c.node), names),
        may_sign=c.user.may("sign") and a.party(me) is not None and me not in a.signatures,
        version=format_ts(a.modified),
    )


def sign_agreement(c: Ctx) -> Response:
    """Sign the version the officer reviewed -- and only that one."""
    aid = c.request.path_params["aid"]
    a = documents.get_agreement(c.node, aid)
    if c.form.get("digest", "") != digest_of(a):
        raise ConflictError(
            "the agreement changed since it was shown: review its terms again before signing"
        )
    signed = sign(a, c.node.identity_id, c.node.key)
    documents.put_agreement(c.node, signed.to_stix(), actor=c.user.name, channel="console")
    return c.redirect(f"/agreements/{a.id}")
