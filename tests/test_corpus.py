"""The bad-file corpus in tests/data: each file with its expected outcome."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.analyse.indicators import vulnerable_flags
from pipeline.errors import PipelineError
from pipeline.ingest.households import households_from_source, read_registers
from pipeline.ingest.members import attach_members
from pipeline.ingest.validate import validate_households
from pipeline.settings import HouseholdSource

DATA = Path(__file__).resolve().parent / "data"
EXPECTED = tomllib.loads((DATA / "expected.toml").read_text(encoding="utf-8"))
#: The data date the corpus's ages are computed at.
ON = dt.date(2026, 6, 30)


def load(source: HouseholdSource) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Households with member features, unlinked members, member accounting: as the pipeline loads them."""
    registers = read_registers(source)
    return attach_members(registers.households, registers.members, on=ON)


@pytest.mark.parametrize("case", list(EXPECTED), ids=list(EXPECTED))
def test_corpus_file_gives_its_expected_outcome(case: str) -> None:
    expected = EXPECTED[case]
    source = HouseholdSource(paths=tuple(DATA / f for f in expected["files"]))
    if "error" in expected:
        with pytest.raises(PipelineError, match=expected["error"].replace("(", r"\(").replace(")", r"\)")):
            validate_households(load(source)[0])
        return
    raw, unlinked, report = load(source)
    accepted, quarantine = validate_households(raw)
    assert len(raw) == expected["rows"] == len(accepted) + len(quarantine)
    where = quarantine[C.FILE_SUMBER] + ":" + quarantine[C.BARIS_SUMBER].astype(str)
    found = {w: sorted(r.split(";")) for w, r in zip(where, quarantine[C.ALASAN], strict=True)}
    assert found == {k: sorted(v) for k, v in expected["quarantined"].items()}
    for row, kept in expected.get("kept", {}).items():
        assert quarantine.loc[where == row, C.BARIS_DIPERTAHANKAN].iloc[0] == kept
    if "first_line" in expected:
        assert accepted[C.BARIS_SUMBER].min() == expected["first_line"]
        assert set(accepted[C.LEMBAR_SUMBER]) == {"Keluarga"}  # cover and individual sheets are not households
    for name in expected.get("names", []):
        assert name in set(accepted[C.NAMA_KK])
    members = expected.get("members", {"read": 0, "linked": 0, "unlinked": {}})
    assert int(report["anggota_masuk"].sum()) == members["read"]
    assert int(report["anggota_tertaut"].sum()) == members["linked"]
    assert unlinked[C.ALASAN].value_counts().to_dict() == members["unlinked"]
    assert (report["anggota_masuk"] == report["anggota_tertaut"] + report["anggota_tidak_tertaut"]).all()
    by_id = accepted.set_index(C.ID_KELUARGA)
    vulnerable = pd.DataFrame(vulnerable_flags(accepted)).set_axis(by_id.index)
    for household, values in expected.get("features", {}).items():
        for column, value in values.items():
            table = vulnerable if column in vulnerable else by_id
            found = table.loc[household, column]
            if value == "-":
                assert pd.isna(found), (household, column, found)
            else:
                assert found == value, (household, column, found)


def test_missing_column_error_names_the_closest_candidate(tmp_path: Path) -> None:
    path = tmp_path / "nik_mirip.csv"
    pd.DataFrame(
        {"ID Keluarga": ["A"], "Nomor NIK KRT": ["9971010101800001"], "Desil": ["1"], "Kode Desa": ["9971011001"]}
    ).to_csv(path, index=False)
    with pytest.raises(PipelineError, match=r"Closest candidates: nik = 'Nomor NIK KRT'\?"):
        validate_households(households_from_source(HouseholdSource(paths=(path,))))


def test_headers_match_whatever_their_case_spacing_and_punctuation(tmp_path: Path) -> None:
    path = tmp_path / "dtks.csv"
    pd.DataFrame(
        {
            "IDBDT": ["B1"],
            "nik_krt": ["9971010101800001"],
            "DESIL": ["2"],
            "kode-desa": ["9971011001"],
            "Nama_KRT": ["Yohanes Ndun"],
            "Jumlah_ART": ["5"],
            "sta_pkh": ["1"],
            "AdaPBI": ["0"],
        }
    ).to_csv(path, index=False)
    accepted, quarantine = validate_households(households_from_source(HouseholdSource(paths=(path,))))
    assert quarantine.empty
    row = accepted.iloc[0]
    assert (row[C.ID_KELUARGA], row[C.NAMA_KK], row[C.JUMLAH_ART], row[C.KODE_KEL]) == (
        "B1",
        "Yohanes Ndun",
        5,
        "99.71.01.1001",
    )
    assert row["penerima_pkh"] == 1 and row["penerima_pbi_jkn"] == 0


def test_parquet_and_point_layers(tmp_path: Path) -> None:
    import geopandas as gpd

    base = pd.read_csv(DATA / "cp1252_names.csv", sep=";", dtype=str, encoding="cp1252", keep_default_na=False)
    base.to_parquet(tmp_path / "register.parquet")
    points = gpd.GeoDataFrame(
        base.drop(columns=["Latitude", "Longitude"]),
        geometry=gpd.points_from_xy([118.3011] * 5, [-2.2011] * 5),
        crs="EPSG:4326",
    ).to_crs("EPSG:32750")  # a projected layer: read back as lon/lat
    points.to_file(tmp_path / "verval.gpkg")
    for name in ("register.parquet", "verval.gpkg"):
        accepted, quarantine = validate_households(households_from_source(HouseholdSource(paths=(tmp_path / name,))))
        assert len(accepted) == 5 and quarantine.empty, name
    assert accepted.geometry.x.round(4).tolist() == [118.3011] * 5
