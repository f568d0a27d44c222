"""``kantong check``: a dry run that reports what a region's inputs hold, and fails on what would fail."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from .conftest import cli, synth_region


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_region(tmp_path_factory.mktemp("check"), households=2000)


def test_check_reports_the_inputs_and_writes_nothing(region: Path) -> None:
    before = sorted(p.relative_to(region.parent) for p in region.parent.rglob("*"))
    result = cli("check", str(region))
    out = result.stdout
    assert "20 kelurahan/desa" in out and "CRS EPSG:4326" in out
    # the header mapping, canonical <- header, and the headers left unmapped
    assert "rumah_tangga.csv: tabel keluarga, 2000 baris" in out
    assert "│ lat " in out and "Latitude" in out and "Desil Kesejahteraan" in out
    assert "tidak dipetakan: Pekerjaan, Kepemilikan Rumah" in out
    assert "anggota_keluarga.csv: tabel anggota" in out
    assert "kode kelurahan ada di batas: 100 %" in out and "berkoordinat: 9" in out
    assert "2000 masuk = " in out and "ok: no error" in out
    # each programme: can its rule be computed from this register?
    assert "bpnt" in out and "miskin == 1" in out
    assert "BPS: 2024, 2025" in out and "snapshot: 2026-06-30" in out
    assert sorted(p.relative_to(region.parent) for p in region.parent.rglob("*")) == before  # nothing written


def test_check_warns_of_a_rule_the_register_cannot_compute(region: Path) -> None:
    text = region.read_text(encoding="utf-8") + (
        '\n[[programs]]\ncode = "uji_aturan"\nname = "Uji"\nopd = "Dinsos"\nfunding = "APBD"\n'
        'eligibility = "luas_lantai < 8"\n'
    )
    path = region.parent / "aturan.toml"
    path.write_text(text, encoding="utf-8")
    result = cli("check", str(path))  # the run survives it: a warning, exit 0
    assert "TIDAK: register tidak punya" in result.stdout
    assert "warning: programme 'uji_aturan': its rule reads luas_lantai" in result.stdout
    assert "coverage will not be computed" in result.stdout


def test_check_fails_when_nothing_can_be_placed(region: Path) -> None:
    frame = pd.read_csv(region.parent / "data" / "rumah_tangga.csv", dtype=str, keep_default_na=False)
    frame = frame.drop(columns=["Latitude", "Longitude"]).assign(**{"Kode Kemendagri": "5371011001"})
    frame.to_csv(region.parent / "data" / "lain.csv", index=False)
    text = region.read_text(encoding="utf-8").replace("data/rumah_tangga.csv", "data/lain.csv")
    path = region.parent / "lain.toml"
    path.write_text(text, encoding="utf-8")
    result = cli("check", str(path), check=False)
    assert result.returncode == 1
    assert "lain.csv: no row has a kelurahan code of these boundaries nor coordinates" in result.stdout
    assert "kode kelurahan ada di batas: 0 %" in result.stdout


def test_check_names_a_missing_file_in_one_line(region: Path) -> None:
    text = region.read_text(encoding="utf-8").replace("data/rumah_tangga.csv", "data/tidak_ada.csv")
    path = region.parent / "hilang.toml"
    path.write_text(text, encoding="utf-8")
    result = cli("check", str(path), check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "tidak_ada.csv' not found; check [households] paths" in result.stderr


def test_check_prints_hostile_headers_as_text(region: Path) -> None:
    frame = pd.read_csv(region.parent / "data" / "rumah_tangga.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"Pekerjaan": "[red]=HYPERLINK(1)[/red]"})
    frame.to_csv(region.parent / "data" / "aneh.csv", index=False)
    path = region.parent / "aneh.toml"
    path.write_text(region.read_text(encoding="utf-8").replace("data/rumah_tangga.csv", "data/aneh.csv"), "utf-8")
    result = cli("check", str(path))
    assert "[red]=HYPERLINK(1)[/red]" in result.stdout  # rich markup in a header is shown, not applied
