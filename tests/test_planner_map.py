"""The three questions a planner brings to the map, answered in Chromium (network blocked).

Where are the pockets? Which kelurahan first? Which programme misses whom?
One test per finding of the planner-map review, on the demo and on Kota
Kupang (51 real kelurahan from ``../shared``), at laptop size (1400 x 900),
phone size (390 x 844) and on A4 paper.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from pipeline.publish.webmap.themes import LAYER_GI, LAYER_POCKET

from .browser import Offline, gpkg, map_data

#: Leaflet's English interface words; none may be left on the page.
LEAFLET_ENGLISH = ("Zoom in", "Zoom out", "Layers", "Close popup", "A JavaScript library", "interactive maps")


def _top(region: Path, n: int = 5) -> pd.DataFrame:
    kelurahan = gpkg(region, "kelurahan")
    return kelurahan.dropna(subset=["peringkat_prioritas"]).sort_values("peringkat_prioritas").head(n)


def _score(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _count(value: float) -> str:
    return "disembunyikan" if pd.isna(value) else f"{int(value):,}".replace(",", ".")


def _rects_overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and (b["y"] < a["y"] + a["height"])
    )


def _clickable_point(page, polygon: shapely.Geometry) -> tuple[float, float]:
    """A screen point inside ``polygon`` that is not under a pocket badge: its centre first, else a grid point."""
    inner = polygon.buffer(-polygon.length / 200) if polygon.area else polygon
    candidates = [inner.representative_point()]
    minx, miny, maxx, maxy = inner.bounds
    for fx in np.linspace(0.1, 0.9, 9):
        for fy in np.linspace(0.1, 0.9, 9):
            point = shapely.Point(minx + fx * (maxx - minx), miny + fy * (maxy - miny))
            if inner.contains(point):
                candidates.append(point)
    for point in candidates:
        x, y, hit = page.evaluate(
            """([lat, lon]) => {
                const p = window.kantong.map.latLngToContainerPoint([lat, lon]);
                const box = window.kantong.map.getContainer().getBoundingClientRect();
                const el = document.elementFromPoint(box.left + p.x, box.top + p.y);
                return [box.left + p.x, box.top + p.y, el ? el.className.baseVal || el.className : ""];
            }""",
            [point.y, point.x],
        )
        if "kantong-label-kantong" not in str(hit):
            return x, y
    raise AssertionError("no point of the kelurahan is free of pocket badges")


def test_a_click_anywhere_in_a_top_kelurahan_opens_its_profile_with_pockets_on(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    pockets = gpkg(region, "kantong")
    if len(pockets):
        assert offline.control(LAYER_POCKET).is_checked()  # on by default, as the planner sees it
    records = map_data(page)["kel"]
    names = [r["n"] for r in records]
    for _, row in _top(region).iterrows():
        i = names.index(row["nama_kel"])
        page.evaluate("i => window.kantong.show(window.kantong.layer.getLayers()[i])", i)
        x, y = _clickable_point(page, row.geometry)
        hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute('class')", [x, y])
        assert "kantong-kel" in hit, (row["nama_kel"], hit)  # the kelurahan, not a pocket, takes the click
        page.mouse.click(x, y)
        profile = page.locator(".kantong-profil")
        profile.wait_for()
        assert profile.locator("h3").inner_text() == row["nama_kel"]
        # the profile lists the pockets the kelurahan holds, by their badge numbers
        code = row["kode_kel"]
        held = pockets[[code in spanned.split(",") for spanned in pockets["kode_kel"]]]
        expected = "no. " + ", ".join(str(r) for r in held["peringkat"]) if len(held) else "tidak ada"
        if len(pockets):
            assert f"Kantong kemiskinan di sini{expected}" in profile.inner_text().replace("\t", "").replace("\n", "")
        page.evaluate("window.kantong.map.closePopup()")
    if len(pockets):  # a pocket's own details open from its numbered badge
        page.evaluate("window.kantong.fit(window.kantong.layer.getBounds(), 18)")
        page.locator(".kantong-label-kantong", has_text=re.compile(r"^1$")).click()
        details = page.locator(".kantong-profil h3", has_text="Kantong kemiskinan no. 1")
        details.wait_for()
        first = pockets.sort_values("peringkat").iloc[0]
        assert f"{int(first['jumlah_kk']):,} KK".replace(",", ".") in page.locator(".kantong-profil").inner_text()
    assert offline.page_errors == []


def test_kelurahan_names_show_at_the_first_view_without_overlap(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    n = len(gpkg(region, "kelurahan", read_geometry=False))
    labels = page.locator(".kantong-label-kel")
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert len(boxes) >= 0.3 * n, f"{len(boxes)} of {n} kelurahan named at the first view"
    obstacles = [
        page.locator(sel).nth(i).bounding_box()
        for sel in (".kantong-label", ".kantong-label-kantong")
        for i in range(page.locator(sel).count())
    ]
    for i, a in enumerate(boxes):
        assert not any(_rects_overlap(a, b) for b in boxes[i + 1 :]), "two kelurahan names overlap"
        assert not any(_rects_overlap(a, b) for b in obstacles if b), "a name overlaps a kecamatan name or badge"
    # zooming in places the names again, for the new view
    before = sorted(labels.all_text_contents())
    page.evaluate("window.kantong.map.setZoom(window.kantong.map.getZoom() + 2, {animate: false})")
    page.wait_for_function(
        "before => JSON.stringify([...document.querySelectorAll('.kantong-label-kel')].map(e => e.textContent).sort())"
        " !== JSON.stringify(before)",
        arg=before,
    )
    assert labels.count() > 0
    assert offline.page_errors == []


def test_the_priority_list_shows_the_published_score_and_opens_each_kelurahan(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    top = _top(region)
    items = page.locator(".kantong-prioritas li")
    assert items.count() == len(top) == 5
    shown = [int(items.nth(i).get_attribute("value")) for i in range(5)]
    assert shown == top["peringkat_prioritas"].astype(int).tolist() and len(set(shown)) == 5  # no shared ranks
    if shown != [1, 2, 3, 4, 5]:  # a rank hidden by small-count suppression is said to be hidden
        assert "disembunyikan" in page.locator(".kantong-prioritas-celah").inner_text()
    for i, (_, row) in enumerate(top.iterrows()):
        assert items.nth(i).locator("a").inner_text() == row["nama_kel"]
        assert items.nth(i).locator(".skor").inner_text() == _score(row["skor_prioritas"])
        parts = items.nth(i).locator(".kantong-komponen").inner_text()
        assert f"ekstrem {_score(row['skor_ekstrem'])}" in parts and f"persentase {_score(row['skor_eb'])}" in parts
    panel = page.locator("#kantong-panel").inner_text()
    assert "skor sama" in panel.lower() and "kode wilayah" in panel  # the tie rule is stated
    for i, (_, row) in enumerate(top.iterrows()):
        items.nth(i).locator("a").click()
        page.locator(".kantong-profil h3", has_text=row["nama_kel"]).wait_for()
        # zoomed to it: the kelurahan's point is on screen, right of the panel
        x, y = page.evaluate(
            "([lat, lon]) => { const p = window.kantong.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            [row.geometry.representative_point().y, row.geometry.representative_point().x],
        )
        assert 300 < x < 1400 and 0 < y < 900
    assert offline.page_errors == []


def test_the_programme_gap_section_answers_who_is_missed(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    themes = [t["name"] for t in map_data(page)["themes"]]
    opd = gpkg(region, "cakupan_opd", read_geometry=False).set_index("program")
    per_kel = gpkg(region, "cakupan_program", read_geometry=False)
    table = page.locator(".kantong-program")
    assert table.is_visible()
    box, panel = table.bounding_box(), page.locator("#kantong-panel").bounding_box()
    assert box["x"] + box["width"] <= panel["x"] + panel["width"], "the table is wider than the panel"
    links = table.locator("a[data-tema]")
    assert links.count() == len(opd)
    for i, (code, row) in enumerate(opd.iterrows()):
        link = links.nth(i)
        cells = link.locator("xpath=ancestor::tr/following-sibling::tr[1]").locator("td")
        if pd.notna(row["kk_layak"]):
            eligible, reached, missed = (" ".join(cells.nth(j).inner_text().split()) for j in (0, 1, 2))
            assert eligible == _count(row["kk_layak"])
            assert reached.startswith(_count(row["kk_layak_terima"]))
            share = f" ({100 * row['kk_eksklusi'] / row['kk_layak']:.1f} %)".replace(".", ",")
            assert missed == (_count(row["kk_eksklusi"]) + share if pd.notna(row["kk_eksklusi"]) else "disembunyikan")
            worst = per_kel[per_kel["program"] == code].dropna(subset=["kk_eksklusi"])
            worst = worst[worst["kk_eksklusi"] > 0].sort_values("kk_eksklusi", ascending=False, kind="stable").head(3)
            if len(worst):
                line = link.locator("xpath=ancestor::tr/following-sibling::tr[2]").inner_text()
                found = [n.strip() for n in re.findall(r"([^,:]+?) \(\d", line.split(": ", 1)[1])]
                assert list(worst["nama_kel"]) == found
        else:  # no eligibility rule in the register: recipients, and why
            assert "Penerima" in cells.nth(0).inner_text() and "tidak dihitung" in cells.nth(0).inner_text()
        link.click()
        chosen = page.locator(".leaflet-control-layers-base input:checked").locator("xpath=..").inner_text().strip()
        assert chosen == themes[int(link.get_attribute("data-tema"))]
        fills = set(page.eval_on_selector_all("path.kantong-kel", "els => els.map(e => e.getAttribute('fill'))"))
        shown = per_kel.loc[
            per_kel["program"] == code, "persen_cakupan" if pd.notna(row["kk_layak"]) else "kk_penerima"
        ]
        if shown.notna().any():  # grey only where every figure is hidden (under k households)
            assert fills - {"#bdbdbd"}, f"{chosen}: the whole map is grey"
    assert offline.page_errors == []


def test_a_programme_without_a_rule_shows_its_recipients(offline: Offline, kupang_run: Path) -> None:
    """Kupang's register has no eligibility rule for some programmes (PKH and PIP in the review)."""
    page = offline.open(kupang_run / "peta.html").page
    data = map_data(page)
    recipients = [i for i, t in enumerate(data["themes"]) if t["name"].endswith("(tanpa kriteria kelayakan)")]
    assert recipients, "Kupang's synthetic register was expected to lack an eligibility rule for a programme"
    for i in recipients:
        page.locator(".leaflet-control-layers-base input").nth(i).check()
        fills = set(page.eval_on_selector_all("path.kantong-kel", "els => els.map(e => e.getAttribute('fill'))"))
        assert fills - {"#bdbdbd"}
        legend = page.locator(f'.kantong-legend-blok[data-tema="{i}"]').inner_text()
        assert "% KK" in legend and "tidak dihitung" in legend
    assert offline.page_errors == []


def _map_share(page) -> float:
    """Share of the viewport where a tap reaches the map itself (a grid of 20 x 40 probes)."""
    return page.evaluate(
        """() => {
            let free = 0, all = 0;
            const map = window.kantong.map.getContainer();
            for (let i = 0; i < 20; i++) for (let j = 0; j < 40; j++) {
                const el = document.elementFromPoint((i + 0.5) * innerWidth / 20, (j + 0.5) * innerHeight / 40);
                all++;
                if (el && (el === map || el.closest('.leaflet-map-pane'))) free++;
            }
            return free / all;
        }"""
    )


def test_on_a_phone_the_map_comes_first_and_popups_stay_clear(phone: Offline, region: Path) -> None:
    page = phone.open(region / "peta.html").page
    share = _map_share(page)
    assert share >= 0.6, f"the map gets {share:.0%} of a phone screen"
    assert not page.locator("#kantong-panel").is_visible()
    assert not page.locator(".leaflet-control-layers-list").is_visible()  # the layer list is a button
    # the panel opens from its button and closes again
    page.locator(".kantong-buka-panel").tap()
    assert page.locator("#kantong-panel").is_visible()
    assert "Kunjungi lebih dulu" in page.locator("#kantong-panel").inner_text()
    page.locator(".kantong-tutup").tap()
    assert not page.locator("#kantong-panel").is_visible()
    page.locator(".kantong-buka-legenda").tap()
    assert page.locator("#kantong-legend").is_visible()
    page.locator(".kantong-buka-legenda").tap()
    # a tap on the first priority kelurahan: its popup is not under any control
    row = _top(region, 1).iloc[0]
    names = [r["n"] for r in map_data(page)["kel"]]
    page.evaluate("i => window.kantong.show(window.kantong.layer.getLayers()[i])", names.index(row["nama_kel"]))
    x, y = _clickable_point(page, row.geometry)
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    page.wait_for_timeout(400)  # the map pans the popup into view
    box = popup.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] >= 0 and box["y"] + box["height"] <= 844
    # and it uses the room there is: no tiny scroll box on a phone (the profile is longer than 300 px)
    content = page.locator(".leaflet-popup-content")
    assert content.evaluate("e => e.clientHeight") >= min(300, content.evaluate("e => e.scrollHeight"))
    for control in page.locator(".leaflet-control:visible, #kantong-panel:visible, #kantong-legend:visible").all():
        other = control.bounding_box()
        assert not _rects_overlap(box, other), f"the popup lies under {control.get_attribute('class')}"
    page.screenshot(path=str(region / f"tangkapan_ponsel_{region.name}.png"))
    assert phone.page_errors == []


def test_print_fits_one_a4_landscape_page_with_names_legend_scale_and_north(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    page.emulate_media(media="print")
    page.wait_for_function("window.kantong.map.getSize().x < 1100")  # the page's size, not the screen's
    assert page.locator(".kantong-label-kel").count() >= 5
    for selector in ("#kantong-panel", "#kantong-legend", ".kantong-utara", ".leaflet-control-scale-line"):
        assert page.locator(selector).is_visible(), selector
    for selector in (".leaflet-control-layers", ".kantong-cari", ".kantong-program", ".leaflet-control-zoom"):
        assert not page.locator(selector).is_visible(), selector
    panel = page.locator("#kantong-panel").inner_text()
    assert "Tanggal data" in panel and "Sumber: register" in panel and "Jumlah keluarga" in panel
    # the whole region is on the page, right of the panel
    inside = page.evaluate(
        """() => { const b = window.kantong.layer.getBounds(), m = window.kantong.map;
            const sw = m.latLngToContainerPoint(b.getSouthWest()), ne = m.latLngToContainerPoint(b.getNorthEast());
            const s = m.getSize(); return [sw.x, ne.y, ne.x, sw.y, s.x, s.y]; }"""
    )
    x0, y0, x1, y1, width, height = inside
    legend = page.locator("#kantong-legend").bounding_box()
    assert x0 >= 250 and y0 >= 0 and x1 <= legend["x"] + 1 and y1 <= height + 1  # clear of panel and legend
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    (region / f"peta_{region.name}.pdf").write_bytes(pdf)
    assert offline.page_errors == []


def test_the_page_speaks_indonesian(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    assert page.evaluate("document.documentElement.lang") == "id"
    page.locator(".kantong-prioritas a").first.click()  # a popup, with its close button
    page.locator(".kantong-profil").wait_for()
    words = page.evaluate(
        """() => [document.body.innerText,
            ...[...document.querySelectorAll('[title], [aria-label]')].flatMap(e => [e.title, e.getAttribute('aria-label')])
        ].join(' | ')"""
    )
    for english in LEAFLET_ENGLISH:
        assert english not in words, english
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Perbesar"
    legends = page.locator("#kantong-legend").text_content()
    assert not re.search(r"\d\.\d", legends), "a decimal point in a legend"
    panel = page.locator("#kantong-panel").text_content()
    zone = "WITA" if region.name == "kupang" else "WIB"  # Kupang 53.71 is UTC+8; the demo's code reads as WIB
    assert re.search(rf"Dibuat: \d{{4}}-\d\d-\d\d \d\d:\d\d {zone}", panel)
    assert "Cara membaca peta" in panel and "(Empirical Bayes)" in panel and "(FDR)" in panel
    assert page.locator("a.kantong-indeks").get_attribute("href") == "../index.html"
    assert offline.page_errors == []


def test_vulnerable_groups_are_shares_with_the_count_in_the_tooltip(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    data = map_data(page)
    kelurahan = gpkg(region, "kelurahan", read_geometry=False).set_index("nama_kel")
    index = next(i for i, t in enumerate(data["themes"]) if t["name"] == "KK lansia tunggal")
    assert data["themes"][index]["group"] == "Kelompok rentan"
    record = next(r for r in data["kel"] if r["t"][index] != "disembunyikan")
    row = kelurahan.loc[record["n"]]
    share = 100 * row["kk_lansia_tunggal"] / row["jumlah_kk"]
    expected = f"{share:.1f}".replace(".", ",") + f" % ({int(row['kk_lansia_tunggal'])} KK)"
    assert record["t"][index] == expected
    page.locator(".leaflet-control-layers-base input").nth(index).check()
    assert "% KK" in page.locator(f'.kantong-legend-blok[data-tema="{index}"]').inner_text()


def test_the_layer_list_never_runs_under_the_legend(offline: Offline, region: Path) -> None:
    page = offline.open(region / "peta.html").page
    # the Gi* theme has the tallest legend (8 classes and the FDR line)
    page.locator(".leaflet-control-layers label", has_text=LAYER_GI).click()
    legend = page.locator("#kantong-legend")
    assert "Lolos koreksi uji berganda (FDR" in legend.inner_text()
    layers = page.locator(".leaflet-control-layers")
    assert layers.bounding_box()["y"] + layers.bounding_box()["height"] <= legend.bounding_box()["y"]
    # the last entry can still be reached: the list scrolls
    last = page.locator(".leaflet-control-layers-overlays label").last
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box["y"] + box["height"] <= legend.bounding_box()["y"] + 1
    assert offline.page_errors == []
