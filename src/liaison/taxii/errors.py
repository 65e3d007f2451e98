"""The one place where errors become HTTP answers, for every part of the application.

``status_for`` maps each family of ``LiaisonError`` to a status and a title; ``install``
registers one handler in the Starlette application for Liaison's errors, Starlette's
own HTTP errors (unknown route, wrong method) and anything unexpected. The handler
answers with a TAXII error object, unless the part of the application the request went
to (the console) set ``request.state.render_error``: then that renders the same status
and message in its own form (an HTML page, a JSON body). A 5xx answer never carries
the internal message -- the operator finds it in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from liaison.errors import (
    AgreementError,
    ConfigError,
    ConflictError,
    DeniedError,
    InvalidInputError,
    LiaisonError,
    NotAcceptableError,
    NotFoundError,
    SignatureError,
    StorageError,
    TooLargeError,
    UnauthenticatedError,
    UnsupportedMediaTypeError,
)
from liaison.taxii.media import TAXII

__all__ = ["ErrorRenderer", "install", "status_for", "taxii_error"]

log = logging.getLogger("liaison.taxii")

#: Renders an error in a part's own form: (request, status, title, message) -> response.
ErrorRenderer = Callable[[Request, int, str, str], Response]

# Most specific first.
_STATUS: tuple[tuple[type[LiaisonError], int, str], ...] = (
    (TooLargeError, 413, "Request Entity Too Large"),
    (UnsupportedMediaTypeError, 415, "Unsupported Media Type"),
    (NotAcceptableError, 406, "Not Acceptable"),
    (SignatureError, 422, "Signature Rejected"),
    (AgreementError, 422, "Agreement Rejected"),
    (InvalidInputError, 400, "Bad Request"),
    (UnauthenticatedError, 401, "Unauthorized"),
    (DeniedError, 403, "Forbidden"),
    (NotFoundError, 404, "Not Found"),
    (ConflictError, 409, "Conflict"),
    (StorageError, 500, "Storage Error"),
    (ConfigError, 500, "Server Misconfigured"),
)
_HTTP_TITLES = {404: "Not Found", 405: "Method Not Allowed"}
_HIDDEN = "the node could not complete the request"


def status_for(exc: LiaisonError) -> tuple[int, str]:
    """The HTTP status and title of an error family (500 for anything unmapped)."""
    for cls, status, title in _STATUS:
        if isinstance(exc, cls):
            return status, title
    return 500, "Internal Error"


def taxii_error(status: int, title: str, description: str) -> Response:
    body = {"title": title, "description": description, "http_status": str(status)}
    headers = {"WWW-Authenticate": 'Basic realm="liaison"'} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII, headers=headers)


def _render(request: Request, status: int, title: str, message: str) -> Response:
    renderer: ErrorRenderer | None = getattr(request.state, "render_error", None)
    if renderer is not None:
        return renderer(request, status, title, message)
    return taxii_error(status, title, message)


async def _liaison(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LiaisonError)
    status, title = status_for(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return _render(request, status, title, _HIDDEN)
    return _render(request, status, title, str(exc))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    return _render(request, exc.status_code, title, str(exc.detail))


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("%s %s crashed", request.method, request.url.path)
    return _render(request, 500, "Internal Error", _HIDDEN)


def install(app: Starlette) -> None:
    """Register the one error handler of the application (see the module docstring)."""
    app.add_exception_handler(LiaisonError, _liaison)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _crash)
