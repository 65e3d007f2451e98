"""The analyst console: server-rendered pages in French, Arabic and English under ``/ui/``.

Usage::

    from liaison.taxii.app import create_app
    from liaison.web import Accounts, routes

    Accounts(node).add("amina", "a long passphrase", role="officer", lang="ar")
    app = create_app(node, extra_routes=routes(node))
    # browse http://host:port/ui/login

Every page runs as the signed-in user's internal party (``ui.<name>``) through the
exchange of the app (``request.app.state.exchange``), so what a page lists or shows
has passed the policy gate. No build step, no CDN: templates, one stylesheet and a
few lines of vanilla JavaScript ship in the package.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from liaison.node import Node
from liaison.service.accounts import LANGS, ROLES, Accounts, Session, User
from liaison.web.console import PREFIX, Console

__all__ = ["LANGS", "PREFIX", "ROLES", "Accounts", "Console", "Session", "User", "routes"]


def routes(node: Node) -> list[BaseRoute]:
    """The console's routes, to pass as ``create_app(node, extra_routes=...)``."""
    from liaison.web import agreements, compose, pages, views

    con = Console(node)
    login = views.LoginViews(con)
    p = con.page
    static = StaticFiles(packages=[("liaison.web", "static")])

    async def home(request: object) -> object:
        from starlette.responses import RedirectResponse

        return RedirectResponse(f"{PREFIX}/inbox", status_code=303)

    inner: list[BaseRoute] = [
        Route("/", home, methods=["GET"]),
        Route("/login", login.get, methods=["GET"]),
        Route("/login", login.post, methods=["POST"]),
        Route("/logout", p(views.logout), methods=["POST"]),
        Route("/lang", p(views.set_lang), methods=["POST"]),
        Route("/inbox", p(views.inbox), methods=["GET"]),
        Route("/object/{oid}", p(views.object_view), methods=["GET"]),
        Route("/graph/{oid}", p(pages.graph_page), methods=["GET"]),
        Route("/compose", p(compose.compose_page, capability="compose"), methods=["GET"]),
        Route("/compose", p(compose.submit, capability="compose"), methods=["POST"]),
        Route("/compose/draft", p(compose.compose_page, capability="compose"), methods=["POST"]),
        Route(
            "/compose/preview",
            p(compose.preview, capability="compose", json=True),
            methods=["POST"],
        ),
        Route("/extract", p(pages.extract_page, capability="compose"), methods=["GET", "POST"]),
        Route("/map", p(pages.map_page), methods=["GET"]),
        Route("/agreements", p(agreements.agreements_page), methods=["GET"]),
        Route("/agreements/{aid}", p(agreements.agreement_page), methods=["GET"]),
        Route(
            "/agreements/{aid}/sign",
            p(agreements.sign_agreement, capability="sign"),
            methods=["POST"],
        ),
        Route("/consents", p(pages.consents_page), methods=["GET"]),
        Route(
            "/consents/{cid}/answer",
            p(pages.answer_consent, capability="sign"),
            methods=["POST"],
        ),
        Route("/correlations", p(pages.correlations_page), methods=["GET"]),
        Route("/audit", p(pages.audit_page, capability="audit"), methods=["GET"]),
        Mount("/static", app=static, name="ui-static"),
    ]
    return [Mount(PREFIX, routes=inner)]
