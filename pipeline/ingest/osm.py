"""Read the features of an offline basemap out of an OpenStreetMap extract (``.osm.pbf``).

pyosmium streams the file once (twice for multipolygon relations): node
locations are kept in its C++ cache, a key filter drops every object that
carries none of the keys below before Python sees it, and only objects near
the region's box become geometries. What is kept:

* roads by class, railways, waterways (lines);
* water areas and the coastline (the sea is built from it in
  :mod:`pipeline.ingest.coast`);
* place nodes (kota, kecamatan, kelurahan/desa, dusun, lingkungan);
* the public places planners look for: kantor kelurahan/desa, puskesmas,
  rumah sakit, sekolah, pasar, masjid, gereja, pura, vihara.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import shapely

from ..errors import InputError

#: OSM highway value -> road class of the map (Indonesian road function names).
ROAD_CLASSES: dict[str, str] = {
    **dict.fromkeys(("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"), "arteri"),
    **dict.fromkeys(("secondary", "secondary_link"), "kolektor"),
    **dict.fromkeys(("tertiary", "tertiary_link"), "lokal"),
    **dict.fromkeys(("residential", "unclassified", "living_street", "road"), "lingkungan"),
}
#: OSM waterway value -> kind of water line.
WATERWAYS: dict[str, str] = {"river": "sungai", "canal": "kanal", "stream": "anak_sungai", "drain": "saluran"}
#: OSM place value -> kind of place name.
PLACES: dict[str, str] = {
    "city": "kota", "town": "kota_kecil", "municipality": "kota_kecil", "suburb": "bagian_kota", "quarter": "bagian_kota",
    "village": "desa_kelurahan", "hamlet": "dusun", "neighbourhood": "lingkungan",
}  # fmt: skip
#: Tags that say the region has a shore, though the extract may hold no coastline.
_SHORE_HINTS = {
    "natural": {"beach", "bay", "strait", "cape", "coastline"},
    "place": {"sea", "ocean", "bay", "island", "islet"},
    "man_made": {"pier", "breakwater"},
    "landuse": {"port"},
    "leisure": {"marina"},
}
_WORSHIP = {"muslim": "masjid", "christian": "gereja", "hindu": "pura", "buddhist": "vihara"}
_VILLAGE_OFFICE = re.compile(r"\b(kantor\s+(kelurahan|desa|lurah|kepala\s+desa)|balai\s+desa)\b", re.IGNORECASE)
_PUSKESMAS = re.compile(r"\b(puskesmas|pustu)\b", re.IGNORECASE)
_KEYS = ("highway", "railway", "waterway", "natural", "water", "landuse", "place", "amenity", "office",
         "healthcare", "man_made", "leisure")  # fmt: skip


class BasemapError(InputError):
    """An OpenStreetMap extract cannot be read (the map is then drawn without a basemap)."""


@dataclass
class OsmFeatures:
    """What :func:`read_osm` found near the region, in EPSG:4326."""

    lines: gpd.GeoDataFrame  # kind (jalan/rel/air), class, osm value, name
    areas: gpd.GeoDataFrame  # water areas: class, name
    points: gpd.GeoDataFrame  # places and facilities: kind (tempat/fasilitas), class, name
    coastline: gpd.GeoSeries
    extent: tuple[float, float, float, float] | None  # the file's box (header), else the data's
    shore_hints: int = 0


def _facility(tags: osmium.osm.TagList) -> str | None:
    amenity = tags.get("amenity")
    name = tags.get("name", "")
    if amenity == "townhall" or (tags.get("office") == "government" and _VILLAGE_OFFICE.search(name)):
        return "kantor_desa"
    if amenity == "hospital":
        return "rumah_sakit"
    if _PUSKESMAS.search(name) or tags.get("healthcare") == "centre":
        return "puskesmas" if amenity in ("clinic", "doctors", None) or tags.get("healthcare") else None
    if amenity in ("school", "college"):
        return "sekolah"
    if amenity == "marketplace":
        return "pasar"
    if amenity == "place_of_worship":
        return _WORSHIP.get(tags.get("religion", ""), "tempat_ibadah")
    return None


def _water_area(tags: osmium.osm.TagList) -> str | None:
    if tags.get("natural") == "water" or tags.get("waterway") == "riverbank":
        return "sungai" if tags.get("water") in ("river", "canal") or tags.get("waterway") else "danau"
    if tags.get("landuse") in ("reservoir", "basin"):
        return "danau"
    return None


def _shore(tags: osmium.osm.TagList) -> bool:
    return any(tags.get(key) in values for key, values in _SHORE_HINTS.items()) or "harbour" in tags


def _check_pbf(path: Path, region: str = "") -> str:
    """Refuse a missing file or one that is no PBF; return the fix to name in later messages."""
    fix = (
        f"download it again (make basemap REGION={region or '<region>'}) "
        "or point [basemap] osm at another .osm.pbf extract"
    )
    if not path.is_file():
        raise BasemapError(f"{path}: basemap extract not found; {fix}")
    with path.open("rb") as handle:
        head = handle.read(16)
    # a PBF file starts with a 4-byte header length, then the BlobHeader's "OSMHeader" type string
    if len(head) < 16 or b"OSMHeader" not in head:
        raise BasemapError(
            f"{path}: not an OpenStreetMap PBF file (starts with {head[:8]!r}); "
            f"use the .osm.pbf extract (e.g. from download.geofabrik.de), not .osm/.zip/.shp; {fix}"
        )
    return fix


def extract_box(path: str | Path, *, region: str = "") -> tuple[float, float, float, float] | None:
    """The box an extract's header declares (west, south, east, north), or None; reads the header only.

    Raises
    ------
    BasemapError
        If the file is missing, not an OSM PBF file, or its header is unreadable.
    """
    path = Path(path)
    fix = _check_pbf(path, region)
    try:
        return _corners(osmium.FileProcessor(str(path)).header.box())
    except RuntimeError as error:
        raise BasemapError(f"{path}: the extract is truncated or corrupt ({error}); {fix}") from None


def _corners(box: osmium.osm.Box) -> tuple[float, float, float, float] | None:
    """A header's box as (west, south, east, north), or None when the header has none."""
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def read_osm(path: str | Path, *, bbox: tuple[float, float, float, float], region: str = "") -> OsmFeatures:
    """Read the basemap features of an extract that fall in ``bbox`` (west, south, east, north).

    Features are kept whole when they reach into the box (clipping is the
    caller's); a road whose first node lies more than about 50 km outside
    is skipped without building its geometry, which keeps an island-sized
    extract fast.

    Raises
    ------
    BasemapError
        If the file is missing, not an OSM PBF file, or truncated/corrupt.
    """
    path = Path(path)
    fix = _check_pbf(path, region)
    west, south, east, north = bbox
    near = (west - 0.5, south - 0.5, east + 0.5, north + 0.5)  # coarse test on a way's first node
    wkb = osmium.geom.WKBFactory()
    lines, areas, points, coast = [], [], [], []
    shore = 0
    seen = [180.0, 90.0, -180.0, -90.0]

    def inside(lon: float, lat: float, box=bbox) -> bool:
        return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]

    try:
        processor = osmium.FileProcessor(str(path)).with_areas().with_filter(osmium.filter.KeyFilter(*_KEYS))
        header_box = processor.header.box()
        for obj in processor:
            tags = obj.tags
            if obj.is_node():
                location = obj.location
                if not location.valid():
                    continue
                lon, lat = location.lon, location.lat
                seen[0], seen[1] = min(seen[0], lon), min(seen[1], lat)
                seen[2], seen[3] = max(seen[2], lon), max(seen[3], lat)
                if not inside(lon, lat):
                    continue
                shore += _shore(tags)
                place = PLACES.get(tags.get("place", ""))
                if place and "name" in tags:
                    points.append(("tempat", place, tags["name"], lon, lat))
                kind = _facility(tags)
                if kind:
                    points.append(("fasilitas", kind, tags.get("name", ""), lon, lat))
            elif obj.is_way():
                way_nodes = obj.nodes
                if len(way_nodes) < 2:
                    continue
                first = way_nodes[0].location
                if not first.valid():
                    continue
                lon, lat = first.lon, first.lat
                seen[0], seen[1] = min(seen[0], lon), min(seen[1], lat)  # the data's extent, for a file
                seen[2], seen[3] = max(seen[2], lon), max(seen[3], lat)  # whose header has no box
                if not inside(lon, lat, near):
                    continue
                road = ROAD_CLASSES.get(tags.get("highway", ""))
                rail = tags.get("railway") in ("rail", "light_rail", "narrow_gauge")
                water = WATERWAYS.get(tags.get("waterway", ""))
                is_coast = tags.get("natural") == "coastline"
                if not (road or rail or water or is_coast):
                    continue
                try:
                    geometry = wkb.create_linestring(obj)
                except (osmium.InvalidLocationError, RuntimeError):
                    continue  # a way whose nodes lie outside the extract
                if is_coast:
                    coast.append(geometry)
                elif road:
                    lines.append(("jalan", road, tags["highway"], tags.get("name", ""), geometry))
                elif rail:
                    lines.append(("rel", "rel", tags["railway"], tags.get("name", ""), geometry))
                else:
                    lines.append(("air", water, tags["waterway"], tags.get("name", ""), geometry))
            elif obj.is_area():
                water = _water_area(tags)
                kind = _facility(tags)
                if not (water or kind):
                    continue
                try:
                    geometry = wkb.create_multipolygon(obj)
                except (osmium.InvalidLocationError, RuntimeError):
                    continue
                if water:
                    areas.append((water, tags.get("name", ""), geometry))
                if kind:
                    points.append(("fasilitas", kind, tags.get("name", ""), geometry))
    except RuntimeError as error:
        raise BasemapError(f"{path}: the extract is truncated or corrupt ({error}); {fix}") from None

    extent = _corners(header_box)
    if extent is None and seen[0] <= seen[2]:
        extent = tuple(seen)
    return OsmFeatures(
        lines=_frame(lines, ["jenis", "kelas", "osm", "nama"]),
        areas=_frame(areas, ["kelas", "nama"]),
        points=_points(points),
        coastline=gpd.GeoSeries(shapely.from_wkb(coast), crs=4326),
        extent=extent,
        shore_hints=shore,
    )


def _frame(rows: list[tuple], columns: list[str]) -> gpd.GeoDataFrame:
    table = pd.DataFrame(rows, columns=[*columns, "geometry"])
    geometry = shapely.from_wkb(table.pop("geometry").to_numpy()) if len(table) else []
    return gpd.GeoDataFrame(table, geometry=geometry, crs=4326)


def _points(rows: list[tuple]) -> gpd.GeoDataFrame:
    """Points from (lon, lat) or an area's WKB (its representative point)."""
    table = pd.DataFrame(
        [
            (kind, cls, name, shapely.from_wkb(rest[0]).point_on_surface() if len(rest) == 1 else shapely.Point(rest))
            for kind, cls, name, *rest in rows
        ],  # fmt: skip
        columns=["jenis", "kelas", "nama", "geometry"],
    )
    return gpd.GeoDataFrame(table, geometry="geometry", crs=4326)
