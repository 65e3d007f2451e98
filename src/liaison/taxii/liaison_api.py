"""Liaison's endpoints beside TAXII, under ``/{api_root}/liaison/``.

``receipts/`` (POST: a partner's signed receipt), ``agreements/`` and ``consents/``
(GET: the documents that concern the caller; POST: hand one over), ``audit/head`` and
``audit/consistency`` (signed tree heads and proofs -- hashes only, never entries: of
the caller's own ledger for a partner, of the whole log for the node's own parties) and
``audit/inclusion`` (the node's own auditors). Every answer is a TAXII-style JSON body;
errors are TAXII errors.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liaison.errors import DeniedError, InvalidInputError
from liaison.service import documents, keys
from liaison.service.correlations import correlation_index
from liaison.service.events import audit_log, partner_ledger
from liaison.service.search import search
from liaison.sync.receipts import verify_receipt
from liaison.taxii.body import read_json
from liaison.taxii.media import TAXII, check_content_type

__all__ = ["liaison_routes"]


def _int(request: Request, name: str) -> int:
    raw = request.query_params.get(name)
    try:
        value = int(raw) if raw is not None else -1
    except ValueError:
        value = -1
    if value < 0:
        raise InvalidInputError(f"{name} must be a non-negative whole number")
    return value


def liaison_routes(t: Any) -> list[Route]:
    """Routes bound to the TAXII app ``t`` (for its auth, limits and JSON helpers)."""
    from liaison.taxii.app import _guard, _json

    node = t.node
    root = f"/{t.root}/liaison"

    async def body(request: Request) -> Any:
        check_content_type(request.headers.get("content-type"))
        return await read_json(request, max_bytes=t.max_bytes, max_depth=t.max_depth)

    async def post_receipt(request: Request) -> Response:
        party = await t.party(request)
        if party.internal or not party.public_key_b64:
            raise DeniedError("only a partner with a pinned key sends receipts")
        receipt = await body(request)
        verify_receipt(receipt, party.public_key_b64)
        if receipt.get("receiver") != party.identity_id:
            raise InvalidInputError("the receipt's receiver is not the sending party")
        await run_in_threadpool(lambda: documents.put_receipt(node, receipt, sender=party))
        return _json({"stored": receipt["id"]}, status=201)

    async def get_agreements(request: Request) -> Response:
        party = await t.party(request)
        docs = await run_in_threadpool(documents.agreement_versions, node)
        return _json({"agreements": [a.to_stix() for a in docs if documents.visible_to(party, a)]})

    async def post_agreement(request: Request) -> Response:
        party = await t.party(request)
        raw = await body(request)
        a = await run_in_threadpool(
            lambda: documents.put_agreement(node, raw, sender=party, channel="api")
        )
        return _json({"stored": a.id}, status=201)

    async def get_consents(request: Request) -> Response:
        party = await t.party(request)
        docs = await run_in_threadpool(documents.consents, node)
        return _json({"consents": [c.to_stix() for c in docs if documents.visible_to(party, c)]})

    async def post_consent(request: Request) -> Response:
        party = await t.party(request)
        raw = await body(request)
        c = await run_in_threadpool(
            lambda: documents.put_consent(node, raw, sender=party, channel="api")
        )
        return _json({"stored": c.id}, status=201)

    async def audit_head(request: Request) -> Response:
        party = await t.party(request)

        def current() -> Any:
            if not party.internal:  # a partner checks its own ledger, never the whole log
                with partner_ledger(node) as led:
                    return led.head(party.identity_id)
            with audit_log(node) as log:
                head = log.latest_head()
                return head if head is not None and head.size == log.size() else log.tree_head()

        head = await run_in_threadpool(current)
        return _json(head.to_dict())

    async def audit_consistency(request: Request) -> Response:
        party = await t.party(request)
        first, second = _int(request, "first"), _int(request, "second")

        def consistency() -> Any:
            if not party.internal:
                with partner_ledger(node) as led:
                    return led.consistency_proof(party.identity_id, first, second)
            with audit_log(node) as log:
                return log.consistency_proof(first, second)

        proof = await run_in_threadpool(consistency)
        return _json(proof.to_dict())

    async def audit_inclusion(request: Request) -> Response:
        party = await t.party(request)
        if not party.internal:
            raise DeniedError("inclusion proofs are for this node's own auditors")
        seq, size = _int(request, "seq"), _int(request, "size")

        def inclusion() -> Any:
            with audit_log(node) as log:
                return log.inclusion_proof(seq, size)

        proof = await run_in_threadpool(inclusion)
        return _json(proof.to_dict())

    async def get_search(request: Request) -> Response:
        party = await t.party(request)
        query = request.query_params.get("q", "")
        limit = min(
            max(_int(request, "limit") if "limit" in request.query_params else 50, 1), t.max_page
        )
        hits = await run_in_threadpool(lambda: search(t.ex, party, query, limit=limit))
        head = b'{"objects":[' + b",".join(body for _, body in hits) + b"]}"
        return Response(head, media_type=TAXII)

    async def get_correlations(request: Request) -> Response:
        party = await t.party(request)
        if not party.internal:
            raise DeniedError("correlations are local knowledge of this node")
        object_id = request.query_params.get("object")
        limit = _int(request, "limit") if "limit" in request.query_params else 100

        def read() -> list[dict[str, Any]]:
            with correlation_index(node) as index:
                found = (
                    index.correlations_for(object_id)
                    if object_id
                    else index.list(limit=min(limit, 1000))
                )
                return [c.as_dict() for c in found]

        return _json({"correlations": await run_in_threadpool(read)})

    async def post_extract(request: Request) -> Response:
        party = await t.party(request)
        if not party.internal:
            raise DeniedError("extraction drafts are for this node's own analysts")
        raw = await body(request)

        def run() -> dict[str, Any]:
            from liaison.extract import extract_request

            result: dict[str, Any] = extract_request(raw).to_dict()
            return result

        return _json(await run_in_threadpool(run))

    async def get_keys(request: Request) -> Response:
        await t.party(request)
        return _json({"announcements": await run_in_threadpool(keys.announcements, node)})

    g = _guard
    return [
        Route(f"{root}/keys/", g(get_keys), methods=["GET"]),
        Route(f"{root}/extract/", g(post_extract), methods=["POST"]),
        Route(f"{root}/correlations/", g(get_correlations), methods=["GET"]),
        Route(f"{root}/search/", g(get_search), methods=["GET"]),
        Route(f"{root}/receipts/", g(post_receipt), methods=["POST"]),
        Route(f"{root}/agreements/", g(get_agreements), methods=["GET"]),
        Route(f"{root}/agreements/", g(post_agreement), methods=["POST"]),
        Route(f"{root}/consents/", g(get_consents), methods=["GET"]),
        Route(f"{root}/consents/", g(post_consent), methods=["POST"]),
        Route(f"{root}/audit/head", g(audit_head), methods=["GET"]),
        Route(f"{root}/audit/consistency", g(audit_consistency), methods=["GET"]),
        Route(f"{root}/audit/inclusion", g(audit_inclusion), methods=["GET"]),
    ]
