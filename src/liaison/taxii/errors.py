"""The one place where errors become HTTP statuses and TAXII error objects."""

from __future__ import annotations

import logging

import orjson
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

__all__ = ["error_response", "status_for"]

log = logging.getLogger("liaison.taxii")

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


def status_for(exc: LiaisonError) -> tuple[int, str]:
    for cls, status, title in _STATUS:
        if isinstance(exc, cls):
            return status, title
    return 500, "Internal Error"


def taxii_error(status: int, title: str, description: str) -> Response:
    body = {"title": title, "description": description, "http_status": str(status)}
    headers = {"WWW-Authenticate": 'Basic realm="liaison"'} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII, headers=headers)


def error_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LiaisonError):
        status, title = status_for(exc)
        if status >= 500:
            # Never leak storage internals to a client; the operator sees the log.
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
            return taxii_error(status, title, "the node could not complete the request")
        return taxii_error(status, title, str(exc))
    log.exception("%s %s crashed", request.method, request.url.path)
    return taxii_error(500, "Internal Error", "the node could not complete the request")
