"""The other pages: map, entity graph, agreements, consents, correlations, audit, extraction."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from liaison.errors import InvalidInputError, NotFoundError
from liaison.service import auditing, documents
from liaison.web.console import Ctx
from liaison.web.svg import country_paths, graph_layout, height, map_point
from liaison.web.views import _title, names_of, released_row, visible_rows

__all__ = [
    "answer_consent",
    "audit_page",
    "consents_page",
    "correlations_page",
    "extract_page",
    "graph_page",
    "map_page",
]


def map_page(c: Ctx) -> Response:
    points = []
    for row in visible_rows(c, ("location",)):
        obj = orjson.loads(row.body)
        lat, lon = obj.get("latitude"), obj.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            points.append(map_point(row.id, _title(obj), float(lat), float(lon)))
    return c.render(
        "map.html",
        countries=country_paths(),
        points=[p for p in points if p.inside],
        outside=[p for p in points if not p.inside],
        width=900,
        height=round(height(), 1),
    )


def graph_page(c: Ctx) -> Response:
    row, obj = released_row(c, c.request.path_params["oid"])
    refs = [r for r in obj.get("object_refs", []) if isinstance(r, str)][:60]
    held: dict[str, dict[str, Any]] = {
        oid: orjson.loads(body) for oid, (_, body) in c.exchange.released(c.party, refs).items()
    }
    members = []
    edges = []
    for ref in refs:
        o = held.get(ref)
        if o is not None and o.get("type") == "relationship":
            src, dst = o.get("source_ref"), o.get("target_ref")
            if isinstance(src, str) and isinstance(dst, str):
                edges.append((src, dst, str(o.get("relationship_type", ""))))
            continue
        members.append(
            (ref, _title(o) if o else ref.split("--")[0], ref.split("--")[0], o is not None)
        )
    nodes, lines = graph_layout((row.id, _title(obj), row.type), members, edges)
    return c.render("graph.html", obj=obj, title=_title(obj), nodes=nodes, edges=lines, size=640)


def consents_page(c: Ctx) -> Response:
    names = names_of(c)
    me = c.node.identity_id
    items = [
        {
            "id": k.id,
            "answerable": k.decision == "requested" and k.originator_ref == me,
            "object": k.object_ref,
            "originator": names(k.originator_ref),
            "recipient": names(k.recipient_ref),
            "requester": names(k.requester_ref),
            "decision": k.decision,
            "justification": k.justification or "",
            "modified": k.modified.isoformat(),
        }
        for k in documents.consents(c.node)
    ]
    return c.render("consents.html", consents=items, may_sign=c.user.may("sign"))


def answer_consent(c: Ctx) -> Response:
    """An officer grants or refuses, as originator, a request about our object."""
    from liaison.agreements import deny, grant

    cid, answer = c.request.path_params["cid"], c.form.get("answer", "")
    req = next((k for k in documents.consents(c.node) if k.id == cid), None)
    if req is None:
        raise NotFoundError(f"no consent request {cid}")
    if req.originator_ref != c.node.identity_id or req.decision != "requested":
        raise InvalidInputError("only an open request about this node's own object is answered")
    if answer not in ("grant", "deny"):
        raise InvalidInputError("answer must be 'grant' or 'deny'")
    signed = grant(req, c.node.key) if answer == "grant" else deny(req, c.node.key)
    documents.put_consent(c.node, signed.to_stix(), actor=c.user.name, channel="console")
    return c.redirect("/consents")


def correlations_page(c: Ctx) -> Response:
    from liaison.service.correlations import correlation_index

    rows = [r for r in visible_rows(c, ("report", "threat-actor", "identity", "indicator"))][-200:]
    titles = {r.id: _title(orjson.loads(r.body)) for r in rows}
    found = []
    seen: set[int] = set()
    with correlation_index(c.node) as index:
        for r in rows:
            for k in index.correlations_for(r.id):
                if k.id in seen or k.other(r.id) not in titles:
                    continue
                seen.add(k.id)
                found.append(
                    (k, titles.get(k.object_a, k.object_a), titles.get(k.object_b, k.object_b))
                )
    found.sort(key=lambda x: -x[0].score)
    return c.render("correlations.html", correlations=found[:200])


def audit_page(c: Ctx) -> Response:
    """The newest entries and the state of the whole log, stored objects and ledgers."""
    records = auditing.recent(c.node, 200)
    report, size = auditing.verify(c.node)
    problems = [p.message for p in report.problems][:20]
    return c.render("audit.html", records=records, ok=report.ok, problems=problems, size=size)


def extract_page(c: Ctx) -> Response:
    """GET: the text box. POST: the draft with spans to accept or reject."""
    from liaison.extract import MAX_TEXT_CHARS, extract_text

    text = c.form.get("text", "")
    if c.request.method != "POST" or not text.strip():
        return c.render("extract.html", text=text, draft=None, segments=[], entities=[])
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInputError(f"text too long for extraction (over {MAX_TEXT_CHARS} chars)")
    draft = extract_text(text, lang=c.form.get("lang", "auto") or "auto")
    by_id = {o["id"]: o for o in draft.bundle["objects"]}
    entities = []
    marks: list[tuple[int, int, int]] = []
    for i, e in enumerate(draft.entities):
        obj = by_id.get(e.stix_id or "")
        entities.append(
            {
                "n": i,
                "type": e.type,
                "text": e.text,
                "object": orjson.dumps(obj).decode() if obj else "",
            }
        )
        marks.extend((s.start, s.end, i) for s in e.spans)
    return c.render(
        "extract.html",
        text=text,
        draft=draft,
        segments=_segments(text, marks),
        entities=entities,
        name=_title(draft.report),
    )


def _segments(text: str, marks: list[tuple[int, int, int]]) -> list[tuple[str, int | None]]:
    """The text cut into plain runs and highlighted spans (entity index), no overlaps."""
    out: list[tuple[str, int | None]] = []
    at = 0
    for start, end, n in sorted(marks):
        if start < at or end > len(text) or start >= end:
            continue
        if start > at:
            out.append((text[at:start], None))
        out.append((text[start:end], n))
        at = end
    if at < len(text):
        out.append((text[at:], None))
    return out
