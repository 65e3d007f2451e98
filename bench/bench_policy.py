"""Policy decisions per second: `PYTHONPATH=src .venv/bin/python bench/bench_policy.py`.

Common case: a partner party, two agreements in force with the node, objects marked
with a classification, REL TO and TLP, local or received-with-consent provenance.
Also measures the deny path, the granular (redaction) path, context construction
(signature checks included) and ``release`` with redactions.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from liaison.agreements import AgreementParty, Scope, grant, propose, request, sign
from liaison.markings import Granular, Handling
from liaison.policy import Party, PolicyContext, Provenance, decide, release
from liaison.signing import SigningKey

NOW = datetime(2026, 11, 29, tzinfo=UTC)
FR, DZ, MR = (f"identity--00000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
LEVELS = {
    FR: ("NON CLASSIFIÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL", "SECRET", "TRÈS SECRET"),
    DZ: ("NC", "RESTREINT", "SECRET", "TRES SECRET"),
    MR: ("NC", "DR", "CONFIDENTIEL", "SECRET"),
}
KEYS = {p: SigningKey.generate() for p in LEVELS}


def _agreement(partner: str, rows: list[tuple[str, str]], max_partner: str):  # type: ignore[no-untyped-def]
    parties = [AgreementParty(p, p[-1], KEYS[p].public_key_b64, LEVELS[p]) for p in (FR, partner)]
    a = propose(
        proposer=FR,
        name=f"FR-{partner[-1]}",
        parties=parties,
        scope=Scope(frozenset({"indicator", "report", "malware"})),
        max_classification={FR: "CONFIDENTIEL", partner: max_partner},
        equivalence=[{FR: a, partner: b} for a, b in rows],
        retention_days=365,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=365),
        now=NOW - timedelta(days=2),
    )
    return sign(sign(a, FR, KEYS[FR]), partner, KEYS[partner])


def build_inputs():  # type: ignore[no-untyped-def]
    dz = _agreement(
        DZ,
        [("NON CLASSIFIÉ", "NC"), ("DIFFUSION RESTREINTE", "RESTREINT"),
         ("CONFIDENTIEL", "SECRET")],
        "SECRET",
    )  # fmt: skip
    mr = _agreement(MR, [("NON CLASSIFIÉ", "NC"), ("DIFFUSION RESTREINTE", "DR")], "DR")
    req = request("indicator--2", originator=MR, recipient=DZ, requester=FR,
                  requester_key=KEYS[FR], now=NOW - timedelta(hours=2))  # fmt: skip
    consent = grant(req, KEYS[MR], now=NOW - timedelta(hours=1))
    return (dz, mr), (consent,)


def rate(label: str, fn: Callable[[], object], n: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    per_s = n / (time.perf_counter() - t0)
    print(f"{label:<52} {per_s:>12,.0f} /s")
    return per_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=200_000, help="decisions per measurement")
    n = ap.parse_args().n
    agreements, consents = build_inputs()
    ctx = PolicyContext(FR, LEVELS[FR], agreements, consents, NOW)
    dz = Party(DZ, "DZ")
    h = Handling(classification="DIFFUSION RESTREINTE", scheme_owner=FR,
                 releasable_to=frozenset({DZ, MR}), tlp="green")  # fmt: skip
    local = Provenance.local()
    received = Provenance.received(MR)
    foreign = Handling(classification="DR", scheme_owner=MR, releasable_to=frozenset({DZ}),
                       tlp="green")  # fmt: skip
    secret = Handling(classification="SECRET", scheme_owner=FR, releasable_to=frozenset({DZ}))
    gran = Handling(
        classification="DIFFUSION RESTREINTE", scheme_owner=FR, releasable_to=frozenset({DZ}),
        granular=(Granular(("description",), classification="SECRET", scheme_owner=FR),),
    )  # fmt: skip
    common = rate(
        "allow, local object (common case)",
        lambda: decide(dz, "indicator", "indicator--1", h, local, ctx),
        n,
    )
    rate(
        "allow, MR's object released to DZ with MR's consent",
        lambda: decide(dz, "indicator", "indicator--2", foreign, received, ctx),
        n,
    )
    rate(
        "deny, classification above the maximum",
        lambda: decide(dz, "indicator", "i", secret, local, ctx),
        n,
    )
    rate(
        "deny, no agreement covers the type", lambda: decide(dz, "campaign", "c", h, local, ctx), n
    )
    rate(
        "allow with a granular redaction", lambda: decide(dz, "indicator", "i", gran, local, ctx), n
    )
    d = decide(dz, "indicator", "i", gran, local, ctx)
    obj = {"type": "indicator", "id": "i", "name": "n", "description": "secret", "pattern": "[x]",
           "granular_markings": [{"marking_ref": "m", "selectors": ["description"]}]}  # fmt: skip
    rate("release() with one redaction", lambda: release(obj, d), n // 10)
    rate(
        "PolicyContext(...) (2 agreements, 1 consent; verified)",
        lambda: PolicyContext(FR, LEVELS[FR], agreements, consents, NOW),
        2000,
    )
    print(f"\ncommon case: {common:,.0f} decisions/s ({'meets' if common >= 100_000 else 'MISSES'}"
          " the 100k/s target)")  # fmt: skip


if __name__ == "__main__":
    main()
