"""Integrity of marking-definitions: what a definition under a given id may say.

A marking-definition never changes once created (STIX 2.1 §7.2.1: no versioning), and
a node reads an object's handling through the definitions it cites -- so a definition
planted under a known id would re-mark everything that cites it. Two kinds of ids are
therefore bound to their content and checked on arrival, before anything is stored:

* the OASIS TLP ids (2.0, and 1.0 read on input) name exactly the official
  definition of their level;
* Liaison's classification, releasability and caveat markings have ids derived from
  their content (UUIDv5, ``liaison.markings.extensions``): a body whose id is not the
  one its content gives is a forgery.

Other definitions (statements, other tools' markings) carry random ids; for them the
rule is that a second, different body under an id already held is refused
(``liaison.policy.authority``). Whatever arrives first under such an id is what it
means -- so such a definition must not be able to say anything a release depends on:
a TLP definition (TLP 1.0 ``definition_type: "tlp"`` or the TLP 2.0 extension) must
carry the official id of its level. A random id then holds a statement at most, and an
object awaiting it (issue #16) cannot be released by a definition a partner planted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liaison.markings.extensions import (
    CAVEATS_EXT_ID,
    CLASSIFICATION_EXT_ID,
    RELEASABILITY_EXT_ID,
    marking_id,
)
from liaison.markings.tlp import TLP_2_EXTENSION_ID, TLP_MARKINGS, official_tlp

__all__ = ["LIAISON_MARKING_EXTENSIONS", "definition_problem", "scheme_owner_of"]

#: The Liaison property-extensions that make a marking-definition a handling marking.
LIAISON_MARKING_EXTENSIONS = (CLASSIFICATION_EXT_ID, RELEASABILITY_EXT_ID, CAVEATS_EXT_ID)
#: Properties of a TLP 1.0 definition (STIX 2.1 §7.2.1.4), besides the signature.
_TLP1_PROPERTIES = frozenset(
    {"type", "spec_version", "id", "created", "definition_type", "name", "definition"}
)


def _bare_extensions(md: Mapping[str, Any], ignore: frozenset[str]) -> dict[str, Any]:
    ext = md.get("extensions")
    if not isinstance(ext, Mapping):
        return {}
    return {k: v for k, v in ext.items() if k not in ignore}


def _tlp_problem(md: Mapping[str, Any], level: str, ignore: frozenset[str]) -> str | None:
    oid = str(md.get("id"))
    bare = {k: v for k, v in md.items() if k != "extensions"}
    ext = _bare_extensions(md, ignore)
    if ext:
        bare["extensions"] = ext
    official = official_tlp(oid)
    if official is not None:
        if bare != official:
            return f"{oid} is the official TLP:{level.upper()} definition; this one differs"
        return None
    # TLP 1.0 (no official body shipped here): its level and nothing else.
    definition = md.get("definition")
    stated = str(definition.get("tlp", "")).lower() if isinstance(definition, Mapping) else ""
    stated = "clear" if stated == "white" else stated
    if (
        md.get("definition_type") != "tlp"
        or stated != level
        or ext
        or not set(bare) <= _TLP1_PROPERTIES
    ):
        return f"{oid} is the TLP 1.0 TLP:{level.upper()} definition; this one differs"
    return None


def definition_problem(
    md: Mapping[str, Any], *, ignore_extensions: frozenset[str] = frozenset()
) -> str | None:
    """Why this marking-definition cannot be what its id says, or None.

    ``ignore_extensions``: extension ids to leave out of the comparison (the origin
    signature, which is not part of the definition).
    """
    oid = str(md.get("id", ""))
    level = TLP_MARKINGS.get(oid)
    if level is not None:
        return _tlp_problem(md, level, ignore_extensions)
    ext = _bare_extensions(md, ignore_extensions)
    tlp = ext.get(TLP_2_EXTENSION_ID)
    if isinstance(tlp, Mapping):
        return f"{oid}: a TLP 2.0 marking must use the official OASIS id of its level"
    if md.get("definition_type") == "tlp":
        return f"{oid}: a TLP marking must use the official id of its level"
    ours = [e for e in LIAISON_MARKING_EXTENSIONS if e in ext]
    if not ours:
        return None
    if len(ours) > 1:
        return f"{oid}: one Liaison handling extension per marking-definition"
    body = ext[ours[0]]
    if not isinstance(body, Mapping):
        return f"{oid}: malformed Liaison handling extension"
    content = {k: v for k, v in body.items() if k != "extension_type"}
    if marking_id(ours[0], content) != oid:
        return f"{oid}: the id does not match the marking's content (a forged definition)"
    return None


def scheme_owner_of(md: Mapping[str, Any]) -> str | None:
    """The identity whose classification scheme this marking defines a level of."""
    ext = md.get("extensions")
    body = ext.get(CLASSIFICATION_EXT_ID) if isinstance(ext, Mapping) else None
    if isinstance(body, Mapping) and isinstance(body.get("scheme_owner"), str):
        return str(body["scheme_owner"])
    return None
