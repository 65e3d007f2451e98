"""Server-side drawings: the Sahel map (offline GeoJSON) and a report's entity graph.

Both produce plain data (paths, points, edges in SVG user units) that a template turns
into inline SVG: no tile server, no JavaScript library.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "BBOX",
    "GraphEdge",
    "GraphNode",
    "MapPoint",
    "country_paths",
    "graph_layout",
    "project",
    "sahel_geojson",
]

#: lon_min, lat_min, lon_max, lat_max of the drawn area (West Africa and the Sahel).
BBOX = (-18.0, 3.5, 25.0, 37.5)
WIDTH = 900.0


@functools.cache
def sahel_geojson() -> dict[str, Any]:
    text = resources.files("liaison.web").joinpath("geo/sahel.geojson").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def height() -> float:
    lon0, lat0, lon1, lat1 = BBOX
    mid = math.radians((lat0 + lat1) / 2)
    return WIDTH / (lon1 - lon0) * (lat1 - lat0) / math.cos(mid)


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular projection standard at the area's mid-latitude, in SVG units."""
    lon0, lat0, lon1, lat1 = BBOX
    mid = math.radians((lat0 + lat1) / 2)
    k = WIDTH / (lon1 - lon0)
    x = (lon - lon0) * k
    y = (lat1 - lat) * k / math.cos(mid)
    return round(x, 1), round(y, 1)


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    d: str
    label_x: float
    label_y: float


def country_paths() -> list[Country]:
    out = []
    for f in sahel_geojson()["features"]:
        parts: list[str] = []
        best: tuple[float, float, float] = (0.0, 0.0, -1.0)
        for poly in f["geometry"]["coordinates"]:
            ring = [project(lon, lat) for lon, lat in poly[0]]
            parts.append("M" + " L".join(f"{x},{y}" for x, y in ring) + " Z")
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            area = (max(xs) - min(xs)) * (max(ys) - min(ys))
            if area > best[2]:
                best = ((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2, area)
        props = f["properties"]
        out.append(Country(props["iso_a2"], props["name"], " ".join(parts), best[0], best[1]))
    return out


@dataclass(frozen=True)
class MapPoint:
    id: str
    name: str
    x: float
    y: float
    inside: bool


def map_point(object_id: str, name: str, lat: float, lon: float) -> MapPoint:
    lon0, lat0, lon1, lat1 = BBOX
    x, y = project(lon, lat)
    return MapPoint(object_id, name, x, y, lon0 <= lon <= lon1 and lat0 <= lat <= lat1)


@dataclass(frozen=True)
class GraphNode:
    id: str
    label: str
    type: str
    x: float
    y: float
    held: bool


@dataclass(frozen=True)
class GraphEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str


def graph_layout(
    centre: tuple[str, str, str],
    members: list[tuple[str, str, str, bool]],
    edges: list[tuple[str, str, str]],
    size: float = 640.0,
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """The report in the middle, its members on a circle, relationships as chords.

    ``centre``: (id, label, type); ``members``: (id, label, type, held);
    ``edges``: (source id, target id, label). Edges to the centre are drawn for
    every member (the report refers to it).
    """
    c = size / 2
    r = size / 2 - 70
    nodes = [GraphNode(centre[0], centre[1], centre[2], c, c, True)]
    pos = {centre[0]: (c, c)}
    n = max(len(members), 1)
    for i, (oid, label, typ, held) in enumerate(members):
        a = 2 * math.pi * i / n - math.pi / 2
        x, y = round(c + r * math.cos(a), 1), round(c + r * math.sin(a), 1)
        pos[oid] = (x, y)
        nodes.append(GraphNode(oid, label, typ, x, y, held))
    out = [GraphEdge(c, c, pos[m[0]][0], pos[m[0]][1], "") for m in members]
    for src, dst, label in edges:
        if src in pos and dst in pos:
            (x1, y1), (x2, y2) = pos[src], pos[dst]
            out.append(GraphEdge(x1, y1, x2, y2, label))
    return nodes, out
