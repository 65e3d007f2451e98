"""How this node reaches a partner's node: URL, the credential the partner gave us, TLS."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from liaison.errors import InvalidInputError, NotFoundError
from liaison.stix import parse_timestamp

if TYPE_CHECKING:  # not imported at run time: the sync's checking process unpickles a
    from liaison.node import Node  # ``Peer`` and has no use for a node (docs/adr/0010)

__all__ = [
    "Peer",
    "checkpoint",
    "get_peer",
    "just_before",
    "peers",
    "pulled_before",
    "put_peer",
    "resume_after",
    "retry_list",
    "save_retry",
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


def put_peer(node: Node, peer: Peer) -> None:
    d = asdict(peer)
    d["collections"] = list(peer.collections)
    node.store.put_record(_KIND, peer.party, d)


def get_peer(node: Node, party: str) -> Peer:
    d = node.store.record(_KIND, party)
    if d is None:
        raise NotFoundError(f"no connection set up for party {party} (liaison party connect)")
    d["collections"] = tuple(d.get("collections", ()))
    return Peer(**d)


def peers(node: Node) -> list[Peer]:
    out = []
    for _, d in node.store.records(_KIND):
        d["collections"] = tuple(d.get("collections", ()))
        out.append(Peer(**d))
    return out


def checkpoint(node: Node, party: str, collection_id: str) -> str | None:
    """The last ``date_added`` stored from this collection (None: nothing yet)."""
    d = node.store.record(_CHECKPOINT, f"{party}/{collection_id}")
    return None if d is None else str(d["added_after"])


def resume_after(node: Node, party: str, collection_id: str) -> str | None:
    """The ``added_after`` to resume a pull with.

    Objects stored in one transaction share their ``date_added`` (it must not count
    what a reader does not see: ADR 0006). A pull that ended normally read every object
    of its last batch, so it resumes after it; one cut in the middle of a batch resumes
    just before it (the objects already held come again as duplicates).
    """
    d = node.store.record(_CHECKPOINT, f"{party}/{collection_id}")
    if d is None:
        return None
    after = str(d["added_after"])
    return after if d.get("complete", False) else just_before(after)


def pulled_before(node: Node, party: str) -> bool:
    """Has a pull from ``party`` stored a checkpoint (of any collection) here?"""
    prefix = f"{party}/"
    return any(key.startswith(prefix) for key, _ in node.store.records(_CHECKPOINT))


def just_before(timestamp: str) -> str:
    """One microsecond before a TAXII timestamp, in TAXII's six-digit form."""
    t = parse_timestamp(timestamp) - timedelta(microseconds=1)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def set_checkpoint(
    node: Node, party: str, collection_id: str, added_after: str, *, complete: bool = False
) -> None:
    # Not flushed: the commit does not wait for the disk (a killed process loses
    # nothing). A power cut may lose it with what followed the last durable commit
    # -- never the objects it follows, stored (and flushed) before it: the next pull
    # then reads those pages again, as duplicates, and acknowledges them again.
    node.store.put_record(
        _CHECKPOINT,
        f"{party}/{collection_id}",
        {"added_after": added_after, "complete": complete},
        flush=False,
    )


# --- objects refused at a pull, fetched again by id -------------------------------------------
MAX_RETRY_IDS = 1000
_RETRY = "sync-retry"


def retry_list(node: Node, party: str, cid: str) -> dict[str, int]:
    """Object id -> attempts made so far, of what ``party`` sent into ``cid`` and this
    node refused (fetched again at the next pulls)."""
    d = node.store.record(_RETRY, f"{party}/{cid}")
    ids = d.get("ids") if d else None
    return {str(k): int(v) for k, v in ids.items()} if isinstance(ids, dict) else {}


def save_retry(node: Node, party: str, cid: str, ids: dict[str, int]) -> None:
    if len(ids) > MAX_RETRY_IDS:  # keep the newest refusals
        ids = dict(list(ids.items())[-MAX_RETRY_IDS:])
    if ids:
        node.store.put_record(_RETRY, f"{party}/{cid}", {"ids": ids})
    else:
        node.store.delete_record(_RETRY, f"{party}/{cid}")
