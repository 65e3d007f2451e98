"""Compose and share a report: markings picker, live release preview, submit.

``build`` turns the form into the STIX objects the node would store (markings, an
optional location, the report); ``preview`` asks the policy engine, for every partner,
whether that report would be released and why; ``submit`` hands the objects to the
exchange as the user's internal party (signed by this node, audited, correlated).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from liaison.errors import InvalidInputError
from liaison.markings import (
    CREDIBILITY,
    RELIABILITY,
    TLP_LEVELS,
    caveats_marking,
    classification_marking,
    handling_of,
    releasability_marking,
    source_grading,
)
from liaison.markings.tlp import tlp_id
from liaison.web.console import Ctx
from liaison.web.present import banner_of
from liaison.web.views import names_of

__all__ = ["Built", "build", "compose_page", "preview", "submit"]

_MAX_TEXT = 20_000
#: Properties of an accepted extraction object that survive into the shared batch.
_KEEP = frozenset(
    [
        "type",
        "id",
        "name",
        "aliases",
        "identity_class",
        "latitude",
        "longitude",
        "country",
        "region",
        "description",
        "value",
        "first_seen",
        "threat_actor_types",
    ]
)


@dataclass
class Built:
    objects: list[dict[str, Any]]
    report: dict[str, Any]
    markings: dict[str, dict[str, Any]]
    #: The form chose no markings: the collection's default handling marks the report.
    default: bool = False


def _ts() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _csv(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()][:20]


def _text(form: dict[str, Any], key: str, *, required: bool = False) -> str:
    v = str(form.get(key, "")).strip()
    if required and not v:
        raise InvalidInputError(f"{key} must not be empty")
    if len(v) > _MAX_TEXT:
        raise InvalidInputError(f"{key} is longer than {_MAX_TEXT} characters")
    return v


def build(c: Ctx) -> Built:
    """The objects this form describes, as they would be stored.

    A form that chooses no markings at all (no classification, releasability, caveat or
    TLP) gets the default handling of the collection it posts to, when it has one -- as
    any local client's unmarked post would.
    """
    f, node = c.form, c.node
    me = node.identity_id
    chosen = ("classification", "tlp", "orcon", "noevidence")
    default = None
    if not any(_text(f, k) for k in chosen) and not c.lists.get("rel"):
        default = node.collection_default(node.default_collection_id)
    if default is not None:
        marks = default.definitions(me)
        refs = [m["id"] for m in marks]
    else:
        marks, refs = _chosen(c)
    return _built(c, marks, refs, default is not None)


def _chosen(c: Ctx) -> tuple[list[dict[str, Any]], list[str]]:
    """The marking-definitions and references the form chose."""
    f, node = c.form, c.node
    me = node.identity_id
    marks: list[dict[str, Any]] = []
    level = _text(f, "classification")
    if level:
        if level not in node.settings.classification_levels:
            raise InvalidInputError(f"unknown classification level {level!r}")
        marks.append(classification_marking(level, me))
    partners = {p.name: p for p in node.partners()}
    rel = [partners[n].identity_id for n in c.lists.get("rel", []) if n in partners]
    marks.append(releasability_marking([me, *rel]))
    if f.get("orcon") or f.get("noevidence"):
        marks.append(
            caveats_marking(
                originator_control=bool(f.get("orcon")), no_evidence_use=bool(f.get("noevidence"))
            )
        )
    refs = [m["id"] for m in marks]
    tlp = _text(f, "tlp") or "amber"
    if tlp not in TLP_LEVELS:
        raise InvalidInputError(f"unknown TLP level {tlp!r}")
    refs.append(tlp_id(tlp))
    return marks, refs


def _built(c: Ctx, marks: list[dict[str, Any]], refs: list[str], default: bool) -> Built:
    f, me = c.form, c.node.identity_id
    now = _ts()
    topics, regions = _csv(_text(f, "topics")), _csv(_text(f, "regions"))
    base: dict[str, Any] = {
        "spec_version": "2.1",
        "created": now,
        "modified": now,
        "created_by_ref": me,
        "object_marking_refs": refs,
        "x_liaison_topics": topics,
        "x_liaison_regions": regions,
    }
    extra: list[dict[str, Any]] = []
    loc_name = _text(f, "loc_name")
    if loc_name or f.get("lat") or f.get("lon"):
        try:
            lat, lon = float(f.get("lat", "")), float(f.get("lon", ""))
        except ValueError:
            raise InvalidInputError("latitude and longitude must be numbers") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInputError("latitude/longitude out of range")
        loc = {"type": "location", "id": f"location--{uuid.uuid4()}", **base}
        loc.update(latitude=lat, longitude=lon, **({"name": loc_name} if loc_name else {}))
        extra.append(loc)
    for obj in _accepted(f.get("accepted", "")):
        extra.append({**obj, **{k: v for k, v in base.items() if k != "created_by_ref"}})
    report: dict[str, Any] = {
        "type": "report",
        "id": f"report--{uuid.uuid4()}",
        **base,
        "name": _text(f, "name", required=True),
        "published": now,
        "report_types": ["threat-report"],
        "object_refs": [o["id"] for o in extra] or [me],
    }
    desc = _text(f, "description")
    if desc:
        report["description"] = desc
    lang = _text(f, "lang")
    if lang in ("fr", "ar", "en"):
        report["lang"] = lang
    rel_grade, cred = _text(f, "reliability"), _text(f, "credibility")
    if rel_grade or cred:
        if rel_grade not in RELIABILITY or cred not in CREDIBILITY:
            raise InvalidInputError("source grading needs a reliability A-F and a credibility 1-6")
        src = _text(f, "source")
        report["extensions"] = source_grading(
            rel_grade,
            cred,
            description=src or None,
            description_releasable=bool(f.get("source_releasable")),
        )
    by_id = {m["id"]: m for m in marks}
    return Built([*marks, *extra, report], report, by_id, default)


def _accepted(raw: str) -> list[dict[str, Any]]:
    """Objects accepted on the extraction page (re-marked and re-signed here)."""
    if not raw:
        return []
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInputError("the accepted extraction is not valid JSON") from None
    if not isinstance(data, list) or len(data) > 200:
        raise InvalidInputError("the accepted extraction must be a list of objects")
    keep = _KEEP
    out = []
    for o in data:
        if isinstance(o, dict) and isinstance(o.get("type"), str) and isinstance(o.get("id"), str):
            # A fresh id: what the browser sends must never name (and so re-version) an
            # object this node already holds -- a partner's, say.
            kept = {k: v for k, v in o.items() if k in keep}
            kept["id"] = f"{o['type']}--{uuid.uuid4()}"
            out.append(kept)
    return out


def recipients(c: Ctx, built: Built) -> list[dict[str, Any]]:
    """For each partner: would the report be released to it, and why."""
    return [
        {"party": p.name, "allow": d.allow, "reasons": list(d.reasons)}
        for p, d in c.exchange.gate.preview(built.report, built.markings)
    ]


def preview(c: Ctx) -> Response:
    built = build(c)
    h = handling_of(built.report, built.markings, scheme_owner=c.node.identity_id)
    banner = banner_of(h, names_of(c), c.exchange.gate.context().scale)
    return JSONResponse(
        {
            "banner": {"text": banner.text, "level": banner.level},
            "recipients": recipients(c, built),
            "collection_default": built.default,
        }
    )


def compose_page(c: Ctx) -> Response:
    partners = sorted(p.name for p in c.node.partners())
    return c.render(
        "compose.html",
        levels=list(c.node.settings.classification_levels),
        partners=partners,
        tlps=list(TLP_LEVELS),
        reliability=list(RELIABILITY),
        credibility=list(CREDIBILITY),
        form=c.form,
        rel=set(c.lists.get("rel", [])),
        error="",
    )


def submit(c: Ctx) -> Response:
    built = build(c)
    result = c.exchange.receive(c.party, c.node.default_collection_id, built.objects)
    if any(f.get("id") == built.report["id"] for f in result.failures):
        message = "; ".join(str(f.get("message")) for f in result.failures)
        raise InvalidInputError(message)
    return c.redirect(f"/object/{built.report['id']}")
