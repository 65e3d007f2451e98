"""Two and three nodes on loopback: pull, checkpoints, idempotence, onward release."""

from __future__ import annotations

import pytest
from sync_world import World, body_of, new_version

from liaison.agreements import grant, request
from liaison.service import documents
from liaison.service.peers import checkpoint
from liaison.signing.objects import signature_of, verify_object


def test_two_nodes_sync_everything_signed_by_the_originator(two_nodes: World) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    objs = two_nodes.marked_reports("MR", 25, to=["DZ"])
    status = mr.post(objs)
    assert status["success_count"] == len(objs), status["failures"]

    report = dz.pull("MR", page_size=10)
    assert (report.stored, report.rejected, report.duplicates) == (len(objs), 0, 0), report.reasons
    assert report.pages == 3  # 27 objects in pages of 10
    source = {r.id: body_of(r) for r in mr.rows()}
    got = {r.id: body_of(r) for r in dz.rows()}
    assert got == source  # object by object, the originator's signature included
    ring = {mr.node.identity_id: {mr.node.key.fingerprint: mr.node.key.public_key_b64}}
    for obj in got.values():
        assert verify_object(obj, ring).signer == mr.node.identity_id
    # every received row records who it came from
    assert {r.received_from for r in dz.rows()} == {mr.node.identity_id}


def test_second_sync_resumes_from_the_checkpoint(two_nodes: World) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    mr.post(two_nodes.marked_reports("MR", 5, to=["DZ"]))
    first = dz.pull("MR")
    assert first.stored == 7
    mark = checkpoint(dz.node, "MR", mr.collection_id)
    assert mark is not None

    again = dz.pull("MR")
    assert (again.received, again.stored) == (0, 0)  # nothing after the checkpoint
    more = two_nodes.marked_reports("MR", 3, to=["DZ"], start=100)[2:]  # markings held already
    mr.post(more)
    third = dz.pull("MR")
    assert (third.received, third.stored, third.duplicates) == (3, 3, 0)
    assert checkpoint(dz.node, "MR", mr.collection_id) > mark  # type: ignore[operator]


def test_new_version_replaces_the_latest_and_keeps_the_old(two_nodes: World) -> None:
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    objs = two_nodes.marked_reports("MR", 1, to=["DZ"])
    mr.post(objs)
    dz.pull("MR")
    v1 = mr.held(objs[-1]["id"])
    assert v1 is not None
    mr.post([new_version(v1, name="Convoy sighting confirmed")])
    dz.pull("MR")
    held = dz.held(objs[-1]["id"])
    assert held is not None and held["name"] == "Convoy sighting confirmed"
    versions = dz.node.store.object_versions(dz.collection_id, objs[-1]["id"])
    assert [body_of(r)["modified"] for r in versions] == [v1["modified"], held["modified"]]


def test_not_releasable_objects_never_leave(two_nodes: World) -> None:
    """REL TO MR only: DZ's pull sees nothing of them."""
    dz, mr = two_nodes["DZ"], two_nodes["MR"]
    mine = two_nodes.marked_reports("MR", 4)  # releasable to MR alone
    shared = two_nodes.marked_reports("MR", 2, to=["DZ"], start=50)
    mr.post(mine + shared)
    report = dz.pull("MR")
    held = {r.id for r in dz.rows()}
    assert {o["id"] for o in shared} <= held
    assert not held & {o["id"] for o in mine[2:]}
    assert report.rejected == 0


@pytest.mark.slow
def test_three_nodes_onward_release_keeps_the_originator_signature(three_nodes: World) -> None:
    """MR -> DZ -> XX: third-party rule until MR consents; XX verifies MR's signature."""
    dz, mr, xx = three_nodes["DZ"], three_nodes["MR"], three_nodes["XX"]
    objs = three_nodes.marked_reports("MR", 6, to=["DZ", "XX"])
    mr.post(objs)
    assert dz.pull("MR").stored == len(objs)
    dz_own = three_nodes.marked_reports("DZ", 3, to=["XX"])
    dz.post(dz_own)

    xx.pull("DZ")
    held = {r.id: body_of(r) for r in xx.rows()}
    assert {o["id"] for o in dz_own} <= set(held)
    assert not {o["id"] for o in objs[2:]} & set(held)  # MR's material: no consent yet
    for o in dz_own[2:]:
        sig = signature_of(held[o["id"]])
        assert sig is not None and sig["signer"] == dz.node.identity_id

    wanted = objs[3]["id"]
    req = request(
        wanted,
        originator=mr.node.identity_id,
        recipient=xx.node.identity_id,
        requester=dz.node.identity_id,
        requester_key=dz.node.key,
        justification="border units",
    )
    documents.put_consent(mr.node, req.to_stix())
    documents.put_consent(dz.node, grant(req, mr.node.key).to_stix())  # travels in process
    rep = xx.pull("DZ", rescan=True)  # it was added at DZ before XX's checkpoint
    assert rep.stored == 1, rep.reasons
    got = xx.held(wanted)
    assert got is not None and got == dz.held(wanted) == mr.held(wanted)
    sig = signature_of(got)
    assert sig is not None and sig["signer"] == mr.node.identity_id  # not re-signed by DZ
    assert not {o["id"] for o in objs[2:] if o["id"] != wanted} & {r.id for r in xx.rows()}
    # DZ pulls from MR while XX pulls from DZ: nothing new, no error
    assert dz.pull("MR").stored == 0


def _consent_world(three_nodes: World) -> tuple[str, World]:
    dz, mr, xx = three_nodes["DZ"], three_nodes["MR"], three_nodes["XX"]
    objs = three_nodes.marked_reports("MR", 2, to=["DZ", "XX"])
    mr.post(objs)
    dz.pull("MR")
    dz.post(three_nodes.marked_reports("DZ", 1, to=["XX"]))  # added after MR's report
    xx.pull("DZ")
    wanted = objs[-1]["id"]
    assert xx.held(wanted) is None
    req = request(
        wanted,
        originator=mr.node.identity_id,
        recipient=xx.node.identity_id,
        requester=dz.node.identity_id,
        requester_key=dz.node.key,
        justification="border units",
    )
    documents.put_consent(mr.node, req.to_stix())
    documents.put_consent(dz.node, grant(req, mr.node.key).to_stix())
    return wanted, three_nodes


def test_late_consent_reaches_the_recipient_on_the_next_incremental_pull(
    three_nodes: World,
) -> None:
    wanted, world = _consent_world(three_nodes)
    world["XX"].pull("DZ")
    assert world["XX"].held(wanted) is not None
