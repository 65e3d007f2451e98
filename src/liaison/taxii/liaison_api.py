"""Liaison's endpoints beside TAXII, under ``/{api_root}/liaison/``.

``receipts/`` (POST: a partner's signed receipt), ``agreements/`` and ``consents/``
(GET: the documents that concern the caller; POST: hand one over), ``audit/head`` and
``audit/consistency`` (signed tree heads and proofs -- hashes only, never entries: of
the caller's own ledger for a partner, of the whole log for the node's own parties),
``audit/inclusion`` (the node's own auditors), ``search/``, ``correlations/`` and
``extract/`` (the last two for the node's own parties), ``keys/`` (rotation
announcements). Every answer is a TAXII-style JSON body; errors are TAXII errors,
rendered by the application's one error handler (``liaison.taxii.errors``). Every
endpoint asks ``liaison.service``; none touches the store or the policy engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liaison.errors import DeniedError, InvalidInputError
from liaison.service import auditing, documents, keys
from liaison.service.correlations import correlations
from liaison.service.search import search
from liaison.store import PartyRecord
from liaison.taxii.body import read_json
from liaison.taxii.media import TAXII, check_content_type, json_response

if TYPE_CHECKING:
    from liaison.taxii.app import TaxiiApp

__all__ = ["LiaisonApi"]


def _int(request: Request, name: str) -> int:
    raw = request.query_params.get(name)
    try:
        value = int(raw) if raw is not None else -1
    except ValueError:
        value = -1
    if value < 0:
        raise InvalidInputError(f"{name} must be a non-negative whole number")
    return value


@dataclass(frozen=True)
class _Documents:
    """Signed documents exchanged between nodes: how to list and how to store them."""

    key: str
    held: Callable[[Any], list[Any]]
    put: Callable[..., Any]


class LiaisonApi:
    """The Liaison endpoints of one TAXII application (its auth, limits and node)."""

    def __init__(self, taxii: TaxiiApp) -> None:
        self.t = taxii
        self.node = taxii.node
        self.base = f"/{taxii.root}/liaison"

    def routes(self) -> list[Route]:
        b = self.base
        agreements = _Documents("agreements", documents.agreement_versions, documents.put_agreement)
        consents = _Documents("consents", documents.consents, documents.put_consent)
        return [
            Route(f"{b}/keys/", self.get_keys, methods=["GET"]),
            Route(f"{b}/extract/", self.post_extract, methods=["POST"]),
            Route(f"{b}/correlations/", self.get_correlations, methods=["GET"]),
            Route(f"{b}/search/", self.get_search, methods=["GET"]),
            Route(f"{b}/receipts/", self.post_receipt, methods=["POST"]),
            Route(f"{b}/agreements/", self._list(agreements), methods=["GET"]),
            Route(f"{b}/agreements/", self._store(agreements), methods=["POST"]),
            Route(f"{b}/consents/", self._list(consents), methods=["GET"]),
            Route(f"{b}/consents/", self._store(consents), methods=["POST"]),
            Route(f"{b}/audit/head", self.audit_head, methods=["GET"]),
            Route(f"{b}/audit/consistency", self.audit_consistency, methods=["GET"]),
            Route(f"{b}/audit/inclusion", self.audit_inclusion, methods=["GET"]),
        ]

    # --- shared steps ---------------------------------------------------------------------
    async def _body(self, request: Request) -> Any:
        check_content_type(request.headers.get("content-type"))
        return await read_json(request, max_bytes=self.t.max_bytes, max_depth=self.t.max_depth)

    async def _internal(self, request: Request, what: str) -> PartyRecord:
        party = await self.t.party(request)
        if not party.internal:
            raise DeniedError(f"{what} are for this node's own parties")
        return party

    # --- documents ------------------------------------------------------------------------
    def _list(self, docs: _Documents) -> Callable[[Request], Any]:
        async def get(request: Request) -> Response:
            party = await self.t.party(request)
            held = await run_in_threadpool(docs.held, self.node)
            shown = [d.to_stix() for d in held if documents.visible_to(party, d)]
            return json_response({docs.key: shown})

        return get

    def _store(self, docs: _Documents) -> Callable[[Request], Any]:
        async def post(request: Request) -> Response:
            party = await self.t.party(request)
            raw = await self._body(request)
            doc = await run_in_threadpool(
                lambda: docs.put(self.node, raw, sender=party, channel="api")
            )
            return json_response({"stored": doc.id}, status=201)

        return post

    async def post_receipt(self, request: Request) -> Response:
        party = await self.t.party(request)
        receipt = await self._body(request)
        await run_in_threadpool(lambda: documents.accept_receipt(self.node, receipt, party))
        return json_response({"stored": receipt["id"]}, status=201)

    # --- audit ----------------------------------------------------------------------------
    async def audit_head(self, request: Request) -> Response:
        party = await self.t.party(request)
        head = await run_in_threadpool(auditing.head_for, self.node, party)
        return json_response(head.to_dict())

    async def audit_consistency(self, request: Request) -> Response:
        party = await self.t.party(request)
        first, second = _int(request, "first"), _int(request, "second")
        proof = await run_in_threadpool(auditing.consistency_for, self.node, party, first, second)
        return json_response(proof.to_dict())

    async def audit_inclusion(self, request: Request) -> Response:
        await self._internal(request, "inclusion proofs")
        seq, size = _int(request, "seq"), _int(request, "size")
        proof = await run_in_threadpool(auditing.inclusion, self.node, seq, size)
        return json_response(proof.to_dict())

    # --- search, correlations, extraction, keys -----------------------------------------------
    async def get_search(self, request: Request) -> Response:
        party = await self.t.party(request)
        query = request.query_params.get("q", "")
        wanted = _int(request, "limit") if "limit" in request.query_params else 50
        limit = min(max(wanted, 1), self.t.max_page)
        hits = await run_in_threadpool(lambda: search(self.t.ex, party, query, limit=limit))
        head = b'{"objects":[' + b",".join(body for _, body in hits) + b"]}"
        return Response(head, media_type=TAXII)

    async def get_correlations(self, request: Request) -> Response:
        await self._internal(request, "correlations (local knowledge of this node)")
        object_id = request.query_params.get("object")
        limit = _int(request, "limit") if "limit" in request.query_params else 100
        found = await run_in_threadpool(correlations, self.node, object_id, min(limit, 1000))
        return json_response({"correlations": found})

    async def post_extract(self, request: Request) -> Response:
        await self._internal(request, "extraction drafts")
        raw = await self._body(request)

        def run() -> dict[str, Any]:
            from liaison.extract import extract_request

            result: dict[str, Any] = extract_request(raw).to_dict()
            return result

        return json_response(await run_in_threadpool(run))

    async def get_keys(self, request: Request) -> Response:
        await self.t.party(request)
        return json_response(
            {"announcements": await run_in_threadpool(keys.announcements, self.node)}
        )
