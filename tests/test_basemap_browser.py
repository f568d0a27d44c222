"""The offline basemap as a planner sees it: real headless Chromium, network blocked."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from pipeline.publish.palette import BASEMAP_ATTRIBUTION, BASEMAP_LAYER, BASEMAP_WATER, ROAD_STYLE
from pipeline.publish.webmap.assemble import html_from_map, map_from_indicators

from .browser import Offline
from .conftest import small_map

#: Pixels of the basemap's canvas in one colour (exact: the inside of a filled area or a wide line).
_PIXELS = """([r, g, b]) => {
    const canvas = document.querySelector('.leaflet-kantongDasar-pane canvas');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) n++;
    }
    return n;
}"""


def _rgb(color: str) -> list[int]:
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def _zoom(page, zoom: int) -> None:
    page.evaluate(f"kantong.map.setView(kantong.layer.getBounds().getCenter(), {zoom}, {{animate: false}})")
    page.wait_for_timeout(400)  # the names are placed at the next frame


def _attribution_uncovered(page) -> bool:
    """The attribution is on screen and nothing lies over its middle."""
    return page.evaluate(
        """() => { const a = document.querySelector('.leaflet-control-attribution');
            const r = a.getBoundingClientRect();
            if (!r.width || r.right > innerWidth || r.bottom > innerHeight) return false;
            const hit = document.elementFromPoint(r.left + r.width * 0.75, r.top + r.height / 2);
            return a.contains(hit); }"""
    )


def test_demo_basemap_draws_roads_water_and_names_offline(offline: Offline, demo_run: Path) -> None:
    page = offline.open(demo_run / "peta.html").page
    assert offline.control(BASEMAP_LAYER).is_checked()
    attribution = page.locator(".leaflet-control-attribution")
    assert BASEMAP_ATTRIBUTION in attribution.inner_text() and _attribution_uncovered(page)
    # the whole city: the sea around the island and the main roads, on the canvas under the kelurahan
    assert page.evaluate(_PIXELS, _rgb(BASEMAP_WATER)) > 50_000
    assert page.evaluate(_PIXELS, _rgb(ROAD_STYLE["arteri"][0])) > 200
    assert page.evaluate("document.querySelector('.leaflet-kantongDasar-pane').style.zIndex") == "250"
    _zoom(page, 14)
    places = page.locator(".kantong-label-tempat")
    assert places.count() > 0 and places.first.is_visible()
    assert page.evaluate(_PIXELS, _rgb(ROAD_STYLE["lingkungan"][0])) > 500  # neighbourhood streets from zoom 14
    icons = page.locator(".kantong-fasilitas")
    assert icons.count() > 10
    puskesmas = page.locator(".kantong-fasilitas", has_text="+").first
    puskesmas.hover(force=True)
    tip = page.locator(".leaflet-tooltip.kantong-tooltip", has_text="Puskesmas")
    tip.wait_for()
    assert tip.inner_text().startswith("Puskesmas: Puskesmas ")
    _zoom(page, 15)
    roads = page.locator(".kantong-label-jalan")
    assert roads.count() > 0 and any(t.startswith("Jalan ") for t in roads.all_inner_texts())
    # names never overlap one another (kelurahan, places and roads share one placement)
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.kantong-label-kel, .kantong-label-tempat')]
            .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
    )
    overlaps = [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1
    ]
    assert overlaps == []
    # turned off: the canvas is empty and the place names go; the attribution stays
    offline.control(BASEMAP_LAYER).uncheck()
    page.wait_for_timeout(300)
    assert page.evaluate(_PIXELS, _rgb(BASEMAP_WATER)) == 0  # the canvas is cleared
    assert page.locator(".kantong-label-tempat").count() == 0 and page.locator(".kantong-fasilitas").count() == 0
    assert BASEMAP_ATTRIBUTION in attribution.inner_text()
    offline.control(BASEMAP_LAYER).check()
    # on paper the attribution is printed too, clear of the legend
    page.emulate_media(media="print")
    page.wait_for_timeout(300)
    assert _attribution_uncovered(page)
    assert offline.blocked == [] and offline.console_errors == [] and offline.page_errors == []


def test_basemap_names_from_the_extract_render_as_text(offline: Offline, tmp_path: Path) -> None:
    evil = '<img src=x onerror="window.kantongXss=1">{{ 7 * 7 }}'
    public, coverage, context = small_map()
    x, y = shapely.get_coordinates(public.geometry.union_all().centroid)[0]
    line = shapely.LineString([(x - 0.01, y - 0.0045), (x + 0.01, y - 0.0044)])  # between two rows of names

    def frame(rows: list[dict], geometry: list) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometry, crs=4326)

    layers = {
        "perairan": frame([], []).assign(kelas=pd.Series(dtype=object), nama=pd.Series(dtype=object)),
        "sungai": frame([], []).assign(kelas=pd.Series(dtype=object), nama=pd.Series(dtype=object)),
        "jalan": frame([{"kelas": "arteri", "osm": "primary", "nama": f"Jalan {evil}"}], [line]),
        "tempat": frame([{"kelas": "kota", "nama": f"Kota {evil}"}], [shapely.Point(x, y + 0.004)]),
        "fasilitas_umum": frame([{"kelas": "pasar", "nama": f"Pasar {evil}"}], [shapely.Point(x + 0.004, y - 0.004)]),
    }
    page_html = html_from_map(map_from_indicators(public, context=context, coverage=coverage, basemap=layers))
    assert "<img src=x" not in page_html  # the JSON escapes < and >; the labels show the text (below)
    (tmp_path / "peta.html").write_text(page_html, encoding="utf-8")
    page = offline.open(tmp_path / "peta.html").page
    _zoom(page, 15)
    assert f"Kota {evil}" in page.locator(".kantong-label-tempat").all_text_contents()
    assert f"Jalan {evil}" in page.locator(".kantong-label-jalan").all_text_contents()
    page.locator(".kantong-fasilitas").first.hover(force=True)
    page.locator(".leaflet-tooltip.kantong-tooltip", has_text="Pasar").wait_for()
    assert page.locator(".leaflet-tooltip.kantong-tooltip", has_text="Pasar").inner_text() == f"Pasar: Pasar {evil}"
    assert page.evaluate("window.kantongXss") is None and page.locator(".leaflet-pane img[src='x']").count() == 0
    assert offline.page_errors == []
