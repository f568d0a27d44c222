"""Register coordinates under the headers real exports use, and a loud warning when there are none."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.ingest.coordinates import coordinate_shortfalls, shortfall_texts
from pipeline.ingest.headers import header_mapping
from pipeline.run import analyse_region
from pipeline.text import split_coordinates

from .conftest import cli, synth_region, write_region


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Latitude (Y)", "Longitude (X)"], {"Latitude (Y)": C.LAT, "Longitude (X)": C.LON}),
        (["Lintang", "Bujur"], {"Lintang": C.LAT, "Bujur": C.LON}),
        (["Koordinat"], {"Koordinat": C.KOORDINAT}),
        (["_geolocation"], {"_geolocation": C.KOORDINAT}),
        (  # KoboToolbox: a geopoint "gps" split into columns, altitude and precision beside them
            ["_gps_latitude", "_gps_longitude", "_gps_altitude", "_gps_precision"],
            {"_gps_latitude": C.LAT, "_gps_longitude": C.LON},
        ),
        (  # ODK Central
            ["lokasi-Latitude", "lokasi-Longitude", "lokasi-Altitude", "lokasi-Accuracy"],
            {"lokasi-Latitude": C.LAT, "lokasi-Longitude": C.LON},
        ),
        (["Lat", "Lng (X)"], {"Lat": C.LAT, "Lng (X)": C.LON}),
    ],
    ids=["latitude-y", "lintang-bujur", "koordinat", "kobo-geolocation", "kobo-split", "odk", "short"],
)
def test_coordinate_headers_are_recognised(headers: list[str], expected: dict[str, str]) -> None:
    mapping = header_mapping(["ID Keluarga", "Desil", *headers])
    assert {h: c for h, c in mapping.items() if h in headers} == expected


def test_one_coordinate_column_is_split() -> None:
    cells = pd.Series(
        ["-10.17, 123.58", "[-10.17, 123.58]", "-10,17; 123,58", "-10.17 123.58 12 5", ", ", "GPS HP", "-10.1, 123.5x"]
    )
    lat, lon = split_coordinates(cells)
    assert lat.tolist()[:4] == ["-10.17"] * 4 and lon.tolist()[:4] == ["123.58"] * 4
    assert (lat[4], lon[4]) == ("", "")  # separators only: no coordinates
    assert (lat[6], lon[6]) == ("-10.1, 123.5x", "")  # not two numbers: incomplete
    assert (lat[5], lon[5]) == ("GPS HP", "")  # text: reported as incomplete, not silently absent


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_region(tmp_path_factory.mktemp("coordinates"), households=3000)


def _register(region: Path) -> pd.DataFrame:
    return pd.read_csv(region.parent / "data" / "rumah_tangga.csv", dtype=str, keep_default_na=False)


def _with_register(region: Path, frame: pd.DataFrame, name: str) -> Path:
    """A copy of the region reading ``frame`` as its register."""
    frame.to_csv(region.parent / "data" / name, index=False)
    text = region.read_text(encoding="utf-8").replace("data/rumah_tangga.csv", f"data/{name}")
    copy = region.parent / f"{name}.toml"
    copy.write_text(text.replace('slug = "uji"', f'slug = "{name.split(".")[0]}"'), encoding="utf-8")
    return copy


def test_latitude_y_longitude_x_registers_keep_every_point(region: Path) -> None:
    baseline = analyse_region(load_config(region))
    located = int(baseline.kelurahan[C.KK_BERKOORDINAT].sum())
    assert located > 0 and baseline.coordinate_shortfalls.empty
    frame = _register(region).rename(columns={"Latitude": "Latitude (Y)", "Longitude": "Longitude (X)"})
    renamed = analyse_region(load_config(_with_register(region, frame, "lat_y.csv")))
    assert int(renamed.kelurahan[C.KK_BERKOORDINAT].sum()) == located
    # one "Koordinat" column holding "lat, lon": the same points again
    both = frame.assign(Koordinat=frame["Latitude (Y)"] + ", " + frame["Longitude (X)"])
    one = analyse_region(
        load_config(_with_register(region, both.drop(columns=["Latitude (Y)", "Longitude (X)"]), "koordinat.csv"))
    )
    assert int(one.kelurahan[C.KK_BERKOORDINAT].sum()) == located
    assert one.rows_in == len(one.households) + len(one.quarantine)


def test_a_register_without_coordinates_is_reported_loudly(region: Path, caplog: pytest.LogCaptureFixture) -> None:
    frame = _register(region).drop(columns=["Latitude", "Longitude"])
    config = _with_register(region, frame, "tanpa_titik.csv")
    out = region.parent / "outputs"
    result = cli("run", str(config), "--out", str(out))
    assert "only 0 of" in result.stderr + result.stdout and "coordinates" in result.stderr + result.stdout
    folder = out / "tanpa_titik"
    report = (folder / "laporan_validasi.md").read_text(encoding="utf-8")
    assert "## Peringatan" in report and "Koordinat kurang: hanya 0 % KK dari tanpa_titik.csv" in report
    page = (folder / "peta.html").read_text(encoding="utf-8")
    assert 'class="kantong-peringatan"' in page and "Koordinat kurang" in page
    summary = json.loads((folder / "ringkasan.json").read_text(encoding="utf-8"))
    assert summary["peringatan"] and summary["ringkasan"]["jumlah_kantong"] == 0


def test_the_share_that_warns_is_configurable() -> None:
    by_file = pd.DataFrame(
        {
            C.FILE_SUMBER: ["a.csv", "b.xlsx", "c.csv"],
            C.LEMBAR_SUMBER: ["", "Keluarga", ""],
            "baris_diterima": [100, 200, 0],
            "baris_berkoordinat": [60, 90, 0],
        }
    )
    # 60 % and 45 %: at the default 50 % only b.xlsx is short; at 70 % both; c.csv has no rows to judge
    assert coordinate_shortfalls(by_file)[C.FILE_SUMBER].tolist() == ["b.xlsx"]
    short = coordinate_shortfalls(by_file, min_share=0.7)
    assert short[C.FILE_SUMBER].tolist() == ["a.csv", "b.xlsx"]
    assert short[C.PERSEN_BERKOORDINAT].tolist() == [60.0, 45.0]
    assert "(lembar Keluarga)" in shortfall_texts(short, min_share=0.7)[1]


def test_min_located_share_must_be_a_share(tmp_path: Path) -> None:
    path = write_region(tmp_path)
    text = path.read_text(encoding="utf-8").replace("min_located_share = 0.5", "min_located_share = 50")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="min_located_share.*share from 0 to 1"):
        load_config(path)


def test_a_register_without_member_counts_shows_no_people_figure(region: Path) -> None:
    frame = _register(region).drop(columns=["Jumlah Anggota Keluarga"])
    config = _with_register(region, frame, "tanpa_anggota.csv")
    # the demo also reads a member table, which would give the counts: leave it out
    text = config.read_text(encoding="utf-8").replace(', "data/anggota_keluarga.csv"', "")
    config.write_text(text, encoding="utf-8")
    analysis = analyse_region(load_config(config))
    assert analysis.summary[C.JUMLAH_JIWA] is None and analysis.summary["jiwa_tidak_diketahui"]
    assert analysis.kelurahan[C.JUMLAH_JIWA].isna().all() and analysis.summary[C.JUMLAH_KK] > 0
    out = region.parent / "outputs"
    cli("run", str(config), "--out", str(out))
    page = (out / "tanpa_anggota" / "peta.html").read_text(encoding="utf-8")
    assert 'Jumlah jiwa</td><td class="angka">tidak diketahui (register tanpa jumlah anggota)' in page
