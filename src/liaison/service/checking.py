"""The store-free checks of a partner's objects (``check_signed``) and what they hand
to storing (``Checked``).

A module of its own, importing only what the checks use: the sync's checking process
(``liaison.sync.checker``) imports it at its start, and every module it pulls in is
start-up time of each sync with more than one page (docs/adr/0010).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from liaison.errors import SignatureError
from liaison.service.ingest import Defaulted, Notes, Received, check_one
from liaison.service.search import searchable_text
from liaison.signing.objects import SignatureInfo
from liaison.stix import object_version, timestamp_us

__all__ = ["Checked", "Stamps", "check_signed"]


@dataclass(frozen=True)
class Checked:
    """Objects checked by ``Exchange.check`` for one party and collection, to be stored
    by ``Exchange.store_checked`` (the failures so far are in ``result``)."""

    party: str
    collection_id: str
    received: int  # objects handed over, valid or not
    result: Received
    stamps: Stamps
    valid: list[dict[str, Any]]
    notes: Notes
    infos: list[SignatureInfo]
    batch: Defaulted
    # made beside the checks when they run in another process (``liaison.sync.checker``):
    # each valid object's bytes as orjson writes them, their SHA-256 (hex) and the
    # object's searchable text
    bodies: list[bytes] | None = None
    texts: list[str] | None = None
    digests: list[str] | None = None


def check_signed(
    party: str,
    collection_id: str,
    objects: list[Any],
    verify: Callable[[dict[str, Any]], SignatureInfo],
    *,
    encoded: bool = False,
) -> tuple[Checked, list[tuple[dict[str, Any], str]]]:
    """``Exchange.check`` of a partner's objects, needing nothing but ``verify`` (the
    origin signature check with the pinned keys): STIX validation, then signatures.

    Returns what passed, and the objects whose signature ``verify`` refused with the
    reason -- failed in the result; the caller puts each in the audit log
    (``Events.rejected``). Pure: a sync runs it in a process of its own.

    ``encoded``: what storing needs of each valid object is made instead of keeping it
    -- its bytes as stored (``orjson.dumps``), their SHA-256 and its searchable text
    (``Checked.bodies``, ``Checked.digests``, ``Checked.texts``; ``valid`` is then
    empty): what the sync's checking process sends (``liaison.sync.checker``).
    ``objects`` is then consumed: each item is replaced by None once taken (only the
    refused ones are kept, in the answer).

    Each object goes through all its checks in turn, while it is in the processor's
    caches (a page of objects is several megabytes). The failures are listed as when
    the checks ran one after the other: every validation failure, then every refused
    signature.
    """
    result = Received()
    late = Received()  # the refused signatures, listed after the validation failures
    stamps = Stamps()  # each version parsed once (a signed copy has the same one)
    us = stamps.us
    notes: Notes = {}
    valid: list[dict[str, Any]] = []  # valid STIX (``Checked.batch``, as before)
    kept: list[dict[str, Any]] = []
    infos: list[SignatureInfo] = []
    refused: list[tuple[dict[str, Any], str]] = []
    bodies: list[bytes] = []
    texts: list[str] = []
    digests: list[str] = []
    dumps = orjson.dumps
    sha256 = hashlib.sha256
    for i, obj in enumerate(objects):
        if encoded:
            objects[i] = None  # freed once checked: its memory serves the next, still cached
        if not check_one(obj, result, us, notes):
            continue
        if not encoded:
            valid.append(obj)
        try:
            info = verify(obj)
        except SignatureError as exc:
            late.fail(obj, str(exc))
            refused.append((obj, str(exc)))
            continue
        infos.append(info)
        if encoded:
            body = dumps(obj)
            bodies.append(body)
            digests.append(sha256(body).hexdigest())
            texts.append(searchable_text(obj))
        else:
            kept.append(obj)
    result.failures.extend(late.failures)
    got = Checked(
        party,
        collection_id,
        len(objects),
        result,
        stamps,
        kept,
        notes,
        infos,
        Defaulted(valid),
        bodies if encoded else None,
        texts if encoded else None,
        digests if encoded else None,
    )
    return got, refused


class Stamps:
    """The microseconds of each version string met in one batch, parsed once: a version
    is read when checked (``checked``), as its version key (``admit``) and when stored."""

    def __init__(self) -> None:
        self._us: dict[str, int] = {}

    def us(self, ts: str) -> int:
        """``timestamp_us(ts)``; its errors are raised each time (never remembered)."""
        got = self._us.get(ts)
        if got is None:
            got = self._us[ts] = timestamp_us(ts)
        return got

    def version_key(self, obj: dict[str, Any]) -> str:
        """The store's version key of ``obj``: its version in microseconds, '' if none."""
        ver = object_version(obj)
        return "" if ver is None else str(self.us(ver))
