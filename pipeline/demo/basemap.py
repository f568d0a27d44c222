"""A synthetic OpenStreetMap extract (``.osm.pbf``) for the demo city, written with pyosmium.

Kota Contoh lies in open sea (see :data:`pipeline.demo.boundaries.DEMO_CENTER`),
so it has no real extract. This one makes it an island city with a bay:
arterial, collector, local and neighbourhood streets with Indonesian names, a
river and a lake, a railway, the coastline (land on its left, as OSM draws
it), place nodes for the city, its kecamatan, kelurahan and a few dusun, and
the public places a planner looks for (kantor kelurahan, puskesmas, sekolah,
pasar, masjid, gereja, pura). Everything is invented; the same seed gives the
same file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import shapely
from pyproj import Transformer

#: Street names of the generated city (invented, in the usual Indonesian style).
STREET_NAMES: tuple[str, ...] = (
    "Jalan Mawar", "Jalan Melati", "Jalan Kenanga", "Jalan Anggrek", "Jalan Cempaka", "Jalan Dahlia",
    "Jalan Flamboyan", "Jalan Kamboja", "Jalan Teratai", "Jalan Seroja", "Gang Damai", "Gang Rukun",
    "Jalan Nelayan", "Jalan Pelabuhan", "Jalan Kelapa", "Jalan Nangka", "Jalan Manggis", "Jalan Durian",
    "Jalan Rambutan", "Jalan Sawo", "Gang Sepakat", "Jalan Perintis", "Jalan Bakti", "Jalan Karya",
)  # fmt: skip
_RADIAL_NAMES = ("Jalan Diponegoro", "Jalan Imam Bonjol", "Jalan Gajah Mada", "Jalan Hasanuddin")


class _Writer:
    """Nodes and ways with sequential ids, in metres around an origin, written as WGS84."""

    def __init__(self, to_lonlat):
        self.to_lonlat = to_lonlat
        self.nodes: list[tuple[int, float, float, dict[str, str]]] = []
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        lon, lat = self.to_lonlat(x, y)
        self.nodes.append((len(self.nodes) + 1, round(lon, 7), round(lat, 7), tags or {}))
        return len(self.nodes)

    def way(self, coords, tags: dict[str, str]) -> None:
        coords = np.asarray(coords)
        if len(coords) < 2:
            return
        refs = [self.node(x, y) for x, y in coords]
        if np.allclose(coords[0], coords[-1]):  # a closed way ends on its first node, not a copy
            self.nodes.pop()
            refs[-1] = refs[0]
        self.ways.append((len(self.ways) + 1, refs, tags))

    def lines(self, geometry, tags: dict[str, str]) -> None:
        for part in shapely.get_parts(geometry):
            if isinstance(part, shapely.LineString) and part.length > 20:
                self.way(shapely.get_coordinates(part), tags)

    def write(self, path: Path, bbox: tuple[float, float, float, float]) -> None:
        header = osmium.io.Header()
        header.add_box(osmium.osm.Box(osmium.osm.Location(bbox[0], bbox[1]), osmium.osm.Location(bbox[2], bbox[3])))
        header.set("generator", "kantong synthetic basemap")
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = osmium.SimpleWriter(str(path), header=header, overwrite=True)
        try:
            for i, lon, lat, tags in self.nodes:
                writer.add_node(osmium.osm.mutable.Node(id=i, location=(lon, lat), tags=tags, version=1))
            for i, refs, tags in self.ways:
                writer.add_way(osmium.osm.mutable.Way(id=i, nodes=refs, tags=tags, version=1))
        finally:
            writer.close()


def _bent(line: shapely.LineString, rng: np.random.Generator, amplitude: float) -> shapely.LineString:
    """A straight line made to wander a little, as streets and rivers do."""
    line = shapely.segmentize(line, 150.0)
    xy = shapely.get_coordinates(line)
    phase = rng.uniform(0, 2 * np.pi, 2)
    t = np.linspace(0, 1, len(xy))
    xy = xy + amplitude * np.column_stack([np.sin(3 * np.pi * t + phase[0]), np.sin(2 * np.pi * t + phase[1])])
    return shapely.LineString(xy)


def write_synthetic_basemap(
    kelurahan: gpd.GeoDataFrame,
    path: str | Path,
    *,
    seed: int = 42,
    spacing_m: float | None = None,
    major_spacing_m: float | None = None,
    vertex_m: float = 80.0,
) -> Path:
    """Write an invented ``.osm.pbf`` extract around the demo kelurahan.

    Parameters
    ----------
    kelurahan
        The demo kelurahan (EPSG:4326), with ``nama``, ``kec_nama``.
    path
        Where to write the ``.osm.pbf``.
    seed
        Random seed.
    spacing_m
        Distance between neighbourhood streets (default: a sixteenth of the
        city's radius); the benchmarks use a real city's density.
    major_spacing_m
        Distance between the lines of a grid of local (tertiary) roads, for
        a large region (default: none besides the four radial roads).
    vertex_m
        Distance between the vertices of a neighbourhood street.

    Returns
    -------
    Path
        ``path``.
    """
    rng = np.random.default_rng(seed)
    utm = kelurahan.estimate_utm_crs()
    local = kelurahan.to_crs(utm)
    city = shapely.union_all(local.geometry.values)
    cx, cy = city.centroid.x, city.centroid.y
    project = Transformer.from_crs(utm, 4326, always_xy=True)
    out = _Writer(lambda x, y: project.transform(x + cx, y + cy))
    city0 = shapely.affinity.translate(city, -cx, -cy)
    radius = float(np.sqrt(city0.area / np.pi))

    # the island: the city and a rim of land, with a bay cut in from the south-east
    bay = shapely.Point(1.1 * radius, -1.1 * radius).buffer(0.5 * radius)
    land = city0.buffer(0.28 * radius).difference(bay).buffer(0)
    land = max(shapely.get_parts(land), key=lambda p: p.area)
    ring = shapely.LinearRing(land.exterior.simplify(20))
    if not ring.is_ccw:  # OSM coastline: land on the left, so an island runs counter-clockwise
        ring = shapely.LinearRing(list(ring.coords)[::-1])
    coast = shapely.get_coordinates(ring)
    step = max(2, len(coast) // 3)  # three coastline ways meeting end to end, as in OSM
    for start in range(0, len(coast) - 1, step):
        out.way(coast[start : min(start + step, len(coast) - 1) + 1], {"natural": "coastline"})

    inland = land.buffer(-30)
    r = radius * 1.4
    out.lines(
        inland.intersection(_bent(shapely.LineString([(-r, 0), (r, 0)]), rng, 120)),
        {"highway": "primary", "name": "Jalan Jenderal Sudirman", "ref": "2"},
    )
    out.lines(
        inland.intersection(_bent(shapely.LineString([(0, -r), (0, r)]), rng, 120)),
        {"highway": "primary", "name": "Jalan Ahmad Yani"},
    )
    out.lines(
        inland.intersection(shapely.Point(0, 0).buffer(0.62 * radius).exterior),
        {"highway": "secondary", "name": "Jalan Lingkar Kota"},
    )
    for k, name in enumerate(_RADIAL_NAMES):
        angle = np.pi / 4 + k * np.pi / 2
        line = shapely.LineString([(0, 0), (r * np.cos(angle), r * np.sin(angle))])
        out.lines(inland.intersection(_bent(line, rng, 80)), {"highway": "tertiary", "name": name})
    if major_spacing_m:
        for k, offset in enumerate(np.arange(-r, r, major_spacing_m)):
            for line in (
                shapely.LineString([(-r, offset), (r, offset)]),
                shapely.LineString([(offset, -r), (offset, r)]),
            ):
                out.lines(inland.intersection(line), {"highway": "tertiary", "name": f"Jalan Raya {k + 1}"})
    spacing = spacing_m or radius / 16
    names = iter(np.resize(np.array(STREET_NAMES), int(8 * r * r / spacing / vertex_m) + 400))
    for offset in np.arange(-r, r, spacing) + spacing / 2:
        for line in (shapely.LineString([(-r, offset), (r, offset)]), shapely.LineString([(offset, -r), (offset, r)])):
            pieces = shapely.get_parts(inland.intersection(line))
            for piece in pieces:
                for cut in shapely.get_parts(piece.difference(bay)):
                    # a street a block or two long, with a vertex every vertex_m metres, not quite straight
                    xy = shapely.get_coordinates(shapely.segmentize(cut, vertex_m))
                    xy = xy + rng.normal(0, 2.0, xy.shape)
                    per_way = max(2, int(2 * spacing / vertex_m) + 1)
                    for start in range(0, len(xy) - 1, per_way - 1):
                        tags = {"highway": "residential"}
                        if rng.random() < 0.7:
                            tags["name"] = str(next(names))
                        out.lines(shapely.LineString(xy[start : start + per_way]), tags)

    # a river from the hills in the north-west to the bay, and a lake
    river = _bent(shapely.LineString([(-0.7 * radius, 0.8 * radius), (0.2 * radius, 0.1 * radius), (0.9 * radius, -0.9 * radius)]), rng, 150)  # fmt: skip
    out.lines(river.intersection(land.buffer(60)), {"waterway": "river", "name": "Sungai Contoh"})
    lake = shapely.Point(-0.35 * radius, -0.3 * radius).buffer(0.09 * radius, quad_segs=6)
    out.way(shapely.get_coordinates(lake.exterior), {"natural": "water", "water": "lake", "name": "Danau Biru"})
    out.lines(
        inland.intersection(_bent(shapely.LineString([(-r, 0.45 * radius), (r, 0.7 * radius)]), rng, 60)),
        {"railway": "rail", "name": "Jalur Kereta Contoh"},
    )

    # places: the city, its kecamatan, kelurahan and a few dusun
    centre = city0.centroid
    out.node(centre.x, centre.y, {"place": "city", "name": str(kelurahan["kabkota_nama"].iloc[0])})
    local0 = local.assign(geometry=local.geometry.translate(-cx, -cy))
    for name, group in local0.groupby("kec_nama"):
        point = shapely.union_all(group.geometry.values).point_on_surface()
        out.node(point.x, point.y + 250, {"place": "suburb", "name": f"Kecamatan {name}"})
    for name, geometry in zip(local0["nama"], local0.geometry, strict=True):
        point = geometry.point_on_surface()
        out.node(point.x, point.y - 180, {"place": "village", "name": str(name)})
        out.node(point.x + 140, point.y + 60, {"amenity": "townhall", "name": f"Kantor Kelurahan {name}"})
    for k, name in enumerate(("Kampung Nelayan", "Dusun Bakau", "Kampung Pasar", "Dusun Kelapa")):
        angle = 0.4 + k * 1.6
        out.node(0.55 * radius * np.cos(angle), 0.55 * radius * np.sin(angle), {"place": "hamlet", "name": name})

    def spot(distance: float, angle: float) -> tuple[float, float]:
        return distance * radius * np.cos(angle), distance * radius * np.sin(angle)

    for k, name in enumerate(sorted(local0["kec_nama"].unique())):
        out.node(*spot(0.45, 1.3 * k + 0.2), {"amenity": "clinic", "healthcare": "centre", "name": f"Puskesmas {name}"})
    out.node(*spot(0.1, 2.0), {"amenity": "hospital", "name": "RSUD Kota Contoh"})
    for k in range(12):
        level = "SD Negeri" if k < 8 else "SMP Negeri"
        out.node(*spot(rng.uniform(0.15, 0.85), rng.uniform(0, 2 * np.pi)), {"amenity": "school", "name": f"{level} {k % 8 + 1} Contoh"})  # fmt: skip
    school = shapely.Point(*spot(0.3, 4.0)).buffer(45, quad_segs=2)  # one school drawn as its grounds, an area
    out.way(shapely.get_coordinates(school.exterior), {"amenity": "school", "name": "SMA Negeri 1 Contoh"})
    for name, where in (("Pasar Sentral", (0.08, 0.6)), ("Pasar Ikan", (0.8, -0.5)), ("Pasar Pagi", (0.5, 2.6))):
        out.node(*spot(*where), {"amenity": "marketplace", "name": name})
    worship = [("muslim", "Masjid Raya Al-Ikhlas")] + [("muslim", f"Masjid Nurul Huda {k}") for k in range(1, 7)]
    worship += [("christian", "Gereja Imanuel"), ("christian", "Gereja Katolik Santo Yosef"), ("hindu", "Pura Jagatnatha")]  # fmt: skip
    for religion, name in worship:
        where = spot(rng.uniform(0.1, 0.85), rng.uniform(0, 2 * np.pi))
        out.node(*where, {"amenity": "place_of_worship", "religion": religion, "name": name})

    # the file's box: the island and a band of sea around it
    minx, miny, maxx, maxy = land.buffer(1.6 * radius).bounds
    (west, south), (east, north) = out.to_lonlat(minx, miny), out.to_lonlat(maxx, maxy)
    out.write(Path(path), (west, south, east, north))
    return Path(path)
