"""Benchmark: the 35 kab/kota of Jawa Tengah as Dask tasks, on 1 and on 2 workers (run with `make bench`).

Each kab/kota of ``../shared``'s Jawa Tengah file becomes a region: its
kelurahan/desa, kecamatan and kab/kota layers cut into a GeoPackage of its
own, ``KANTONG_BENCH_MANY_HOUSEHOLDS`` synthetic households (default
40,000, about 165 per kelurahan/desa; at 10,000, about 35 per desa, most
counts are small and the disclosure LP audit takes minutes per kabupaten)
and Kota Kupang's settings. ``kantong run-many`` then builds all 35
on a LocalCluster of 1 worker and of 2 workers (each from an empty outputs
folder, so both pay for the boundary diagnostics). Prints the wall times,
the speed-up, the cost per region, and the projection for Indonesia's 514
kab/kota written down in ``bench/README.md``.

The plain geopandas reference in the same run: reading each kab/kota's
boundaries and register with geopandas/pandas and ``sjoin`` (what a script
would do per region before any analysis), serially.

Prints figures; it does not pass or fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_map import PROVINCE, ROOT, say  # the same Jawa Tengah file
from bench_scale import plain_join

HOUSEHOLDS = int(os.environ.get("KANTONG_BENCH_MANY_HOUSEHOLDS", "40000"))
#: Indonesia: kab/kota and DTSEN families (the issue's figures).
NATIONAL_REGIONS = 514
NATIONAL_FAMILIES = 94_000_000


def kantong(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode == 1 and args[0] == "run-many":  # some regions failed: say which, keep the timing
        for line in (done.stdout + done.stderr).splitlines():
            if line.startswith("gagal:"):
                say(f"    {line}")
    elif done.returncode:
        raise SystemExit(f"kantong {' '.join(args[:2])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def kabkota_regions(tmp: Path) -> list[Path]:
    """One GeoPackage and one TOML per kab/kota of the province file; returns the TOMLs."""
    import pyogrio

    template = (ROOT / "regions" / "kupang.toml").read_text(encoding="utf-8")
    layers = {name: pyogrio.read_dataframe(PROVINCE, layer=name) for name in ("kelurahan", "kecamatan", "kabkota")}
    codes = sorted(layers["kabkota"]["kode"].astype(str))
    names = dict(zip(layers["kabkota"]["kode"].astype(str), layers["kabkota"]["nama"].astype(str), strict=True))
    configs = []
    for code in codes:
        slug = f"kab_{code.replace('.', '')}"
        folder = tmp / slug
        (folder / "data").mkdir(parents=True)
        gpkg = folder / "batas.gpkg"
        for name, layer in layers.items():
            part = layer[layer["kode"].astype(str).str.startswith(code)]
            pyogrio.write_dataframe(part, gpkg, layer=name)
        text = template
        for old, new in (
            (r'slug = "kupang"', f'slug = "{slug}"'),
            (r'name = "Kota Kupang"', f'name = "{names[code]}"'),
            (r'kode = "53.71"', f'kode = "{code}"'),
            (r'path = ".*kupang_admin_boundaries.gpkg"', f'path = "{gpkg.as_posix()}"'),
            (r"\.\./data/kupang/", "data/"),
            (r"(?m)^households = \d+", f"households = {HOUSEHOLDS}"),
            (r"(?m)^pockets = \d+", "pockets = 3"),
        ):
            text, count = re.subn(old, new, text)
            if not count:
                raise SystemExit(f"regions/kupang.toml changed: no match for {old!r}; update bench/bench_many.py")
        config = folder / f"{slug}.toml"
        config.write_text(text, encoding="utf-8")
        configs.append(config)
    return configs


def plain_geopandas(configs: list[Path]) -> float:
    start = time.perf_counter()
    for config in configs:
        plain_join(config.parent / "data" / "rumah_tangga.csv", config.parent / "batas.gpkg")
    return time.perf_counter() - start


def main() -> int:
    if not PROVINCE.exists():
        say(f"run-many: {PROVINCE} not found (set KANTONG_SHARED_DATA); skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        configs = kabkota_regions(tmp)
        say(f"run-many: the {len(configs)} kab/kota of Jawa Tengah, {HOUSEHOLDS:,} synthetic households each")
        start = time.perf_counter()
        for config in configs:
            kantong("synth", str(config))
        say(f"  synth: {time.perf_counter() - start:.0f} s")
        plain = plain_geopandas(configs)
        walls = {}
        for workers in (1, 2):
            walls[workers] = kantong(
                "run-many", *map(str, configs), "--workers", str(workers), "--out", str(tmp / f"out_{workers}")
            )
            say(
                f"  {workers} worker{'s' if workers > 1 else ''}: {walls[workers]:7.1f} s wall "
                f"({walls[workers] / len(configs):.1f} s per region; {walls[workers] / plain:.1f}x plain geopandas "
                f"read + sjoin of the same regions, serial: {plain:.1f} s)"
            )
        speedup = walls[1] / walls[2]
        say(f"  speed-up 2 workers / 1 worker: {speedup:.2f}x (ideal 2.00x)")
        per_region = walls[1] / len(configs)
        say(
            f"  projection (bench/README.md): {NATIONAL_REGIONS} kab/kota at {per_region:.1f} s each "
            f"= {NATIONAL_REGIONS * per_region / 3600:.1f} worker-hours at {HOUSEHOLDS:,} households per region; "
            f"see the README for the per-household term ({NATIONAL_FAMILIES / NATIONAL_REGIONS:,.0f} families per region)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
