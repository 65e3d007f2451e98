"""Parsing handling from markings, the classification scale and the high-water mark."""

from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from liaison.errors import InvalidStixError, PolicyError
from liaison.markings import (
    TLP_AMBER,
    TLP_LEVELS,
    TLP_RED,
    ClassificationScale,
    Granular,
    Handling,
    caveats_marking,
    classification_marking,
    equivalence_map,
    handling_of,
    most_restrictive,
    releasability_marking,
    source_grading,
    statement_marking,
)

FR = "identity--00000000-0000-4000-8000-0000000000f1"
DZ = "identity--00000000-0000-4000-8000-0000000000d2"
MR = "identity--00000000-0000-4000-8000-0000000000a3"
WHITE_TLP1 = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"


def _index(*markings: dict) -> dict[str, dict]:
    return {m["id"]: m for m in markings}


def test_handling_of_reads_every_marking() -> None:
    conf = classification_marking("CONFIDENTIEL", FR)
    rel = releasability_marking([DZ, MR])
    cav = caveats_marking(originator_control=True, no_evidence_use=True)
    st_ = statement_marking("Pas d'usage judiciaire sans accord")
    secret = classification_marking("SECRET", FR)
    only_mr = releasability_marking([MR])
    obj = {
        "type": "report",
        "id": "report--1",
        "object_marking_refs": [conf["id"], rel["id"], cav["id"], st_["id"], TLP_AMBER["id"]],
        "granular_markings": [
            {"marking_ref": secret["id"], "selectors": ["description"]},
            {"marking_ref": only_mr["id"], "selectors": ["name", "labels"]},
            {"lang": "fr", "selectors": ["name"]},
            {"marking_ref": cav["id"], "selectors": ["name"]},
        ],
        "extensions": source_grading("C", "3", description="source X"),
    }
    h = handling_of(obj, _index(conf, rel, cav, st_, secret, only_mr), scheme_owner=DZ)
    assert (h.classification, h.scheme_owner) == ("CONFIDENTIEL", FR)
    assert h.releasable_to == {DZ, MR}
    assert h.tlp == "amber"
    assert h.originator_control and h.no_evidence_use
    assert h.statement == "Pas d'usage judiciaire sans accord"
    assert h.grading == ("C", "3") and h.grading_description_local
    assert h.granular == (
        Granular(("description",), classification="SECRET", scheme_owner=FR),
        Granular(("name", "labels"), releasable_to=frozenset({MR})),
    )
    assert Handling.from_json(h.to_json()) == h


def test_unmarked_object_and_tlp1() -> None:
    h = handling_of({"type": "indicator", "object_marking_refs": [WHITE_TLP1]}, {}, scheme_owner=FR)
    assert h == Handling(tlp="clear")
    assert handling_of({"type": "indicator"}, {}, scheme_owner=FR) == Handling()


def test_releasable_description_is_not_local() -> None:
    obj = {"extensions": source_grading("A", "1", description="x", description_releasable=True)}
    h = handling_of(obj, {}, scheme_owner=FR)
    assert h.grading == ("A", "1") and not h.grading_description_local


@pytest.mark.parametrize(
    ("refs", "message"),
    [
        ([TLP_AMBER["id"], TLP_RED["id"]], "two TLP markings: TLP:AMBER and TLP:RED"),
        (["marking-definition--nope"], "marking marking-definition--nope is not known"),
        (
            [classification_marking("SECRET", FR)["id"], classification_marking("DR", FR)["id"]],
            "two classifications: SECRET and DR",
        ),
    ],
)
def test_contradictions_raise(refs: list[str], message: str) -> None:
    known = _index(classification_marking("SECRET", FR), classification_marking("DR", FR))
    with pytest.raises(InvalidStixError, match=message):
        handling_of({"object_marking_refs": refs}, known, scheme_owner=FR)


def test_bad_grading_raises() -> None:
    from liaison.markings import SOURCE_GRADING_EXT_ID

    obj = {"extensions": {SOURCE_GRADING_EXT_ID: {"source_reliability": "G",
                                                  "information_credibility": "1"}}}  # fmt: skip
    with pytest.raises(InvalidStixError, match="A-F / 1-6"):
        handling_of(obj, {}, scheme_owner=FR)


def test_two_releasability_markings_intersect() -> None:
    a, b = releasability_marking([DZ, MR]), releasability_marking([MR])
    h = handling_of({"object_marking_refs": [a["id"], b["id"]]}, _index(a, b), scheme_owner=FR)
    assert h.releasable_to == {MR}


def test_equivalence_map_rounds_up_never_down() -> None:
    src = ("NC", "DR", "C", "S", "TS")
    dst = ("nc", "r", "s", "ts")
    m = equivalence_map(src, dst, [("NC", "nc"), ("C", "s"), ("S", "ts")])
    assert m == {0: 0, 1: 2, 2: 2, 3: 3}  # DR rounds up to s; TS cannot be placed


FR_LEVELS = ("NC", "DR", "C", "S", "TS")


def _scale() -> ClassificationScale:
    scale = ClassificationScale(FR, FR_LEVELS)
    scale.add_scheme(DZ, ("nc", "r", "s"), [("nc", "NC"), ("r", "DR"), ("s", "S")])
    return scale


def test_scale_places_partner_levels() -> None:
    scale = _scale()
    assert scale.rank(FR, "C") == 2
    assert scale.rank(DZ, "s") == 3
    assert scale.rank(MR, "s") is None
    with pytest.raises(PolicyError, match=r"s \(identity--.*a3\) has no equivalent"):
        scale.require_rank(MR, "s")


def test_most_restrictive_is_the_high_water_mark() -> None:
    a = Handling(classification="DR", scheme_owner=FR, releasable_to=frozenset({DZ, MR}),
                 tlp="green", statement="A")  # fmt: skip
    b = Handling(classification="s", scheme_owner=DZ, releasable_to=frozenset({DZ}),
                 tlp="amber", originator_control=True, statement="B",
                 granular=(Granular(("x",), tlp="red"),))  # fmt: skip
    hw = most_restrictive([a, b], scale=_scale())
    assert (hw.classification, hw.scheme_owner) == ("S", FR)
    assert hw.releasable_to == {DZ}
    assert hw.tlp == "red"  # the granular TLP:RED part counts for the whole
    assert hw.originator_control and not hw.no_evidence_use
    assert hw.statement == "A\nB"
    c = Handling(classification="NC", scheme_owner=FR)  # no releasability stated
    assert most_restrictive([a, c], scale=_scale()).releasable_to is None


handlings = st.builds(
    Handling,
    classification=st.sampled_from(FR_LEVELS),
    scheme_owner=st.just(FR),
    releasable_to=st.none() | st.frozensets(st.sampled_from((DZ, MR))),
    tlp=st.none() | st.sampled_from(TLP_LEVELS),
    originator_control=st.booleans(),
    no_evidence_use=st.booleans(),
    statement=st.none() | st.sampled_from(("a", "b")),
    grading=st.none() | st.tuples(st.sampled_from("ABCDEF"), st.sampled_from("123456")),
)


@given(st.lists(handlings, min_size=1, max_size=4))
def test_high_water_mark_dominates_every_source(hs: list[Handling]) -> None:
    hw = most_restrictive(hs, scale=_scale())
    assert Handling.from_json(hw.to_json()) == hw
    for h in hs:
        assert FR_LEVELS.index(hw.classification) >= FR_LEVELS.index(h.classification)
        if h.tlp is not None:
            assert hw.tlp is not None and TLP_LEVELS.index(hw.tlp) >= TLP_LEVELS.index(h.tlp)
        if h.releasable_to is None:
            assert hw.releasable_to is None
        elif hw.releasable_to is not None:
            assert hw.releasable_to <= h.releasable_to
        assert hw.originator_control >= h.originator_control
        assert all(line in (hw.statement or "") for line in (h.statement or "").split("\n"))


CONF = classification_marking("CONFIDENTIEL", FR)
REL_DZ = releasability_marking([DZ])
KNOWN = _index(CONF, REL_DZ)


_junk = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
_ref = st.sampled_from([TLP_RED["id"], CONF["id"], REL_DZ["id"]])
_refs = st.lists(_ref, unique=True, max_size=3)
_granular = st.fixed_dictionaries(
    {
        "marking_ref": st.one_of(_ref, _ref, st.none(), _junk),
        "selectors": st.one_of(*[st.lists(st.sampled_from(["name", "labels"]))] * 3, _junk),
    }
)
#: Mostly well-formed markings (so that parsing succeeds often), sometimes anything.
hostile = st.fixed_dictionaries(
    {},
    optional={
        "object_marking_refs": st.one_of(_refs, _refs, _refs, _junk),
        "granular_markings": st.one_of(*[st.lists(_granular, max_size=3)] * 3, _junk),
        "extensions": _junk,
    },
)


@given(hostile)
def test_hostile_input_raises_only_invalid_stix(obj: dict) -> None:
    """Anything else than InvalidStixError fails; what parses says what the refs say."""
    try:
        h = handling_of(obj, KNOWN, scheme_owner=FR)
    except InvalidStixError:
        event("refused")
        return
    refs = [str(r) for r in obj.get("object_marking_refs") or []]
    event(f"parsed: {len(refs)} refs, {len(h.granular)} granular")
    assert h.tlp == ("red" if TLP_RED["id"] in refs else None)
    if CONF["id"] in refs:
        assert (h.classification, h.scheme_owner) == ("CONFIDENTIEL", FR)
    else:
        assert h.classification is None and h.scheme_owner is None
    assert h.releasable_to == (frozenset({DZ}) if REL_DZ["id"] in refs else None)
    assert h.statement is None and not h.originator_control and not h.no_evidence_use
    wanted = [g for g in obj.get("granular_markings") or [] if g.get("marking_ref") is not None]
    assert len(h.granular) == len(wanted)
    for g, raw in zip(h.granular, wanted, strict=True):
        assert g.selectors == tuple(str(x) for x in raw["selectors"])
        ref = str(raw["marking_ref"])
        assert (g.tlp, g.classification, g.releasable_to) == (
            "red" if ref == TLP_RED["id"] else None,
            "CONFIDENTIEL" if ref == CONF["id"] else None,
            frozenset({DZ}) if ref == REL_DZ["id"] else None,
        )
    assert Handling.from_json(h.to_json()) == h


def test_pending_records_unknown_markings_and_reads_the_rest() -> None:
    conf = classification_marking("CONFIDENTIEL", FR)
    x, y = "marking-definition--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12, WHITE_TLP1
    unknown = "marking-definition--00000000-0000-4000-8000-00000000dead"
    obj = {
        "type": "report",
        "id": "report--1",
        "object_marking_refs": [conf["id"], x, TLP_AMBER["id"]],
        "granular_markings": [{"marking_ref": unknown, "selectors": ["name"]}],
    }
    with pytest.raises(InvalidStixError, match=f"marking {x} is not known"):
        handling_of(obj, _index(conf), scheme_owner=FR)
    h = handling_of(obj, _index(conf), scheme_owner=FR, pending=True)
    assert h.unresolved_markings == {x, unknown}
    assert (h.classification, h.tlp) == ("CONFIDENTIEL", "amber")
    assert h.withheld
    back = Handling.from_json(h.to_json())
    assert back == h
    assert h.to_json()["unresolved_markings"] == sorted({x, unknown})
    # Known markings only: nothing pending, and the JSON is as before this field existed.
    obj["object_marking_refs"] = [conf["id"], y]
    del obj["granular_markings"]
    done = handling_of(obj, _index(conf), scheme_owner=FR, pending=True)
    assert not done.withheld
    assert "unresolved_markings" not in done.to_json()
    assert "marking_problem" not in done.to_json()
    # Contradictions are still errors, pending or not.
    obj["object_marking_refs"] = [TLP_AMBER["id"], TLP_RED["id"], x]
    with pytest.raises(InvalidStixError, match="two TLP markings"):
        handling_of(obj, {}, scheme_owner=FR, pending=True)
