"""Benchmark: size and first render of the planner map (run with `make bench`).

Builds two regions end to end with the CLI, as a data officer would, in a
temporary folder:

* the demo region (Kota Contoh, 20 kelurahan, 50,000 synthetic households);
* Provinsi Jawa Tengah: the 8,563 real kelurahan/desa of ``../shared`` with
  ``KANTONG_BENCH_PROVINCE_HOUSEHOLDS`` synthetic households (400,000).

For each map it prints the file size against its budget (demo <= 3 MB,
province <= 25 MB) and the time to the first complete render in headless
Chromium with the network blocked (budget <= 3 s for the province):
from navigation start until the map's script has drawn every kelurahan
and wired its controls (``window.kantongSiap``), median and worst of 3.

The offline basemap (``[basemap] osm``), measured on synthetic extracts
(``pipeline.demo.basemap`` with a real city's street density, and
``bench/osm_extract.py`` for an island-sized file):

* what the basemap adds to the map: Kota Kupang (budget <= 1.5 MB) and
  Jawa Tengah (budget <= 6 MB, the whole map still <= 25 MB, first render
  <= 3 s with it);
* reading a city out of a >= 300 MB extract: seconds and peak RSS of the
  process (budget <= 60 s, <= 2 GB), and the second build from the cache.

Prints figures; it does not pass or fail.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KANTONG_SHARED_DATA", ROOT.parent / "shared" / "data"))
PROVINCE = SHARED / "boundaries" / "provinces" / "jawa_tengah_admin_boundaries.gpkg"
PROVINCE_HOUSEHOLDS = int(os.environ.get("KANTONG_BENCH_PROVINCE_HOUSEHOLDS", "400000"))
CHROMIUM = "/usr/bin/chromium"
ROUNDS = 3
MB = 1_000_000


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def kantong(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def demo_config(tmp: Path) -> Path:
    text = (ROOT / "regions" / "demo.toml").read_text(encoding="utf-8").replace("../data/demo/", "data/")
    path = tmp / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def province_config(tmp: Path, households: int = PROVINCE_HOUSEHOLDS) -> Path:
    """Kota Kupang's configuration pointed at the Jawa Tengah province file, with ``households``."""
    text = (ROOT / "regions" / "kupang.toml").read_text(encoding="utf-8")
    for old, new in (
        (r'slug = "kupang"', 'slug = "jawa_tengah"'),
        (r'name = "Kota Kupang"', 'name = "Provinsi Jawa Tengah"'),
        (r'kode = "53.71"', 'kode = "33"'),
        (r'path = ".*kupang_admin_boundaries.gpkg"', f'path = "{PROVINCE.as_posix()}"'),
        (r"\.\./data/kupang/", "data/"),
        (r"(?m)^households = \d+", f"households = {households}"),
        (r"(?m)^pockets = \d+", "pockets = 20"),
    ):
        text, count = re.subn(old, new, text)
        if not count:
            raise SystemExit(f"regions/kupang.toml changed: no match for {old!r}; update bench/bench_map.py")
    path = tmp / "jawa_tengah.toml"
    path.write_text(text, encoding="utf-8")
    return path


def first_render(page_path: Path) -> list[float]:
    """Seconds from navigation start to a drawn, interactive map, in fresh pages, network blocked."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(ROUNDS):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(page_path.as_uri(), timeout=120_000)
            page.wait_for_function("window.kantongSiap !== undefined", timeout=120_000)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            drawn = page.locator("path.kantong-kel").count()
            times.append(page.evaluate("window.kantongSiap") / 1000)
            context.close()
        browser.close()
    say(f"    polygons drawn: {drawn:,}")
    return times


#: In the page: run an action, then wait two animation frames (the result painted); seconds.
_TIMED = """async (action) => {
    const t = performance.now();
    if (action === "on") {
        const label = [...document.querySelectorAll(".leaflet-control-layers-overlays label")]
            .find(l => l.textContent.toLowerCase().includes("sel h3") && l.textContent.includes("titik panas"));
        label.querySelector("input").click();
    } else {
        window.kantong.map.setZoom(window.kantong.map.getZoom() + action, {animate: false});
    }
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return (performance.now() - t) / 1000;
}"""


def cells_speed(page_path: Path) -> tuple[int, float, list[float]]:
    """(cells, seconds to turn the H3 cells on, seconds per zoom step with them on), network blocked.

    Timed inside the page, from the action until two animation frames
    later (the result painted), so the remote-control round trip of the
    test browser is not counted.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        page.goto(page_path.resolve().as_uri(), timeout=120_000)
        page.wait_for_function("window.kantongSiap !== undefined", timeout=120_000)
        on = page.evaluate(_TIMED, "on")
        cells = page.evaluate("window.kantong.cellLayer ? window.kantong.cellLayer.getLayers().length : -1")
        steps = [page.evaluate(_TIMED, delta) for delta in (1, 1, -1, -1)]
        browser.close()
    return cells, on, steps


def report_cells(label: str, config: Path, out: Path) -> None:
    """A regency with many H3 cells: turning them on, and zooming with them on (budget < 1 s each)."""
    kantong("synth", str(config))
    kantong("run", str(config), "--out", str(out))
    cells, on, steps = cells_speed(out / config.stem / "peta.html")
    verdict = "OK" if max(on, *steps) < 1 else "OVER"
    say(
        f"{label}: {cells:,} H3 cells; on {on:.2f}s, zoom steps {', '.join(f'{s:.2f}' for s in steps)}s "
        f"(budget < 1 s each: {verdict})"
    )


BIG_EXTRACT_MB = float(os.environ.get("KANTONG_BENCH_EXTRACT_MB", "320"))
BENCH_CACHE = Path(os.environ.get("KANTONG_BENCH_CACHE", Path(tempfile.gettempdir()) / "kantong-bench"))


def with_basemap(config: Path, *, spacing_m: float, major_spacing_m: float | None = None) -> Path:
    """The region TOML with [basemap] pointing at a synthetic extract of its own boundaries (written here)."""
    import geopandas as gpd

    from pipeline.config import load_config
    from pipeline.demo.basemap import write_synthetic_basemap
    from pipeline.ingest.boundaries import read_boundaries

    source = load_config(config).boundaries
    kelurahan = read_boundaries(source.path, layer=source.layer).to_crs(4326)
    kelurahan = gpd.GeoDataFrame(
        {"nama": [f"K{i}" for i in range(len(kelurahan))], "kec_nama": "X", "kabkota_nama": "Kota"},
        geometry=kelurahan.geometry.values,
        crs=4326,
    )
    extract = config.with_name(f"{config.stem}.osm.pbf")
    start = time.perf_counter()
    write_synthetic_basemap(
        kelurahan, extract, spacing_m=spacing_m, major_spacing_m=major_spacing_m, vertex_m=25 if spacing_m < 500 else 80
    )
    say(f"    synthetic extract {extract.stat().st_size / MB:.1f} MB written in {time.perf_counter() - start:.1f}s")
    config.write_text(config.read_text(encoding="utf-8") + f'\n[basemap]\nosm = "{extract.as_posix()}"\n', "utf-8")
    return config


def basemap_share(html: Path) -> float:
    """MB of the page that the basemap takes (its JSON element and legend)."""
    page = html.read_text(encoding="utf-8")
    element = re.search(r'<script type="application/json" id="kantong-peta-dasar">.*?</script>', page, re.S)
    legend = re.search(r'<div class="kantong-legend-blok" data-layer="Peta dasar[^"]*".*?</div></div>', page, re.S)
    return sum(len(m.group(0).encode()) for m in (element, legend) if m) / MB


def report_extract(tmp: Path) -> None:
    """A city read out of an island-sized extract: seconds and peak RSS (budget <= 60 s, <= 2 GB)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from osm_extract import big_extract

    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    big = big_extract(BENCH_CACHE / "pulau.osm.pbf", bounds=(95.0, -11.0, 141.0, 6.0), target_mb=BIG_EXTRACT_MB)
    say(
        f"extract: {big.stat().st_size / MB:.0f} MB synthetic island extract ready in {time.perf_counter() - start:.0f}s"
    )
    code = (
        "import resource, sys, time; from pathlib import Path; "
        "from pipeline.ingest.basemap import read_basemap, store_basemap; "
        "t = time.perf_counter(); b = read_basemap(Path(sys.argv[1]), bounds=(123.5, -10.3, 123.7, -10.1), "
        "cache=Path(sys.argv[2])); s = time.perf_counter() - t; store_basemap(b, Path(sys.argv[2])); "
        "print(s, sum(len(f) for f in b.layers.values()), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    for round_ in ("first build (reads the extract)", "second build (reads the cache)"):
        result = subprocess.run(
            [sys.executable, "-c", code, str(big), str(tmp / "cache")], check=True, capture_output=True, text=True
        )
        seconds, features, peak = result.stdout.split()
        rss = int(peak) / 1e6  # kB -> GB, the process's own peak
        verdict = "OK" if float(seconds) <= 60 and rss <= 2 else "OVER"
        say(f"    {round_}: {float(seconds):.1f}s, peak RSS {rss:.2f} GB, {int(features):,} features ({verdict}: <= 60 s, <= 2 GB)")  # fmt: skip


def report(
    label: str,
    config: Path,
    out: Path,
    *,
    budget_mb: float,
    budget_s: float | None,
    basemap_mb: float | None = None,
) -> None:
    slug = config.stem
    synth = kantong("synth", str(config))
    run = kantong("run", str(config), "--out", str(out))
    html = out / slug / "peta.html"
    size = html.stat().st_size / MB
    say(f"{label}: synth {synth:.1f}s, run {run:.1f}s (whole pipeline)")
    say(f"    peta.html {size:.2f} MB (budget {budget_mb:g} MB: {'OK' if size <= budget_mb else 'OVER'})")
    if basemap_mb is not None:
        share = basemap_share(html)
        verdict = "OK" if share <= basemap_mb else "OVER"
        say(f"    of which the basemap {share:.2f} MB (budget {basemap_mb:g} MB: {verdict})")
    times = first_render(html)
    verdict = "" if budget_s is None else f" (budget {budget_s:g} s: {'OK' if max(times) <= budget_s else 'OVER'})"
    say(
        f"    first render: median {statistics.median(times):.2f}s, worst {max(times):.2f}s "
        f"[{', '.join(f'{t:.2f}' for t in times)}]{verdict}"
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        report("demo (20 kelurahan, 50,000 households)", demo_config(tmp), tmp / "out", budget_mb=3, budget_s=None)
        dompu = ROOT / "regions" / "dompu.toml"
        if (SHARED / "boundaries" / "dompu").is_dir():
            text = dompu.read_text(encoding="utf-8").replace("../data/dompu/", "data/dompu/")
            text = text.replace("${KANTONG_SHARED_DATA:-../../shared/data}", SHARED.as_posix())
            (tmp / "dompu.toml").write_text(text, encoding="utf-8")
            report_cells("Kabupaten Dompu (H3 layer)", tmp / "dompu.toml", tmp / "out")
        kupang = ROOT / "regions" / "kupang.toml"
        if (SHARED / "boundaries" / "kupang").is_dir():
            text = kupang.read_text(encoding="utf-8").replace("../data/kupang/", "data/kupang/")
            text = text.replace("${KANTONG_SHARED_DATA:-../../shared/data}", SHARED.as_posix())
            (tmp / "kupang.toml").write_text(text, encoding="utf-8")
            say("Kota Kupang with an offline basemap (streets every 120 m, as dense as a real city centre):")
            report(
                "Kota Kupang (51 kelurahan) with basemap",
                with_basemap(tmp / "kupang.toml", spacing_m=120),
                tmp / "out",
                budget_mb=3,
                budget_s=None,
                basemap_mb=1.5,
            )
        report_extract(tmp)
        if not PROVINCE.exists():
            say(f"province skipped: {PROVINCE} not found (set KANTONG_SHARED_DATA)")
            return 0
        province = province_config(tmp)
        say("Jawa Tengah with an offline basemap (streets every 1 km, local roads every 4 km):")
        report(
            f"Jawa Tengah (8,563 kelurahan/desa, {PROVINCE_HOUSEHOLDS:,} households) with basemap",
            with_basemap(province, spacing_m=1000, major_spacing_m=4000),
            tmp / "out",
            budget_mb=25,
            budget_s=3,
            basemap_mb=6,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
