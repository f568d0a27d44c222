"""Real headless Chromium for the map tests, with the network blocked.

Chromium comes from Debian (``make test`` installs it); these fixtures never
skip for want of a browser: a missing browser is a failure with instructions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
from playwright.sync_api import Page, sync_playwright

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

    def open(self, path: Path) -> Offline:
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(".leaflet-overlay-pane path.kantong-kel")
        return self

    def control(self, name: str):
        """The input of the layer-control entry called ``name``."""
        return self.page.locator(".leaflet-control-layers label", has_text=name).locator("input")

    def fills(self) -> set[str]:
        return set(self.page.eval_on_selector_all("path.kantong-kel", "els => els.map(e => e.getAttribute('fill'))"))


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


@pytest.fixture(params=["demo_run", "kupang_run"], ids=["demo", "kupang"])
def region(request: pytest.FixtureRequest) -> Path:
    """The outputs folder of one region: the demo, then a real one."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def offline(browser) -> Iterator[Offline]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, service_workers="block")
    yield Offline(context.new_page())
    context.close()


def gpkg(region: Path, layer: str, **kwargs):
    return pyogrio.read_dataframe(region / f"{region.name}.gpkg", layer=layer, **kwargs)


def map_data(page: Page) -> dict:
    return json.loads(page.locator('script[type="application/json"][id$="_data"]').text_content())


@pytest.fixture
def phone(browser) -> Iterator[Offline]:
    """A 390 x 844 touch screen (a common phone), network blocked."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, service_workers="block"
    )
    yield Offline(context.new_page())
    context.close()
