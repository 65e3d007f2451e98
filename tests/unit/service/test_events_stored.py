"""``AuditEvents.stored`` (the audit entries of every stored version) makes the entries
it made before issue #15 -- equal entries, the same bytes, recorded values -- and gives
a partner's ledger the same references."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from liaison.audit import Action, AuditEntry, ObjectRef
from liaison.audit.binding import binding
from liaison.service.events import AuditEvents
from liaison.store import NewObject, PartyRecord

CID = "0cab24a5-6481-5f0b-8446-d914f1b2160a"
NOW = "2026-11-30T14:31:30.053586Z"
#: sha256 over the entries' bytes for the local party, then the partner (from main)
RECORDED = "27df7063c162ea567ab9164e0130b1a81fda3b7a6396f8caf85c200b6cfe3b7f"


class Captured(AuditEvents):
    """The events, with what they would append kept instead of written."""

    def __init__(self) -> None:
        self.appended: list[tuple[list[AuditEntry], Any]] = []

    def _append(self, entries: list[AuditEntry], ledger: Any = None) -> None:
        self.appended.append((entries, ledger))


def party(internal: bool) -> PartyRecord:
    return PartyRecord(
        "analyst" if internal else "MR — partenaire",
        f"identity--{uuid.UUID(int=1 + internal, version=4)}",
        internal,
        "ab" * 32,
    )


def objects(n: int) -> tuple[list[NewObject], list[tuple[str, bool]]]:
    objs, results = [], []
    for i in range(n):
        body = b'{"id": %d, "name": "\xc3\xa9t\xc3\xa9"}' % i
        version = None if i % 5 == 4 else f"2026-03-01T06:00:{i % 60:02d}.000Z"
        objs.append(
            NewObject.of(
                f"indicator--{uuid.UUID(int=100 + i, version=4)}",
                "indicator",
                "2.1",
                version,
                None,
                body,
                hashlib.sha256(body).hexdigest(),
                {"h": {"tlp": "green", "n": i, "granular": [], "x": "إرهاب"}, "topics": ["t"]},
                tuple(f"identity--{uuid.UUID(int=j, version=4)}" for j in range(i % 3)),
                "" if i % 2 else f"identity--{uuid.UUID(int=7, version=4)}",
                "",
                "" if i % 3 else f"identity--{uuid.UUID(int=8, version=4)}",
            )
        )
        results.append((f"2026-11-30T14:31:{i % 60:02d}.000000Z", i % 7 != 3))
    return objs, results


def before(p: PartyRecord, objs: list[NewObject], results: list[tuple[str, bool]]) -> list[Any]:
    """What ``stored`` built before issue #15 (one ``AuditEntry.build`` per version)."""
    action = Action.OBJECT_CREATED if p.internal else Action.OBJECT_RECEIVED
    new = [
        (o, ObjectRef.build(o.id, o.version or date_added, o.sha256))
        for o, (date_added, fresh) in zip(objs, results, strict=True)
        if fresh
    ]
    return [
        AuditEntry.build(
            action,
            p.name,
            (ref,),
            details={
                "collection": CID,
                "from": p.identity_id,
                "originator": o.originator,
                "binding": binding(CID, o.handling, o.origins, o.received_from, o.originator),
            },
        )
        for o, ref in new
    ]


def test_stored_makes_the_entries_it_made() -> None:
    digest = hashlib.sha256()
    objs, results = objects(40)
    for internal in (True, False):
        p = party(internal)
        events = Captured()
        events.stored(p, CID, objs, results)
        ((entries, ledger),) = events.appended
        want = before(p, objs, results)
        assert entries == want
        for seq, (a, b) in enumerate(zip(entries, want, strict=True)):
            assert vars(a) == vars(b)
            assert a.encode(seq, NOW) == b.encode(seq, NOW)
            digest.update(a.encode(seq, NOW))
        if internal:
            assert ledger is None
        else:
            who, led = ledger
            assert who == p.identity_id
            assert [r for e in led for r in e.objects] == [e.objects[0] for e in want]
            made = [
                AuditEntry("exchange.received", "node", e.objects, recipient=p.identity_id)
                for e in led
            ]
            assert [vars(e) for e in led] == [vars(e) for e in made]
    assert digest.hexdigest() == RECORDED


def test_stored_binds_shared_handlings_as_each_of_its_own() -> None:
    """Versions of a batch share their stored handling (one value, ``Admission``): each
    entry still binds its own version's handling, provenance, sender and originator --
    the entries are those made one by one, whether values are shared, equal or not."""
    objs, results = objects(30)
    shared = {"h": {"tlp": "amber", "granular": []}, "topics": [], "regions": []}
    other = {"h": {"tlp": "amber", "granular": []}, "topics": ["t"], "regions": []}
    mixed = []
    for i, o in enumerate(objs):
        handling = (shared, other, dict(shared), o.handling)[i % 4]
        origins: Any = list(o.origins) if i % 5 == 0 else o.origins  # a list, now and then
        mixed.append(
            NewObject.of(
                o.id, o.type, o.spec_version, o.version, o.version_us, o.body, o.sha256,
                handling, origins, o.received_from, o.search_text, o.originator,
            )
        )  # fmt: skip
    for internal in (True, False):
        p = party(internal)
        events = Captured()
        events.stored(p, CID, mixed, results)
        ((entries, _),) = events.appended
        want = before(p, mixed, results)
        assert [vars(e) for e in entries] == [vars(e) for e in want]
        assert [a.encode(7, NOW) for a in entries] == [b.encode(7, NOW) for b in want]
