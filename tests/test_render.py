from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import pytest

from pipeline import columns as C
from pipeline.config import PovertyRule
from pipeline.indicators import (
    classify_poverty,
    count_columns,
    kecamatan_indicators,
    kelurahan_indicators,
    region_summary,
)
from pipeline.join import join_households
from pipeline.pockets import local_gi_star
from pipeline.privacy import SIXTEEN_DIGITS, suppress_small_counts
from pipeline.render import (
    SYNTHETIC_NOTICE,
    MapContext,
    RenderError,
    count_breaks,
    format_date,
    format_int,
    format_percent,
    html_from_map,
    map_from_indicators,
    stable_element_ids,
)
from pipeline.validate import validate_households

from .conftest import grid_boundaries, household_rows


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
def small_map_inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, MapContext]:
    boundaries = grid_boundaries(3, 3)
    codes = boundaries[C.KODE_KEL].str.replace(".", "", regex=False)
    rows = [{C.KODE_KEL: code, C.DESIL: str(1 + (i * 7 + j) % 10)} for i, code in enumerate(codes) for j in range(12)]
    accepted, _ = validate_households(household_rows(rows))
    joined, _ = join_households(accepted, boundaries)
    kel = kelurahan_indicators(classify_poverty(joined, rule=PovertyRule()), boundaries)
    kel = local_gi_star(kel, crs="EPSG:32650", permutations=99, seed=1)
    public = suppress_small_counts(kel, k=5, counts=count_columns(kel))
    kec = kecamatan_indicators(kel)[[C.KODE_KEC, C.NAMA_KEC, "geometry"]]
    context = MapContext("Kota Uji", dt.date(2026, 9, 30), True, 5, PovertyRule().describe(), region_summary(kel), "x")
    return public, kec, context


def test_map_is_offline_repeatable_and_says_synthetic(small_map_inputs) -> None:
    public, kec, context = small_map_inputs
    first = html_from_map(map_from_indicators(public, kecamatan=kec, context=context))
    second = html_from_map(map_from_indicators(public, kecamatan=kec, context=context))
    assert first == second
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", first)
    assert "Leaflet 1.9" in first  # the library itself is inlined
    assert SYNTHETIC_NOTICE in first
    assert "disembunyikan" in first  # small counts are shown as hidden
    assert first.count("Kel 1") >= 1 and "Jumlah KK" in first


def test_map_refuses_a_projected_frame(small_map_inputs) -> None:
    public, kec, context = small_map_inputs
    with pytest.raises(RenderError, match="EPSG:4326"):
        map_from_indicators(public.to_crs("EPSG:32650"), kecamatan=kec, context=context)
