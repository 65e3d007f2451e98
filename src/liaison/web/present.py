"""What the console shows of an object: banner, markings, grading, provenance, signature.

Pure functions from a stored row (already released by the gate) and the node's view
of the world (party and identity names, the classification scale) to small view
models the templates render. No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liaison.errors import SignatureError
from liaison.markings import SOURCE_GRADING_EXT_ID, ClassificationScale, Handling
from liaison.signing.objects import signature_of, verify_object

__all__ = [
    "BANNER_COLOURS",
    "Banner",
    "Names",
    "Provenance",
    "SignatureStatus",
    "banner_of",
    "grading_of",
    "provenance_of",
    "signature_status",
]

#: Banner colours by classification rank on the node's scale (background, text).
#: Every pair has a contrast ratio of at least 4.5:1 (checked by the tests).
BANNER_COLOURS = {
    "none": ("#4a4a4a", "#ffffff"),
    0: ("#006b2d", "#ffffff"),
    1: ("#0b4f9c", "#ffffff"),
    2: ("#0033a0", "#ffffff"),
    3: ("#b0001e", "#ffffff"),
    4: ("#ffb000", "#000000"),
}
_TLP_TEXT = {"clear": "TLP:CLEAR", "green": "TLP:GREEN", "amber": "TLP:AMBER"}


class Names:
    """Display names for identity ids: this node, registered parties, agreement parties."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self._m = mapping

    def __call__(self, identity_id: str | None) -> str:
        if not identity_id:
            return ""
        known = self._m.get(identity_id)
        if known is not None:
            return known
        return identity_id[:18] + "…" if identity_id.startswith("identity--") else identity_id


@dataclass(frozen=True)
class Banner:
    text: str
    background: str
    foreground: str
    level: str


def banner_of(h: Handling, names: Names, scale: ClassificationScale | None) -> Banner:
    """The classification line shown at the top and the bottom of a page."""
    parts: list[str] = []
    rank: int | str = "none"
    if h.classification:
        owner = names(h.scheme_owner)
        parts.append(f"{h.classification} ({owner})" if owner else h.classification)
        if scale is not None and h.scheme_owner:
            r = scale.rank(h.scheme_owner, h.classification)
            if r is not None:
                rank = min(r, 4)
    else:
        parts.append("—")
    if h.releasable_to is not None:
        parts.append("REL TO " + ", ".join(sorted(names(p) for p in h.releasable_to)))
    if h.originator_control:
        parts.append("ORCON")
    if h.no_evidence_use:
        parts.append("NO EVIDENTIAL USE")
    if h.tlp:
        parts.append(_TLP_TEXT.get(h.tlp, "TLP:" + h.tlp.upper()))
    bg, fg = BANNER_COLOURS[rank]
    return Banner(" // ".join(parts), bg, fg, str(rank))


def grading_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """Admiralty grading of the source (reliability A-F, credibility 1-6) if stated."""
    ext = obj.get("extensions")
    body = ext.get(SOURCE_GRADING_EXT_ID) if isinstance(ext, dict) else None
    if not isinstance(body, dict):
        return None
    return {
        "reliability": str(body.get("source_reliability", "?")),
        "credibility": str(body.get("information_credibility", "?")),
        "description": body.get("source_description"),
    }


@dataclass(frozen=True)
class SignatureStatus:
    ok: bool
    signer: str = ""
    key: str = ""
    signed: str = ""
    problem: str = ""


def signature_status(
    obj: dict[str, Any], keyring: dict[str, dict[str, str]], revoked: frozenset[str]
) -> SignatureStatus:
    sig = signature_of(obj) or {}
    try:
        verify_object(obj, keyring, revoked.__contains__)
    except SignatureError as exc:
        return SignatureStatus(
            False, str(sig.get("signer", "")), str(sig.get("key", "")), "", str(exc)
        )
    return SignatureStatus(True, str(sig["signer"]), str(sig["key"]), str(sig.get("signed", "")))


@dataclass(frozen=True)
class Provenance:
    """Where an object came from: author, who sent it, whose material it holds."""

    created_by: str
    received_from: str
    origins: list[str] = field(default_factory=list)
    derived_from: list[str] = field(default_factory=list)


def provenance_of(
    obj: dict[str, Any], row_origins: tuple[str, ...], received_from: str, names: Names
) -> Provenance:
    derived = obj.get("x_liaison_derived_from")
    return Provenance(
        created_by=names(obj.get("created_by_ref")),
        received_from=names(received_from) if received_from else "",
        origins=[names(o) for o in row_origins],
        derived_from=[d for d in derived if isinstance(d, str)]
        if isinstance(derived, list)
        else [],
    )
