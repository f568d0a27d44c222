"""Every generated HTML file is public: scan it for anything personal from the inputs.

For each region run (the test demo, Kota Kupang and, after ``make maps``,
the repository's own ``outputs/demo``), every ``*.html`` beside its outputs
is searched for:

* any sixteen-digit number (a NIK or a KK number);
* any person's name or address from the region's input files (registers,
  member tables, earlier snapshots, OPD beneficiary lists);
* any household coordinate to 4 decimals, as a coordinate pair anywhere in
  the page: decimal pairs and the map's compactly encoded polygons alike.

Polygon vertices that are public geometry by construction are set aside
first, or every vertex near a home would count: the corners of the
published H3 cells (recomputed here with the h3 library from the public
cell ids) and vertices lying on the published kelurahan boundaries.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from pipeline import columns as C
from pipeline.config import load_config
from pipeline.ingest.boundaries import boundaries_from_source
from pipeline.ingest.households import beneficiaries_from_file, read_registers
from pipeline.publish.webmap.geometry import decode_polygons

from .conftest import ROOT

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
DECIMAL_PAIR = re.compile(r"\[\s*(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)\s*\]")
DATA_SCRIPT = re.compile(r'<script type="application/json"[^>]*>(.*?)</script>', re.S)


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", text.lower()))


class Inputs:
    """What is personal in one region's input files."""

    def __init__(self, config_path: Path) -> None:
        config = load_config(config_path)
        self.config = config
        registers = [read_registers(config.households)]
        registers += [read_registers(replace(config.households, paths=s.paths)) for s in config.progress.snapshots]
        households = pd.concat([r.households for r in registers], ignore_index=True)
        members = pd.concat([r.members for r in registers], ignore_index=True)
        lists = [
            beneficiaries_from_file(path, program=program.code)
            for program in config.programs
            for path in program.beneficiaries
        ]
        texts = [households.get(C.NAMA_KK), households.get(C.ALAMAT), members.get(C.NAMA_ANGGOTA)]
        texts += [frame.get("nama") for frame in lists]
        self.names = {
            words
            for series in texts
            if series is not None
            for words in map(_words, series.dropna().astype(str))
            if len(words) >= 2  # one word ("Budi") is too common to be identifying on its own
        }
        self.households = len(households)
        lon = pd.to_numeric(households.get(C.LON), errors="coerce")
        lat = pd.to_numeric(households.get(C.LAT), errors="coerce")
        located = lon.notna() & lat.notna()
        self.homes = pd.DataFrame({"lon": lon[located], "lat": lat[located]})
        self.boundaries = boundaries_from_source(config.boundaries)


def page_pairs(page: str) -> np.ndarray:
    """Every coordinate pair in the page as written ([lon, lat] or [lat, lon]): decimal pairs and decoded polygons."""
    pairs = [(float(a), float(b)) for a, b in DECIMAL_PAIR.findall(page)]
    for block in DATA_SCRIPT.findall(page):
        data = json.loads(block)
        for records in (data.get("kel", []), data.get("kec", []), (data.get("cells") or {}).get("records", [])):
            shapes = decode_polygons([record["g"] for record in records])
            pairs += [tuple(xy) for xy in shapely.get_coordinates(shapes).tolist()]
    return np.unique(np.array(pairs, dtype="float64").reshape(-1, 2).round(7), axis=0)


def _public_vertices(pairs: np.ndarray, outputs: Path, boundaries: gpd.GeoDataFrame) -> np.ndarray:
    """Which page pairs are public geometry: H3 cell corners, or points on the kelurahan boundaries."""
    gpkg = next(outputs.glob("*.gpkg"))
    cells = pyogrio.read_dataframe(gpkg, layer="sel_h3", read_geometry=False, columns=["h3"])["h3"]
    corners = shapely.STRtree(shapely.points([(lng, lat) for c in cells for lat, lng in h3.cell_to_boundary(c)]))
    lines = shapely.union_all(shapely.boundary(boundaries.geometry.values))
    public = np.zeros(len(pairs), dtype=bool)
    for points in (shapely.points(pairs), shapely.points(pairs[:, ::-1])):  # either order
        near, _ = corners.query(points, predicate="dwithin", distance=2e-5)  # the page rounds to 1e-5
        public[near] = True
        public |= shapely.distance(points, lines) < 5e-4  # the web polygons are simplified
    return public


def leaked_homes(page: str, inputs: Inputs, outputs: Path) -> pd.DataFrame:
    """Households whose coordinate pair, to 4 decimals, is a non-public coordinate pair of the page."""
    pairs = page_pairs(page)
    if len(pairs) == 0 or inputs.homes.empty:
        return inputs.homes.iloc[:0]
    pairs = pairs[~_public_vertices(pairs, outputs, inputs.boundaries)]
    written = {(round(x, 4), round(y, 4)) for x, y in pairs}
    lon, lat = inputs.homes["lon"].round(4), inputs.homes["lat"].round(4)
    return inputs.homes[[(x, y) in written or (y, x) in written for x, y in zip(lon, lat, strict=True)]]


def names_in(page: str, names: set[tuple[str, ...]]) -> list[str]:
    """Input names found as a run of words in the page."""
    words = _words(page)
    grams = {words[i : i + n] for n in {len(name) for name in names} for i in range(len(words) - n + 1)}
    return sorted(" ".join(name) for name in names & grams)


def _scan(config_path: Path, outputs: Path) -> list[Path]:
    """Scan the region's HTML files (its folder) and the index beside it, if any."""
    inputs = Inputs(config_path)
    assert inputs.households > 0 and inputs.names and len(inputs.homes) > 0  # the scan has something to find
    pages = sorted([*outputs.rglob("*.html"), *outputs.parent.glob("*.html")])
    assert any(p.name == "peta.html" for p in pages)
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert not SIXTEEN_DIGITS.findall(page), f"{path}: 16-digit numbers"
        assert names_in(page, inputs.names) == [], f"{path}: personal names or addresses"
        leaks = leaked_homes(page, inputs, outputs)
        assert leaks.empty, f"{path}: {len(leaks)} household coordinates, e.g. {leaks.head(3).to_dict('records')}"
    return pages


def test_demo_html_holds_nothing_personal(demo_run: Path) -> None:
    assert len(_scan(demo_run.parents[1] / "uji.toml", demo_run)) >= 1


def test_real_region_html_holds_nothing_personal(kupang_run: Path) -> None:
    assert len(_scan(kupang_run.parents[1] / "kupang.toml", kupang_run)) >= 1


def test_built_demo_html_holds_nothing_personal() -> None:
    outputs = ROOT / "outputs" / "demo"
    if not (outputs / "peta.html").exists():
        pytest.skip("run `make maps` first (`make test` does)")
    pages = _scan(ROOT / "regions" / "demo.toml", outputs)
    assert ROOT / "outputs" / "demo" / "peta.html" in pages


def test_the_scan_finds_a_leak(demo_run: Path) -> None:
    """The scan itself: a page with one household as a marker, a name and a NIK fails each check."""
    inputs = Inputs(demo_run.parents[1] / "uji.toml")
    page = (demo_run / "peta.html").read_text(encoding="utf-8")
    home = inputs.homes.iloc[len(inputs.homes) // 2]
    marker = f"L.marker([{home['lat']:.4f}, {home['lon']:.4f}]).addTo(map);"
    assert len(leaked_homes(page + marker, inputs, demo_run)) >= 1
    name = " ".join(sorted(inputs.names)[0]).title()
    assert names_in(page + f"<td>{name}</td>", inputs.names) == [name.lower()]
    assert SIXTEEN_DIGITS.findall(page + "9971010101900001")
