"""The console's HTTP plumbing: sessions, CSRF, rendering and the one place errors map.

A page handler is a plain (synchronous) function ``handler(ctx) -> Response`` run in
the thread pool; ``Console.page`` wraps it: it loads the session (or sends the
browser to the login page), checks the CSRF token on every POST, checks the role,
and tells the application's one error handler (``liaison.taxii.errors``) to render an
error as a console page (or JSON) -- the status and message are decided there.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from liaison.errors import (
    DeniedError,
)
from liaison.node import Node
from liaison.service import Exchange
from liaison.service.accounts import Accounts, Session, User
from liaison.store import PartyRecord
from liaison.taxii.errors import ErrorRenderer
from liaison.web.i18n import LANGUAGES, Translator, translator

__all__ = ["COOKIE", "PREFIX", "Console", "Ctx"]

PREFIX = "/ui"
COOKIE = "liaison_session"
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Handler = Callable[["Ctx"], Response]


@dataclass
class Ctx:
    """Everything a page handler needs about the request and who makes it."""

    console: Console
    request: Request
    exchange: Exchange
    user: User
    session: Session
    party: PartyRecord
    form: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    @property
    def node(self) -> Node:
        return self.console.node

    @property
    def t(self) -> Translator:
        return translator(self.user.lang)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return self.console.render(
            template,
            status=status,
            t=self.t,
            user=self.user,
            csrf=self.session.csrf,
            path=self.request.url.path,
            **values,
        )

    def redirect(self, path: str) -> Response:
        return RedirectResponse(PREFIX + path, status_code=303)


class Console:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.accounts = Accounts(node)
        self.env = Environment(
            loader=PackageLoader("liaison.web", "templates"),
            autoescape=select_autoescape(["html", "svg"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(prefix=PREFIX, languages=LANGUAGES)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(**values)
        response = HTMLResponse(html, status_code=status)
        secure(response)
        return response

    def error_page(self, lang: str, status: int, message: str) -> HTMLResponse:
        return self.render(
            "error.html", status=status, t=translator(lang), user=None, message=message,
            code=status,
        )  # fmt: skip

    def _renderer(self, lang: str, json: bool) -> ErrorRenderer:
        """How the application's one error handler answers on a console page."""

        def render(request: Request, status: int, title: str, message: str) -> Response:
            if json:
                return secure(JSONResponse({"error": message}, status_code=status))
            return self.error_page(lang, status, message)

        return render

    def page(
        self, handler: Handler, *, capability: str | None = None, json: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            token = request.cookies.get(COOKIE)
            found = await run_in_threadpool(self.accounts.session, token)
            if found is None:
                if json:
                    return JSONResponse({"error": "not signed in"}, status_code=401)
                return RedirectResponse(f"{PREFIX}/login", status_code=303)
            session, user = found
            # Errors from here on go to the application's one handler, which renders
            # them as this console does (status and message chosen in one place).
            request.state.render_error = self._renderer(user.lang, json)
            form: dict[str, Any] = {}
            lists: dict[str, list[str]] = {}
            if request.method == "POST":
                data = await request.form(max_files=0, max_fields=400)
                form = {k: v for k, v in data.items() if isinstance(v, str)}
                lists = {k: [v for v in data.getlist(k) if isinstance(v, str)] for k in data}
                session.check_csrf(request.headers.get("x-csrf-token") or form.get("csrf"))
            if capability is not None and not user.may(capability):
                raise DeniedError(translator(user.lang)("error.role"))
            party = await run_in_threadpool(self.accounts.party_of, user)
            ctx = Ctx(self, request, request.app.state.exchange, user, session, party, form, lists)
            return secure(await run_in_threadpool(handler, ctx))

        return endpoint


def secure(response: Response) -> Response:
    """Headers every console answer carries."""
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
