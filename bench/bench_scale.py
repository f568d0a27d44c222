"""Benchmark: a province register end to end, per stage, with peak memory (run with `make bench`).

Provinsi Jawa Tengah (the 8,563 real kelurahan/desa of ``../shared``) with
``KANTONG_BENCH_SCALE_HOUSEHOLDS`` synthetic households (default 1,000,000):

1. ``kantong synth`` writes the register (seconds, peak RSS);
2. a first ``kantong run`` fills the cache of the boundary file;
3. a second run, warm, is timed per stage in its own process, with its
   peak RSS (budget: <= 30 s wall, <= 2 GB for 1 M households);
4. ``kantong provinsi`` on the same register: split by kab/kota, the 35
   kab/kota as tasks on a local cluster, the province overview (wall time,
   peak RSS of all its processes, rows, kab/kota that failed);
5. ``KANTONG_BENCH_LARGE_HOUSEHOLDS`` (10,000,000; 0 skips it): a
   register of that size, generated in chunks, and ``kantong provinsi`` on
   it (budget at 10 M: <= 5 min, <= 8 GB). The single-region run is not
   timed at that size: it holds the register in memory.

Each figure is printed with its ratio against plain geopandas in the same
run: reading the same CSV with pandas, ``points_from_xy``, ``gpd.sjoin``
to the boundaries and a count per kelurahan (what any script would do
first, without validation, statistics or outputs).

Prints figures; it does not pass or fail.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_map import PROVINCE, ROOT, province_config, say  # the same Jawa Tengah configuration

HOUSEHOLDS = int(os.environ.get("KANTONG_BENCH_SCALE_HOUSEHOLDS", "1000000"))
LARGE = int(os.environ.get("KANTONG_BENCH_LARGE_HOUSEHOLDS", "10000000"))
GB = 1024**3


def measured(*args: str) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in GB, stdout) of a child Python process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / GB, done.stdout


def one_run(config: str, out: str) -> None:
    """In a child process: run the region, print stage seconds and peak RSS as JSON."""
    from pipeline.config import load_config
    from pipeline.run import run_region

    times: dict[str, float] = {}
    clock = {"stage": "", "start": time.perf_counter()}

    def on_stage(stage: str) -> None:
        now = time.perf_counter()
        if clock["stage"]:
            times[clock["stage"]] = now - clock["start"]
        clock.update(stage=stage, start=now)

    start = time.perf_counter()
    run_region(load_config(config), out_dir=out, on_stage=on_stage)
    times[clock["stage"]] = time.perf_counter() - clock["start"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB
    sys.stdout.write(json.dumps({"stages": times, "wall": time.perf_counter() - start, "peak_gb": peak}) + "\n")


def province_run(config: Path, out: Path) -> float:
    """``kantong provinsi`` on the same register: split by kab/kota, each a task, then the overview.

    Its memory is the peak of the summed RSS of the command and its Dask
    worker processes, sampled every 0.2 s (psutil, installed with distributed).
    """
    import psutil

    start = time.perf_counter()
    command = [sys.executable, "-m", "pipeline", "provinsi", str(config), "--out", str(out)]
    log = out.with_suffix(".log")
    with log.open("w", encoding="utf-8") as sink:  # a file, not a pipe: a full pipe would stall the run
        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    root, peak, split = psutil.Process(child.pid), 0, None
    while child.poll() is None:
        total = 0
        for proc in [root, *root.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # ended between the listing and the reading
                pass
        peak = max(peak, total)
        if split is None and " household rows into " in log.read_text(encoding="utf-8", errors="replace"):
            split = (time.perf_counter() - start, peak)  # the split is done; the kab/kota tasks start
        time.sleep(0.2 if split else 1.0)
    wall = time.perf_counter() - start
    lines = log.read_text(encoding="utf-8").splitlines()
    if child.returncode not in (0, 1):
        raise SystemExit("kantong provinsi failed:\n" + "\n".join(lines[-30:]))
    say(
        f"  province run (kantong provinsi, local cluster): {wall:7.1f} s wall, peak RSS of all processes {peak / GB:.2f} GB"
    )
    if split:
        say(f"    of which reading and splitting the register: {split[0]:.1f} s, peak RSS {split[1] / GB:.2f} GB")
    for line in lines:
        if line.startswith(("gagal:", "jawa_tengah:")):
            say(f"    {line}")
    return wall


def plain_join(register: Path, boundaries: Path) -> None:
    """What any script does first: read the register and the kelurahan, ``sjoin``, count per kelurahan."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    frame = pd.read_csv(register, dtype=str)
    lat = pd.to_numeric(frame.filter(regex="(?i)^lat").iloc[:, 0].str.replace(",", "."), errors="coerce")
    lon = pd.to_numeric(frame.filter(regex="(?i)^lon").iloc[:, 0].str.replace(",", "."), errors="coerce")
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    areas = pyogrio.read_dataframe(boundaries, layer="kelurahan")
    gpd.sjoin(points, areas[["geometry"]], predicate="within").groupby("index_right").size()


def plain_geopandas(config: str) -> None:
    """In a child process: the plain geopandas baseline, printed as JSON seconds."""
    start = time.perf_counter()
    plain_join(Path(config).parent / "data" / "rumah_tangga.csv", PROVINCE)
    sys.stdout.write(json.dumps({"wall": time.perf_counter() - start}) + "\n")


def main() -> int:
    if not PROVINCE.exists():
        say(f"scale: {PROVINCE} not found (set KANTONG_SHARED_DATA); skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = province_config(tmp, HOUSEHOLDS)
        out = tmp / "outputs"
        say(f"scale: Provinsi Jawa Tengah (8,563 kelurahan/desa), {HOUSEHOLDS:,} synthetic households")
        wall, peak, _ = measured("-m", "pipeline", "synth", str(config))
        say(f"  synth (kantong synth): {wall:7.1f} s wall, peak RSS {peak:.2f} GB")
        wall, _, _ = measured("-m", "pipeline", "run", str(config), "--out", str(out))
        say(f"  first run (fills the boundary cache): {wall:7.1f} s wall")
        _, _, text = measured(__file__, "--one", str(config), str(out))
        run = json.loads(text.strip().splitlines()[-1])
        _, _, text = measured(__file__, "--plain", str(config))
        plain = json.loads(text.strip().splitlines()[-1])["wall"]
        say(f"  warm run, per stage (plain geopandas read + sjoin + count: {plain:.1f} s):")
        for stage, seconds in run["stages"].items():
            say(f"    {stage:<11} {seconds:7.2f} s  ({seconds / plain:5.2f}x plain)")
        say(
            f"  warm run total: {run['wall']:.1f} s wall ({run['wall'] / plain:.1f}x plain geopandas), "
            f"peak RSS {run['peak_gb']:.2f} GB  (budget at 1 M: <= 30 s, <= 2 GB)"
        )
        province_run(config, tmp / "provinsi")
        if LARGE:
            (tmp / "besar").mkdir()
            large = province_config(tmp / "besar", LARGE)
            say(f"scale: Provinsi Jawa Tengah, {LARGE:,} synthetic households (budget: <= 5 min, <= 8 GB)")
            wall, peak, _ = measured("-m", "pipeline", "synth", str(large))
            say(f"  synth in chunks (kantong synth): {wall:7.1f} s wall, peak RSS {peak:.2f} GB")
            wall = province_run(large, tmp / "besar" / "provinsi")
            scaled = plain * LARGE / HOUSEHOLDS  # plain geopandas itself would hold the whole register in memory
            say(f"    {wall / scaled:.1f}x plain geopandas projected from {HOUSEHOLDS:,} ({scaled:.1f} s, not run)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one_run(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["--plain"]:
        plain_geopandas(sys.argv[2])
    else:
        raise SystemExit(main())
