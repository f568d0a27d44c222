"""The map as a planner sees it: real headless Chromium, network blocked.

Chromium comes from Debian (``make test`` installs it); these tests never
skip for want of a browser: a missing browser is a failure with
instructions. Each map is checked twice over: the small demo region and a
real one (Kota Kupang's 51 kelurahan from ``../shared``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from playwright.sync_api import expect

from pipeline.publish.palette import BASEMAP_LAYER
from pipeline.publish.webmap.assemble import html_from_map, map_from_indicators
from pipeline.publish.webmap.themes import LAYER_CELLS, LAYER_KEC, LAYER_OSM, LAYER_POCKET

from .browser import Offline
from .browser import gpkg as _gpkg
from .browser import map_data as _map_data
from .conftest import small_map


def test_map_draws_every_kelurahan_offline_without_errors(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    expected = len(_gpkg(region, "kelurahan", read_geometry=False))
    assert page.locator(".leaflet-overlay-pane path.kantong-kel").count() == expected
    assert offline.console_errors == []
    assert offline.page_errors == []
    assert offline.blocked == []  # nothing even tried to reach the network
    assert "DATA SINTETIS" in page.locator("#kantong-panel").inner_text()
    assert page.locator(".leaflet-control-scale-line").inner_text().strip().endswith(("m", "km"))
    shot = region / f"tangkapan_{region.name}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_every_theme_recolours_the_map_and_shows_its_legend(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    themes = _map_data(page)["themes"]
    assert len(themes) >= 10  # poverty, programmes, exclusion, overlap, vulnerable groups
    radios = page.locator(".leaflet-control-layers-base label")
    assert [label.strip() for label in radios.all_inner_texts()] == [t["name"] for t in themes]
    for i, theme in enumerate(themes):
        radios.nth(i).locator("input").check()
        legend = page.locator(f'.kantong-legend-blok[data-tema="{i}"]')
        assert legend.is_visible(), theme["name"]
        assert legend.locator(".judul").inner_text() == theme["name"]
        assert page.locator(".kantong-legend-blok[data-tema]:visible").count() == 1
        assert offline.fills() <= {*theme["colors"], "#bdbdbd"}, theme["name"]
    groups = page.locator(".kantong-grup").all_inner_texts()
    assert groups[:2] == ["Kemiskinan", "Program dan OPD"] and "Kelompok rentan" in groups
    assert offline.console_errors == [] and offline.page_errors == []


def test_every_overlay_toggles_with_its_legend(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    overlays = [label.strip() for label in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    pockets = len(_gpkg(region, "kantong", read_geometry=False))
    cells = len(_gpkg(region, "sel_h3", read_geometry=False))
    count = {  # what each overlay draws, counted on the page
        LAYER_POCKET: ("document.querySelectorAll('path.kantong-pocket').length", 2 * pockets),  # halo + line
        LAYER_CELLS: ("window.kantong.cellLayer ? window.kantong.cellLayer.getLayers().length : 0", cells),
        LAYER_KEC: (
            "document.querySelectorAll('.kantong-label').length",
            len(_gpkg(region, "kecamatan", read_geometry=False)),
        ),
    }
    # the demo has an (invented) OpenStreetMap extract, Kupang's seed region none
    basemap = [BASEMAP_LAYER] if 'id="kantong-peta-dasar"' in (region / "peta.html").read_text("utf-8") else []
    assert overlays == [*basemap, LAYER_OSM, LAYER_CELLS, *([LAYER_POCKET] if pockets else []), LAYER_KEC]
    for name in overlays[len(basemap) + 1 :]:
        script, expected = count[name]
        box = offline.control(name)
        legend = page.locator(f'.kantong-legend-blok[data-layer="{name}"]')
        for _ in range(2):  # from its opening state, and back
            box.click()
            on = box.is_checked()
            shown = page.evaluate(script) if name != LAYER_CELLS or on else 0
            assert shown == (expected if on else 0), name
            if legend.count():
                assert legend.is_visible() == on, name
    cells_legend = page.locator(f'.kantong-legend-blok[data-layer="{LAYER_CELLS}"]').inner_text()
    assert "disembunyikan: < 5 KK" in cells_legend
    # the cells are drawn on one canvas (a regency has thousands), not one SVG path each
    offline.control(LAYER_CELLS).check()
    assert page.locator(".leaflet-kantongSel-pane canvas").count() == 1  # above the kelurahan, under the pockets
    assert page.locator("path.kantong-sel").count() == 0
    # one tooltip serves every cell: hover the largest cell on screen
    x, y = page.evaluate(
        """() => { const m = window.kantong.map, box = m.getContainer().getBoundingClientRect();
            const layers = window.kantong.cellLayer.getLayers().filter(l => m.getBounds().contains(l.getCenter()));
            const p = m.latLngToContainerPoint(layers[Math.floor(layers.length / 2)].getCenter());
            return [box.left + p.x, box.top + p.y]; }"""
    )
    page.mouse.move(x, y)
    page.mouse.move(x + 1, y)
    cell_tip = page.locator(".leaflet-tooltip.kantong-tooltip", has_text="Sel H3")
    cell_tip.wait_for()
    assert "Jumlah KK" in cell_tip.inner_text()
    if pockets:  # ranks are badges on the map; the outline is drawn above the cells and takes no click
        assert page.locator(".kantong-label-kantong").first.inner_text() == "1"
        pane = page.evaluate(
            "[...document.querySelectorAll('path.kantong-pocket')].map(p => [p.closest('.leaflet-pane').style.zIndex,"
            " p.getAttribute('fill'), getComputedStyle(p).pointerEvents])"
        )
        assert {tuple(p) for p in pane} == {("420", "none", "none")}
    assert offline.console_errors == [] and offline.page_errors == []


def test_search_finds_a_kelurahan_by_part_of_its_name(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    names = _gpkg(region, "kelurahan", read_geometry=False)["nama_kel"]
    name = sorted(names, key=len)[-1]
    part = name[1:6].lower()
    page.locator(".kantong-cari input").fill(part)
    page.keyboard.press("Enter")
    popup = page.locator(".kantong-profil")
    popup.wait_for()
    title = popup.locator("h3").inner_text()
    assert part in title.lower() and title in set(names)
    page.locator(".kantong-cari input").fill("tidak ada kelurahan bernama ini")
    page.keyboard.press("Enter")
    assert page.locator(".kantong-cari-hasil").inner_text() == "Tidak ditemukan"


def test_hover_shows_an_indonesian_tooltip(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    page.locator(".leaflet-overlay-pane path.kantong-kel").nth(3).hover(force=True)
    tooltip = page.locator(".leaflet-tooltip.kantong-tooltip")
    tooltip.wait_for()
    text = tooltip.inner_text()
    for label in ("Kecamatan", "Jumlah KK", "Persentase KK miskin & rentan"):
        assert label in text
    assert " KK" in text and "%" in text or "disembunyikan" in text


def test_click_opens_the_profile_with_a_programme_chart(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    data = _map_data(page)
    records = data["kel"]
    # the kelurahan with the most programme shares shown
    best = max(range(len(records)), key=lambda i: sum(v is not None for v in records[i]["pc"]))
    name = records[best]["n"]
    kelurahan = _gpkg(region, "kelurahan")
    point = kelurahan.loc[kelurahan["nama_kel"] == name].geometry.iloc[0].representative_point()
    x, y = page.evaluate(
        """([i, lat, lon]) => {
            const layer = window.kantong.layer.getLayers()[i];
            window.kantong.show(layer);
            const p = window.kantong.map.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y];
        }""",
        [best, point.y, point.x],
    )
    page.mouse.click(x, y)
    popup = page.locator(".kantong-profil")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == name
    for label in ("Jumlah KK", "KK miskin ekstrem", "Titik panas (Gi*)", "KK layak tanpa program"):
        assert label in popup.inner_text()
    chart = popup.locator("svg.kantong-grafik-program")
    assert chart.is_visible()
    texts = chart.locator("text").all_text_contents()  # per programme: its name, then its coverage
    assert texts[0::2] == [p["name"] for p in data["programs"]]
    assert all(t.endswith(" %") or t in ("disembunyikan", "tanpa kriteria") for t in texts[1::2])
    shown = sum(v is not None for v in records[best]["pc"])
    assert chart.locator("rect.batang").count() == shown >= 1
    popup.screenshot(path=str(region / f"tangkapan_profil_{region.name}.png"))
    assert offline.console_errors == [] and offline.page_errors == []


def test_fullscreen_and_print_layout(offline: Offline, demo_run: Path) -> None:
    page = offline.open(demo_run / "peta.html").page
    page.locator(".kantong-layar-penuh").click()
    page.wait_for_function("document.fullscreenElement !== null")
    page.locator(".kantong-layar-penuh").click()
    page.wait_for_function("document.fullscreenElement === null")
    page.emulate_media(media="print")
    assert not page.locator(".leaflet-control-layers").is_visible()
    assert not page.locator(".kantong-cari").is_visible()
    assert page.locator("#kantong-panel").is_visible() and page.locator("#kantong-legend").is_visible()
    page.screenshot(path=str(demo_run / "tangkapan_cetak.png"))
    assert offline.page_errors == []


def test_osm_background_offline_falls_back_to_the_plain_one(offline: Offline, demo_run: Path) -> None:
    page = offline.open(demo_run / "peta.html").page
    offline.control(LAYER_OSM).click()  # not check(): offline it may be unchecked again at once
    expect(offline.control(LAYER_OSM)).not_to_be_checked()  # the layer is taken off again
    assert len(offline.blocked) == 1  # one tile was tried, and blocked, as offline
    assert "tidak ada internet" in page.locator("#kantong-pesan").inner_text()
    assert len(offline.console_errors) <= 1 and offline.page_errors == []  # Chromium logs the failed request


def test_names_from_input_files_render_as_text(offline: Offline, tmp_path: Path) -> None:
    evil = '<img src=x onerror="window.kantongXss=1">'
    public, coverage, context = small_map(names={0: f"Kel {evil}", 4: f"</script>{evil}"})
    public["nama_kec"] = public["nama_kec"].where(public.index != 0, f"Kec {evil}")
    template = '{{ "hasil" ~ "Jinja" }}'  # Jinja would turn this into hasilJinja
    region = f'<script>window.kantongXss=2</script><svg onload="window.kantongXss=3">{template}'
    context = dataclasses.replace(context, region_name=region, poverty_rule=f"desil {evil}", generated=template)
    page_html = html_from_map(
        map_from_indicators(public, context=context, coverage=coverage, programs={"pkh": f"PKH {evil}{template}"})
    )
    assert "hasilJinja" not in page_html  # no input text was evaluated as a template
    (tmp_path / "peta.html").write_text(page_html, encoding="utf-8")
    page = offline.open(tmp_path / "peta.html").page
    page.locator(".kantong-cari input").fill("Kel <img")
    page.keyboard.press("Enter")
    popup = page.locator(".kantong-profil")
    popup.wait_for()
    assert evil in popup.locator("h3").inner_text()  # shown as text
    assert f"PKH {evil}" in popup.inner_text()  # the programme name in the chart too
    page.locator(".leaflet-overlay-pane path.kantong-kel").nth(4).hover(force=True)
    page.locator(".leaflet-tooltip.kantong-tooltip").wait_for()
    assert evil in page.locator(".leaflet-tooltip.kantong-tooltip").inner_text()
    assert evil in " ".join(page.locator(".kantong-label").all_text_contents())  # kecamatan label
    assert f"Kel {evil}" in page.locator(".kantong-label-kel").all_text_contents()  # kelurahan label
    assert page.evaluate("window.kantongXss") is None
    assert page.locator(".leaflet-pane img[src='x']").count() == 0
    assert page.locator("#kantong-panel h1").inner_text() == region  # panel title: text
    assert page.title().endswith(region)  # page title: text
    assert page.locator("#kantong-panel script, #kantong-panel svg[onload]").count() == 0
    assert template in page.locator(".leaflet-control-layers").inner_text()  # programme theme name
    assert offline.page_errors == []
