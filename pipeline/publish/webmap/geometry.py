"""Map geometry: coverage-cleaned, simplified kelurahan, and the compact integer encoding the map's script decodes."""

from __future__ import annotations

import hashlib
import logging
import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ...ingest.cache import CacheEntry, cache_key, code_digest, read_entry

logger = logging.getLogger(__name__)


def web_geometry(geometry: gpd.GeoSeries, *, tolerance: float | None = None) -> gpd.GeoSeries:
    """Polygons for the web map: a clean coverage, simplified without opening gaps, rounded.

    Neighbouring kelurahan are first made a clean coverage (GEOS coverage
    cleaning: an overlap goes to one of the two, vertices within a tiny
    distance are snapped, shared edges become identical), then simplified
    with coverage simplification, which moves each shared edge once for
    both sides, so no new gap or overlap appears between neighbours; the
    coordinates are finally rounded to 5 decimals (about 1 m).

    Parameters
    ----------
    geometry
        Polygons in EPSG:4326.
    tolerance
        Simplification tolerance in degrees, roughly the square root of
        the area of the triangles removed. Default: 1/10,000 of the
        diagonal of the region's bounding box (about 10 m for a city,
        50 m for a province).

    Returns
    -------
    geopandas.GeoSeries
        Same index and CRS.
    """
    values = geometry.values
    if tolerance is None:
        minx, miny, maxx, maxy = geometry.total_bounds
        tolerance = math.hypot(maxx - minx, maxy - miny) / 10_000
    try:
        cleaned = shapely.coverage_clean(values)
        simplified = shapely.coverage_simplify(cleaned, tolerance)
    except shapely.errors.GEOSException as error:  # e.g. a collection left by a repair
        logger.warning("coverage simplification failed (%s); simplifying each polygon on its own", error)
        simplified = shapely.simplify(values, tolerance / 2, preserve_topology=True)
    rounded = shapely.set_precision(simplified, 1e-5)
    lost = shapely.is_empty(rounded)
    rounded[lost] = shapely.set_precision(values[lost], 1e-5)  # a sliver swallowed by a neighbour
    return gpd.GeoSeries(rounded, index=geometry.index, crs=geometry.crs)


#: The cache entry of the web geometry (:mod:`pipeline.ingest.cache`).
WEB_GEOMETRY_ENTRY: str = "geometri_web"


def cached_web_geometry(geometry: gpd.GeoSeries, *, cache: Path | None) -> tuple[gpd.GeoSeries, CacheEntry]:
    """:func:`web_geometry`, computed once per set of polygons (a province's takes about 10 s).

    The key is the digest of the polygons themselves (their WKB) and of this
    module's code, so an edited boundary file or a new pipeline computes it
    afresh.

    Returns
    -------
    GeoSeries, CacheEntry
        The web geometry (same index as ``geometry``), and the entry for the build to keep.
    """
    digest = hashlib.sha256(b"".join(shapely.to_wkb(np.asarray(geometry.values, dtype=object)))).hexdigest()
    key = cache_key(digest, geometry.crs, code_digest(sys.modules[__name__]))
    entry = read_entry(cache, WEB_GEOMETRY_ENTRY, key)
    if entry is not None:
        stored = entry.frames[WEB_GEOMETRY_ENTRY].geometry.values
        return gpd.GeoSeries(stored, index=geometry.index, crs=geometry.crs), entry
    # as stored: WKB keeps the coordinates (on the 1e-5 grid) but not the grid itself, which later
    # operations (label points) would round to; computed or read, the map is then the same
    web = web_geometry(geometry)
    web = gpd.GeoSeries(shapely.from_wkb(shapely.to_wkb(web.values)), index=web.index, crs=web.crs)
    frame = gpd.GeoDataFrame(geometry=web.reset_index(drop=True), crs=web.crs)
    return web, CacheEntry(WEB_GEOMETRY_ENTRY, key, {WEB_GEOMETRY_ENTRY: frame})


#: Map coordinates are integers in units of 1e-5 degree (about 1 m).
COORDINATE_SCALE: int = 100_000


def encode_polygons(geometry: gpd.GeoSeries) -> list[list[list[list[int]]]]:
    """Polygons in the map's compact form: per geometry, polygons of rings of integer steps.

    Each ring is a flat list ``[x0, y0, dx1, dy1, ...]`` in units of
    1e-5 degree: the first vertex absolute, then the step from the
    previous one, without the closing vertex. Short steps take 3 or 4
    characters where a GeoJSON coordinate takes 9 or 10, which keeps a
    province map within its size budget. The map's script decodes it.
    """
    if len(geometry) == 0:  # e.g. a large region with no significant cell to draw
        return []
    kind, coords, offsets = shapely.to_ragged_array(np.asarray(geometry.values, dtype=object))
    if kind == shapely.GeometryType.POLYGON:
        offsets = (*offsets, np.arange(len(offsets[1])))
    ints = np.rint(coords * COORDINATE_SCALE).astype(np.int64)
    steps = np.diff(ints, axis=0, prepend=ints[:1])
    starts = offsets[0][:-1]
    steps[starts] = ints[starts]
    flat = steps.ravel().tolist()
    rings = [flat[2 * a : 2 * (b - 1)] for a, b in zip(offsets[0][:-1], offsets[0][1:], strict=True)]
    polygons = [rings[a:b] for a, b in zip(offsets[1][:-1], offsets[1][1:], strict=True)]
    return [polygons[a:b] for a, b in zip(offsets[2][:-1], offsets[2][1:], strict=True)]


def decode_polygons(encoded: list) -> list[shapely.MultiPolygon]:
    """The inverse of :func:`encode_polygons` (what the map's script does), for checks."""
    out = []
    for polygons in encoded:
        parts = []
        for rings in polygons:
            shells = [np.cumsum(np.asarray(r, dtype=np.int64).reshape(-1, 2), axis=0) / COORDINATE_SCALE for r in rings]
            parts.append(shapely.Polygon(shells[0], shells[1:]))
        out.append(shapely.MultiPolygon(parts))
    return out


def encode_lines(geometry: np.ndarray) -> list[list[int]]:
    """Lines in the map's compact form: one flat list of integer steps per line part (see :func:`encode_polygons`).

    Multi-part lines are split; parts that round to a single point are dropped.
    """
    parts = shapely.get_parts(np.asarray(geometry, dtype=object))
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING]
    if not len(parts):
        return []
    _, coords, (offsets,) = shapely.to_ragged_array(parts)
    ints = np.rint(coords * COORDINATE_SCALE).astype(np.int64)
    steps = np.diff(ints, axis=0, prepend=ints[:1])
    starts = offsets[:-1]
    steps[starts] = ints[starts]
    flat = steps.ravel().tolist()
    return [flat[2 * a : 2 * b] for a, b in zip(offsets[:-1], offsets[1:], strict=True) if b - a >= 2]
