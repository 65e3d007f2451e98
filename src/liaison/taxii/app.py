"""The TAXII 2.1 HTTP application: thin endpoints over ``liaison.service``."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from liaison.node import Node
from liaison.service import Exchange, Page, build_exchange
from liaison.store import Collection, PartyRecord
from liaison.taxii.auth import authenticate
from liaison.taxii.body import read_json
from liaison.taxii.errors import install as install_error_handler
from liaison.taxii.errors import taxii_error
from liaison.taxii.liaison_api import LiaisonApi
from liaison.taxii.media import STIX, TAXII, check_accept, check_content_type, json_response
from liaison.taxii.params import check_object_id, filters_from, limit_from
from liaison.taxii.status import ingest

__all__ = ["TaxiiApp", "create_app"]


class TaxiiApp:
    def __init__(self, node: Node, exchange: Exchange) -> None:
        self.node = node
        self.ex = exchange
        self.root = node.settings.api_root
        self.max_bytes = node.settings.max_body_bytes
        self.max_depth = node.settings.max_json_depth
        self.page_size = node.settings.page_size
        self.max_page = node.settings.max_page_size

    # --- shared steps -----------------------------------------------------------------
    async def party(self, request: Request) -> PartyRecord:
        check_accept(request.headers.get("accept"))
        return await run_in_threadpool(authenticate, self.node, request)

    def _collection_json(self, party: PartyRecord, c: Collection) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "can_read": party.can_read(c.id),
            "can_write": party.can_write(c.id),
            "media_types": [STIX],
        }
        if c.description:
            out["description"] = c.description
        if c.alias:
            out["alias"] = c.alias
        return out

    def _page_response(self, page: Page, key: str) -> Response:
        headers = {}
        if page.items:
            headers["X-TAXII-Date-Added-First"] = str(page.first_added)
            headers["X-TAXII-Date-Added-Last"] = str(page.last_added)
        if key == "objects":
            head = b'{"more":' + (b"true" if page.more else b"false")
            if page.next:
                head += b',"next":' + orjson.dumps(page.next)
            if page.items:
                head += b',"objects":[' + b",".join(body for _, body in page.items) + b"]"
            return Response(head + b"}", media_type=TAXII, headers=headers)
        body: dict[str, Any] = {"more": page.more}
        if page.next:
            body["next"] = page.next
        if key == "manifest" and page.items:
            body["objects"] = [
                {"id": r.id, "date_added": r.date_added, "version": r.version, "media_type": STIX}
                for r, _ in page.items
            ]
        elif key == "versions" and page.items:
            body["versions"] = [r.version for r, _ in page.items]
        return json_response(body, headers=headers)

    # --- endpoints --------------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        await self.party(request)
        return json_response(
            {
                "title": self.node.settings.title,
                "description": f"Liaison node of {self.node.settings.org}",
                "contact": self.node.settings.org,
                "default": f"/{self.root}/",
                "api_roots": [f"/{self.root}/"],
            }
        )

    async def api_root(self, request: Request) -> Response:
        await self.party(request)
        return json_response(
            {
                "title": f"{self.node.settings.org} API root",
                "description": "STIX 2.1 intelligence exchanged under sharing agreements",
                "versions": [TAXII],
                "max_content_length": self.max_bytes,
            }
        )

    async def collections(self, request: Request) -> Response:
        party = await self.party(request)
        cols = await run_in_threadpool(self.ex.readable, party)
        body = {"collections": [self._collection_json(party, c) for c in cols]} if cols else {}
        return json_response(body)

    async def collection(self, request: Request) -> Response:
        party = await self.party(request)
        c = await run_in_threadpool(self.ex.collection, party, request.path_params["cid"])
        return json_response(self._collection_json(party, c))

    async def _read(
        self,
        request: Request,
        key: str,
        *,
        object_id: str | None = None,
        allow: set[str] | None = None,
    ) -> Response:
        party = await self.party(request)
        if object_id is not None:
            check_object_id(object_id)  # only after authenticating: 401 comes first
        params = request.query_params
        filters = filters_from(params, allow=allow)
        limit = limit_from(params, default=self.page_size, maximum=self.max_page)
        page = await run_in_threadpool(
            functools.partial(
                self.ex.objects,
                party,
                request.path_params["cid"],
                filters,
                limit=limit,
                next_token=params.get("next"),
                object_id=object_id,
                kind=key,
            )
        )
        if object_id is not None and not page.items and not params.get("next"):
            # A single object that is absent -- or hidden -- is simply not found.
            return taxii_error(404, "Not Found", f"no object {object_id}")
        return self._page_response(page, key)

    async def get_objects(self, request: Request) -> Response:
        return await self._read(request, "objects")

    async def add_objects(self, request: Request) -> Response:
        party = await self.party(request)
        check_content_type(request.headers.get("content-type"))
        envelope = await read_json(request, max_bytes=self.max_bytes, max_depth=self.max_depth)
        status = await run_in_threadpool(
            ingest, self.ex, party, request.path_params["cid"], envelope
        )
        return json_response(status, status=202)

    async def get_object(self, request: Request) -> Response:
        allow = {"added_after", "limit", "next", "match[version]", "match[spec_version]"}
        oid = request.path_params["oid"]
        return await self._read(request, "objects", object_id=oid, allow=allow)

    async def delete_object(self, request: Request) -> Response:
        party = await self.party(request)
        oid = check_object_id(request.path_params["oid"])
        filters = filters_from(
            request.query_params, allow={"match[version]", "match[spec_version]"}
        )
        if "match[version]" not in request.query_params:
            # TAXII 2.1: a DELETE without match[version] removes every version.
            filters = dataclasses.replace(filters, versions=("all",))
        await run_in_threadpool(self.ex.delete, party, request.path_params["cid"], oid, filters)
        return Response(status_code=200, media_type=TAXII)

    async def versions(self, request: Request) -> Response:
        allow = {"added_after", "limit", "next", "match[spec_version]"}
        oid = request.path_params["oid"]
        return await self._read(request, "versions", object_id=oid, allow=allow)

    async def manifest(self, request: Request) -> Response:
        return await self._read(request, "manifest")

    async def status(self, request: Request) -> Response:
        party = await self.party(request)
        body = await run_in_threadpool(self.ex.status, party, request.path_params["sid"])
        return json_response(body)


def create_app(
    node: Node, exchange: Exchange | None = None, extra_routes: Sequence[BaseRoute] | None = None
) -> Starlette:
    ex = exchange or build_exchange(node)
    t = TaxiiApp(node, ex)
    r = f"/{t.root}"
    routes = [
        Route("/taxii2/", t.discovery, methods=["GET"]),
        Route(f"{r}/", t.api_root, methods=["GET"]),
        Route(f"{r}/collections/", t.collections, methods=["GET"]),
        Route(f"{r}/collections/{{cid}}/", t.collection, methods=["GET"]),
        Route(f"{r}/collections/{{cid}}/objects/", t.get_objects, methods=["GET"]),
        Route(f"{r}/collections/{{cid}}/objects/", t.add_objects, methods=["POST"]),
        Route(f"{r}/collections/{{cid}}/objects/{{oid}}/", t.get_object, methods=["GET"]),
        Route(f"{r}/collections/{{cid}}/objects/{{oid}}/", t.delete_object, methods=["DELETE"]),
        Route(f"{r}/collections/{{cid}}/objects/{{oid}}/versions/", t.versions, methods=["GET"]),
        Route(f"{r}/collections/{{cid}}/manifest/", t.manifest, methods=["GET"]),
        Route(f"{r}/status/{{sid}}/", t.status, methods=["GET"]),
        *LiaisonApi(t).routes(),
        *(extra_routes or []),
    ]
    app = Starlette(routes=routes)
    install_error_handler(app)
    app.state.node = node
    app.state.exchange = ex
    return app
