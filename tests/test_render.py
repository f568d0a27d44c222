from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import columns as C
from pipeline.ingest.boundaries import clean_boundaries, read_boundaries
from pipeline.publish.palette import COVERAGE_BREAKS, SYNTHETIC_NOTICE
from pipeline.publish.privacy import SIXTEEN_DIGITS, suppress_small_counts
from pipeline.publish.webmap.assemble import RenderError, html_from_map, map_from_indicators, stable_element_ids
from pipeline.publish.webmap.format import format_date, format_int, format_percent
from pipeline.publish.webmap.geometry import decode_polygons, encode_polygons, web_geometry
from pipeline.publish.webmap.themes import (
    LAYER_EXCLUSION,
    LAYER_EXTREME,
    LAYER_GI,
    LAYER_RATE,
    count_breaks,
    kelurahan_themes,
)

from .conftest import SHARED_DATA, small_map


@pytest.mark.parametrize(
    ("value", "text"),
    [(8.6123, "8,61 %"), (1234.5, "1.234,50 %"), (None, "disembunyikan")],
    ids=["small", "thousands", "hidden"],
)
def test_percent_format_is_indonesian(value: float | None, text: str) -> None:
    assert format_percent(value) == text


def test_other_formats() -> None:
    assert format_int(1234567) == "1.234.567"
    assert format_date(dt.date(2026, 9, 30)) == "30 September 2026"
    assert count_breaks(gpd.GeoSeries([]).astype("float")) == (0.0, 1.0)


def test_element_ids_become_repeatable_letters() -> None:
    page = (
        'var map_0123456789abcdef0123456789abcdef = L.map("map_0123456789abcdef0123456789abcdef");'
        " geo_json_11111111111111112222222222222222.addTo(map_0123456789abcdef0123456789abcdef);"
    )
    out = stable_element_ids(page)
    assert out == 'var map_ka = L.map("map_ka"); geo_json_kb.addTo(map_ka);'
    assert not SIXTEEN_DIGITS.search(out)


@pytest.fixture
def small_map_inputs():
    return small_map()


def test_map_is_offline_repeatable_and_says_synthetic(small_map_inputs) -> None:
    public, coverage, context = small_map_inputs
    programs = {"pkh": "Program Keluarga Harapan"}
    first = html_from_map(map_from_indicators(public, context=context, coverage=coverage, programs=programs))
    second = html_from_map(map_from_indicators(public, context=context, coverage=coverage, programs=programs))
    assert first == second
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", first)
    assert "Leaflet 1.9" in first  # the library itself is inlined
    assert "Kantong.prototype.theme" in first  # and the map's own script
    assert SYNTHETIC_NOTICE in first
    assert "disembunyikan" in first  # small counts are shown as hidden
    assert first.count("Kel 1") >= 1 and "Jumlah KK" in first
    # everything after the inlined libraries is rounded: no long fraction can read as a NIK
    shifted = public.set_geometry(public.translate(xoff=1 / 3, yoff=1 / 7))  # centre and corners: long floats
    page = html_from_map(map_from_indicators(shifted, context=context, pockets=None))
    assert not re.findall(r"\d+\.\d{8,}", page[page.index("</head>") :])


def test_themes_cover_poverty_programmes_and_hide_small_counts(small_map_inputs) -> None:
    public, coverage, _ = small_map_inputs
    public = public.assign(kk_layak_tanpa_program=[0, 3, 40, 7, 9, 11, 2, 1, 8], kk_lansia_tunggal=range(9))
    public = suppress_small_counts(public, k=5, counts=["kk_layak_tanpa_program", "kk_lansia_tunggal"])
    themes = kelurahan_themes(public, k=5, coverage=coverage, programs={"pkh": "Program Keluarga Harapan"})
    by_name = {t.name: t for t in themes}
    assert [t.group for t in themes] == sorted([t.group for t in themes], key=[t.group for t in themes].index)
    assert {LAYER_RATE, LAYER_EXTREME, LAYER_GI, "Cakupan Program Keluarga Harapan", LAYER_EXCLUSION} <= set(by_name)
    exclusion = by_name[LAYER_EXCLUSION]
    # counts under 5 were suppressed: grey class and the word, never the number
    assert list(exclusion.classes[[1, 6, 7]]) == [-1, -1, -1]
    assert exclusion.texts[1] == "disembunyikan" and exclusion.texts[2] == "40 KK"
    assert exclusion.classes[0] == 0 and exclusion.texts[0] == "0 KK"  # a true zero is not hidden
    assert len(exclusion.colors) >= exclusion.classes.max() + 1
    pkh = by_name["Cakupan Program Keluarga Harapan"]
    assert pkh.classes[0] == -1 and pkh.texts[0] == "disembunyikan"  # hidden share
    assert (
        pkh.classes[8] == COVERAGE_BREAKS.index(80) and pkh.texts[8] == "80,0 %; 2 KK layak belum menerima"
    )  # 8 of 10 reached
    assert not pkh.profile  # programmes are charted, not listed


def test_web_geometry_keeps_neighbours_edge_matched() -> None:
    boundaries = SHARED_DATA / "boundaries" / "pekalongan" / "pekalongan_admin_boundaries.gpkg"
    if not boundaries.exists():
        pytest.skip(f"{boundaries} not found; set KANTONG_SHARED_DATA")
    kel = clean_boundaries(read_boundaries(boundaries, layer="kelurahan"), source="uji")
    before = int(shapely.get_num_coordinates(kel.geometry.values).sum())
    web = web_geometry(kel.geometry, tolerance=5e-4)
    after = int(shapely.get_num_coordinates(web.values).sum())
    assert after < 0.8 * before  # simplified
    # the source's neighbours overlap (DATA.md); the web polygons share their edges instead
    utm = gpd.GeoSeries(web.values, crs=4326).to_crs(kel.estimate_utm_crs())
    left, right = utm.sindex.query(utm.values, predicate="intersects")
    pairs = left < right
    overlap = shapely.intersection(utm.values[left[pairs]], utm.values[right[pairs]])
    assert shapely.area(overlap).sum() < 50  # m², from rounding to 1e-5 degree only
    raw_overlap = shapely.intersection(
        kel.to_crs(utm.crs).geometry.values[left[pairs]], kel.to_crs(utm.crs).geometry.values[right[pairs]]
    )
    assert shapely.area(raw_overlap).sum() > 1_000
    assert abs(utm.union_all().area / kel.to_crs(utm.crs).union_all().area - 1) < 0.01
    # every coordinate is written with at most 5 decimals
    coords = shapely.get_coordinates(web.values)
    assert np.allclose(coords, np.round(coords, 5), atol=1e-9)


def test_map_data_is_safe_inside_a_script_element(small_map_inputs) -> None:
    public, coverage, context = small_map(names={0: '</script><img src=x onerror="alert(1)">'})
    page = html_from_map(map_from_indicators(public, context=context, coverage=coverage, programs={"pkh": "P<b>KH"}))
    assert '<img src=x onerror="alert(1)">' not in page and "</script><img" not in page
    assert "\\u003cimg src=x" in page  # in the JSON data, decoded only by JSON.parse
    assert "&lt;img src=x" in page  # in the side panel's list


def test_map_refuses_a_projected_frame(small_map_inputs) -> None:
    public, _, context = small_map_inputs
    with pytest.raises(RenderError, match="EPSG:4326"):
        map_from_indicators(public.to_crs("EPSG:32650"), context=context)


def test_compact_geometry_round_trips_holes_and_parts() -> None:
    shapes = gpd.GeoSeries(
        [
            shapely.box(117.40001, 0.10002, 117.41003, 0.11004),
            shapely.MultiPolygon(
                [
                    shapely.box(117.5, -0.2, 117.6, -0.1).difference(shapely.box(117.52, -0.18, 117.53, -0.17)),
                    shapely.box(118.0, 0.0, 118.01, 0.01),
                ]
            ),
        ],
        crs=4326,
    )
    encoded = encode_polygons(shapes)
    assert [len(parts) for parts in encoded] == [1, 2] and len(encoded[1][0]) == 2  # shell + hole
    assert all(isinstance(v, int) for v in encoded[0][0][0])
    assert encoded[0][0][0][:4] == [11741003, 10002, 0, 1002]  # first vertex absolute, then steps, in 1e-5 degree
    for before, after in zip(shapes, decode_polygons(encoded), strict=True):
        assert after.symmetric_difference(before).area < 1e-12


def test_a_large_region_without_significant_cells_still_gets_its_map(small_map_inputs) -> None:
    """Above ``max_cells`` only hot and cold cells are drawn; with none of them the layer is empty, not a crash.

    Jawa Tengah at 10 M households: two kab/kota had thousands of cells and none significant.
    """
    public, coverage, context = small_map_inputs
    boxes = [shapely.box(117.4 + i / 100, 0.1, 117.41 + i / 100, 0.11) for i in range(3)]
    cells = gpd.GeoDataFrame(
        {"gi_kelas": "tidak_signifikan", "jumlah_kk": [20, 30, 40], C.PERSEN_MISKIN: [10.0, 20.0, 30.0]},
        geometry=boxes,
        crs=4326,
    )
    assert encode_polygons(cells.geometry.iloc[:0]) == []
    page = html_from_map(map_from_indicators(public, context=context, coverage=coverage, cells=cells, max_cells=2))
    assert "(0 dari 3 sel; semua sel di GeoPackage, lapisan sel_h3)" in page


def test_coverage_text_says_who_is_left_out_or_why_there_is_no_share(small_map_inputs) -> None:
    public, _, _ = small_map_inputs
    codes = public[C.KODE_KEL]
    coverage = pd.DataFrame(
        {
            C.KODE_KEL: codes,
            "program": "rtlh",
            "kk_layak": [40, None, None, *[10] * 6],
            "kk_eksklusi": [12, None, None, *[None] * 6],
            "persen_cakupan": [70.0, None, None, *[50.0] * 6],
            C.DISEMBUNYIKAN: ["", "", "kk_layak,kk_eksklusi", *["kk_eksklusi"] * 6],
        }
    )
    themes = kelurahan_themes(public, k=5, coverage=coverage, programs={"rtlh": "RTLH"})
    theme = next(t for t in themes if t.name == "Cakupan RTLH")
    assert theme.texts[:4] == ["70,0 %; 12 KK layak belum menerima", "tanpa kriteria", "disembunyikan", "50,0 %"]
    assert list(theme.classes[:3]) == [3, -1, -1]


def test_vulnerable_share_theme_by_hand() -> None:
    import pandas as pd

    from pipeline.publish.webmap.themes import _share_theme, share_breaks

    counts = pd.Series([2, 10, None, 0], dtype="Float64")  # the third is hidden (< k)
    households = pd.Series([20, 40, 8, 50])
    theme = _share_theme("KK lansia tunggal", counts, households, k=5)
    # 2/20 = 10 %, 10/40 = 25 %, hidden, 0/50 = 0 %
    assert theme.texts == ["10,0 % (2 KK)", "25,0 % (10 KK)", "disembunyikan", "0,0 % (0 KK)"]
    # quintile edges of the shown shares (0, 10, 25), linear between them: 4, 8, 13, 19 (already whole)
    assert share_breaks(pd.Series([10.0, 25.0, 0.0])) == (0.0, 4.0, 8.0, 13.0, 19.0, 100.000001)
    assert theme.classes.tolist() == [2, 4, -1, 0]  # 10 % in 8–13, 25 % in 19–100, 0 % in 0–4
    assert theme.legend[0][1] == "0–4 % KK" and theme.legend[-2][1] == "≥ 19 % KK"


def test_legends_use_decimal_commas() -> None:
    from pipeline.publish.palette import M0_BREAKS, M0_COLORS
    from pipeline.publish.webmap.themes import _range_legend

    labels = [label for _, label in _range_legend(M0_BREAKS, M0_COLORS, "", "disembunyikan")]
    assert labels[:2] == ["0–0,05", "0,05–0,1"] and labels[-2] == "≥ 0,3"


def test_time_zones_by_province() -> None:
    import datetime as dt

    from pipeline.codes import time_zone

    noon = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)
    assert [noon.astimezone(time_zone(kode)).strftime("%H:%M %Z") for kode in ("33.74", "53.71", "91.71")] == [
        "12:00 WIB",  # Semarang
        "13:00 WITA",  # Kupang
        "14:00 WIT",  # Jayapura
    ]
    assert time_zone("64.74").tzname(None) == "WITA"  # Bontang, Kalimantan Timur
    assert time_zone("62.71").tzname(None) == "WIB"  # Palangka Raya, Kalimantan Tengah


def test_the_fdr_level_in_legends_follows_the_config(small_map_inputs) -> None:
    import dataclasses

    from pipeline.publish.palette import fdr_label
    from pipeline.publish.qgis import layer_styles

    assert [fdr_label(a) for a in (0.05, 0.1, 0.025)] == ["5 %", "10 %", "2,5 %"]
    public, coverage, context = small_map_inputs
    page = html_from_map(map_from_indicators(public, context=dataclasses.replace(context, significance=0.1)))
    assert "koreksi uji berganda (FDR) 10 %" in page and "FDR 5 %" not in page
    cells = public[["geometry"]].assign(gi_kelas="panas")
    qml = layer_styles({"sel_h3": cells}, min_households=7, significance=0.025)["sel_h3"][0].qml
    assert "FDR 2,5 %" in qml and "&lt; 7 KK" in qml


def test_priority_list_says_when_no_hot_spot_passes_the_fdr() -> None:
    import pandas as pd

    from pipeline.publish.webmap.panel import priority_html

    frame = pd.DataFrame(
        {
            C.NAMA_KEL: ["A", "B"],
            C.PERINGKAT: [1, 2],
            C.SKOR_PRIORITAS: [0.8, 0.4],
            "skor_ekstrem": [1.0, 0.5],
            "skor_titik_panas": [0.0, 0.0],
        }
    )
    weights = {"kk_miskin_ekstrem": 1.0, "titik_panas": 1.0}
    text = priority_html(frame, weights, significance=0.10)
    assert "Tidak ada kelurahan yang menjadi titik panas" in text and "FDR 10 %" in text
    assert "Tidak ada kelurahan" not in priority_html(frame.assign(skor_titik_panas=[1.0, 0.0]), weights)
