"""The offline basemap: reading an OpenStreetMap extract, the sea from the coastline, the cache, bad extracts.

Extracts are written here with pyosmium's writer, a few features each, so
every count below can be checked by hand.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import osmium
import pyogrio
import pytest
import shapely

from pipeline.ingest import basemap as basemap_module
from pipeline.ingest.basemap import BASEMAP_LAYERS, basemap_box, read_basemap, store_basemap
from pipeline.ingest.coast import sea_polygons
from pipeline.ingest.osm import BasemapError, read_osm

from .conftest import cli, write_region

BOX = (124.0, -10.0, 124.1, -9.9)  # a 0.1° region (about Kupang's size), in WGS84


def write_pbf(path: Path, nodes: list[tuple[float, float, dict]], ways: list[tuple[list, dict]], box=None) -> Path:
    """An extract: tagged nodes as given, each way as its own nodes (lon, lat) with tags."""
    header = osmium.io.Header()
    if box is not None:
        header.add_box(osmium.osm.Box(osmium.osm.Location(box[0], box[1]), osmium.osm.Location(box[2], box[3])))
    writer = osmium.SimpleWriter(str(path), header=header, overwrite=True)
    next_id = 1
    refs_of = []
    for coords, _tags in ways:
        refs = []
        for lon, lat in coords:
            writer.add_node(osmium.osm.mutable.Node(id=next_id, location=(lon, lat), version=1))
            refs.append(next_id)
            next_id += 1
        if coords[0] == coords[-1]:  # closed: the last node is the first
            refs[-1] = refs[0]
        refs_of.append(refs)
    for lon, lat, tags in nodes:
        writer.add_node(osmium.osm.mutable.Node(id=next_id, location=(lon, lat), tags=tags, version=1))
        next_id += 1
    for i, ((_coords, tags), refs) in enumerate(zip(ways, refs_of, strict=True), start=1):
        writer.add_way(osmium.osm.mutable.Way(id=i, nodes=refs, tags=tags, version=1))
    writer.close()
    return path


def _square(x0: float, y0: float, side: float) -> list[tuple[float, float]]:
    """A closed square, counter-clockwise."""
    return [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side), (x0, y0)]


def small_extract(path: Path) -> Path:
    """One of each thing the basemap keeps, and things it must leave out."""
    nodes = [
        (124.05, -9.95, {"place": "village", "name": "Oebobo"}),
        (124.06, -9.96, {"place": "hamlet", "name": "Dusun Satu"}),
        (125.50, -9.50, {"place": "city", "name": "Jauh Sekali"}),  # far outside the box
        (124.02, -9.98, {"amenity": "townhall", "name": "Kantor Kelurahan Oebobo"}),
        (124.03, -9.98, {"amenity": "clinic", "name": "Puskesmas Oebobo"}),
        (124.03, -9.97, {"amenity": "clinic", "name": "Klinik Pratama Sehat"}),  # a private clinic: not kept
        (124.04, -9.97, {"amenity": "hospital", "name": "RSUD Kota"}),
        (124.04, -9.96, {"amenity": "place_of_worship", "religion": "muslim", "name": "Masjid Raya"}),
        (124.05, -9.96, {"amenity": "place_of_worship", "religion": "christian", "name": "Gereja Kota"}),
        (124.05, -9.97, {"amenity": "marketplace", "name": "Pasar Oeba"}),
        (124.05, -9.98, {"shop": "convenience", "name": "Toko"}),  # not a key the basemap reads
    ]
    ways = [
        ([(124.01, -9.95), (124.09, -9.95)], {"highway": "primary", "name": "Jalan El Tari"}),
        ([(124.01, -9.96), (124.02, -9.96)], {"highway": "residential", "name": "Jalan Mawar"}),
        ([(124.01, -9.97), (124.02, -9.97)], {"highway": "service"}),  # not a road class
        ([(124.01, -9.99), (124.02, -9.99)], {"highway": "footway"}),  # not a road class
        ([(126.00, -9.00), (126.01, -9.00)], {"highway": "trunk", "name": "Jalan Jauh"}),  # 2° away
        ([(124.00, -9.92), (124.10, -9.92)], {"railway": "rail"}),
        ([(124.07, -9.90), (124.07, -10.0)], {"waterway": "river", "name": "Sungai Dendeng"}),
        (_square(124.08, -9.99, 0.005), {"natural": "water", "name": "Embung"}),
        (_square(124.06, -9.99, 0.002), {"amenity": "school", "name": "SD Inpres"}),  # a school's grounds
    ]
    return write_pbf(path, nodes, ways, box=(123.5, -10.5, 124.5, -9.5))


def test_sea_from_the_coastline_worked_example() -> None:
    box = shapely.box(0, 0, 10, 10)
    # a shore walked west to east: land on the left (north), sea on the right (south): 10 x 4 = 40
    sea = sea_polygons(np.array([shapely.LineString([(-1, 4), (11, 4)])]), box)
    assert sea.area == pytest.approx(40) and sea.bounds == pytest.approx((0, 0, 10, 4))
    # walked east to west, the sea is the northern 10 x 6 = 60
    sea = sea_polygons(np.array([shapely.LineString([(11, 4), (-1, 4)])]), box)
    assert sea.area == pytest.approx(60) and sea.bounds == pytest.approx((0, 4, 10, 10))
    # an island drawn counter-clockwise (land on the left): the sea is the box minus the 4 x 4 island = 84
    island = shapely.LineString(_square(3, 3, 4))
    assert shapely.LinearRing(island.coords).is_ccw
    assert sea_polygons(np.array([island]), box).area == pytest.approx(84)
    # an island in two ways meeting end to end, as OSM splits long coastlines: the same 84
    coords = _square(3, 3, 4)
    halves = np.array([shapely.LineString(coords[:3]), shapely.LineString(coords[2:])])
    assert sea_polygons(halves, box).area == pytest.approx(84)
    # no shore inside the box: nothing to tell land from sea
    assert sea_polygons(np.array([shapely.LineString([(20, 0), (30, 0)])]), box) is None


def test_read_osm_keeps_the_classes_near_the_region(tmp_path: Path) -> None:
    found = read_osm(small_extract(tmp_path / "kecil.osm.pbf"), bbox=BOX)
    lines = found.lines.sort_values("osm")
    assert list(zip(lines["jenis"], lines["kelas"], lines["osm"], strict=True)) == [
        ("jalan", "arteri", "primary"),
        ("rel", "rel", "rail"),
        ("jalan", "lingkungan", "residential"),
        ("air", "sungai", "river"),
    ]  # service and footway left out, and the trunk 2° away never built
    assert found.lines.set_index("osm").loc["primary", "nama"] == "Jalan El Tari"
    places = found.points[found.points["jenis"] == "tempat"]
    assert sorted(zip(places["kelas"], places["nama"], strict=True)) == [
        ("desa_kelurahan", "Oebobo"),
        ("dusun", "Dusun Satu"),
    ]
    facilities = found.points[found.points["jenis"] == "fasilitas"]
    assert sorted(zip(facilities["kelas"], facilities["nama"], strict=True)) == [
        ("gereja", "Gereja Kota"),
        ("kantor_desa", "Kantor Kelurahan Oebobo"),
        ("masjid", "Masjid Raya"),
        ("pasar", "Pasar Oeba"),
        ("puskesmas", "Puskesmas Oebobo"),
        ("rumah_sakit", "RSUD Kota"),
        ("sekolah", "SD Inpres"),  # the area's point
    ]
    school = facilities[facilities["nama"] == "SD Inpres"].geometry.iloc[0]
    assert shapely.Polygon(_square(124.06, -9.99, 0.002)).contains(school)
    assert list(found.areas["kelas"]) == ["danau"] and found.areas.geometry.iloc[0].area == pytest.approx(0.005**2)
    assert found.extent == pytest.approx((123.5, -10.5, 124.5, -9.5))  # the file's header box
    assert len(found.coastline) == 0 and found.shore_hints == 0


def test_basemap_layers_cache_and_a_new_extract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extract = small_extract(tmp_path / "kecil.osm.pbf")
    cache = tmp_path / "cache"
    first = read_basemap(extract, bounds=BOX, cache=cache, region="uji")
    assert first.drawn and first.warnings == [] and first.coverage == pytest.approx(1.0)
    assert list(first.layers) == list(BASEMAP_LAYERS)
    counts = {name: len(frame) for name, frame in first.layers.items()}
    assert counts == {"perairan": 1, "sungai": 1, "jalan": 3, "tempat": 2, "fasilitas_umum": 7}
    assert not cache.exists()  # reading writes nothing: the build stores the entry with its outputs
    store_basemap(first, cache)
    (entry,) = (cache / "peta_dasar").iterdir()
    assert (entry / "selesai.json").is_file()

    def refuse(*args, **kwargs):
        raise AssertionError("the extract was read again although it has not changed")

    monkeypatch.setattr(basemap_module, "read_osm", refuse)
    second = read_basemap(extract, bounds=BOX, cache=cache, region="uji")
    assert {name: len(frame) for name, frame in second.layers.items()} == counts
    assert second.layers["jalan"].geometry.geom_equals(first.layers["jalan"].geometry).all()
    monkeypatch.undo()
    # a new extract (another sha256) is read, and replaces the old entry
    write_pbf(extract, [(124.05, -9.95, {"place": "village", "name": "Baru"})], [], box=(123.5, -10.5, 124.5, -9.5))
    third = read_basemap(extract, bounds=BOX, cache=cache, region="uji")
    assert list(third.layers["tempat"]["nama"]) == ["Baru"]
    store_basemap(third, cache)
    assert [p.name for p in (cache / "peta_dasar").iterdir()] != [entry.name]
    assert len(list((cache / "peta_dasar").iterdir())) == 1


def test_far_from_the_region_only_the_main_classes_are_kept(tmp_path: Path) -> None:
    west, south, east, north = BOX
    far = east + 0.04  # beyond the near margin (15 % of 0.1° = 0.015°), inside the drawn box (60 %)
    ways = [
        ([(far, -9.95), (far + 0.005, -9.95)], {"highway": "residential", "name": "Gang Jauh"}),
        ([(far, -9.96), (far + 0.005, -9.96)], {"highway": "primary", "name": "Jalan Jauh"}),
    ]
    nodes = [(far, -9.97, {"amenity": "school", "name": "SD Jauh"}), (far, -9.98, {"place": "town", "name": "Kota B"})]
    layers = read_basemap(write_pbf(tmp_path / "jauh.osm.pbf", nodes, ways, box=(123, -11, 125, -9)), bounds=BOX).layers
    assert list(layers["jalan"]["nama"]) == ["Jalan Jauh"]
    assert list(layers["tempat"]["nama"]) == ["Kota B"] and len(layers["fasilitas_umum"]) == 0
    assert basemap_box(BOX) == pytest.approx((west - 0.06, south - 0.06, east + 0.06, north + 0.06))


def _corrupt(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(range(64))  # garbage inside a compressed block
    target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("truncated", "truncated or corrupt"),
        ("corrupt", "truncated or corrupt"),
        ("geojson", "not an OpenStreetMap PBF file"),
        ("zip", "not an OpenStreetMap PBF file"),
        ("missing", "basemap extract not found"),
    ],
)
def test_a_bad_extract_is_one_warning_and_no_basemap(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str, expected: str
) -> None:
    good = small_extract(tmp_path / "baik.osm.pbf")
    bad = tmp_path / f"{case}.osm.pbf"
    if case == "truncated":
        bad.write_bytes(good.read_bytes()[: int(good.stat().st_size * 0.6)])
    elif case == "corrupt":
        _corrupt(good, bad)
    elif case == "geojson":
        bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    elif case == "zip":
        bad.write_bytes(b"PK\x03\x04" + bytes(200))
    with caplog.at_level(logging.WARNING):
        result = read_basemap(bad, bounds=BOX, cache=tmp_path / "cache", region="kupang")
    assert not result.drawn
    (warning,) = result.warnings
    assert str(bad) in warning and expected in warning and "make basemap REGION=kupang" in warning
    assert "\n" not in warning and "Traceback" not in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [warning]
    with pytest.raises(BasemapError):
        read_osm(bad, bbox=BOX)


def test_an_extract_that_does_not_cover_the_region_says_how_much_it_does(tmp_path: Path) -> None:
    nodes = [(124.07, -9.95, {"place": "village", "name": "Timur"})]
    # the file covers longitudes 124.05 to 125: half of the region's box (124.0 to 124.1)
    half = read_basemap(write_pbf(tmp_path / "separuh.osm.pbf", nodes, [], box=(124.05, -11, 125, -9)), bounds=BOX)
    assert half.coverage == pytest.approx(0.5)
    (warning,) = half.warnings
    assert "covers 50 % of the region's area" in warning and "drawn where it covers it" in warning
    assert list(half.layers["tempat"]["nama"]) == ["Timur"]
    # another island's extract: nothing of the region, nothing drawn
    elsewhere = write_pbf(tmp_path / "lain.osm.pbf", [(110.0, -7.0, {"place": "city", "name": "X"})], [], box=(109, -8, 111, -6))  # fmt: skip
    none = read_basemap(elsewhere, bounds=BOX)
    assert none.coverage == 0 and not none.drawn
    assert "covers 0 % of the region's area" in none.warnings[0] and "not drawn" in none.warnings[0]


def test_no_coastline_where_the_region_has_a_shore_is_said(tmp_path: Path) -> None:
    nodes = [(124.02, -9.99, {"natural": "beach", "name": "Pantai Lasiana"}), (124.03, -9.99, {"man_made": "pier"})]
    ways = [([(124.01, -9.95), (124.09, -9.95)], {"highway": "primary"})]
    filtered = read_basemap(write_pbf(tmp_path / "jalan_saja.osm.pbf", nodes, ways, box=(123, -11, 125, -9)), bounds=BOX)  # fmt: skip
    (warning,) = filtered.warnings
    assert "no coastline" in warning and "2 beach/harbour/pier features" in warning and "unfiltered" in warning
    assert filtered.drawn  # the roads are still drawn
    # with the coastline (west to east at -9.97: land north, sea south) the sea is there and nothing is said
    coast = ([(123.9, -9.97), (124.2, -9.97)], {"natural": "coastline"})
    shore = read_basemap(write_pbf(tmp_path / "pantai.osm.pbf", nodes, [*ways, coast], box=(123, -11, 125, -9)), bounds=BOX)  # fmt: skip
    assert shore.warnings == []
    sea = shore.layers["perairan"]
    (west, south, east, _north) = basemap_box(BOX)
    assert list(sea["kelas"]) == ["laut"]
    assert sea.geometry.iloc[0].area == pytest.approx((east - west) * (-9.97 - south))


def _said(result) -> str:
    """What a command printed, on one line (the console wraps long lines)."""
    return " ".join((result.stdout + result.stderr).split())


def test_a_region_with_a_broken_extract_still_builds(tmp_path: Path) -> None:
    config = write_region(tmp_path, households=3000)
    cli("synth", str(config))
    extract = tmp_path / "data" / "peta_dasar.osm.pbf"
    assert extract.stat().st_size > 5_000  # kantong synth wrote the demo's invented extract
    original = extract.read_bytes()
    extract.write_bytes(b"<?xml version='1.0'?><osm></osm>")  # an .osm XML file under a .pbf name
    checked = _said(cli("check", str(config)))  # a warning, not an error: the map still builds
    assert "basemap not drawn" in checked and "not an OpenStreetMap PBF file" in checked and "ok: no error" in checked
    extract.write_bytes(original)
    _corrupt(extract, extract)
    result = cli("run", str(config), "--out", str(tmp_path / "outputs"))
    said = _said(result)
    assert said.count("truncated or corrupt") == 1 and "make basemap REGION=uji" in said
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "outputs" / "uji" / "cache" / "peta_dasar").exists()  # nothing to keep from a broken extract
    page = (tmp_path / "outputs" / "uji" / "peta.html").read_text(encoding="utf-8")
    assert 'id="kantong-peta-dasar"' not in page and "Peta dasar luring tidak dapat dibaca" in page
    assert "jalan" not in {name for name, _ in pyogrio.list_layers(tmp_path / "outputs" / "uji" / "uji.gpkg")}


def test_a_region_without_basemap_says_how_to_add_one(kupang_run: Path) -> None:
    page = (kupang_run / "peta.html").read_text(encoding="utf-8")
    assert 'id="kantong-peta-dasar"' not in page
    assert "Peta dasar luring belum dipasang" in page and "[basemap] osm" in page and "make basemap" in page
    checked = _said(cli("check", str(kupang_run.parents[1] / "kupang.toml")))
    assert "peta dasar: tidak ada ([basemap] osm)" in checked


def test_make_basemap_fetches_from_the_mirror_and_checks_the_sha256(tmp_path: Path) -> None:
    import hashlib

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    extract = small_extract(mirror / "nusa-tenggara-latest.osm.pbf")
    digest = hashlib.sha256(extract.read_bytes()).hexdigest()
    (mirror / "nusa-tenggara-latest.osm.pbf.md5").write_text(
        hashlib.md5(extract.read_bytes()).hexdigest() + "  nusa-tenggara-latest.osm.pbf\n", encoding="utf-8"
    )
    entry = (
        '[nusa_tenggara]\nregions = ["kupang", "dompu"]\n'
        'url = "https://download.geofabrik.de/asia/indonesia/nusa-tenggara-latest.osm.pbf"\nsha256 = ""\n'
        'mirror_path = "nusa-tenggara-latest.osm.pbf"\nsource = "Geofabrik"\nlicence = "ODbL 1.0"\n'
    )
    sources = tmp_path / "basemaps.toml"
    sources.write_text(entry, encoding="utf-8")
    env = {"KANTONG_OSM_MIRROR": str(mirror)}
    args = ("basemap", "dompu", "--sources", str(sources), "--out", str(tmp_path / "osm"))
    # not pinned yet: refused in one line that says how to pin
    refused = cli(*args, check=False, env=env)
    assert refused.returncode != 0 and "no sha256 listed yet" in refused.stderr and "PIN=1" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "osm" / "nusa_tenggara.osm.pbf").exists()
    # pinned: checked against the publisher's .md5, the sha256 written into the sources file
    cli(*args, "--pin", env=env)
    assert (tmp_path / "osm" / "nusa_tenggara.osm.pbf").read_bytes() == extract.read_bytes()
    assert f'sha256 = "{digest}"' in sources.read_text(encoding="utf-8")
    extract.rename(extract.with_suffix(".away"))  # up to date: nothing is fetched, even with the mirror gone
    again = cli(*args, env=env)
    assert "ready:" in again.stdout + again.stderr
    extract.with_suffix(".away").rename(extract)
    # the mirror's copy changed: refused, the good file stays
    (tmp_path / "osm" / "nusa_tenggara.osm.pbf").unlink()
    extract.write_bytes(extract.read_bytes() + b"\0")
    changed = cli(*args, check=False, env=env)
    assert changed.returncode != 0 and f"lists {digest}" in changed.stderr
    assert not list((tmp_path / "osm").glob("*.part")) and not (tmp_path / "osm" / "nusa_tenggara.osm.pbf").exists()
    unknown = cli("basemap", "bontang", "--sources", str(sources), check=False, env=env)
    assert "no extract lists region 'bontang'" in unknown.stderr
