"""Login, inbox, object view and language: the pages every analyst uses first."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from liaison.errors import DeniedError, InvalidInputError, LiaisonError, NotFoundError
from liaison.markings import Handling
from liaison.service import Filters, documents
from liaison.service.accounts import LANGS
from liaison.service.signer import keyring_of, revoked_keys
from liaison.store import ObjectRow
from liaison.web.console import COOKIE, PREFIX, Console, Ctx, secure
from liaison.web.i18n import translator
from liaison.web.present import (
    Names,
    banner_of,
    grading_of,
    provenance_of,
    signature_status,
)

__all__ = ["LoginViews", "inbox", "names_of", "object_view", "set_lang", "visible_rows"]

_LOGIN_COOKIE = "liaison_login"
#: Types the inbox lists (the rest is reached from a report).
INBOX_TYPES = (
    "report",
    "note",
    "opinion",
    "grouping",
    "threat-actor",
    "intrusion-set",
    "campaign",
    "indicator",
    "sighting",
    "location",
    "identity",
)


class LoginViews:
    """The two pages that run without a session."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def _form(self, request: Request, error: str = "", status: int = 200) -> Response:
        lang = request.query_params.get("lang", "fr")
        nonce = secrets.token_urlsafe(24)
        resp = self.console.render(
            "login.html", status=status, t=translator(lang), user=None, nonce=nonce, error=error
        )
        resp.set_cookie(
            _LOGIN_COOKIE, nonce, httponly=True, samesite="strict", path=f"{PREFIX}/login",
            secure=request.url.scheme == "https",
        )  # fmt: skip
        return resp

    async def get(self, request: Request) -> Response:
        return self._form(request)

    async def post(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        nonce = request.cookies.get(_LOGIN_COOKIE, "")
        sent = str(form.get("nonce", ""))
        t = translator(request.query_params.get("lang", "fr"))
        if not nonce or not secrets.compare_digest(nonce.encode(), sent.encode()):
            return self._form(request, t("login.stale"), 403)
        name, password = str(form.get("username", "")), str(form.get("password", ""))
        client = request.client.host if request.client else ""
        try:
            user = await run_in_threadpool(
                self.console.accounts.login, name, password, client=client
            )
        except DeniedError:
            return self._form(request, t("login.locked"), 403)
        except LiaisonError:
            return self._form(request, t("login.failed"), 401)
        token, _ = await run_in_threadpool(self.console.accounts.new_session, user)
        resp = RedirectResponse(f"{PREFIX}/inbox", status_code=303)
        resp.set_cookie(
            COOKIE, token, httponly=True, samesite="strict", path=PREFIX,
            secure=request.url.scheme == "https",
        )  # fmt: skip
        resp.delete_cookie(_LOGIN_COOKIE, path=f"{PREFIX}/login")
        return secure(resp)


def logout(c: Ctx) -> Response:
    token = c.request.cookies.get(COOKIE)
    if token:
        c.console.accounts.end_session(token)
    resp = c.redirect("/login")
    resp.delete_cookie(COOKIE, path=PREFIX)
    return resp


def set_lang(c: Ctx) -> Response:
    lang = c.form.get("lang", "")
    if lang not in LANGS:
        raise InvalidInputError(f"unknown language {lang!r}")
    c.console.accounts.set_lang(c.user.name, lang)
    back = c.form.get("back", "/inbox")
    return c.redirect(back if back.startswith("/") and not back.startswith("//") else "/inbox")


def names_of(c: Ctx) -> Names:
    """Display names of the identities this node knows (this node: its country code)."""
    m = documents.known_names(c.node)
    m[c.node.identity_id] = c.node.settings.country
    return Names(m)


def visible_rows(c: Ctx, types: tuple[str, ...], limit: int = 2000) -> list[ObjectRow]:
    """Latest versions the user's party may see, through the exchange (policy gate)."""
    out: list[ObjectRow] = []
    for col in c.exchange.readable(c.party):
        if not c.party.can_read(col.id):
            continue
        token: str | None = None
        while len(out) < limit:
            page = c.exchange.objects(
                c.party, col.id, Filters(types=types), limit=500, next_token=token
            )
            out.extend(row for row, _ in page.items)
            if not page.more:
                break
            token = page.next
    return out


@dataclass(frozen=True)
class InboxItem:
    id: str
    type: str
    name: str
    partner: str
    date: str
    added: str
    unread: bool


def inbox(c: Ctx) -> Response:
    names = names_of(c)
    read = c.console.accounts.read_ids(c.user.name)
    partner = c.request.query_params.get("partner", "")
    items: list[InboxItem] = []
    for row in visible_rows(c, INBOX_TYPES):
        if not row.received_from:
            continue
        obj = orjson.loads(row.body)
        who = names(row.received_from)
        if partner and who != partner:
            continue
        items.append(
            InboxItem(
                row.id, row.type, _title(obj), who, row.version, row.date_added,
                row.id not in read,
            )
        )  # fmt: skip
    items.sort(key=lambda i: i.added, reverse=True)
    items.sort(key=lambda i: not i.unread)
    partners = sorted({names(p.identity_id) for p in c.node.partners()})
    return c.render("inbox.html", items=items, partners=partners, partner=partner)


def _title(obj: dict[str, Any]) -> str:
    for key in ("name", "abstract", "value", "content"):
        v = obj.get(key)
        if isinstance(v, str) and v:
            return v[:160]
    return str(obj.get("id", ""))


def released_row(c: Ctx, object_id: str) -> tuple[ObjectRow, dict[str, Any]]:
    """The latest version of an object the user may see, as the gate releases it."""
    found = c.exchange.released(c.party, [object_id]).get(object_id)
    if found is None:
        raise NotFoundError(f"no object {object_id}")
    return found[0], orjson.loads(found[1])


def object_view(c: Ctx) -> Response:
    oid = c.request.path_params["oid"]
    row, obj = released_row(c, oid)
    names = names_of(c)
    handling = Handling.from_json(row.handling.get("h") or {})
    banner = banner_of(handling, names, c.exchange.gate.context().scale)
    sig = signature_status(obj, keyring_of(c.node), revoked_keys(c.node))
    refs = [r for r in obj.get("object_refs", []) if isinstance(r, str)]
    c.console.accounts.mark_read(c.user.name, oid)
    shown = {k: v for k, v in obj.items() if k != "extensions"}
    return c.render(
        "object.html",
        obj=obj,
        row=row,
        banner=banner,
        handling=handling,
        names=names,
        releasable=None
        if handling.releasable_to is None
        else sorted(names(p) for p in handling.releasable_to),
        grading=grading_of(obj),
        provenance=provenance_of(obj, row.origins, row.received_from, names),
        sig=sig,
        signer=names(sig.signer),
        refs=refs,
        title=_title(obj),
        json=orjson.dumps(shown, option=orjson.OPT_INDENT_2).decode(),
    )
