"""``extract_text``: free text in, a draft STIX 2.1 bundle out.

Drafts are local and unmarked: no ``object_marking_refs``, no ``created_by_ref``, and
``x_liaison_draft: true`` on every object, until an analyst reviews and marks them.
Every extracted object carries ``x_liaison_spans`` (character offsets into the text).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from liaison.errors import InvalidInputError
from liaison.extract.dates import DateMention, find_dates
from liaison.extract.entities import RawEntity, find_entities
from liaison.extract.lang import resolve_language
from liaison.extract.lexicon import organizations_by_id, organizations_version, places_by_id
from liaison.extract.relations import Relation, find_relations

__all__ = [
    "MAX_TEXT_CHARS",
    "Draft",
    "Entity",
    "Span",
    "extract_request",
    "extract_text",
    "preload",
]

MAX_TEXT_CHARS = 200_000
EXTRACTOR = "liaison.extract/1"


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets ``[start, end)`` into the source text, and the text there."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Entity:
    """An extracted entity: person, organization, armed-group, place or date."""

    type: str
    text: str
    spans: tuple[Span, ...]
    stix_id: str | None
    ref: str | None = None
    title: str | None = None
    value: str | None = None
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The entity as JSON-ready values (``ref``, ``title``, ``value``, ``aliases`` if set)."""
        out: dict[str, Any] = {
            "type": self.type,
            "text": self.text,
            "spans": [s.to_dict() for s in self.spans],
            "stix_id": self.stix_id,
        }
        for key in ("ref", "title", "value"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out


@dataclass(frozen=True, slots=True)
class Draft:
    """The result of an extraction: a STIX 2.1 bundle plus a flat entity list."""

    bundle: dict[str, Any]
    lang: str
    entities: list[Entity] = field(default_factory=list)

    @property
    def report(self) -> dict[str, Any]:
        return next(o for o in self.bundle["objects"] if o["type"] == "report")

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "entities": [e.to_dict() for e in self.entities],
            "bundle": self.bundle,
        }


def extract_text(
    text: str,
    *,
    lang: str = "auto",
    document_date: date | None = None,
    source: str | None = None,
) -> Draft:
    """Propose a draft STIX bundle for ``text`` (French, Arabic or English)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("nothing to extract: the text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInputError(f"text too long for extraction (over {MAX_TEXT_CHARS} chars)")
    lang = resolve_language(text, lang)
    now = datetime.now(UTC)
    doc_date = document_date or now.date()
    raw = find_entities(text, lang)
    relations = find_relations(text, raw)
    dates = find_dates(text, lang, doc_date)
    stamp = _timestamp(now)
    objects = [_sdo(e, lang, stamp) for e in raw]
    ids = [o["id"] for o in objects]
    rels = [_relationship(r, ids, text, stamp) for r in relations]
    report = _report(text, lang, doc_date, source, stamp, ids + [r["id"] for r in rels], dates)
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": [report, *objects, *rels],
    }
    entities = [
        Entity(
            e.type,
            e.name,
            tuple(Span(m.start, m.end, m.text) for m in e.mentions),
            sid,
            e.ref,
            e.title,
            aliases=tuple(e.aliases),
        )
        for e, sid in zip(raw, ids, strict=True)
    ]
    entities += [
        Entity("date", d.text, (Span(d.start, d.end, d.text),), None, value=d.value.isoformat())
        for d in dates
    ]
    return Draft(bundle=bundle, lang=lang, entities=entities)


def extract_request(payload: Mapping[str, Any]) -> Draft:
    """``extract_text`` from a decoded JSON request body (``POST /extract``).

    ``{"text": str, "lang": "fr"|"ar"|"en"|"auto", "document_date": "YYYY-MM-DD",
    "source": str}``; only ``text`` is required. Bad fields raise ``InvalidInputError``.
    """
    if not isinstance(payload, Mapping):
        raise InvalidInputError("the request body must be a JSON object")
    unknown = set(payload) - {"text", "lang", "document_date", "source"}
    if unknown:
        raise InvalidInputError(f"unknown field(s): {', '.join(sorted(unknown))}")
    text = payload.get("text")
    lang = payload.get("lang", "auto")
    source = payload.get("source")
    raw_date = payload.get("document_date")
    if not isinstance(text, str):
        raise InvalidInputError("'text' must be a string")
    if not isinstance(lang, str):
        raise InvalidInputError("'lang' must be a string")
    if source is not None and not isinstance(source, str):
        raise InvalidInputError("'source' must be a string")
    document_date = None
    if raw_date is not None:
        try:
            document_date = date.fromisoformat(str(raw_date))
        except ValueError as exc:
            raise InvalidInputError("'document_date' must be YYYY-MM-DD") from exc
    return extract_text(text, lang=lang, document_date=document_date, source=source)


def preload(langs: tuple[str, ...] = ("fr", "en", "ar")) -> None:
    """Load models, gazetteer and date tables now (at server start), not on first use."""
    samples = {
        "fr": "Le JNIM était à Gao hier.",
        "en": "JNIM was in Gao yesterday.",
        "ar": "كانت الجماعة في غاو أمس.",
    }
    for lang in langs:
        extract_text(samples[lang], lang=lang, document_date=date(2026, 1, 1))


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _spans(e: RawEntity) -> list[dict[str, Any]]:
    return [{"start": m.start, "end": m.end, "text": m.text} for m in e.mentions]


def _common(kind: str, stamp: str) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{uuid.uuid4()}",
        "created": stamp,
        "modified": stamp,
    }


def _sdo(e: RawEntity, lang: str, stamp: str) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "x_liaison_draft": True,
        "x_liaison_spans": _spans(e),
        "x_liaison_origin": e.origin,
    }
    if e.type == "person":
        obj = _common("identity", stamp)
        obj.update(name=e.name, identity_class="individual")
        if e.title:
            obj["roles"] = [e.title]
    elif e.type == "place":
        place = places_by_id()[e.ref or ""]
        obj = _common("location", stamp)
        obj["name"] = e.name  # the text's own spelling; the gazetteer's others follow
        if e.aliases:
            obj["x_aliases"] = list(e.aliases)
        if place.country:
            obj["country"] = place.country
        if place.latitude is not None and place.longitude is not None:
            obj.update(latitude=place.latitude, longitude=place.longitude)
        extra["x_liaison_gazetteer_id"] = place.id
    elif e.type == "armed-group":
        org = organizations_by_id()[e.ref or ""]
        obj = _common("threat-actor", stamp)
        obj["name"] = org.name(lang)
        aliases = [n for n in org.all_names if n != obj["name"]]
        if aliases:
            obj["aliases"] = aliases
        obj["threat_actor_types"] = list(org.threat_actor_types) or ["unknown"]
        extra.update(x_liaison_org_id=org.id, x_liaison_org_list=organizations_version())
    else:
        obj = _common("identity", stamp)
        obj.update(name=e.name, identity_class="organization")
        if e.ref:
            org = organizations_by_id()[e.ref]
            obj["name"] = org.name(lang)
            if org.sector:
                obj["sectors"] = [org.sector]
            extra.update(x_liaison_org_id=org.id, x_liaison_org_list=organizations_version())
            if org.country:
                extra["x_liaison_country"] = org.country
    obj.update(extra)
    return obj


def _relationship(r: Relation, ids: list[str], text: str, stamp: str) -> dict[str, Any]:
    obj = _common("relationship", stamp)
    obj.update(
        relationship_type=r.relationship_type,
        source_ref=ids[r.source],
        target_ref=ids[r.target],
        x_liaison_draft=True,
        x_liaison_spans=[{"start": r.start, "end": r.end, "text": text[r.start : r.end]}],
    )
    return obj


def _report(
    text: str,
    lang: str,
    doc_date: date,
    source: str | None,
    stamp: str,
    refs: list[str],
    dates: list[DateMention],
) -> dict[str, Any]:
    obj = _common("report", stamp)
    first_line = text.strip().split("\n", 1)[0].strip()
    name = first_line if len(first_line) <= 120 else first_line[:117].rstrip() + "…"
    obj.update(
        name=name,
        description=text,
        lang=lang,
        report_types=["threat-report"],
        published=f"{doc_date.isoformat()}T00:00:00Z",
        object_refs=refs or [obj["id"]],
        x_liaison_draft=True,
        x_liaison_extractor=EXTRACTOR,
    )
    if dates:
        obj["x_liaison_event_dates"] = [
            {"date": d.value.isoformat(), "start": d.start, "end": d.end, "text": d.text}
            for d in dates
        ]
    if source:
        obj["x_liaison_source"] = source
        obj["external_references"] = [{"source_name": "source", "description": source}]
    return obj
