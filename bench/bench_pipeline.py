"""Benchmark: time each stage on large synthetic inputs (run with `make bench`).

Prints figures; it does not pass or fail. Sizes can be changed with
``KANTONG_BENCH_SIZES`` (comma-separated household counts).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from pipeline import columns as C
from pipeline.analyse.hotspots import local_gi_star
from pipeline.analyse.indicators import classify_poverty, kelurahan_indicators
from pipeline.demo.boundaries import synthetic_boundaries
from pipeline.demo.households import synthetic_households
from pipeline.ingest.boundaries import boundaries_from_file
from pipeline.ingest.households import households_from_file
from pipeline.ingest.join import join_households
from pipeline.ingest.validate import validate_households
from pipeline.publish.write import to_csv, to_geopackage
from pipeline.settings import PovertyRule, Program

SIZES = [int(s) for s in os.environ.get("KANTONG_BENCH_SIZES", "50000,200000,1000000").split(",")]
SHARED = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "boundaries" / "kupang" / "kupang_admin_boundaries.gpkg"
)
PROGRAMS = tuple(Program(code=c, name=c, opd="-", funding="APBN") for c in ("pkh", "bpnt", "pbi_jkn", "pip", "rtlh"))


def timed(label: str, results: dict[str, float], func, *args, **kwargs):
    start = time.perf_counter()
    out = func(*args, **kwargs)
    results[label] = time.perf_counter() - start
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if SHARED.exists():
            source, label = SHARED, "Kota Kupang (51 real kelurahan)"
        else:
            source, label = tmp / "kota_contoh.gpkg", "Kota Contoh (20 synthetic kelurahan)"
            to_geopackage({"kelurahan": synthetic_boundaries()}, source)
        boundaries = boundaries_from_file(source, layer="kelurahan")
        sys.stdout.write(f"boundaries: {label}\n")
        header = f"{'households':>10} " + " ".join(
            f"{s:>10}" for s in ("read_csv", "validate", "join", "indicators", "gi_star", "total", "rows/s")
        )
        sys.stdout.write(header + "\n")
        for n in SIZES:
            csv = tmp / f"households_{n}.csv"
            to_csv(synthetic_households(boundaries, n=n, seed=1), csv)
            t: dict[str, float] = {}
            raw = timed("read_csv", t, households_from_file, csv)
            accepted, _ = timed("validate", t, validate_households, raw)
            joined, _ = timed("join", t, join_households, accepted, boundaries)
            kel = timed(
                "indicators",
                t,
                lambda j: kelurahan_indicators(classify_poverty(j, rule=PovertyRule()), boundaries, programs=PROGRAMS),
                joined,
            )
            timed("gi_star", t, local_gi_star, kel, column=C.PERSEN_MISKIN, crs=boundaries.estimate_utm_crs(), seed=1)
            total = sum(t.values())
            cells = " ".join(f"{t[k]:>9.2f}s" for k in ("read_csv", "validate", "join", "indicators", "gi_star"))
            sys.stdout.write(f"{n:>10} {cells} {total:>9.2f}s {n / total:>10,.0f}\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
