"""The console's parts without HTTP: catalogues, banner colours, projection, graph, map data."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import get_args

import pytest

from liaison.agreements.consent import ConsentDecision
from liaison.agreements.lifecycle import AgreementState
from liaison.extract.entities import EntityType
from liaison.markings import CREDIBILITY, RELIABILITY, Handling
from liaison.markings.scale import ClassificationScale
from liaison.service.accounts import ROLES
from liaison.web.i18n import LANGUAGES, catalogue, translator
from liaison.web.present import BANNER_COLOURS, Names, banner_of
from liaison.web.svg import BBOX, country_paths, graph_layout, map_point, project, sahel_geojson

WEB = Path(str(resources.files("liaison.web")))


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for tpl in (WEB / "templates").glob("*.html"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_.-]+)["']""", tpl.read_text("utf-8")))
    for py in WEB.glob("*.py"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_.-]+)["']""", py.read_text("utf-8")))
    return keys


def test_every_key_used_is_translated_in_every_language() -> None:
    used = _used_keys()
    assert len(used) > 80
    en = set(catalogue("en"))
    for lang in LANGUAGES:
        cat = catalogue(lang)
        assert set(cat) == en, lang
        static = {k for k in used if not k.endswith(".")}
        assert static <= set(cat), (lang, sorted(static - set(cat)))
        assert all(v.strip() for v in cat.values()), lang
    # Keys built at run time: roles, states, grading, entity types, consent decisions.
    dynamic = {k for k in used if k.endswith(".")}
    assert dynamic == {"role.", "state.", "grading.r.", "grading.c.", "entity.", "consent."}
    built = (
        [f"role.{r}" for r in ROLES]
        + [f"state.{s}" for s in get_args(AgreementState)]
        + [f"grading.r.{r}" for r in RELIABILITY]
        + [f"grading.c.{c}" for c in CREDIBILITY]
        + [f"entity.{e}" for e in get_args(EntityType)]
        + [f"consent.{d}" for d in get_args(ConsentDecision)]
    )
    assert set(built) <= en, sorted(set(built) - en)
    assert catalogue("ar")["nav.inbox"] != catalogue("en")["nav.inbox"]


def test_placeholders_match_across_languages() -> None:
    for key, text in catalogue("en").items():
        want = set(re.findall(r"{(\w+)}", text))
        for lang in ("fr", "ar"):
            assert set(re.findall(r"{(\w+)}", catalogue(lang)[key])) == want, (lang, key)


def test_direction_dates_and_numbers_are_localised() -> None:
    fr, ar, en = translator("fr"), translator("ar"), translator("en")
    assert (fr.dir, ar.dir, en.dir) == ("ltr", "rtl", "ltr")
    ts = "2026-11-29T12:05:00.000Z"
    assert fr.datetime(ts).startswith("29 nov. 2026")
    assert en.datetime(ts).startswith("Nov 29, 2026")
    assert "2026" in ar.datetime(ts) and ar.datetime(ts) != en.datetime(ts)
    assert fr.number(12345.5) == "12\u202f345,5"
    assert en.number(12345.5) == "12,345.5"
    assert translator("xx").lang == "en"
    assert fr("inbox.caption", count="3") == "3 éléments, non lus d'abord"
    assert fr("no.such.key") == "no.such.key"


def _luminance(hex_colour: str) -> float:
    def chan(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * chan(r) + 0.7152 * chan(g) + 0.0722 * chan(b)


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_banner_colours_in_css_match_and_contrast() -> None:
    css = (WEB / "static" / "console.css").read_text("utf-8")
    for level, (bg, fg) in BANNER_COLOURS.items():
        rule = re.search(rf"\.banner-{level} {{ background: (#\w+); color: (#\w+); }}", css)
        assert rule, level
        assert (rule.group(1), rule.group(2)) == (bg, fg), level
        assert _contrast(bg, fg) >= 4.5, (level, round(_contrast(bg, fg), 2))
    assert _contrast("#777777", "#ffffff") < 4.5  # the check can fail


def test_banner_text_and_rank() -> None:
    owner = "identity--11111111-1111-4111-8111-111111111111"
    other = "identity--22222222-2222-4222-8222-222222222222"
    scale = ClassificationScale(owner, ["NC", "DR", "C", "S", "TS"])
    names = Names({owner: "DZ"})
    h = Handling(classification="S", scheme_owner=owner, releasable_to=frozenset({owner, other}),
                 tlp="amber", originator_control=True)  # fmt: skip
    b = banner_of(h, names, scale)
    assert b.text == "S (DZ) // REL TO DZ, identity--22222222… // ORCON // TLP:AMBER"
    assert b.level == "3" and b.background == BANNER_COLOURS[3][0]
    unmarked = banner_of(Handling(), names, scale)
    assert unmarked.level == "none" and unmarked.text == "—"


def test_projection_and_map_data() -> None:
    lon0, lat0, lon1, lat1 = BBOX
    x0, y0 = project(lon0, lat1)
    x1, y1 = project(lon1, lat0)
    assert (x0, y0) == (0, 0) and x1 == 900 and y1 > 0
    bamako = project(-8.0, 12.65)
    timbuktu = project(-3.0, 16.77)
    assert timbuktu[0] > bamako[0] and timbuktu[1] < bamako[1]  # east and north
    assert not map_point("location--x", "Paris", 48.85, 2.35).inside
    assert map_point("location--y", "Kidal", 18.44, 1.41).inside
    codes = {f["properties"]["iso_a2"] for f in sahel_geojson()["features"]}
    assert {"ML", "NE", "BF", "MR", "TD", "DZ"} <= codes
    mali = next(c for c in country_paths() if c.code == "ML")
    assert mali.d.startswith("M") and mali.d.endswith("Z")
    assert 250 < mali.label_x < 340  # the middle of Mali's box, about 4°W


@pytest.mark.parametrize("n", [0, 1, 5, 12])
def test_graph_layout(n: int) -> None:
    members = [(f"indicator--{i}", f"ind {i}", "indicator", i % 2 == 0) for i in range(n)]
    edges = [("indicator--0", "indicator--1", "related-to"), ("indicator--0", "gone", "x")]
    nodes, lines = graph_layout(("report--r", "R", "report"), members, edges, size=600)
    assert len(nodes) == n + 1 and nodes[0].x == nodes[0].y == 300
    for node in nodes[1:]:
        assert abs(((node.x - 300) ** 2 + (node.y - 300) ** 2) ** 0.5 - 230) < 1
    assert len(lines) == n + (1 if n >= 2 else 0)
    assert len({(nd.x, nd.y) for nd in nodes}) == len(nodes)


def test_geojson_is_small_and_closed() -> None:
    raw = (WEB / "geo" / "sahel.geojson").read_text("utf-8")
    assert len(raw) < 100_000
    for f in json.loads(raw)["features"]:
        for poly in f["geometry"]["coordinates"]:
            ring = poly[0]
            assert ring[0] == ring[-1] and len(ring) >= 4
