"""Valid STIX 2.1 objects, one (or more) per type, for the stix tests."""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

IDENTITY = "identity--311b2d2d-f010-4473-83ec-1edf84858f4c"
MARKING = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"  # TLP:GREEN (1.0)
INDICATOR = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
MALWARE = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
CAMPAIGN = "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
IPV4 = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
OBSERVED = "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"
LOCATION = "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"
EXT_DEF = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
T0 = "2026-11-01T09:00:00.000Z"
T1 = "2026-11-29T12:00:00.123Z"

_COMMON = {"spec_version": "2.1", "created": T0, "modified": T1, "created_by_ref": IDENTITY}

_SDO_SPECIFIC: dict[str, dict[str, Any]] = {
    "attack-pattern": {
        "name": "Spearphishing Attachment",
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
    },
    "campaign": {"name": "Opération Harmattan", "first_seen": T0, "last_seen": T1},
    "course-of-action": {"name": "Block C2 traffic"},
    "grouping": {"context": "suspicious-activity", "object_refs": [INDICATOR, MALWARE]},
    "identity": {"name": "Cellule de liaison", "identity_class": "organization"},
    "incident": {"name": "Compromise of the Gao relay"},
    "indicator": {
        "name": "C2 address",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": T0,
        "valid_until": "2027-01-01T00:00:00Z",
        "indicator_types": ["malicious-activity"],
    },
    "infrastructure": {"name": "Relay server", "infrastructure_types": ["command-and-control"]},
    "intrusion-set": {"name": "Groupe du désert", "aliases": ["GD"]},
    "location": {"region": "western-africa", "country": "ML"},
    "malware": {"name": "SahelRAT", "is_family": True, "malware_types": ["remote-access-trojan"]},
    "malware-analysis": {"product": "ClamAV", "result": "malicious"},
    "note": {"content": "Seen again near Ménaka.", "object_refs": [CAMPAIGN]},
    "observed-data": {
        "first_observed": T0,
        "last_observed": T1,
        "number_observed": 3,
        "object_refs": [IPV4],
    },
    "opinion": {"opinion": "agree", "object_refs": [INDICATOR]},
    "report": {
        "name": "Rapport hebdomadaire",
        "published": T1,
        "report_types": ["threat-report"],
        "object_refs": [INDICATOR, MALWARE],
    },
    "threat-actor": {"name": "Cell 7", "threat_actor_types": ["terrorist"]},
    "tool": {"name": "nmap", "tool_types": ["network-capture"]},
    "vulnerability": {
        "name": "CVE-2021-44228",
        "external_references": [{"source_name": "cve", "external_id": "CVE-2021-44228"}],
    },
}

_IDS = {
    "campaign": CAMPAIGN,
    "identity": IDENTITY,
    "indicator": INDICATOR,
    "location": LOCATION,
    "malware": MALWARE,
    "observed-data": OBSERVED,
}


def _sdo(type_: str) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": type_, "id": _IDS.get(type_, f"{type_}--{_uuid(type_)}")}
    obj.update(_COMMON)
    obj.update(_SDO_SPECIFIC[type_])
    return obj


def _uuid(seed: str) -> str:
    """A deterministic version-4 UUID derived from ``seed``."""
    return str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16], version=4))


SDOS: dict[str, dict[str, Any]] = {t: _sdo(t) for t in _SDO_SPECIFIC}

SROS: dict[str, dict[str, Any]] = {
    "relationship": {
        "type": "relationship",
        "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        **_COMMON,
        "relationship_type": "indicates",
        "source_ref": INDICATOR,
        "target_ref": MALWARE,
        "start_time": T0,
        "stop_time": T1,
    },
    "sighting": {
        "type": "sighting",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        **_COMMON,
        "sighting_of_ref": INDICATOR,
        "count": 2,
        "observed_data_refs": [OBSERVED],
        "where_sighted_refs": [IDENTITY, LOCATION],
        "first_seen": T0,
        "last_seen": T1,
    },
}

META: dict[str, dict[str, Any]] = {
    "marking-definition": {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "created": T0,
        "created_by_ref": IDENTITY,
        "definition_type": "statement",
        "definition": {"statement": "Copyright 2026, Liaison partners."},
    },
    "language-content": {
        "type": "language-content",
        "id": "language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d",
        **_COMMON,
        "object_ref": CAMPAIGN,
        "object_modified": T1,
        "contents": {"ar": {"name": "عملية هرمتان"}, "en": {"name": "Operation Harmattan"}},
    },
    "extension-definition": {
        "type": "extension-definition",
        "id": EXT_DEF,
        **_COMMON,
        "name": "Liaison handling",
        "schema": "https://liaison.example/handling.json",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    },
}

SCOS: dict[str, dict[str, Any]] = {
    "ipv4-addr": {"type": "ipv4-addr", "spec_version": "2.1", "id": IPV4, "value": "198.51.100.7"},
    "domain-name": {
        "type": "domain-name",
        "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5",
        "value": "example.com",
    },
    "url": {
        "type": "url",
        "id": "url--c1477287-23ac-5971-a010-5c287877fa60",
        "value": "https://example.com/a",
    },
    "email-addr": {
        "type": "email-addr",
        "id": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3",
        "value": "john@example.com",
    },
    "file": {
        "type": "file",
        "spec_version": "2.1",
        "id": "file--9a1f834d-2506-5367-baec-7aa63996ed4d",
        "name": "rapport.pdf",
        "hashes": {"SHA-256": "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"},
    },
}

ALL: dict[str, dict[str, Any]] = {**SDOS, **SROS, **META, **SCOS}


def example(type_: str) -> dict[str, Any]:
    """A fresh deep copy of the valid example of ``type_``."""
    return copy.deepcopy(ALL[type_])
