from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pipeline import columns as C
from pipeline.config import expand_path, load_config
from pipeline.errors import ConfigError
from pipeline.settings import PovertyRule

from .conftest import ROOT, write_region

REGION_FILES = sorted((ROOT / "regions").glob("*.toml"))


@pytest.mark.parametrize("path", REGION_FILES, ids=[p.stem for p in REGION_FILES])
def test_every_shipped_region_config_loads(path: Path) -> None:
    config = load_config(path)
    assert config.slug == path.stem
    assert config.min_households == 5
    assert config.poverty.method == "desil"
    assert {p.code for p in config.programs} >= {"pkh", "bpnt", "pbi_jkn"}
    assert config.is_synthetic  # every shipped region uses synthetic households


def test_seed_region_boundaries_resolve_to_shared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KANTONG_SHARED_DATA", str(tmp_path))
    config = load_config(ROOT / "regions" / "kupang.toml")
    assert config.boundaries.path == tmp_path / "boundaries" / "kupang" / "kupang_admin_boundaries.gpkg"


def test_expand_path_default_and_missing_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KANTONG_NOT_SET", raising=False)
    assert expand_path("${KANTONG_NOT_SET:-a}/b.csv", base=tmp_path) == tmp_path / "a" / "b.csv"
    with pytest.raises(ConfigError, match="KANTONG_NOT_SET"):
        expand_path("${KANTONG_NOT_SET}/b.csv", base=tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('slug = "uji"', 'slug = "Uji Kota"', "lower-case"),
        ('method = "desil"', 'method = "pendapatan"', "method 'pendapatan' is unknown"),
        ("poor_max_decile = 4", "poor_max_decile = 0", "'poor_max_decile' must be 1..10, found 0"),
        ("extreme_max_decile = 1", "extreme_max_decile = 5", "extreme_max_decile <= poor_max_decile"),
        ("min_households = 5", "min_households = 0", "'min_households' must be >= 2"),
        ('funding = "APBD"', 'funding = "Hibah"', "funding 'Hibah' is unknown"),
        ('data_date = "2026-09-30"', 'data_date = "30/09/2026"', "is not a date"),
        ("permutations = 999", "permutations = 9", "'permutations' must be >= 99"),
        # the hostile-input corpus (tests/CORPUS.md, item 4): privacy settings are never lost
        (
            "min_households = 5",
            "min_houshold = 10",
            r"line \d+: unknown key 'min_houshold' in \[privacy\]; did you mean 'min_households'",
        ),
        ("[privacy]", "[privasi]", r"unknown table 'privasi' at the top level; did you mean 'privacy'"),
        ("min_households = 5", "min_households = true", "'min_households' must be a whole number, found True"),
        ("min_households = 5", "min_households = 9.9", "'min_households' must be a whole number, found 9.9"),
        ("min_households = 5", "min_households = 1", "'min_households' must be >= 2"),
        ("significance = 0.05", 'significance = "lima persen"', "'significance' must be a number"),
        ('projected_crs = ""', 'projected_crs = "EPSG:999999"', "not a CRS pyproj knows"),
        ('projected_crs = ""', 'projected_crs = "EPSG:4326"', "is not projected"),
        ("permutations = 999", "permutasi = 999", "unknown key 'permutasi' in \\[analysis\\]"),
        ("min_pocket_households = 10", "min_pocket_households = 4", "'min_pocket_households' must be >= 5, found 4"),
    ],
    ids=[
        "slug",
        "method",
        "deciles",
        "decile-order",
        "k",
        "funding",
        "date",
        "permutations",
        "key-typo",
        "table-typo",
        "bool",
        "float",
        "k-1",
        "significance-text",
        "crs-unknown",
        "crs-degrees",
        "analysis-typo",
        "pocket-below-k",
    ],
)
def test_bad_config_values_say_what_and_how(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = write_region(tmp_path)
    text = path.read_text(encoding="utf-8")
    changed = re.sub(rf"(?m)^{re.escape(old)}", new, text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    # the message names the file and the line that holds the wrong value
    line = changed[: changed.index(new)].count("\n") + 1
    assert str(caught.value).startswith(str(path)) and f"line {line}" in str(caught.value)


def test_an_input_path_that_names_no_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write_region(tmp_path)
    text = path.read_text(encoding="utf-8")
    real = re.sub(r"(?ms)^\[synthetic\].*", "", text).replace("data/rumah_tangga.csv", "data/rumah_tanga.csv")
    path.write_text(real, encoding="utf-8")
    (tmp_path / "data").mkdir()
    for name in (
        "batas_wilayah.gpkg",
        "anggota_keluarga.csv",
        "penerima_rtlh_perkim.xlsx",
        "rumah_tangga_2026-06-30.csv",
    ):
        (tmp_path / "data" / name).touch()  # only the register is missing
    line = real[: real.index("rumah_tanga.csv")].count("\n") + 1
    with pytest.raises(
        ConfigError, match=rf"line {line} \[households\]: 'paths' names .*rumah_tanga.csv, which does not"
    ):
        load_config(path)
    for name in (
        "batas_wilayah.gpkg",
        "anggota_keluarga.csv",
        "penerima_rtlh_perkim.xlsx",
        "rumah_tangga_2026-06-30.csv",
    ):
        (tmp_path / "data" / name).unlink()
    # a synthetic region's inputs do not exist until `kantong synth` writes them
    path.write_text(text, encoding="utf-8")
    assert not any((tmp_path / "data").iterdir()) and load_config(path).is_synthetic


def test_columns_of_a_known_layout_say_delete_the_table(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    from pipeline.errors import InputError
    from pipeline.ingest.boundaries import clean_boundaries

    rbi = gpd.GeoDataFrame(
        {"KDEPUM": ["64.74.01.1001"], "WADMKD": ["Uji"], "geometry": [shapely.box(117, 0, 117.01, 0.01)]},
        crs="EPSG:4326",
    )
    with pytest.raises(
        InputError, match="BIG RBI layout, which is recognised: delete the \\[boundaries.columns\\] table"
    ):
        clean_boundaries(rbi, columns={C.KODE_KEL: "kode", C.NAMA_KEL: "nama"}, source="rbi.geojson")


def test_missing_config_file_points_to_demo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kantong init <slug> --boundaries"):
        load_config(tmp_path / "nope.toml")


def test_expenditure_lines_pick_the_newest_valid_on_the_data_date(tmp_path: Path) -> None:
    path = write_region(tmp_path)
    text = re.sub(
        r'(?m)^method = "desil"',
        '''method = "garis_kemiskinan"
[[poverty.lines]]
kind = "miskin"
valid_from = "2024-03-01"
rupiah_per_capita_month = 582932
source = "BPS Maret 2024"
[[poverty.lines]]
kind = "miskin"
valid_from = "2025-03-01"
rupiah_per_capita_month = 609160
source = "BPS Maret 2025"
[[poverty.lines]]
kind = "miskin_ekstrem"
valid_from = "2022-01-01"
rupiah_per_capita_month = 322170
source = "Kepmenko PMK 32/2022"''',
        # the decile keys would land inside the last [[poverty.lines]] entry, where the strict reader refuses them
        re.sub(r"(?m)^(extreme|poor)_max_decile = .*$", "", path.read_text(encoding="utf-8")),
    )
    path.write_text(text, encoding="utf-8")
    rule = load_config(path).poverty
    assert rule.line_for(C.MISKIN, dt.date(2024, 12, 31)).rupiah_per_capita_month == 582932
    assert rule.line_for(C.MISKIN, dt.date(2026, 9, 30)).rupiah_per_capita_month == 609160
    with pytest.raises(ConfigError, match="no 'miskin' line valid on 2023-01-01"):
        rule.line_for(C.MISKIN, dt.date(2023, 1, 1))
    assert "Rp609.160" in rule.describe(dt.date(2026, 9, 30))


def test_decile_rule_description_is_indonesian() -> None:
    assert PovertyRule().describe() == "miskin ekstrem: desil ≤ 1; miskin & rentan: desil ≤ 4"


def test_minimum_pocket_size_defaults_to_twice_k(tmp_path: Path) -> None:
    path = write_region(tmp_path)
    text = re.sub(r"(?m)^min_pocket_households = .*\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    assert load_config(path).analysis.min_pocket_households == 10  # k = 5
    path.write_text(re.sub(r"(?m)^min_households = 5", "min_households = 8", text), encoding="utf-8")
    assert load_config(path).analysis.min_pocket_households == 16
    path.write_text(re.sub(r"(?m)^permutations = 999", "permutations = 999\nmin_pocket_households = 25", text))
    assert load_config(path).analysis.min_pocket_households == 25
