from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from pipeline import columns as C
from pipeline.errors import PrivacyError
from pipeline.publish.files import atomic_path
from pipeline.publish.write import to_geopackage, to_restricted

from .conftest import ROOT


def test_geopackage_reads_back_with_gdal(grid3: gpd.GeoDataFrame, tmp_path: Path) -> None:
    layer = grid3.assign(jumlah_kk=pd.array([5, None, 7, 1, 2, 3, 4, 5, 6], dtype="Int64"), persen_miskin=12.5)
    table = pd.DataFrame({"alasan": ["a"], "jumlah_baris": [3]})
    path = to_geopackage(
        {"kelurahan": layer, "validasi": table}, tmp_path / "uji.gpkg", descriptions={"kelurahan": "Uji"}
    )
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"kelurahan": "Polygon", "validasi": None}
    info = pyogrio.read_info(path, layer="kelurahan")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["jumlah_kk"] == "int64" and types["persen_miskin"] == "float64"
    assert info["crs"] == "EPSG:4326"
    back = pyogrio.read_dataframe(path, layer="kelurahan")
    assert back["jumlah_kk"].isna().sum() == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2 for older QGIS
        assert db.execute("SELECT description FROM gpkg_contents WHERE table_name='kelurahan'").fetchone()[0] == "Uji"
        extensions = {r[0] for r in db.execute("SELECT extension_name FROM gpkg_extensions")}
        assert "gpkg_rtree_index" in extensions


def test_public_geopackage_refuses_personal_columns(grid3: gpd.GeoDataFrame, tmp_path: Path) -> None:
    with pytest.raises(PrivacyError):
        to_geopackage({"x": grid3.assign(**{C.NIK: "9971010101900001"})}, tmp_path / "x.gpkg")
    assert not (tmp_path / "x.gpkg").exists()


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "peta.html"
    target.write_text("lama", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("setengah", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "lama"
    assert [p.name for p in tmp_path.iterdir()] == ["peta.html"]


def test_killed_writer_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "besar.txt"
    target.write_text("lama", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pipeline.publish.files import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            with open(tmp, "w") as handle:
                handle.write("x" * 1000)
                handle.flush()
                os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == -9
    assert target.read_text(encoding="utf-8") == "lama"


def test_restricted_tier_is_owner_only(tmp_path: Path) -> None:
    folder = to_restricted(
        {"karantina": pd.DataFrame({C.NIK: ["9971010101900001"], C.ALASAN: ["id_ganda"]})}, tmp_path / "terbatas"
    )
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in ("README.txt", "karantina.csv"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    assert "UU" in (folder / "README.txt").read_text(encoding="utf-8")
    assert pd.read_csv(folder / "karantina.csv", dtype=str)[C.NIK].tolist() == ["9971010101900001"]
