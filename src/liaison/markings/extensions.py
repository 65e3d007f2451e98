"""Liaison's STIX 2.1 extension-definitions and the marking-definitions built on them.

STIX has no national classification, releasability, caveat or source-grading marking,
so Liaison defines them as property-extensions (on marking-definitions, or on any
object for source grading), plus two new object types: the sharing agreement and the
release consent. Marking-definitions get deterministic ids (UUIDv5 over their content)
so two nodes that mark the same way produce the same id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from liaison.errors import InvalidInputError

__all__ = [
    "AGREEMENT_EXT_ID",
    "AGREEMENT_TYPE",
    "CAVEATS_EXT_ID",
    "CLASSIFICATION_EXT_ID",
    "CONSENT_EXT_ID",
    "CONSENT_TYPE",
    "CREDIBILITY",
    "LIAISON_EXTENSION_DEFINITIONS",
    "LIAISON_IDENTITY_ID",
    "RELEASABILITY_EXT_ID",
    "RELIABILITY",
    "SOURCE_GRADING_EXT_ID",
    "caveats_marking",
    "classification_marking",
    "marking_id",
    "releasability_marking",
    "source_grading",
    "statement_marking",
]

#: The identity that authors Liaison's extension-definitions.
LIAISON_IDENTITY_ID = "identity--e791c24d-9faf-4b46-83f3-79434ba5f6de"
CLASSIFICATION_EXT_ID = "extension-definition--b9860d6a-3180-4fae-95c5-72f086c6e2e2"
RELEASABILITY_EXT_ID = "extension-definition--5d93495a-2c05-4389-a792-2bccac2299a6"
CAVEATS_EXT_ID = "extension-definition--95ba72c5-f2c3-4556-9562-95197a13337f"
SOURCE_GRADING_EXT_ID = "extension-definition--c8320be8-8f1b-4c2c-8116-aaf0bbe827aa"
AGREEMENT_EXT_ID = "extension-definition--51d8f178-ae85-408d-8af3-2279d27f012e"
CONSENT_EXT_ID = "extension-definition--dbe40588-de6d-4c84-b5de-e84a863d53d4"
AGREEMENT_TYPE = "x-liaison-agreement"
CONSENT_TYPE = "x-liaison-consent"

#: Admiralty scale (STANAG 2511): source reliability and information credibility.
RELIABILITY: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
CREDIBILITY: tuple[str, ...] = ("1", "2", "3", "4", "5", "6")

_NAMESPACE = uuid.UUID("c29343a5-9df0-4421-82f9-3ce0a1f1ceb7")
_CREATED = "2026-11-01T00:00:00.000Z"
_SCHEMA = "https://liaison.example/schemas/"


def _definition(ext_id: str, name: str, description: str, types: list[str]) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ext_id,
        "created_by_ref": LIAISON_IDENTITY_ID,
        "created": _CREATED,
        "modified": _CREATED,
        "name": name,
        "description": description,
        "schema": _SCHEMA + name + ".json",
        "version": "1.0.0",
        "extension_types": types,
    }


LIAISON_EXTENSION_DEFINITIONS: list[dict[str, Any]] = [
    _definition(
        CLASSIFICATION_EXT_ID,
        "liaison-classification",
        "Classification level in one national scheme: level, scheme_owner (identity id).",
        ["property-extension"],
    ),
    _definition(
        RELEASABILITY_EXT_ID,
        "liaison-releasability",
        "The parties (identity ids) an object may be released to: releasable_to.",
        ["property-extension"],
    ),
    _definition(
        CAVEATS_EXT_ID,
        "liaison-caveats",
        "Handling caveats: originator_control (third-party rule), no_evidence_use.",
        ["property-extension"],
    ),
    _definition(
        SOURCE_GRADING_EXT_ID,
        "liaison-source-grading",
        "Admiralty grading (STANAG 2511): source_reliability A-F, information_credibility "
        "1-6, source_description kept local unless source_description_releasable.",
        ["property-extension"],
    ),
    _definition(
        AGREEMENT_EXT_ID,
        "liaison-agreement",
        "A sharing agreement signed by every party (x-liaison-agreement).",
        ["new-sdo"],
    ),
    _definition(
        CONSENT_EXT_ID,
        "liaison-consent",
        "An originator's signed consent to release to a third party (x-liaison-consent).",
        ["new-sdo"],
    ),
]


def marking_id(ext_id: str, content: Mapping[str, Any]) -> str:
    """The id a Liaison handling marking with this extension content must have."""
    digest_input = json.dumps([ext_id, dict(content)], sort_keys=True, ensure_ascii=False)
    return f"marking-definition--{uuid.uuid5(_NAMESPACE, digest_input)}"


def _marking(content: dict[str, Any], name: str, ext_id: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id(ext_id, content),
        "created": _CREATED,
        "name": name,
        "extensions": {ext_id: {"extension_type": "property-extension", **content}},
    }


def classification_marking(level: str, scheme_owner: str) -> dict[str, Any]:
    """The marking-definition for ``level`` of the national scheme owned by ``scheme_owner``."""
    if not level or not scheme_owner.startswith("identity--"):
        raise InvalidInputError("a classification needs a level and a scheme owner identity id")
    content = {"level": level, "scheme_owner": scheme_owner}
    return _marking(content, level, CLASSIFICATION_EXT_ID)


def releasability_marking(parties: Iterable[str]) -> dict[str, Any]:
    """REL TO ``parties`` (identity ids)."""
    rel = sorted(set(parties))
    if any(not p.startswith("identity--") for p in rel):
        raise InvalidInputError("releasable_to takes identity ids")
    return _marking({"releasable_to": rel}, "REL TO " + ", ".join(rel), RELEASABILITY_EXT_ID)


def caveats_marking(*, originator_control: bool, no_evidence_use: bool) -> dict[str, Any]:
    """ORCON (third-party rule) and/or not-for-use-as-evidence."""
    names = [
        n for n, on in (("ORCON", originator_control), ("NO EVIDENCE USE", no_evidence_use)) if on
    ]
    content = {"originator_control": originator_control, "no_evidence_use": no_evidence_use}
    return _marking(content, " / ".join(names) or "NO CAVEAT", CAVEATS_EXT_ID)


def statement_marking(statement: str) -> dict[str, Any]:
    """A standard STIX statement marking holding a free handling statement."""
    digest_input = json.dumps(["statement", statement], ensure_ascii=False)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid5(_NAMESPACE, digest_input)}",
        "created": _CREATED,
        "definition_type": "statement",
        "definition": {"statement": statement},
    }


def source_grading(
    reliability: str,
    credibility: str,
    *,
    description: str | None = None,
    description_releasable: bool = False,
) -> dict[str, Any]:
    """The ``extensions`` entry to put on any object: ``obj["extensions"].update(...)``."""
    if reliability not in RELIABILITY or credibility not in CREDIBILITY:
        raise InvalidInputError(
            f"source grading must be A-F / 1-6, got {reliability!r}/{credibility!r}"
        )
    body: dict[str, Any] = {
        "extension_type": "property-extension",
        "source_reliability": reliability,
        "information_credibility": credibility,
    }
    if description is not None:
        body["source_description"] = description
        body["source_description_releasable"] = description_releasable
    return {SOURCE_GRADING_EXT_ID: body}
