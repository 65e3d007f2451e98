"""Sharing agreements and release consents: model, signatures, lifecycle.

Usage::

    from liaison.agreements import propose, sign, state

    a = propose(proposer=fr, name="FR–DZ", parties=[...], scope=Scope({"indicator"}),
                max_classification={fr: "CONFIDENTIEL", dz: "SECRET"}, equivalence=[...],
                retention_days=365, valid_from=t0, valid_until=t1)
    a = sign(sign(a, fr, fr_key), dz, dz_key)
    state(a, now)              # "in-force"
    store(a.to_stix())         # exchanged as an x-liaison-agreement object
"""

from liaison.agreements.consent import (
    Consent,
    ConsentDecision,
    deny,
    grant,
    request,
    verify_consent,
)
from liaison.agreements.lifecycle import (
    AgreementState,
    latest,
    problems,
    propose,
    revise,
    sign,
    state,
    suspend,
    terminate,
)
from liaison.agreements.model import (
    Agreement,
    AgreementParty,
    Contact,
    Scope,
    format_ts,
    parse_ts,
)
from liaison.agreements.spec import AgreementSpec

__all__ = [
    "Agreement",
    "AgreementParty",
    "AgreementSpec",
    "AgreementState",
    "Consent",
    "ConsentDecision",
    "Contact",
    "Scope",
    "deny",
    "format_ts",
    "grant",
    "latest",
    "parse_ts",
    "problems",
    "propose",
    "request",
    "revise",
    "sign",
    "state",
    "suspend",
    "terminate",
    "verify_consent",
]
