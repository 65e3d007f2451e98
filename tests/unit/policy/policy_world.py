"""A small world for policy tests: a French node and three partners with real keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from liaison.agreements import Agreement, AgreementParty, Scope, propose, sign
from liaison.signing import SigningKey

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FR = "identity--00000000-0000-4000-8000-0000000000f1"
DZ = "identity--00000000-0000-4000-8000-0000000000d2"
MR = "identity--00000000-0000-4000-8000-0000000000a3"
NE = "identity--00000000-0000-4000-8000-0000000000b4"
NAMES = {FR: "FR", DZ: "DZ", MR: "MR", NE: "NE"}
KEYS = {pid: SigningKey.generate() for pid in NAMES}
FR_LEVELS = ("NON CLASSIFIÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL", "SECRET", "TRÈS SECRET")
LEVELS = {
    FR: FR_LEVELS,
    DZ: ("NC", "RESTREINT", "SECRET", "TRES SECRET"),
    MR: ("NC", "DR", "CONFIDENTIEL", "SECRET"),
    NE: ("NC", "CONFIDENTIEL", "SECRET"),
}
#: Row-wise equivalences each partner has with FR (FR level, partner level).
EQUIV = {
    DZ: [
        ("NON CLASSIFIÉ", "NC"),
        ("DIFFUSION RESTREINTE", "RESTREINT"),
        ("CONFIDENTIEL", "SECRET"),
        ("TRÈS SECRET", "TRES SECRET"),
    ],
    MR: [
        ("NON CLASSIFIÉ", "NC"),
        ("DIFFUSION RESTREINTE", "DR"),
        ("CONFIDENTIEL", "CONFIDENTIEL"),
        ("SECRET", "SECRET"),
    ],
    NE: [("NON CLASSIFIÉ", "NC"), ("CONFIDENTIEL", "CONFIDENTIEL"), ("SECRET", "SECRET")],
}


def party(pid: str) -> AgreementParty:
    return AgreementParty(pid, NAMES[pid], KEYS[pid].public_key_b64, LEVELS[pid])


def agreement(
    partner: str,
    *,
    stix_types: Sequence[str] = ("indicator", "report", "malware"),
    topics: Sequence[str] = (),
    regions: Sequence[str] = (),
    max_fr: str = "CONFIDENTIEL",
    max_partner: str | None = None,
    equivalence: Sequence[tuple[str, str]] | None = None,
    signers: Sequence[str] | None = None,
    valid_days: tuple[int, int] = (-10, 300),
    extra_max: Mapping[str, str] | None = None,
) -> Agreement:
    rows = [
        {FR: a, partner: b} for a, b in (EQUIV[partner] if equivalence is None else equivalence)
    ]
    if max_partner is None:
        max_partner = next((b for a, b in EQUIV[partner] if a == max_fr), LEVELS[partner][0])
    a = propose(
        proposer=FR,
        name=f"FR–{NAMES[partner]}",
        parties=[party(FR), party(partner)],
        scope=Scope(frozenset(stix_types), frozenset(topics), frozenset(regions)),
        max_classification={FR: max_fr, partner: max_partner, **(extra_max or {})},
        equivalence=rows,
        retention_days=365,
        valid_from=NOW + timedelta(days=valid_days[0]),
        valid_until=NOW + timedelta(days=valid_days[1]),
        now=NOW - timedelta(days=20),
    )
    for pid in (FR, partner) if signers is None else signers:
        a = sign(a, pid, KEYS[pid])
    return a
