"""What a build computes once per input file: the cache under ``outputs/<region>/cache/``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from pipeline.ingest.boundary_checks import DIAGNOSTICS_ENTRY
from pipeline.ingest.cache import CacheEntry, cache_key, read_entry, write_entry
from pipeline.publish.webmap.geometry import WEB_GEOMETRY_ENTRY

from .conftest import cli, write_region


def test_an_entry_round_trips_and_only_the_latest_is_kept(tmp_path: Path) -> None:
    table = pd.DataFrame({"masalah": ["celah", "tumpang_tindih"], "luas_m2": [12.5, 3.0]})
    shapes = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    key = cache_key("sha-a", "kelurahan", 32750)
    assert key == cache_key("sha-a", "kelurahan", 32750) and key != cache_key("sha-b", "kelurahan", 32750)
    write_entry(tmp_path, CacheEntry("uji", key, {"tabel": table, "bentuk": shapes}, {"peringatan": ["x"]}))
    entry = read_entry(tmp_path, "uji", key)
    pd.testing.assert_frame_equal(entry.frames["tabel"], table)
    assert isinstance(entry.frames["bentuk"], gpd.GeoDataFrame) and entry.frames["bentuk"].crs.to_epsg() == 4326
    assert entry.frames["bentuk"].geometry.iloc[0].equals(shapely.box(0, 0, 1, 1))
    assert entry.meta == {"peringatan": ["x"]}
    assert read_entry(tmp_path, "uji", cache_key("sha-b")) is None and read_entry(None, "uji", key) is None
    newer = cache_key("sha-b")
    write_entry(tmp_path, CacheEntry("uji", newer, {"tabel": table}))
    assert [p.name for p in (tmp_path / "uji").iterdir()] == [newer]  # one entry per name
    (tmp_path / "uji" / newer / "selesai.json").unlink()  # an entry cut short is not read
    assert read_entry(tmp_path, "uji", newer) is None


def _without_time(page: str) -> str:
    return re.sub(r"Dibuat: [^<]*", "", page)


def test_a_register_refresh_reads_the_boundary_work_from_the_cache(tmp_path: Path) -> None:
    config = write_region(tmp_path, households=2000)
    cli("synth", str(config))
    out = tmp_path / "out"
    cli("run", str(config), "--out", str(out))
    region = out / "uji"
    first_page = (region / "peta.html").read_text(encoding="utf-8")
    first_issues = pyogrio.read_dataframe(region / "uji.gpkg", layer="diagnostik_batas", read_geometry=False)
    cache = region / "cache"
    assert {p.name for p in cache.iterdir()} == {DIAGNOSTICS_ENTRY, WEB_GEOMETRY_ENTRY, "peta_dasar"}
    # the same inputs again: the same map and tables, whether computed or read
    cli("run", str(config), "--out", str(out))
    assert _without_time((region / "peta.html").read_text(encoding="utf-8")) == _without_time(first_page)
    pd.testing.assert_frame_equal(
        pyogrio.read_dataframe(region / "uji.gpkg", layer="diagnostik_batas", read_geometry=False), first_issues
    )
    # the entry is what the build reads: a marked entry shows in the outputs
    (key,) = [p.name for p in (cache / DIAGNOSTICS_ENTRY).iterdir()]
    row = {column: 1.0 if column == "luas_m2" else "" for column in first_issues.columns}
    row |= {"masalah": "celah", "keterangan": "dari cache"}
    marked = pd.concat([first_issues, pd.DataFrame([row])], ignore_index=True)
    entry = read_entry(cache, DIAGNOSTICS_ENTRY, key)
    write_entry(cache, CacheEntry(DIAGNOSTICS_ENTRY, key, {DIAGNOSTICS_ENTRY: marked}, entry.meta))
    cli("run", str(config), "--out", str(out))
    issues = pyogrio.read_dataframe(region / "uji.gpkg", layer="diagnostik_batas", read_geometry=False)
    assert "dari cache" in set(issues["keterangan"])
    # an edited boundary file is another key: computed afresh, and the new name is on the map
    boundaries = tmp_path / "data" / "batas_wilayah.gpkg"
    kelurahan = gpd.read_file(boundaries, layer="kelurahan")
    old_name = kelurahan.loc[0, "nama"]
    kelurahan.loc[0, "nama"] = "Kelurahan Baru"
    kecamatan = gpd.read_file(boundaries, layer="kecamatan")
    shutil.copy(boundaries, tmp_path / "lama.gpkg")
    boundaries.unlink()
    kelurahan.to_file(boundaries, layer="kelurahan")
    kecamatan.to_file(boundaries, layer="kecamatan")
    cli("run", str(config), "--out", str(out))
    issues = pyogrio.read_dataframe(region / "uji.gpkg", layer="diagnostik_batas", read_geometry=False)
    assert "dari cache" not in set(issues["keterangan"])
    pd.testing.assert_frame_equal(issues, first_issues)
    page = (region / "peta.html").read_text(encoding="utf-8")
    assert "Kelurahan Baru" in page and f'"n":"{old_name}"' not in page
    assert [p.name for p in (cache / DIAGNOSTICS_ENTRY).iterdir()] != [key]
