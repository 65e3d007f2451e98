"""Markings: TLP 2.0, national classification, releasability, caveats, source grading.

Usage::

    from liaison.markings import TLP_AMBER, classification_marking, handling_of

    conf = classification_marking("CONFIDENTIEL", "identity--…fr")
    obj["object_marking_refs"] = [TLP_AMBER["id"], conf["id"]]
    h = handling_of(obj, {conf["id"]: conf}, scheme_owner="identity--…fr")
    h.classification, h.tlp  # ("CONFIDENTIEL", "amber")
"""

from liaison.markings.extensions import (
    AGREEMENT_EXT_ID,
    AGREEMENT_TYPE,
    CAVEATS_EXT_ID,
    CLASSIFICATION_EXT_ID,
    CONSENT_EXT_ID,
    CONSENT_TYPE,
    CREDIBILITY,
    LIAISON_EXTENSION_DEFINITIONS,
    LIAISON_IDENTITY_ID,
    RELEASABILITY_EXT_ID,
    RELIABILITY,
    SOURCE_GRADING_EXT_ID,
    caveats_marking,
    classification_marking,
    releasability_marking,
    source_grading,
    statement_marking,
)
from liaison.markings.handling import (
    GRADING_DESCRIPTION_SELECTOR,
    Granular,
    Handling,
    Handlings,
    handling_of,
)
from liaison.markings.scale import (
    ClassificationScale,
    equivalence_map,
    most_restrictive,
    tlp_rank,
)
from liaison.markings.tlp import (
    TLP_2_EXTENSION_ID,
    TLP_AMBER,
    TLP_AMBER_STRICT,
    TLP_CLEAR,
    TLP_GREEN,
    TLP_LEVELS,
    TLP_MARKINGS,
    TLP_RED,
    tlp_id,
    tlp_of_definition,
)

__all__ = [
    "AGREEMENT_EXT_ID",
    "AGREEMENT_TYPE",
    "CAVEATS_EXT_ID",
    "CLASSIFICATION_EXT_ID",
    "CONSENT_EXT_ID",
    "CONSENT_TYPE",
    "CREDIBILITY",
    "GRADING_DESCRIPTION_SELECTOR",
    "LIAISON_EXTENSION_DEFINITIONS",
    "LIAISON_IDENTITY_ID",
    "RELEASABILITY_EXT_ID",
    "RELIABILITY",
    "SOURCE_GRADING_EXT_ID",
    "TLP_2_EXTENSION_ID",
    "TLP_AMBER",
    "TLP_AMBER_STRICT",
    "TLP_CLEAR",
    "TLP_GREEN",
    "TLP_LEVELS",
    "TLP_MARKINGS",
    "TLP_RED",
    "ClassificationScale",
    "Granular",
    "Handling",
    "Handlings",
    "caveats_marking",
    "classification_marking",
    "equivalence_map",
    "handling_of",
    "most_restrictive",
    "releasability_marking",
    "source_grading",
    "statement_marking",
    "tlp_id",
    "tlp_of_definition",
    "tlp_rank",
]
