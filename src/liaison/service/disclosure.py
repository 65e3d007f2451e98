"""What one party may learn of stored rows: the bytes it receives, or nothing.

``Disclosure`` is the one place that turns stored rows into what a party receives,
for every read path (TAXII objects, object, versions, manifest, search, export, sync,
console). It asks the policy engine per row (``PolicyGate.decide``) and then makes
sure the answer depends on nothing the party does not receive (ADR 0006):

* **versions fail closed**: an older version is released only while the newest
  version held (in any collection) is released too -- when the originator tightens
  the markings, the old versions stop flowing and nothing says a newer one exists;
* **links**: references to objects the party does not receive (withheld or absent
  alike) are removed from the released copy; a relationship or sighting whose end is
  not released is withheld; a report whose every reference went names the releasing
  node instead ("contents withheld");
* a copy that differs from the stored bytes (redactions, removed links) is re-signed
  by this node, naming the originator.

Internal parties receive everything as stored. ``prepare(rows)`` fetches, in two
queries per batch, the newest versions and the linked objects the checks need
(their handling only: no body is read to decide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from liaison.policy import PolicyContext, release
from liaison.service.exchange import Verdict
from liaison.stix.refs import links, without_links
from liaison.store import ObjectRow, PartyRecord

if TYPE_CHECKING:
    from liaison.policy import Decision
    from liaison.service.gate import PolicyGate

__all__ = ["Disclosure"]

_DEFINITIONS = ("marking-definition", "extension-definition")


class Disclosure:
    """Release decisions for one party in one request (see module docstring)."""

    def __init__(self, gate: PolicyGate, party: PartyRecord, ctx: PolicyContext) -> None:
        self.gate = gate
        self.party = party
        self.ctx = ctx
        self.store = gate.node.store
        self.placeholder = gate.node.identity_id
        self._newest: dict[str, ObjectRow | None] = {}
        self._visible: dict[str, bool] = {}
        self._readable: dict[str, bool] = {}
        self._decisions: dict[int, Decision] = {}
        # The identities of the exchange's parties are known to every party: a link to
        # one says nothing about what is stored, so it stays.
        self._public = frozenset(ctx.names) | {ctx.node_identity_id, party.identity_id}

    # --- batch look-ups ------------------------------------------------------------------
    def prepare(self, rows: Sequence[ObjectRow]) -> None:
        """Fetch what deciding ``rows`` needs: newest versions and linked objects."""
        if self.party.internal or not rows:
            return
        # Only rows the policy releases need more: a refused row costs a decision only,
        # like an absent one costs nothing (a withheld read must not take longer).
        allowed = [r for r in rows if self._decide(r).allow]
        if not allowed:
            return
        self._load([r.id for r in allowed], {r.seq: r for r in allowed})
        wanted: set[str] = set()
        for r in allowed:
            wanted.update(self._links(r))
        self._load_visible(sorted(wanted - set(self._visible) - self._public))

    def _load(self, ids: list[str], have: Mapping[int, ObjectRow] | None = None) -> None:
        """The latest version of each id in every collection, without bodies (a query
        per batch; rows in ``have`` -- the page's, by seq -- are not read again): the
        newest across collections, and whether the party can read one of them."""
        todo = sorted({i for i in ids if i not in self._newest})
        if not todo:
            return
        found: dict[str, ObjectRow] = {}
        readable: set[str] = set()
        for r in self.store.latest_heads(todo, have or {}):
            cur = found.get(r.id)
            if cur is None or (r.version_us, r.seq) > (cur.version_us, cur.seq):
                found[r.id] = r
            if self.party.can_read(r.collection_id) and self._decide(r).allow:
                readable.add(r.id)
        for i in todo:
            self._newest[i] = found.get(i)
            self._readable[i] = i in readable

    def _load_visible(self, ids: list[str]) -> None:
        if not ids:
            return
        self._load(ids)
        for i in ids:
            newest = self._newest.get(i)
            self._visible[i] = (
                self._readable[i] and newest is not None and self._decide(newest).allow
            )

    def _links(self, row: ObjectRow) -> list[str]:
        found = row.handling.get("links")
        if isinstance(found, list):
            return [x for x in found if isinstance(x, str)]
        if row.type in _DEFINITIONS:
            return []
        return links(orjson.loads(row.body))  # rows stored before links were recorded

    def _decide(self, row: ObjectRow) -> Decision:
        d = self._decisions.get(row.seq)
        if d is None:
            d = self._decisions[row.seq] = self.gate.decide(self.party, row, self.ctx)
        return d

    # --- the answer ----------------------------------------------------------------------
    def __call__(self, row: ObjectRow) -> Verdict:
        d = self._decide(row)
        if not d.allow or self.party.internal:
            return Verdict(row.body if d.allow else None, d.reasons, d.agreement_id)
        if row.id not in self._newest:
            self.prepare([row])
        newest = self._newest.get(row.id)
        if newest is not None and newest.seq != row.seq and not self._decide(newest).allow:
            return Verdict(None, (f"a newer version is not released to {self.party.name}",))
        hidden = {
            i for i in self._links(row) if i not in self._public and not self._visible_link(i)
        }
        if not d.redact and not hidden:
            return Verdict(row.body, d.reasons, d.agreement_id)
        obj: dict[str, Any] = (
            release(orjson.loads(row.body), d) if d.redact else orjson.loads(row.body)
        )
        if hidden:
            kept = without_links(obj, hidden, self.placeholder)
            if kept is None:
                return Verdict(None, (f"refers to an object not released to {self.party.name}",))
            obj = kept
        signed = self.gate.resign_copy(obj, row)
        return Verdict(orjson.dumps(signed), d.reasons, d.agreement_id)

    def _visible_link(self, object_id: str) -> bool:
        if object_id not in self._visible:
            self._load_visible([object_id])
        return self._visible[object_id]
