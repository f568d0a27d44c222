"""A province run: the register split by kab/kota (worked example), then the whole run through the CLI."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from pipeline import columns as C
from pipeline.errors import ValidationError
from pipeline.ingest.households import register_from_file
from pipeline.ingest.split import NO_HOUSEHOLD, NO_KABKOTA, split_chunks, split_register

from .browser import Offline
from .conftest import cli
from .test_gis_outputs import ogrinfo

HOSTILE = '<script>alert("x")</script>{{7*7}}'


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_split_places_each_row_by_point_then_code_keeps_duplicates_together_and_loses_nothing(tmp_path: Path) -> None:
    # two kab/kota side by side: 99.71 is lon 110-111, 99.72 is lon 111-112 (one kelurahan each)
    boundaries = gpd.GeoDataFrame(
        {C.KODE_KEL: ["99.71.01.1001", "99.72.01.1001"], C.NAMA_KEL: ["Satu", "Dua"],
         C.KODE_KEC: ["99.71.01", "99.72.01"], C.NAMA_KEC: ["A", "B"]},
        geometry=[box(110, -7, 111, -6), box(111, -7, 112, -6)],
        crs="EPSG:4326",
    )  # fmt: skip
    households = pd.DataFrame(
        {
            C.ID_KELUARGA: ["K1", "K2", "K3", "K4", "K5", "K2", "K6"],
            C.NIK: ["", "", "", "", "", "", ""],
            C.DESIL: "1",
            C.KODE_KEL: ["9972011001", "", "9972011001", "9999999999", "9971011001", "", ""],
            # r0 in 99.71 (the point wins over its code), r1 in 99.72, r2 and r3 without a point,
            # r4 far outside Indonesia's boxes here (its code decides), r5 in 99.71 but a duplicate of r1,
            # r6 about 44 m west of 99.71 (snapped)
            C.LAT: ["-6.5", "-6.5", "", "", "-6.5", "-6.5", "-6.5"],
            C.LON: ["110.5", "111.5", "", "", "130.0", "110.2", "109.9996"],
            C.FILE_SUMBER: "provinsi.csv",
            C.BARIS_SUMBER: [2, 3, 4, 5, 6, 7, 8],
        }
    )
    members = pd.DataFrame(
        {C.ID_KELUARGA: ["K1", "K2", "K9"], "id_anggota": ["M1", "M2", "M3"], C.FILE_SUMBER: "anggota.csv"}
    )
    # validation keeps r1 (line 3, the first) for the duplicate r5 (line 7): r5 follows it into 99.72
    parts, quarantine, unlinked = split_register(
        households, members, boundaries, folder=tmp_path / "terbatas" / "pecahan", snap_distance_m=100
    )

    assert [(p.kode, p.households, p.members) for p in parts] == [("99.71", 3, 1), ("99.72", 3, 1)]
    assert quarantine[C.ID_KELUARGA].tolist() == ["K4"] and set(quarantine[C.ALASAN]) == {NO_KABKOTA}
    assert unlinked["id_anggota"].tolist() == ["M3"] and set(unlinked[C.ALASAN]) == {NO_HOUSEHOLD}
    assert sum(p.households for p in parts) + len(quarantine) == len(households)  # 3 + 3 + 1 = 7
    assert sum(p.members for p in parts) + len(unlinked) == len(members)

    # each part reads back as a register whose rows name the province file and its lines
    first = register_from_file(parts[0].registers[0]).households
    second = register_from_file(parts[1].registers[0]).households
    assert first[C.ID_KELUARGA].tolist() == ["K1", "K5", "K6"]
    assert second[C.ID_KELUARGA].tolist() == ["K2", "K3", "K2"]  # the duplicate pair together
    assert set(second[C.FILE_SUMBER]) == {"provinsi.csv"}
    assert second[C.BARIS_SUMBER].tolist() == [3, 4, 7]
    assert pyogrio_count(parts[1].boundaries) == 1
    # r5 verified later than r1: validation keeps r5 instead, and r1 follows r5 into 99.71
    verified = households.assign(**{C.TANGGAL_VERIFIKASI: ["", "", "", "", "", "2026-01-05", ""]})
    other, _, _ = split_register(verified, members, boundaries, folder=tmp_path / "b", snap_distance_m=100)
    assert [(p.kode, p.households) for p in other] == [("99.71", 5), ("99.72", 1)]
    # the same split from the register in three chunks and the members in two, read twice
    pieces = [households.iloc[:2], members.iloc[:1], households.iloc[2:5], members.iloc[1:], households.iloc[5:]]

    def chunks():
        for piece in pieces:
            is_members = "id_anggota" in piece
            yield SimpleNamespace(
                households=pd.DataFrame() if is_members else piece, members=piece if is_members else pd.DataFrame()
            )

    for workers in (1, 2):  # the first pass in this process, and in two worker processes
        again, quarantined, orphans = split_chunks(
            chunks, boundaries, folder=tmp_path / f"c{workers}", snap_distance_m=100, workers=workers
        )
        assert [(p.kode, p.households, p.members) for p in again] == [("99.71", 3, 1), ("99.72", 3, 1)]
        assert quarantined[C.ID_KELUARGA].tolist() == ["K4"] and orphans["id_anggota"].tolist() == ["M3"]
        pd.testing.assert_frame_equal(register_from_file(again[1].registers[0]).households, second)
    # a register without a required column: the worker's one-line error reaches the caller
    pieces = [households.drop(columns=C.DESIL)] * 3
    with pytest.raises(ValidationError, match="required column"):
        split_chunks(chunks, boundaries, folder=tmp_path / "d", snap_distance_m=100, workers=2)
    folder = tmp_path / "terbatas" / "pecahan"
    assert _mode(folder) == 0o700 and _mode(parts[0].registers[0].parent) == 0o700
    assert all(_mode(path) == 0o600 for part in parts for path in part.registers)


def test_a_chain_of_duplicates_stays_together(tmp_path: Path) -> None:
    """A shares K's family ID; K shares J's KK number. Validation quarantines A (kept: K) and K (kept: J).

    A follows K, and K follows J into 99.71: all three go there, so that the kab/kota run quarantines A
    and K as the province's validation does (had A followed K's own kab/kota, A would stand alone in
    99.72 and be accepted there).
    """
    boundaries = gpd.GeoDataFrame(
        {C.KODE_KEL: ["99.71.01.1001", "99.72.01.1001"]},
        geometry=[box(110, -7, 111, -6), box(111, -7, 112, -6)],
        crs=4326,
    )
    households = pd.DataFrame(
        {
            C.ID_KELUARGA: ["J", "K", "K", "L"],
            C.NO_KK: ["KK1", "KK1", "", ""],
            C.NIK: "",
            C.DESIL: "1",
            C.LAT: "-6.5",
            C.LON: ["110.5", "111.5", "111.5", "111.6"],
            C.FILE_SUMBER: "provinsi.csv",
            C.BARIS_SUMBER: [2, 3, 4, 5],
        }
    )
    parts, _, _ = split_register(households, pd.DataFrame(), boundaries, folder=tmp_path / "p", snap_distance_m=100)
    assert [(p.kode, p.households) for p in parts] == [("99.71", 3), ("99.72", 1)]
    assert register_from_file(parts[0].registers[0]).households[C.ID_KELUARGA].tolist() == ["J", "K", "K"]


def pyogrio_count(path: Path) -> int:
    import pyogrio

    return int(pyogrio.read_info(path, layer="kelurahan")["features"])


def test_a_parquet_column_named_like_an_origin_is_not_taken_for_one(tmp_path: Path) -> None:
    path = tmp_path / "register.parquet"
    pd.DataFrame({"ID Keluarga": ["A"], C.BARIS_SUMBER: ["99"], C.FILE_SUMBER: ["palsu.csv"]}).to_parquet(path)
    read = register_from_file(path).households
    assert read[C.BARIS_SUMBER].tolist() == [1] and read[C.FILE_SUMBER].tolist() == ["register.parquet"]


#: Kecamatan 03 and 04 of the demo city become a second kab/kota, 99.72.
MOVED = {"99.71.03": "99.72.01", "99.71.04": "99.72.02"}


def _recode(values: pd.Series) -> pd.Series:
    for old, new in MOVED.items():
        for a, b in ((old, new), (old.replace(".", ""), new.replace(".", ""))):
            values = values.str.replace(f"^{re.escape(a)}", b, regex=True)
    return values


@pytest.fixture(scope="module")
def province(demo_run: Path) -> tuple[Path, Path]:
    """The demo register (6,000 households) as a province of two kab/kota, run with ``kantong provinsi``."""
    import pyogrio

    tmp = demo_run.parents[1]
    data = tmp / "data"
    for layer, _ in pyogrio.list_layers(data / "batas_wilayah.gpkg"):
        frame = pyogrio.read_dataframe(data / "batas_wilayah.gpkg", layer=layer)
        for column in frame.columns.drop("geometry"):
            if frame[column].astype(str).str.match(r"99\.?71").any():  # kode, kode_kemendagri, kec codes
                frame[column] = _recode(frame[column].astype(str))
        pyogrio.write_dataframe(frame, data / "provinsi.gpkg", layer=layer, driver="GPKG")
    register = pd.read_csv(data / "rumah_tangga.csv", dtype=str, keep_default_na=False)
    register["Kode Kemendagri"] = _recode(register["Kode Kemendagri"])
    register.to_csv(data / "provinsi.csv", index=False)
    text = (tmp / "uji.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "uji"', 'slug = "prov"').replace('kode = "99.71"', 'kode = "99"')
    text = re.sub(r'(?m)^name = ".*?"', f"name = '{HOSTILE}'", text, count=1)
    text = text.replace("data/batas_wilayah.gpkg", "data/provinsi.gpkg").replace(
        '"data/rumah_tangga.csv"', '"data/provinsi.csv"'
    )
    config = tmp / "prov.toml"
    config.write_text(text, encoding="utf-8")
    out = tmp / "prov_outputs"
    done = cli("provinsi", str(config), "--workers", "1", "--out", str(out), check=False)
    (out / "console.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    assert done.returncode == 0, done.stdout + done.stderr
    return out, demo_run


def test_the_province_run_counts_every_row_as_the_single_region_run_does(province: tuple[Path, Path]) -> None:
    out, single = province
    console = (out / "console.txt").read_text(encoding="utf-8")
    assert "Traceback" not in console
    summary = json.loads((out / "prov" / "ringkasan.json").read_text(encoding="utf-8"))
    rows = summary["baris"]
    alone = json.loads((single / "ringkasan.json").read_text(encoding="utf-8"))
    assert rows["masuk"] == 6000 == rows["diterima"] + rows["dikarantina"] + rows["di_kabkota_gagal"]
    assert rows["di_kabkota_gagal"] == 0
    # the same rows accepted and quarantined as when the same register is run as one region:
    # duplicates are resolved once for the province, not once per kab/kota
    assert (rows["diterima"], rows["dikarantina"]) == (alone["baris"]["diterima"], alone["baris"]["dikarantina"])
    assert f"prov: 6000 rows in = {rows['diterima']} accepted + {rows['dikarantina']} quarantined" in console
    # and every reason and flag counted as in that run: a household whose point lies in the other kab/kota
    # than its code says is "beda_lokasi" there too, not an unknown code
    reasons: dict[tuple[str, str], int] = {}
    for kode in ("9971", "9972"):
        for r in json.loads((out / f"prov_{kode}" / "ringkasan.json").read_text(encoding="utf-8"))["validasi"]:
            if r["tahap"] != "total":
                key = (r["tahap"], r["alasan"])
                reasons[key] = reasons.get(key, 0) + r["jumlah_baris"]
    expected = {(r["tahap"], r["alasan"]): r["jumlah_baris"] for r in alone["validasi"] if r["tahap"] != "total"}
    assert reasons == expected and expected[("bendera", "beda_lokasi")] > 0
    assert "2 of 2 kab/kota built" in console
    kabkota = {k["kode_kabkota"]: k for k in summary["kabkota"]}
    assert set(kabkota) == {"99.71", "99.72"}
    assert sum(k["baris_masuk"] for k in kabkota.values()) == 6000
    assert summary["ringkasan"]["jumlah_kk"] == rows["diterima"]
    assert summary["ringkasan"]["jumlah_kelurahan"] == 20
    for kode in ("9971", "9972"):
        kab = out / f"prov_{kode}"
        assert (kab / "peta.html").exists()
        assert json.loads((kab / "ringkasan.json").read_text(encoding="utf-8"))["kode"] == f"{kode[:2]}.{kode[2:]}"
    restricted = out / "prov" / "terbatas"
    assert _mode(restricted) == 0o700 and _mode(restricted / "pecahan") == 0o700


def test_the_province_geopackage_holds_kabkota_and_every_kelurahan(province: tuple[Path, Path]) -> None:
    out, _ = province
    gpkg = str(out / "prov" / "prov.gpkg")
    layers = dict(re.findall(r"(?m)^\d+: (\w+)(?: \(([^)]*)\))?", ogrinfo("-q", gpkg)))
    assert {"kabkota", "kelurahan", "validasi_kabkota"} <= set(layers)
    assert "Multi Polygon" in layers["kabkota"] or "Polygon" in layers["kabkota"]
    assert re.search(r"Feature Count: 2\b", ogrinfo("-so", gpkg, "kabkota"))
    assert re.search(r"Feature Count: 20\b", ogrinfo("-so", gpkg, "kelurahan"))


def test_the_overview_map_escapes_names_links_each_kabkota_and_opens_offline(
    province: tuple[Path, Path], browser
) -> None:
    out, _ = province
    page_path = out / "prov" / "peta.html"
    page = page_path.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "{{7*7}}" not in page and "49" not in re.findall(r"<h1>(.*?)</h1>", page)[0]
    assert "../prov_9971/peta.html" in page and "../prov_9972/peta.html" in page
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", page)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "prov/peta.html" in index and "(provinsi, 2 dari 2 kab/kota)" in index

    context = browser.new_context(viewport={"width": 1400, "height": 900}, service_workers="block")
    view = Offline(context.new_page())
    view.page.goto(page_path.as_uri())
    view.page.wait_for_selector("path.leaflet-interactive")
    assert view.page.locator("path.leaflet-interactive").count() == 2
    assert view.page.locator("h1").inner_text().startswith(HOSTILE)  # shown as text, not run
    with view.page.expect_navigation():
        view.page.locator("path.leaflet-interactive").first.click(force=True)
    assert re.search(r"/prov_99\d\d/peta\.html$", view.page.url)
    assert not view.page_errors and not view.blocked
    context.close()


def test_a_failed_kabkota_is_counted_and_shown_not_dropped(
    province: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import province as module
    from pipeline.many import RegionResult, run_one

    def first_only(configs, *, out_dir, **_) -> list[RegionResult]:
        """Build the first kab/kota in this process; report the second as failed (its worker lost, say)."""
        built = run_one(configs[0], str(out_dir))
        return [built, RegionResult(configs[1].slug, configs[1].slug, False, 0.0, "KilledWorker: worker hilang")]

    monkeypatch.setattr(module, "run_many", first_only)
    out, _ = province
    done = module.run_province(out.parent / "prov.toml", out_dir=tmp_path)
    rows = done.summary["baris"]
    failed = next(k for k in done.summary["kabkota"] if k["status"] == "gagal")
    assert failed["kode_kabkota"] == "99.72" and failed["keterangan"] == "KilledWorker: worker hilang"
    assert rows["di_kabkota_gagal"] == failed["baris_masuk"] > 0
    assert rows["masuk"] == 6000 == rows["diterima"] + rows["dikarantina"] + rows["di_kabkota_gagal"]
    assert done.summary["ringkasan"]["kabkota_gagal"] == 1
    assert "1 of 2 kab/kota built" in done.line()
    page = (tmp_path / "prov" / "peta.html").read_text(encoding="utf-8")
    assert "Peta kab/kota gagal dibuat" in page and "jumlah provinsi belum lengkap" in page
    assert "../prov_9972/peta.html" not in page  # no link to a map that was not made


def test_province_totals_are_sums_and_a_figure_a_kabkota_hid_is_not_summed() -> None:
    from pipeline.analyse.province import province_figures

    table = pd.DataFrame(
        {
            "status": ["selesai", "selesai", "gagal"],
            "jumlah_kelurahan": [10, 5, None],
            C.JUMLAH_KK: [800, 200, None],
            C.KK_MISKIN: [200, None, None],  # the second kab/kota hid its poor count
            C.KK_MISKIN_EKSTREM: [40, 10, None],
            "jumlah_kantong": [2, 0, None],
        }
    )
    figures = province_figures(table)
    assert figures[C.JUMLAH_KK] == 1000 and figures[C.KK_MISKIN_EKSTREM] == 50 and figures["jumlah_kelurahan"] == 15
    assert figures[C.PERSEN_MISKIN_EKSTREM] == 5.0  # 100 x 50 / 1000
    # a province total of poor households, less the 200 published, would give the hidden count back
    assert figures[C.KK_MISKIN] is None and figures[C.PERSEN_MISKIN] is None
    assert (figures["kabkota_selesai"], figures["kabkota_gagal"], figures["kabkota_tersembunyi"]) == (2, 1, 1)
