"""HTTP Basic (party name + token, as taxii2-client sends) and Bearer credentials."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from liaison.errors import UnauthenticatedError
from liaison.node import Node
from liaison.store import PartyRecord

__all__ = ["authenticate"]


def authenticate(node: Node, request: Request) -> PartyRecord:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    party: PartyRecord | None = None
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        name, sep, token = decoded.partition(":")
        if sep and token:
            party = node.authenticate(name, token)
    elif scheme in ("bearer", "token") and value.strip():
        party = node.authenticate(None, value.strip())
    if party is None:
        raise UnauthenticatedError("missing or wrong credentials")
    return party
