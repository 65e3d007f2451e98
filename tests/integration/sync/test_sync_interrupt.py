"""A sync cut at random points (source SIGKILLed, receipts lost), resumed, compared."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from sync_world import World, body_of

from liaison.errors import LiaisonError
from liaison.service.peers import resume_after
from liaison.signing.objects import verify_object
from liaison.stix import timestamp_us
from liaison.sync import PeerClient, PeerError, get_peer, pull

N = 600
PAGE = 25


def _fill(world: World, n: int = N) -> None:
    mr = world["MR"]
    objs = world.marked_reports("MR", n, to=["DZ"])
    marks, reports = objs[:2], objs[2:]
    for i in range(0, n, 100):  # several signed batches
        status = mr.post(marks + reports[i : i + 100])
        assert status["failure_count"] == 0, status["failures"][:3]


def _same_as_source(world: World) -> None:
    """Object by object: every version the source holds, byte for byte, verified."""
    dz, mr = world["DZ"], world["MR"]
    src, got = mr.rows(), dz.rows()
    assert len(got) == len(src)  # no duplicate rows from the repeated pages
    assert {(r.id, r.version): body_of(r) for r in got} == {
        (r.id, r.version): body_of(r) for r in src
    }
    assert {(r.id, r.version): r.sha256 for r in got} == {(r.id, r.version): r.sha256 for r in src}
    ring = {mr.node.identity_id: {mr.node.key.fingerprint: mr.node.key.public_key_b64}}
    for r in got:
        verify_object(body_of(r), ring)


def _cut_round(world: World, stop_after: int, delay: float) -> BaseException | None:
    """Pull from MR; SIGKILL MR once about ``stop_after`` objects were stored, + ``delay``."""
    dz, mr = world["DZ"], world["MR"]
    reached = threading.Event()
    errors: list[BaseException] = []

    def progress(_title: str, stored: int, _rejected: int) -> None:
        if stored >= stop_after:
            reached.set()

    def run() -> None:
        try:
            dz.pull("MR", page_size=PAGE, progress=progress)
        except BaseException as exc:  # checked by the caller: only LiaisonError is fine
            errors.append(exc)
        finally:
            reached.set()

    worker = threading.Thread(target=run)
    worker.start()
    reached.wait(timeout=60)
    time.sleep(delay)  # somewhere within the next page or its receipt
    mr.kill()
    worker.join(timeout=60)
    assert not worker.is_alive()
    return errors[0] if errors else None


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_source_killed_at_random_points_then_resumed(two_nodes: World) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    _fill(two_nodes)
    rng = random.Random(4242)
    cuts = 0  # rounds cut in the middle of the transfer: some pages stored, not all
    outcomes: list[str] = []
    held = 0
    for _ in range(4):
        error = _cut_round(two_nodes, rng.randrange(PAGE, 8 * PAGE), rng.uniform(0.0, 0.05))
        before, held = held, len(dz.rows())
        assert held <= N + 2
        if error is not None:
            assert isinstance(error, LiaisonError), repr(error)
            cuts += before < held < N + 2
        outcomes.append(f"{held} held: {error}")
        mr.start()  # same home, same port
    assert cuts >= 2, outcomes  # the kills did interrupt transfers

    final = dz.pull("MR", page_size=PAGE)
    assert final.rejected == 0, final.reasons
    _same_as_source(two_nodes)
    # and once complete, the next pull has nothing to do
    assert dz.pull("MR", page_size=PAGE).received == 0


class LosingReceipts(PeerClient):
    """The puller's side of a cut: the page is stored, then the network fails."""

    def __init__(self, *args: Any, fail_at: set[int], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.calls = 0
        self.fail_at = fail_at

    def post_json(self, path: str, body: Any) -> Any:
        self.calls += 1
        if self.calls in self.fail_at:
            raise PeerError(f"cut after storing page {self.calls}")
        return super().post_json(path, body)


def _checkpoint_behind_receipts(world: World) -> None:
    """Every object MR added up to DZ's checkpoint was acknowledged by a receipt: a
    failed acknowledgement stops those queued after it (pages are acknowledged while
    the next one is stored), so the checkpoint never passes an unacknowledged page."""
    dz, mr = world["DZ"], world["MR"]
    after = resume_after(dz.node, "MR", mr.node.default_collection_id)
    if after is None:
        return
    upto = timestamp_us(after)
    receipted = {o["id"] for _, r in mr.node.store.records("receipt") for o in r["objects"]}
    assert {r.id for r in mr.rows() if r.date_added_us <= upto} <= receipted


def test_cut_after_storing_a_page_repeats_it_without_duplicates(two_nodes: World) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    _fill(two_nodes, 120)
    peer = get_peer(dz.node, "MR")
    attempts = 0
    # (the 4th page's receipt: the last page of MR's first batch, the 5th starts the next)
    for fail_at in ({4}, {2}, {1}, {3}, set()):
        attempts += 1
        with LosingReceipts(peer, fail_at=fail_at) as c:
            try:
                report = pull(dz.exchange, peer, page_size=PAGE, client=c)
            except PeerError:
                _checkpoint_behind_receipts(two_nodes)
                continue
        break
    assert attempts == 5
    assert report.duplicates > 0  # the repeated pages were recognised, not stored twice
    _same_as_source(two_nodes)
    # every page DZ stored is acknowledged by a receipt at MR, the repeated ones included
    receipted = {o["id"] for _, r in mr.node.store.records("receipt") for o in r["objects"]}
    assert receipted == {r.id for r in mr.rows()}
