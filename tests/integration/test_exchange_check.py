"""``Exchange.receive`` is ``check`` then ``store_checked``: a sync checks the next page
(STIX, origin signatures) while it stores the current one."""

from __future__ import annotations

from pathlib import Path

import pytest
from stix_actors import actor

from liaison.errors import DeniedError
from liaison.node import Node
from liaison.service import Exchange
from liaison.service.events import AuditEvents
from liaison.service.gate import PolicyGate
from liaison.service.signer import NodeSigner


def _exchange(node: Node) -> Exchange:
    signer = NodeSigner(node)
    return Exchange(node, PolicyGate(node, signer.resign), signer, AuditEvents(node))


def test_a_checked_batch_is_stored_for_the_party_it_was_checked_for(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    try:
        node.add_party("analyst", internal=True)
        node.add_party("other", internal=True)
        ex = _exchange(node)
        objs = [actor(1, "Ansar Dine"), {"type": "identity", "id": "bad"}]
        checked = ex.check(node.party("analyst"), node.default_collection_id, objs)
        assert checked.received == 2
        with pytest.raises(DeniedError):  # a checked batch cannot change hands
            ex.store_checked(node.party("other"), checked)
        got = ex.store_checked(node.party("analyst"), checked)
        assert (got.new, len(got.failures)) == (1, 1)  # the check's refusal is reported
        assert got.failures[0]["id"] == "bad"
    finally:
        node.close()


def test_a_serving_exchange_builds_its_text_tables_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import liaison.service.exchange as exchange_mod

    calls: list[str] = []
    monkeypatch.setattr(exchange_mod, "warm_text", lambda: calls.append("warm"))
    monkeypatch.setattr(exchange_mod, "tune_gc", lambda: calls.append("gc"))
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    try:
        _exchange(node).start_background()  # no workers: the warm-up, then the GC
        assert calls == ["warm", "gc"]
    finally:
        node.close()
