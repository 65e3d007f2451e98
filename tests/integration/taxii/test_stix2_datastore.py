"""The ``stix2`` library's TAXII data store (``TAXIICollectionSource`` / ``Store``) as a client."""

from __future__ import annotations

import json
from typing import Any

import stix2
from stix2 import Filter, TAXIICollectionSource, TAXIICollectionStore
from taxii2client.v21 import Collection


def _taxii_collection(server: Any, cid: str, party: str) -> Collection:
    return Collection(server.collection_url_of(cid), user=party, password=server.home.tokens[party])


def test_store_add_get_query_and_versions(
    live_server: Any, assert_stix_valid: Any, unsigned: Any
) -> None:
    cid, party = live_server.new_collection("stix2store")
    store = TAXIICollectionStore(_taxii_collection(live_server, cid, party), allow_custom=True)
    actor = stix2.ThreatActor(
        name="Katiba Macina",
        threat_actor_types=["terrorist"],
        x_liaison_note="opère au centre du Mali",  # a custom property must survive
        allow_custom=True,
    )
    ind = stix2.Indicator(
        name="Relais C2",
        pattern="[domain-name:value = 'relay.example']",
        pattern_type="stix",
    )
    rel = stix2.Relationship(ind, "indicates", actor)
    store.add([actor, ind, rel])

    got = store.get(actor.id)
    assert got is not None
    assert got["x_liaison_note"] == "opère au centre du Mali"
    assert unsigned([json.loads(got.serialize())]) == [json.loads(actor.serialize())]

    newer = actor.new_version(name="Katiba Macina (FLM)")
    store.add(newer)
    assert store.get(actor.id)["name"] == "Katiba Macina (FLM)"
    versions = store.source.all_versions(actor.id)
    assert sorted(v["modified"] for v in versions) == sorted([actor.modified, newer.modified])

    indicators = store.query([Filter("type", "=", "indicator")])
    assert [o.id for o in indicators] == [ind.id]
    rels = store.relationships(actor, "indicates")
    assert [r.id for r in rels] == [rel.id]
    everything = store.query()
    assert {o.id for o in everything} == {actor.id, ind.id, rel.id}
    assert_stix_valid([json.loads(o.serialize()) for o in everything])


def test_source_sees_nothing_as_a_partner(live_server: Any, stix_factory: Any) -> None:
    cid = live_server.home.collection_id
    objs = stix_factory.many(2)
    TAXIICollectionStore(_taxii_collection(live_server, cid, "analyst")).add(
        json.dumps({"type": "bundle", "id": "bundle--" + objs[0]["id"][-36:], "objects": objs})
    )
    partner = TAXIICollectionSource(_taxii_collection(live_server, cid, "partner"))
    assert partner.get(objs[0]["id"]) is None
    assert partner.query([Filter("id", "=", objs[0]["id"])]) == []
    analyst = TAXIICollectionSource(_taxii_collection(live_server, cid, "analyst"))
    assert analyst.get(objs[0]["id"])["id"] == objs[0]["id"]
