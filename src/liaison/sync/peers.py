"""How this node reaches a partner's node: URL, the credential the partner gave us, TLS."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from liaison.errors import InvalidInputError, NotFoundError
from liaison.stix import parse_timestamp
from liaison.store import Store

__all__ = [
    "Peer",
    "checkpoint",
    "get_peer",
    "just_before",
    "peers",
    "put_peer",
    "resume_after",
    "set_checkpoint",
]

_KIND = "peer"
_CHECKPOINT = "checkpoint"


@dataclass(frozen=True)
class Peer:
    party: str  # the local party record of this partner
    url: str  # the partner's TAXII discovery URL
    user: str  # our party name at the partner's node
    token: str  # our credential at the partner's node
    into: str  # local collection id received objects go to
    ca: str = ""  # PEM file of the partner's certificate authority ("" = system trust)
    client_cert: str = ""  # our client certificate for mutual TLS
    client_key: str = ""
    collections: tuple[str, ...] = field(default_factory=tuple)  # remote ids; () = all readable

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise InvalidInputError(f"peer URL {self.url!r} must start with http:// or https://")
        if not self.user or not self.token:
            raise InvalidInputError("a peer needs the user name and credential it gave us")

    def public(self) -> dict[str, Any]:
        d = asdict(self)
        d["token"] = "…" if self.token else ""
        return d


def put_peer(store: Store, peer: Peer) -> None:
    d = asdict(peer)
    d["collections"] = list(peer.collections)
    store.put_record(_KIND, peer.party, d)


def get_peer(store: Store, party: str) -> Peer:
    d = store.record(_KIND, party)
    if d is None:
        raise NotFoundError(f"no connection set up for party {party} (liaison party connect)")
    d["collections"] = tuple(d.get("collections", ()))
    return Peer(**d)


def peers(store: Store) -> list[Peer]:
    out = []
    for _, d in store.records(_KIND):
        d["collections"] = tuple(d.get("collections", ()))
        out.append(Peer(**d))
    return out


def checkpoint(store: Store, party: str, collection_id: str) -> str | None:
    """The last ``date_added`` stored from this collection (None: nothing yet)."""
    d = store.record(_CHECKPOINT, f"{party}/{collection_id}")
    return None if d is None else str(d["added_after"])


def resume_after(store: Store, party: str, collection_id: str) -> str | None:
    """The ``added_after`` to resume a pull with.

    Objects stored in one transaction share their ``date_added`` (it must not count
    what a reader does not see: ADR 0006). A pull that ended normally read every object
    of its last batch, so it resumes after it; one cut in the middle of a batch resumes
    just before it (the objects already held come again as duplicates).
    """
    d = store.record(_CHECKPOINT, f"{party}/{collection_id}")
    if d is None:
        return None
    after = str(d["added_after"])
    return after if d.get("complete", False) else just_before(after)


def just_before(timestamp: str) -> str:
    """One microsecond before a TAXII timestamp, in TAXII's six-digit form."""
    t = parse_timestamp(timestamp) - timedelta(microseconds=1)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def set_checkpoint(
    store: Store, party: str, collection_id: str, added_after: str, *, complete: bool = False
) -> None:
    store.put_record(
        _CHECKPOINT,
        f"{party}/{collection_id}",
        {"added_after": added_after, "complete": complete},
    )
