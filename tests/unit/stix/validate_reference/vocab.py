"""Tables of the STIX 2.1 object types and their per-type rules.

Data only, no logic: ``validate`` reads these. Sources: STIX 2.1 (OASIS Standard,
June 2021) sections 4-7 and the OASIS JSON schemas.
"""

from __future__ import annotations

__all__ = [
    "ANY_OF",
    "COMMON_LISTS",
    "EXTENSION_TYPES",
    "INT_RANGES",
    "META_TYPES",
    "NOT_REL_ENDPOINT",
    "NUMBER_RANGES",
    "OPINION_VALUES",
    "PROPERTY_KINDS",
    "REF_TARGETS",
    "REQUIRED",
    "RESERVED_PROPERTIES",
    "SCO_TYPES",
    "SDO_TYPES",
    "SRO_TYPES",
    "TIMESTAMP_ORDER",
    "TIMESTAMP_PROPS",
]

SDO_TYPES = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)
SRO_TYPES = frozenset({"relationship", "sighting"})
#: Meta objects: those with their own common-property rules.
META_TYPES = frozenset({"marking-definition", "language-content", "extension-definition"})
SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)

#: Required properties beyond the common ones.
REQUIRED: dict[str, tuple[str, ...]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "grouping": ("context", "object_refs"),
    "identity": ("name",),
    "incident": ("name",),
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "infrastructure": ("name",),
    "intrusion-set": ("name",),
    "malware": ("is_family",),
    "malware-analysis": ("product",),
    "note": ("content", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "opinion": ("opinion", "object_refs"),
    "report": ("name", "published", "object_refs"),
    "threat-actor": ("name",),
    "tool": ("name",),
    "vulnerability": ("name",),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
    "language-content": ("object_ref", "contents"),
    "extension-definition": ("created_by_ref", "name", "schema", "version", "extension_types"),
    "autonomous-system": ("number",),
    "directory": ("path",),
    "domain-name": ("value",),
    "email-addr": ("value",),
    "email-message": ("is_multipart",),
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "mac-addr": ("value",),
    "mutex": ("name",),
    "network-traffic": ("protocols",),
    "software": ("name",),
    "url": ("value",),
}

#: At least one of these properties must be present (SCOs whose properties are all optional).
ANY_OF: dict[str, tuple[str, ...]] = {
    "file": ("hashes", "name"),
    "malware-analysis": ("result", "analysis_sco_refs"),
    "network-traffic": ("src_ref", "dst_ref"),
    "location": ("region", "country", "latitude"),
    "process": (
        "extensions",
        "is_hidden",
        "pid",
        "created_time",
        "cwd",
        "command_line",
        "environment_variables",
        "opened_connection_refs",
        "creator_user_ref",
        "image_ref",
        "parent_ref",
        "child_refs",
    ),
    "user-account": (
        "extensions",
        "user_id",
        "credential",
        "account_login",
        "account_type",
        "display_name",
        "is_service_account",
        "is_privileged",
        "can_escalate_privs",
        "is_disabled",
        "account_created",
        "account_expires",
        "credential_last_changed",
        "account_first_login",
        "account_last_login",
    ),
    "windows-registry-key": (
        "key",
        "values",
        "modified_time",
        "creator_user_ref",
        "number_of_subkeys",
    ),
    "x509-certificate": (
        "is_self_signed",
        "hashes",
        "version",
        "serial_number",
        "signature_algorithm",
        "issuer",
        "validity_not_before",
        "validity_not_after",
        "subject",
        "subject_public_key_algorithm",
        "subject_public_key_modulus",
        "subject_public_key_exponent",
        "x509_v3_extensions",
    ),
}

#: Timestamp-valued properties per type (``created``/``modified`` are checked for all).
TIMESTAMP_PROPS: dict[str, tuple[str, ...]] = {
    "campaign": ("first_seen", "last_seen"),
    "indicator": ("valid_from", "valid_until"),
    "infrastructure": ("first_seen", "last_seen"),
    "intrusion-set": ("first_seen", "last_seen"),
    "language-content": ("object_modified",),
    "malware": ("first_seen", "last_seen"),
    "malware-analysis": ("submitted", "analysis_started", "analysis_ended"),
    "observed-data": ("first_observed", "last_observed"),
    "report": ("published",),
    "relationship": ("start_time", "stop_time"),
    "sighting": ("first_seen", "last_seen"),
    "threat-actor": ("first_seen", "last_seen"),
    "directory": ("ctime", "mtime", "atime"),
    "email-message": ("date",),
    "file": ("ctime", "mtime", "atime"),
    "network-traffic": ("start", "end"),
    "process": ("created_time",),
    "user-account": (
        "account_created",
        "account_expires",
        "credential_last_changed",
        "account_first_login",
        "account_last_login",
    ),
    "windows-registry-key": ("modified_time",),
    "x509-certificate": ("validity_not_before", "validity_not_after"),
}

#: (later, earlier, strict): ``later`` must be >= (or > when strict) ``earlier``.
TIMESTAMP_ORDER: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "campaign": (("last_seen", "first_seen", False),),
    "indicator": (("valid_until", "valid_from", True),),
    "infrastructure": (("last_seen", "first_seen", False),),
    "intrusion-set": (("last_seen", "first_seen", False),),
    "malware": (("last_seen", "first_seen", False),),
    "malware-analysis": (("analysis_ended", "analysis_started", False),),
    "observed-data": (("last_observed", "first_observed", False),),
    "relationship": (("stop_time", "start_time", True),),
    "sighting": (("last_seen", "first_seen", False),),
    "threat-actor": (("last_seen", "first_seen", False),),
    "network-traffic": (("end", "start", False),),
}

# Value kinds checked per property: "str"; "strs" (non-empty list of strings); "bool";
# "dict" (non-empty dictionary). Properties not listed are kept as they are.
_NAMED = {"name": "str", "description": "str"}
PROPERTY_KINDS: dict[str, dict[str, str]] = {
    "attack-pattern": {**_NAMED, "aliases": "strs"},
    "campaign": {**_NAMED, "aliases": "strs", "objective": "str"},
    "course-of-action": {**_NAMED},
    "grouping": {**_NAMED, "context": "str"},
    "identity": {
        **_NAMED,
        "roles": "strs",
        "identity_class": "str",
        "sectors": "strs",
        "contact_information": "str",
    },
    "incident": {**_NAMED},
    "indicator": {
        **_NAMED,
        "indicator_types": "strs",
        "pattern": "str",
        "pattern_type": "str",
        "pattern_version": "str",
    },
    "infrastructure": {**_NAMED, "infrastructure_types": "strs", "aliases": "strs"},
    "intrusion-set": {
        **_NAMED,
        "aliases": "strs",
        "goals": "strs",
        "resource_level": "str",
        "primary_motivation": "str",
        "secondary_motivations": "strs",
    },
    "location": {
        **_NAMED,
        "region": "str",
        "country": "str",
        "administrative_area": "str",
        "city": "str",
        "street_address": "str",
        "postal_code": "str",
    },
    "malware": {
        **_NAMED,
        "is_family": "bool",
        "malware_types": "strs",
        "aliases": "strs",
        "architecture_execution_envs": "strs",
        "implementation_languages": "strs",
        "capabilities": "strs",
    },
    "malware-analysis": {
        "product": "str",
        "version": "str",
        "configuration_version": "str",
        "modules": "strs",
        "analysis_engine_version": "str",
        "analysis_definition_version": "str",
        "result_name": "str",
        "result": "str",
    },
    "note": {"abstract": "str", "content": "str", "authors": "strs"},
    "opinion": {"explanation": "str", "authors": "strs"},
    "report": {**_NAMED, "report_types": "strs"},
    "threat-actor": {
        **_NAMED,
        "threat_actor_types": "strs",
        "aliases": "strs",
        "roles": "strs",
        "goals": "strs",
        "sophistication": "str",
        "resource_level": "str",
        "primary_motivation": "str",
        "secondary_motivations": "strs",
        "personal_motivations": "strs",
    },
    "tool": {**_NAMED, "tool_types": "strs", "aliases": "strs", "tool_version": "str"},
    "vulnerability": {**_NAMED},
    "relationship": {"relationship_type": "str", "description": "str"},
    "sighting": {"description": "str", "summary": "bool"},
    "marking-definition": {"name": "str"},
    "extension-definition": {
        **_NAMED,
        "schema": "str",
        "version": "str",
        "extension_properties": "strs",
    },
    "artifact": {"mime_type": "str", "payload_bin": "str", "url": "str", "hashes": "dict"},
    "autonomous-system": {"name": "str", "rir": "str"},
    "directory": {"path": "str", "path_enc": "str"},
    "domain-name": {"value": "str"},
    "email-addr": {"value": "str", "display_name": "str"},
    "email-message": {
        "is_multipart": "bool",
        "content_type": "str",
        "message_id": "str",
        "subject": "str",
        "body": "str",
        "received_lines": "strs",
    },
    "file": {
        "hashes": "dict",
        "name": "str",
        "name_enc": "str",
        "magic_number_hex": "str",
        "mime_type": "str",
    },
    "ipv4-addr": {"value": "str"},
    "ipv6-addr": {"value": "str"},
    "mac-addr": {"value": "str"},
    "mutex": {"name": "str"},
    "network-traffic": {"protocols": "strs", "is_active": "bool"},
    "process": {"is_hidden": "bool", "cwd": "str", "command_line": "str"},
    "software": {
        "name": "str",
        "cpe": "str",
        "swid": "str",
        "languages": "strs",
        "vendor": "str",
        "version": "str",
    },
    "url": {"value": "str"},
    "user-account": {
        "user_id": "str",
        "credential": "str",
        "account_login": "str",
        "account_type": "str",
        "display_name": "str",
        "is_service_account": "bool",
        "is_privileged": "bool",
        "can_escalate_privs": "bool",
        "is_disabled": "bool",
    },
    "windows-registry-key": {"key": "str"},
    "x509-certificate": {
        "is_self_signed": "bool",
        "hashes": "dict",
        "version": "str",
        "serial_number": "str",
        "signature_algorithm": "str",
        "issuer": "str",
        "subject": "str",
    },
}
#: Integer-valued properties per type with their inclusive range.
INT_RANGES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "observed-data": (("number_observed", 1, 999_999_999),),
    "sighting": (("count", 0, 999_999_999),),
    "autonomous-system": (("number", 0, 2**32 - 1),),
}
#: Number-valued (int or float) properties per type with their inclusive range.
NUMBER_RANGES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "location": (("latitude", -90.0, 90.0), ("longitude", -180.0, 180.0), ("precision", 0.0, 1e12)),
}

OPINION_VALUES = frozenset({"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})
EXTENSION_TYPES = frozenset(
    {"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}
)
#: Properties reserved by STIX 2.1 (section 3.2 of the JSON schemas) on SDOs and SROs.
RESERVED_PROPERTIES = frozenset({"severity", "action", "username", "phone_numbers"})

#: Common list properties, which must not be empty when present.
COMMON_LISTS = ("labels", "external_references", "object_marking_refs", "granular_markings")

#: Top-level reference properties whose target type is fixed, per object type
#: ("*" applies to every type).
REF_TARGETS: dict[str, dict[str, frozenset[str]]] = {
    "*": {
        "created_by_ref": frozenset({"identity"}),
        "object_marking_refs": frozenset({"marking-definition"}),
    },
    "sighting": {
        "observed_data_refs": frozenset({"observed-data"}),
        "where_sighted_refs": frozenset({"identity", "location"}),
    },
    "malware": {"operating_system_refs": frozenset({"software"})},
    "malware-analysis": {
        "host_vm_ref": frozenset({"software"}),
        "operating_system_ref": frozenset({"software"}),
        "installed_software_refs": frozenset({"software"}),
        "sample_ref": frozenset({"file", "artifact", "network-traffic"}),
    },
    "email-addr": {"belongs_to_ref": frozenset({"user-account"})},
    "email-message": {
        "from_ref": frozenset({"email-addr"}),
        "sender_ref": frozenset({"email-addr"}),
        "to_refs": frozenset({"email-addr"}),
        "cc_refs": frozenset({"email-addr"}),
        "bcc_refs": frozenset({"email-addr"}),
        "raw_email_ref": frozenset({"artifact"}),
    },
    "file": {
        "content_ref": frozenset({"artifact"}),
        "parent_directory_ref": frozenset({"directory"}),
    },
    "directory": {"contains_refs": frozenset({"file", "directory"})},
    "domain-name": {"resolves_to_refs": frozenset({"ipv4-addr", "ipv6-addr", "domain-name"})},
    "ipv4-addr": {
        "resolves_to_refs": frozenset({"mac-addr"}),
        "belongs_to_refs": frozenset({"autonomous-system"}),
    },
    "ipv6-addr": {
        "resolves_to_refs": frozenset({"mac-addr"}),
        "belongs_to_refs": frozenset({"autonomous-system"}),
    },
    "process": {
        "opened_connection_refs": frozenset({"network-traffic"}),
        "creator_user_ref": frozenset({"user-account"}),
        "image_ref": frozenset({"file"}),
        "parent_ref": frozenset({"process"}),
        "child_refs": frozenset({"process"}),
    },
    "windows-registry-key": {"creator_user_ref": frozenset({"user-account"})},
}

#: Types that may not be the source or target of a relationship (nor be sighted).
NOT_REL_ENDPOINT = SRO_TYPES | META_TYPES | {"bundle"}
