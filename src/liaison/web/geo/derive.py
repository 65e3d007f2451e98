"""Re-derive ``sahel.geojson`` from Natural Earth 1:50m boundaries (run by hand, once).

Source: the npm package ``world-atlas`` 2.0.2 (``countries-50m.json``, TopoJSON built
from Natural Earth, public domain; the package itself is ISC-licensed). Usage::

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python -m liaison.web.geo.derive package/countries-50m.json > sahel.geojson

Arcs are decoded (delta + quantisation transform), simplified with Douglas-Peucker
(tolerance 0.04 degrees) and rounded to 0.01 degrees: a few tens of kilobytes.
"""

from __future__ import annotations

import json
import sys
from typing import Any

#: ISO 3166-1 numeric -> alpha-2 for the countries the console draws.
COUNTRIES = {
    "466": "ML", "562": "NE", "478": "MR", "012": "DZ", "854": "BF", "148": "TD",
    "686": "SN", "566": "NG", "504": "MA", "732": "EH", "434": "LY", "788": "TN",
    "324": "GN", "384": "CI", "288": "GH", "204": "BJ", "768": "TG", "270": "GM",
    "624": "GW", "729": "SD", "120": "CM", "694": "SL", "430": "LR", "140": "CF",
}  # fmt: skip
Point = tuple[float, float]


def _decode_arcs(topo: dict[str, Any]) -> list[list[Point]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def _ring(indexes: list[int], arcs: list[list[Point]]) -> list[Point]:
    pts: list[Point] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(arc if not pts else arc[1:])
    return pts


def _dp(pts: list[Point], tol: float) -> list[Point]:
    if len(pts) < 3:
        return pts
    (x1, y1), (x2, y2) = pts[0], pts[-1]
    dx, dy = x2 - x1, y2 - y1
    norm = (dx * dx + dy * dy) ** 0.5 or 1e-12
    best, idx = 0.0, 0
    for i in range(1, len(pts) - 1):
        x, y = pts[i]
        d = abs(dy * (x - x1) - dx * (y - y1)) / norm
        if d > best:
            best, idx = d, i
    if best <= tol:
        return [pts[0], pts[-1]]
    return _dp(pts[: idx + 1], tol)[:-1] + _dp(pts[idx:], tol)


def derive(topo: dict[str, Any], tol: float = 0.04) -> dict[str, Any]:
    arcs = [_dp(a, tol) for a in _decode_arcs(topo)]  # shared borders stay shared
    features: list[dict[str, Any]] = []
    for g in topo["objects"]["countries"]["geometries"]:
        code = COUNTRIES.get(str(g.get("id")))
        if code is None:
            continue
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        rings = []
        for poly in polys:
            outer = _ring(poly[0], arcs)
            if len(outer) >= 4:
                rings.append([[[round(x, 2), round(y, 2)] for x, y in outer]])
        features.append(
            {
                "type": "Feature",
                "properties": {"iso_a2": code, "name": g["properties"]["name"]},
                "geometry": {"type": "MultiPolygon", "coordinates": rings},
            }
        )
    features.sort(key=lambda f: f["properties"]["iso_a2"])
    return {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:50m via world-atlas 2.0.2; simplified; public domain",
        "features": features,
    }


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as f:
        topo = json.load(f)
    json.dump(derive(topo), sys.stdout, separators=(",", ":"), ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
