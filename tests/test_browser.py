"""The map as a planner sees it: real headless Chromium, network blocked.

Chromium comes from Debian (``make test`` installs it); these tests never
skip: a missing browser is a failure with instructions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
from playwright.sync_api import Page, sync_playwright

from pipeline.render import LAYER_CELLS, LAYER_CHANGE, LAYER_EXTREME, LAYER_GI, LAYER_KEC, LAYER_POCKET, LAYER_RATE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Offline:
    """A page with every non-file request aborted, recording what happened."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.route("**/*", self._route)
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium) or `apt-get install chromium`"
        )
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def offline(browser, demo_run: Path) -> Iterator[Offline]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, service_workers="block")
    page = context.new_page()
    state = Offline(page)
    page.goto((demo_run / "peta.html").as_uri())
    page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
    yield state
    context.close()


def test_map_draws_every_kelurahan_offline_without_errors(offline: Offline, demo_run: Path, tmp_path: Path) -> None:
    page = offline.page
    expected = len(pyogrio.read_dataframe(demo_run / "uji.gpkg", layer="kelurahan", read_geometry=False))
    assert page.locator(".leaflet-overlay-pane path.kantong-kel").count() == expected == 20
    assert offline.console_errors == []
    assert offline.page_errors == []
    assert offline.blocked == []  # nothing even tried to reach the network
    assert "DATA SINTETIS" in page.locator("#kantong-panel").inner_text()
    page.screenshot(path=str(tmp_path / "peta_demo.png"))
    assert (tmp_path / "peta_demo.png").stat().st_size > 10_000


def test_layer_control_lists_layers_and_toggles_legends(offline: Offline, demo_run: Path) -> None:
    page = offline.page
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    pockets = len(pyogrio.read_dataframe(demo_run / "uji.gpkg", layer="kantong", read_geometry=False))
    expected = [
        LAYER_RATE,
        LAYER_EXTREME,
        LAYER_GI,
        LAYER_CHANGE,
        LAYER_CELLS,
        *([LAYER_POCKET] if pockets else []),
        LAYER_KEC,
    ]
    assert [label.strip() for label in labels] == expected
    assert page.locator("path.kantong-pocket").count() == pockets  # pockets are shown from the start
    cells = page.locator(f'.kantong-legend-blok[data-layer="{LAYER_CELLS}"]')
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_CELLS).locator("input").check()
    assert cells.is_visible() and "disembunyikan: < 5 KK" in cells.inner_text()
    assert page.locator("path.kantong-sel").count() == len(
        pyogrio.read_dataframe(demo_run / "uji.gpkg", layer="sel_h3")
    )
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_CELLS).locator("input").uncheck()
    change = page.locator(f'.kantong-legend-blok[data-layer="{LAYER_CHANGE}"]')
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_CHANGE).locator("input").check()
    assert change.is_visible() and "naik > 20 KK" in change.inner_text()
    assert page.locator("path.kantong-perubahan").count() == 20
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_CHANGE).locator("input").uncheck()
    legend = page.locator(f'.kantong-legend-blok[data-layer="{LAYER_GI}"]')
    assert not legend.is_visible()
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_GI).locator("input").check()
    assert legend.is_visible()
    assert "Titik panas (99 %)" in legend.inner_text()
    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_RATE).locator("input").uncheck()
    assert not page.locator(f'.kantong-legend-blok[data-layer="{LAYER_RATE}"]').is_visible()
    assert offline.console_errors == [] and offline.page_errors == []


def test_hover_shows_an_indonesian_tooltip(offline: Offline) -> None:
    page = offline.page
    page.locator(".leaflet-overlay-pane path.kantong-kel").nth(3).hover(force=True)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    text = tooltip.inner_text()
    for label in ("Kelurahan", "Kecamatan", "Jumlah KK", "Persentase miskin"):
        assert label in text
    assert " KK" in text and "%" in text


def test_switching_to_osm_offline_raises_no_page_error(offline: Offline) -> None:
    page = offline.page
    page.locator(".leaflet-control-layers-base label", has_text="OpenStreetMap").locator("input").check()
    page.wait_for_timeout(300)
    assert offline.page_errors == []
    assert offline.blocked  # tiles were requested and blocked, as offline
