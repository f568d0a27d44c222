"""The hostile-input corpus: bad files, hostile names, faults. See tests/CORPUS.md for the table of cases.

Every case states its expected outcome: one clear error (never a traceback),
or a run whose outputs hold the hostile text as inert text.
"""

from __future__ import annotations

import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from pipeline import columns as C
from pipeline.errors import ConfigError, CRSError, InputError
from pipeline.ingest.boundaries import boundaries_from_wilayah_sql, clean_boundaries, read_boundaries
from pipeline.ingest.boundary_checks import diagnose_boundaries, official_list_check
from pipeline.ingest.households import households_from_source, read_registers
from pipeline.ingest.tables import MAX_LINE_BYTES
from pipeline.publish.files import region_lock, remove_stale_staging
from pipeline.publish.write import formula_safe
from pipeline.rules import parse_rule
from pipeline.settings import HouseholdSource

from .conftest import ROOT, SHARED_DATA, cli, grid_boundaries, write_region

P3KE_HEADER = "ID Keluarga P3KE;NIK;Kepala Keluarga;Desil Kesejahteraan;Kode Kemendagri;Latitude;Longitude"


def p3ke_rows(n: int, *, name: str = "Siti Aminah", start: int = 1) -> list[str]:
    return [f"P{i:05d};99710101018{i:05d};{name};2;9971011001;-2,2011;118,3011" for i in range(start, start + n)]


def read(path: Path) -> pd.DataFrame:
    return households_from_source(HouseholdSource(paths=(path,)))


# -- 1, 2: names are data, never template source or markup ----------------------------------------------------------

RCE = "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch %s') }}"
TEMPLATE = '{{ "hasil" ~ "Jinja" }}'  # evaluated, it would read hasilJinja
MARKUP = '<img src=x onerror="window.kantongXss=1">'


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo region whose boundary names, region name, programme and OPD names are payloads."""
    tmp = tmp_path_factory.mktemp("hostile")
    config = write_region(tmp, households=2500)
    cli("synth", str(config))
    pwned = tmp / "PWNED"
    boundaries = tmp / "data" / "batas_wilayah.gpkg"
    kel = pyogrio.read_dataframe(boundaries, layer="kelurahan")
    kel.loc[0, "nama"] = RCE % pwned
    kel.loc[1, "nama"] = f"Kel {MARKUP}{TEMPLATE}"
    kel["kec_nama"] = kel["kec_nama"].where(kel.index != 2, f"Kec {TEMPLATE}</script>")
    kel.to_file(boundaries, layer="kelurahan", driver="GPKG")
    text = config.read_text(encoding="utf-8")
    text = text.replace('name = "Kota Contoh"', f"name = '<script>window.kantongXss=2</script>{TEMPLATE}'")
    text = text.replace('name = "Program Keluarga Harapan"', f"name = 'PKH {TEMPLATE}{MARKUP}'")
    text = text.replace('source = "CONTOH FIKTIF — bukan angka BPS"', f"source = '{TEMPLATE}{MARKUP}'")
    text = text.replace('opd = "Dinas Perumahan dan Kawasan Permukiman"', f"opd = 'Perkim {TEMPLATE}{MARKUP}'")
    # two OPD names that differ only in case: one workbook, both programmes
    text = text.replace('opd = "Dinas Sosial"', 'opd = "DINAS SOSIAL"')
    text = text.replace('opd = "Kemensos / Dinas Sosial"', 'opd = "Dinas Sosial"')
    config.write_text(text, encoding="utf-8")
    # a register row whose name is a spreadsheet formula, quarantined for its NIK
    register = tmp / "data" / "rumah_tangga.csv"
    frame = pd.read_csv(register, dtype=str, keep_default_na=False)
    frame.loc[0, "Kepala Keluarga"] = '=HYPERLINK("http://x.invalid","klik")'
    frame.loc[0, "NIK"] = "+cmd|' /C calc'!A0"
    frame.to_csv(register, index=False)
    out = tmp / "outputs"
    # a by-name workbook a renamed OPD left behind in an earlier run
    stale = out / "uji" / "terbatas" / "opd" / "opd_lama.xlsx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    cli("run", str(config), "--out", str(out))
    cli("index", str(out))
    return out, pwned


def test_template_payloads_never_run_or_evaluate(hostile_run: tuple[Path, Path]) -> None:
    out, pwned = hostile_run
    assert not pwned.exists(), "a boundary name ran a command on the build machine"
    for page in (out / "uji" / "peta.html", out / "index.html"):
        text = page.read_text(encoding="utf-8")
        assert "hasilJinja" not in text, f"{page.name}: an input text was evaluated as a template"
        assert "<script>window.kantongXss" not in text and MARKUP not in text, page.name


def test_payload_names_are_kept_as_text_in_the_geopackage(hostile_run: tuple[Path, Path]) -> None:
    out, _ = hostile_run
    kel = pyogrio.read_dataframe(out / "uji" / "uji.gpkg", layer="kelurahan", read_geometry=False)
    assert f"Kel {MARKUP}{TEMPLATE}" in set(kel["nama_kel"])
    opd = pyogrio.read_dataframe(out / "uji" / "uji.gpkg", layer="cakupan_opd", read_geometry=False)
    assert f"Perkim {TEMPLATE}{MARKUP}" in set(opd["opd"])
    targets = pyogrio.read_dataframe(out / "uji" / "uji.gpkg", layer="target_kemiskinan", read_geometry=False)
    assert targets.astype(str).apply(lambda col: col.str.contains("hasil", regex=False)).any().any()


def test_payload_names_stay_text_in_the_recap_and_the_field_form(hostile_run: tuple[Path, Path]) -> None:
    from openpyxl import load_workbook
    from pyxform.xls2xform import convert

    out, pwned = hostile_run
    book = load_workbook(out / "uji" / "rekap_uji.xlsx")
    cells = {c.value: c.data_type for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value}
    assert cells[f"Kel {MARKUP}{TEMPLATE}"] == "s" and cells[f"Cakupan PKH {TEMPLATE}{MARKUP} (%)"] == "s"
    assert not [v for v in cells if isinstance(v, str) and v.startswith("=")]
    # the field round: the programme name is a label of the XLSForm, never a ${reference} nor a template
    config = out.parent / "uji.toml"
    cli("verifikasi", str(config), "--out", str(out))
    (form,) = (out / "uji" / "terbatas" / "verifikasi").glob("*/formulir_verifikasi.xlsx")
    xform = convert(form).xform
    assert 'PKH {{ "hasil" ~ "Jinja" }}&lt;img src=x onerror=' in xform and "hasilJinja" not in xform
    assert not pwned.exists()


def test_restricted_csv_cells_cannot_become_formulas(hostile_run: tuple[Path, Path]) -> None:
    out, _ = hostile_run
    quarantine = pd.read_csv(out / "uji" / "terbatas" / "karantina.csv", dtype=str, keep_default_na=False)
    cells = quarantine.to_numpy().ravel()
    assert '\'=HYPERLINK("http://x.invalid","klik")' in set(cells)
    assert not [c for c in cells if re.match(r"^[=+@\t\r]", c) or re.match(r"^-(?!\d+(?:[.,]\d+)?$)", c)]


def test_opd_names_differing_in_case_share_one_workbook(hostile_run: tuple[Path, Path]) -> None:
    out, _ = hostile_run
    opd = out / "uji" / "terbatas" / "opd"
    assert not (opd / "opd_lama.xlsx").exists(), "a workbook the run no longer produces was left behind"
    assert sorted(p.name for p in opd.glob("dinas_sosial*")) == ["dinas_sosial.xlsx"]
    rows = pd.read_excel(opd / "dinas_sosial.xlsx", dtype=str, engine="openpyxl")
    assert {"pkh", "asistensi_sosial"} & set(",".join(rows["program_opd"]).split(","))


def test_formula_safe_keeps_numbers_and_neutralises_formulas() -> None:
    frame = pd.DataFrame(
        {"a": ["=1+2", "+62 812", "-1+2", "@SUM(A1)", "\tx", "-8,1234", "-2.5", "Siti"], "n": range(8)}
    )
    safe = formula_safe(frame)
    assert safe["a"].tolist() == ["'=1+2", "'+62 812", "'-1+2", "'@SUM(A1)", "'\tx", "-8,1234", "-2.5", "Siti"]
    assert safe["n"].tolist() == list(range(8))


# -- 4: privacy settings are never lost ---------------------------------------------------------------------------


def test_config_error_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    path = write_region(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("min_households = 5", "min_houshold = 10"), encoding="utf-8"
    )
    result = cli("run", str(path), "--out", str(tmp_path / "out"), check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "min_houshold" in result.stderr
    assert not (tmp_path / "out" / "uji").exists()


def test_an_eligibility_rule_nested_100000_times_is_refused() -> None:
    with pytest.raises(ConfigError, match="characters long|nested too deeply"):
        parse_rule("not " * 100_000 + "desil <= 2")
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_rule("(" * 60 + "desil <= 2" + ")" * 60)


# -- 6: boundary files --------------------------------------------------------------------------------------------

BONTANG_SQL = SHARED_DATA / "boundaries" / "bontang" / "wilayah_boundaries_kel_64.74.sql"
needs_bontang = pytest.mark.skipif(not BONTANG_SQL.is_file(), reason="shared Bontang dump not found")


@needs_bontang
def test_a_truncated_boundary_dump_is_an_error(tmp_path: Path) -> None:
    raw = BONTANG_SQL.read_bytes()
    cut = tmp_path / "wilayah_boundaries_kel_64.74.sql"
    cut.write_bytes(raw[: int(len(raw) * 0.8)])  # cut mid-row
    with pytest.raises(InputError, match="the dump is incomplete.*fetch it again"):
        boundaries_from_wilayah_sql(cut)


@needs_bontang
def test_a_kelurahan_missing_from_the_file_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    boundaries = clean_boundaries(boundaries_from_wilayah_sql(BONTANG_SQL), source="bontang")
    dropped = boundaries.iloc[3]
    with caplog.at_level(logging.WARNING):
        table = official_list_check(boundaries.drop(index=3), region_code="64.74")
    missing = table[table["masalah"] == "tidak_ada_di_file"]
    assert missing["kode_kel"].tolist() == [dropped[C.KODE_KEL]]
    assert "not in the boundary file" in caplog.text and dropped[C.KODE_KEL] in caplog.text


def test_boundaries_in_metres_labelled_degrees_are_refused(tmp_path: Path) -> None:
    utm = grid_boundaries(2, 2).to_crs("EPSG:32750").set_crs("EPSG:4326", allow_override=True)
    utm.to_file(tmp_path / "batas.gpkg")
    with pytest.raises(CRSError, match="look like metres"):
        read_boundaries(tmp_path / "batas.gpkg")


def test_points_instead_of_polygons_are_refused(tmp_path: Path) -> None:
    grid = grid_boundaries(2, 2)
    grid.set_geometry(grid.representative_point()).to_file(tmp_path / "titik.gpkg")
    with pytest.raises(InputError, match="must be polygons, found Point"):
        read_boundaries(tmp_path / "titik.gpkg")


def test_two_kelurahan_sharing_a_code_are_refused() -> None:
    grid = grid_boundaries(2, 2)
    grid.loc[1, C.KODE_KEL] = grid.loc[0, C.KODE_KEL]
    with pytest.raises(InputError, match="shared by kelurahan with different names"):
        clean_boundaries(grid, columns={C.KODE_KEL: C.KODE_KEL, C.NAMA_KEL: C.NAMA_KEL}, source="batas")


def test_an_empty_geometry_is_in_the_boundary_report() -> None:
    grid = grid_boundaries(2, 2)
    grid.loc[2, "geometry"] = shapely.Polygon()
    cleaned = clean_boundaries(grid, columns={C.KODE_KEL: C.KODE_KEL, C.NAMA_KEL: C.NAMA_KEL}, source="batas")
    assert len(cleaned) == 3
    table = diagnose_boundaries(cleaned, crs="EPSG:32750", raw=grid)
    assert "kosong_dihapus" in set(table["masalah"])


# -- 8, 9 and the weak cases: register files ---------------------------------------------------------------------


def test_a_line_without_line_breaks_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "satu_baris.csv"
    path.write_bytes(b"a," * (MAX_LINE_BYTES // 2 + 10))
    with pytest.raises(InputError, match=r"line 1 is [\d,]+ bytes long with no line break"):
        read(path)


def test_utf8_split_at_64_kib_is_still_utf8(tmp_path: Path) -> None:
    path = tmp_path / "utf8.csv"
    prefix = (P3KE_HEADER + "\n" + "\n".join(p3ke_rows(800)) + "\n").encode()
    row = "P09999;9971010101809999;Dédé Sulaeman;2;9971011001;-2,2011;118,3011\n".encode()
    filler = "P08888;9971010101808888;{};2;9971011001;-2,2011;118,3011\n"
    width = 65_535 - len(prefix) - len(filler.format("")) - row.index("é".encode())
    data = prefix + filler.format("X" * width).encode() + row
    assert data[65_535:65_537] == "é".encode()  # the 65,536th byte is the second half of é
    path.write_bytes(data)
    assert "Dédé Sulaeman" in set(read(path)[C.NAMA_KK])


def test_cp1252_accent_past_64_kib_reads_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    text = (
        P3KE_HEADER
        + "\n"
        + "\n".join(p3ke_rows(1500))
        + "\nP09999;9971010101809999;Dédé;2;9971011001;-2,2011;118,3011\n"
    )
    path.write_bytes(text.encode("cp1252"))
    assert len(text) > 70_000
    assert "Dédé" in set(read(path)[C.NAMA_KK])


def test_mixed_encodings_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "campur.csv"
    lines = [P3KE_HEADER, *p3ke_rows(3, name="Dédé"), *p3ke_rows(1, name="René", start=9)]
    data = "\n".join(lines[:4]).encode("utf-8") + b"\n" + lines[4].encode("cp1252") + b"\n"
    path.write_bytes(data)
    with pytest.raises(InputError, match="line 5 is not UTF-8 while other lines are"):
        read(path)


def test_utf16_register_is_read(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes((P3KE_HEADER + "\n" + "\n".join(p3ke_rows(3, name="Dédé")) + "\n").encode("utf-16"))
    assert read(path)[C.NAMA_KK].tolist() == ["Dédé"] * 3


def test_title_lines_above_a_semicolon_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "p3ke.csv"
    title = ["DATA P3KE; KOTA CONTOH; 2026", "Dicetak: 30/09/2026", ""]
    path.write_text("\n".join([*title, P3KE_HEADER, *p3ke_rows(3)]) + "\n", encoding="utf-8")
    frame = read(path)
    assert len(frame) == 3 and frame[C.BARIS_SUMBER].tolist() == [5, 6, 7]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (P3KE_HEADER + "\n", "a header but no household rows"),
        (
            P3KE_HEADER + "\n" + "\n".join(p3ke_rows(3)) + "\nP9;1;x;2;9971011001;1;2;extra;more\n",
            "line 5 has 9 values where the header has 7",
        ),
        ("NIK;NIK;Desil;Kode Desa\n1;2;3;4\n", "'NIK' appear more than once in the header"),
        (b"PK\x03\x04" + b"\x00" * 200, "this is a ZIP archive"),
        (b"\x00\x01\x02binary" * 10, "binary data"),
    ],
    ids=["no-rows", "ragged", "duplicated-header", "zip-renamed", "binary"],
)
def test_bad_csv_files_give_one_clear_error(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(InputError, match=message):
        read_registers(HouseholdSource(paths=(path,)))


def test_a_corrupt_workbook_says_it_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(500))
    with pytest.raises(InputError, match="damaged or not an Excel file"):
        read(path)


# -- outputs: faults, concurrent runs, leftovers ------------------------------------------------------------------


def test_a_second_run_while_the_first_writes_is_refused(tmp_path: Path) -> None:
    config = write_region(tmp_path, households=500)
    with region_lock(tmp_path / "out" / "uji"):
        result = cli("run", str(config), "--out", str(tmp_path / "out"), check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "another kantong run" in result.stderr


def test_only_leftovers_of_dead_runs_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "uji"
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "out" / f".uji.tmp-{dead.pid}").mkdir()
    (tmp_path / "out" / f".uji.tmp-{os.getpid()}").mkdir()  # a run in progress (this process)
    (folder / f".peta.tmp-{dead.pid}.html").write_text("x")
    removed = remove_stale_staging(folder)
    assert sorted(p.name for p in removed) == sorted([f".uji.tmp-{dead.pid}", f".peta.tmp-{dead.pid}.html"])
    assert (tmp_path / "out" / f".uji.tmp-{os.getpid()}").exists()


def _small_file_limit() -> None:  # in the child: writes past 64 kB fail with EFBIG instead of killing it
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (65_536, 65_536))


def test_a_file_size_limit_is_one_line_and_keeps_the_outputs(tmp_path: Path) -> None:
    config = write_region(tmp_path, households=500)
    cli("synth", str(config))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(config), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=_small_file_limit,
        timeout=600,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"could not (read or )?write|GDAL could not write", result.stderr)
    assert not (out / "uji").exists() and not list(out.glob(".uji.tmp-*"))


def test_index_skips_a_damaged_summary(tmp_path: Path) -> None:
    (tmp_path / "rusak").mkdir()
    (tmp_path / "rusak" / "ringkasan.json").write_text("{ not json", encoding="utf-8")
    result = cli("index", str(tmp_path), check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "damaged" in result.stderr and "(0 regions)" in result.stderr


def test_a_region_without_programmes_runs(tmp_path: Path) -> None:
    config = write_region(tmp_path, households=800)
    text = re.sub(r"(?ms)^\[\[programs\]\].*?(?=^\[\[bps\]\])", "", config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")
    cli("synth", str(config))
    cli("run", str(config), "--out", str(tmp_path / "out"))
    summary = json.loads((tmp_path / "out" / "uji" / "ringkasan.json").read_text(encoding="utf-8"))
    assert summary["baris"]["masuk"] == summary["baris"]["diterima"] + summary["baris"]["dikarantina"]
