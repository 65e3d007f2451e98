"""Who may receive what: one decision per (party, object version), default deny.

Usage::

    from liaison.policy import Party, PolicyContext, Provenance, decide, release

    ctx = PolicyContext(node_id, node_levels, agreements=tuple(a), consents=tuple(c))
    d = decide(Party(dz, "DZ", internal=False), "indicator", obj["id"], handling,
               Provenance.received(mr), ctx, topics={"terrorism"}, regions={"ML"})
    if d.allow:
        send(release(obj, d))   # redactions applied
    else:
        not_found()             # a denied object answers as a non-existent one
"""

from liaison.policy.context import AgreementView, Party, PolicyContext, Provenance
from liaison.policy.derivation import check_derivation
from liaison.policy.engine import Decision, decide, release

__all__ = [
    "AgreementView",
    "Decision",
    "Party",
    "PolicyContext",
    "Provenance",
    "check_derivation",
    "decide",
    "release",
]
