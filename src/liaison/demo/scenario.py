"""The demo's intelligence: a Sahel border-security report written for Liaison.

Fictional content in our own words: MR's intelligence division reports a smuggling
convoy of a fictional network moving fuel and weapons from the In Khalil area towards
the border post of Bordj Badji Mokhtar. Everything is marked in MR's national scheme,
releasable to DZ and XX under originator control, graded B2.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from liaison.markings import (
    caveats_marking,
    classification_marking,
    releasability_marking,
    source_grading,
)
from liaison.markings.tlp import tlp_id

__all__ = ["border_report"]


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def border_report(mr: str, dz: str, xx: str, *, level: str) -> list[dict[str, Any]]:
    """STIX objects MR's analyst posts: markings, places, actor, indicator, report."""
    now = _ts(datetime.now(UTC))
    cls = classification_marking(level, mr)
    rel = releasability_marking([dz, mr, xx])
    orcon = caveats_marking(originator_control=True, no_evidence_use=True)
    marks = [cls["id"], rel["id"], orcon["id"], tlp_id("green")]
    scope = {
        "x_liaison_topics": ["organised-crime", "terrorism"],
        "x_liaison_regions": ["ML", "DZ"],
    }

    def sdo(type_: str, **props: Any) -> dict[str, Any]:
        return {
            "type": type_,
            "spec_version": "2.1",
            "id": f"{type_}--{uuid.uuid4()}",
            "created": now,
            "modified": now,
            "created_by_ref": mr,
            "object_marking_refs": marks,
            **scope,
            **props,
        }

    in_khalil = sdo(
        "location",
        name="In Khalil",
        country="ML",
        latitude=20.07,
        longitude=0.93,
        region="western-africa",
    )
    bbm = sdo(
        "location",
        name="Bordj Badji Mokhtar",
        country="DZ",
        latitude=21.33,
        longitude=0.95,
        region="northern-africa",
    )
    network = sdo(
        "threat-actor",
        name="Réseau Tilemsi (fictional)",
        threat_actor_types=["criminal"],
        aliases=["Tilemsi network"],
        description="Smuggling network moving fuel, cigarettes and small arms "
        "across the Malian-Algerian border.",
    )
    based = sdo(
        "relationship",
        relationship_type="located-at",
        source_ref=network["id"],
        target_ref=in_khalil["id"],
    )
    contact = sdo(
        "indicator",
        name="Convoy coordinator's contact address",
        pattern="[email-addr:value = 'tilemsi.logistique@example.org']",
        pattern_type="stix",
        valid_from=now,
        indicator_types=["attribution"],
    )
    report = sdo(
        "report",
        name="Smuggling convoy expected near Bordj Badji Mokhtar",
        description=(
            "A liaison source reports that a convoy of four pick-up trucks of the "
            "Tilemsi network left the In Khalil area on the night of the report, "
            "carrying fuel drums and at least twelve assault rifles, and intends to "
            "cross the border east of Bordj Badji Mokhtar within 72 hours. The "
            "coordinator uses the e-mail address in the attached indicator."
        ),
        published=now,
        report_types=["threat-actor", "indicator"],
        object_refs=[network["id"], in_khalil["id"], bbm["id"], based["id"], contact["id"]],
        lang="en",
        extensions=source_grading(
            "B",
            "2",
            description="Liaison source TIGRE-7, Kidal region",
            description_releasable=False,
        ),
    )
    return [cls, rel, orcon, in_khalil, bbm, network, based, contact, report]
