"""The offline basemap in the map: OpenStreetMap layers encoded compactly for the map's script.

The layers of :func:`pipeline.ingest.basemap.read_basemap` become one JSON
document in its own ``<script>`` element (:data:`BASEMAP_ELEMENT`): water
areas as polygons of integer steps, roads, railways and waterways as lines
grouped by class (each class with its colour, width and first zoom), place
names with the zoom from which they are written, road-name anchors with
their angle, and public places with their kind. The map's script draws it
under the themes on a canvas and places the names with the kelurahan names,
without overlap.

The document holds OpenStreetMap's public data only. It sits apart from the
rest of the page so that the check for household names
(:func:`pipeline.publish.privacy.check_public_text`) can leave it out: a
street called "Jalan Ahmad Yani" is not a household head called Ahmad Yani.
"""

from __future__ import annotations

import html
import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..palette import (
    BASEMAP_ATTRIBUTION,
    BASEMAP_LAND,
    BASEMAP_WATER,
    FACILITY_STYLE,
    FACILITY_ZOOM,
    PLACE_STYLE,
    RIVER_STYLE,
    ROAD_NAME_ZOOM,
    ROAD_STYLE,
    WATER_LABELS,
)
from .data import _json_for_script
from .geometry import encode_lines, encode_polygons

#: The id of the basemap's ``<script type="application/json">`` element.
BASEMAP_ELEMENT: str = "kantong-peta-dasar"
_ELEMENT = re.compile(rf'<script type="application/json" id="{BASEMAP_ELEMENT}">.*?</script>', re.DOTALL)
#: Simplification tolerance in degrees (about 1.5 m): below what a zoom-17 screen shows.
TOLERANCE: float = 1.5e-5
#: A region wider or taller than this (degrees; a province) gets only the main classes on the web map:
#: no neighbourhood streets, small waterways, dusun names or public places (the GeoPackage has them all).
WIDE_REGION: float = 0.6
_DETAIL = {"lingkungan", "anak_sungai", "saluran", "dusun"}
#: A road-name label every this many degrees of road (about 1.5 km), on roads at least a fifth of that long.
NAME_SPACING: float = 0.015


def is_wide(region: tuple[float, float, float, float]) -> bool:
    """True for a region (its box) wider or taller than :data:`WIDE_REGION`: the map shows the main classes only."""
    west, south, east, north = region
    return bool(max(east - west, north - south) > WIDE_REGION)


def _shown(layers: dict[str, gpd.GeoDataFrame], *, wide: bool) -> dict[str, gpd.GeoDataFrame]:
    """The layers as the web map draws them: for a wide region, without the detail classes and public places."""
    if not wide:
        return layers
    return {
        name: frame.iloc[0:0] if name == "fasilitas_umum" else frame[~frame["kelas"].isin(_DETAIL)]
        for name, frame in layers.items()
    }


def _simple(geometry: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    return shapely.set_precision(shapely.simplify(geometry, tolerance, preserve_topology=True), 1e-5)


def road_name_anchors(roads: gpd.GeoDataFrame) -> list[list]:
    """Where road names go: per named road (its pieces merged), points along it with the text's angle.

    Returns ``[lon, lat, angle in degrees (screen, never upside down), name]``
    for arterial, collector and local roads.
    """
    named = roads[roads["kelas"].isin(["arteri", "kolektor", "lokal"]) & roads["nama"].fillna("").ne("")]
    out: list[list] = []
    for name, group in named.groupby("nama", sort=True):
        merged = shapely.line_merge(shapely.union_all(group.geometry.values))
        for part in shapely.get_parts(merged):
            length = part.length
            if length < NAME_SPACING / 5:
                continue
            count = max(1, int(length / NAME_SPACING))
            for f in (np.arange(count) + 0.5) / count:
                a = part.interpolate(max(0.0, f * length - 0.0002))
                b = part.interpolate(min(length, f * length + 0.0002))
                mid = part.interpolate(f * length)
                # screen y grows downwards; Mercator stretches latitude by 1/cos(lat)
                dx = (b.x - a.x) * math.cos(math.radians(mid.y))
                angle = -math.degrees(math.atan2(b.y - a.y, dx))
                angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
                out.append([round(mid.x, 5), round(mid.y, 5), round(angle), str(name)])
    return out


def basemap_records(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    box: tuple[float, float, float, float],
    region: tuple[float, float, float, float] | None = None,
) -> dict | None:
    """The basemap for the map's script, or None when there is nothing to draw.

    Keys: ``box`` (the area the basemap covers, drawn in the land colour)
    ``land`` and ``water`` colours; ``water`` polygons
    (:func:`encode_polygons`); ``lines``: per road, rail or waterway class
    its colour ``c``, width ``w``, first zoom ``z``, dash ``d`` and lines
    ``g`` (:func:`encode_lines`); ``places``: ``[lon, lat, first zoom, name,
    class]`` from the most to the least important; ``roads``: road-name
    anchors (:func:`road_name_anchors`) and the zoom ``roadZoom`` from which
    they are written; ``facilities``: the kinds (glyph, colour, label) and
    ``[lon, lat, kind, name]``, drawn from ``facilityZoom``; the attribution;
    ``wide``: true when the region (its box ``region``) is wider than
    :data:`WIDE_REGION` and the detail classes were left out.
    """
    if not any(len(frame) for frame in layers.values()):
        return None
    west, south, east, north = region or box
    wide = is_wide(region or box)
    tolerance = max(TOLERANCE, math.hypot(east - west, north - south) / 40_000)  # 1.5 m in a city, 15 m in a province
    layers = _shown(layers, wide=wide)
    water = layers["perairan"]
    lines = []
    for frame, styles in ((layers["sungai"], RIVER_STYLE), (layers["jalan"], ROAD_STYLE)):
        for cls, (color, width, zoom, _label) in styles.items():
            parts = encode_lines(_simple(frame.geometry.values[frame["kelas"].eq(cls).to_numpy()], tolerance))
            if parts:
                lines.append({"k": cls, "c": color, "w": width, "z": zoom, "d": cls == "rel", "g": parts})
    places = layers["tempat"]
    places = places[places["kelas"].isin(list(PLACE_STYLE)) & places["nama"].fillna("").ne("")]
    rank = places["kelas"].map({cls: i for i, cls in enumerate(PLACE_STYLE)})
    places = places.assign(_rank=rank).sort_values(["_rank", "nama"], kind="stable")
    xy = shapely.get_coordinates(places.geometry.values).round(5)
    facilities = layers["fasilitas_umum"]
    facilities = facilities[facilities["kelas"].isin(list(FACILITY_STYLE))]
    kinds = list(FACILITY_STYLE)
    fxy = shapely.get_coordinates(facilities.geometry.values).round(5)
    return {
        "box": [round(v, 5) for v in box],
        "land": BASEMAP_LAND,
        "waterColor": BASEMAP_WATER,
        "wide": wide,
        "water": encode_polygons(gpd.GeoSeries(_simple(water.geometry.values, 2 * tolerance))) if len(water) else [],
        "lines": lines,
        "places": [
            [x, y, PLACE_STYLE[cls][0], str(name), cls]
            for (x, y), cls, name in zip(xy.tolist(), places["kelas"], places["nama"], strict=True)
        ],
        "roads": road_name_anchors(layers["jalan"]) if len(layers["jalan"]) else [],
        "roadZoom": ROAD_NAME_ZOOM,
        "facilityZoom": FACILITY_ZOOM,
        "kinds": [list(FACILITY_STYLE[k]) for k in kinds],
        "facilities": [
            [x, y, kinds.index(cls), str(name) if pd.notna(name) else ""]
            for (x, y), cls, name in zip(fxy.tolist(), facilities["kelas"], facilities["nama"], strict=True)
        ],
        "attribution": BASEMAP_ATTRIBUTION,
    }


def basemap_element(records: dict) -> str:
    """The basemap as a JSON ``<script>`` element (safe whatever the names hold)."""
    text = _json_for_script(json.dumps(records, ensure_ascii=False, separators=(",", ":")))
    return f'<script type="application/json" id="{BASEMAP_ELEMENT}">{text}</script>'


def without_basemap(page: str) -> str:
    """The page without the basemap's data (OpenStreetMap's public names), for the household-name check."""
    return _ELEMENT.sub("", page)


def basemap_legend(layers: dict[str, gpd.GeoDataFrame], *, wide: bool = False) -> list[tuple[str, str]]:
    """Legend rows of what the basemap holds: water, road and rail classes, waterways, public places."""
    rows = []
    layers = _shown(layers, wide=wide)
    water = layers["perairan"]
    if len(water):
        rows.append((BASEMAP_WATER, ", ".join(WATER_LABELS[c] for c in WATER_LABELS if c in set(water["kelas"]))))
    for frame, styles in ((layers["jalan"], ROAD_STYLE), (layers["sungai"], RIVER_STYLE)):
        present = set(frame["kelas"])
        rows += [(color, label) for cls, (color, _w, _z, label) in styles.items() if cls in present]
    present = set(layers["fasilitas_umum"]["kelas"])
    icons = [f"{glyph} {label.lower()}" for cls, (glyph, _c, label) in FACILITY_STYLE.items() if cls in present]
    if icons:
        rows.append(("", f"Ikon fasilitas (mulai zoom {FACILITY_ZOOM}): " + " · ".join(icons)))
    if wide:
        rows.append(("", "Wilayah besar: jalan lingkungan, anak sungai, dusun dan fasilitas umum hanya di GeoPackage"))
    rows.append(("", f"Nama jalan mulai zoom {ROAD_NAME_ZOOM}. {BASEMAP_ATTRIBUTION}"))
    return rows


def basemap_note(configured: bool, drawn: bool) -> str:
    """The panel's line about the basemap (HTML): how to add one, or that it could not be read."""
    if drawn:
        return ""
    if configured:
        text = "Peta dasar luring tidak dapat dibaca; lihat peringatan saat peta dibuat (make maps)."
    else:
        text = (
            'Peta dasar luring belum dipasang: isi [basemap] osm = "….osm.pbf" di file TOML wilayah '
            "(lihat README, make basemap) agar jalan, sungai, laut dan nama tempat tampil tanpa internet."
        )
    return f'<div class="kantong-catatan kantong-layar">{html.escape(text)}</div>'
