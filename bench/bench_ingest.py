"""Benchmark: read and validate one million synthetic households from CSV and
from XLSX, each in a fresh process, with its peak memory (run with `make bench`).

Prints figures; it does not pass or fail. ``KANTONG_BENCH_INGEST`` sets the
number of rows (default 1,000,000).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = int(os.environ.get("KANTONG_BENCH_INGEST", "1000000"))
CHILD = """
import json, sys, time
from pipeline.ingest import excel
from pipeline.ingest.households import households_from_file
if sys.argv[2] == "cell":  # the cell-by-cell reader that fastexcel replaced, for the ratio
    def _cell_only(book, name, path):
        raise excel._MixedColumn("benchmark of the cell-by-cell reader")
    excel._fast_sheet = _cell_only
from pipeline.ingest.validate import validate_households
start = time.perf_counter()
raw = households_from_file(sys.argv[1])
read = time.perf_counter() - start
accepted, quarantine = validate_households(raw)
validate = time.perf_counter() - start - read
# VmHWM is this process image's own peak RSS (ru_maxrss would include the parent's, from before exec)
status = open("/proc/self/status").read()
peak_kib = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
print(json.dumps({"read": read, "validate": validate, "peak_mib": peak_kib / 1024,
                  "rows": len(raw), "accepted": len(accepted), "quarantined": len(quarantine)}))
"""


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def measure(path: Path, reader: str = "fast") -> dict:
    """Read and validate ``path`` in a fresh process; return its figures, peak RSS included.

    ``reader="cell"`` reads a workbook cell by cell with python-calamine, as before fastexcel.
    """
    command = [sys.executable, "-c", CHILD, str(path), reader]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"child failed on {path.name}:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    import pandas as pd

    from pipeline.demo.boundaries import synthetic_boundaries
    from pipeline.demo.households import synthetic_households
    from pipeline.publish.write import to_csv

    boundaries = synthetic_boundaries().rename(
        columns={"kode": "kode_kel", "nama": "nama_kel", "kec_kode": "kode_kec", "kec_nama": "nama_kec"}
    )
    with tempfile.TemporaryDirectory() as tmp:
        households = synthetic_households(boundaries, n=N, seed=1)
        csv = to_csv(households, Path(tmp) / "rumah_tangga.csv")
        start = time.perf_counter()
        xlsx = Path(tmp) / "rumah_tangga.xlsx"
        with pd.ExcelWriter(xlsx, engine="xlsxwriter") as writer:  # written once, only for this benchmark
            households.to_excel(writer, index=False, sheet_name="Keluarga")
        say(
            f"{N:,} households x {households.shape[1]} columns; XLSX written in {time.perf_counter() - start:.0f}s "
            f"({xlsx.stat().st_size / 2**20:.0f} MiB; CSV {csv.stat().st_size / 2**20:.0f} MiB)"
        )
        say(
            f"{'format':>11} {'read':>8} {'validate':>9} {'total':>8} {'peak RSS':>9}  rows in = accepted + quarantined"
        )
        del households
        reads = {}
        for label, path, reader in (("csv", csv, "fast"), ("xlsx", xlsx, "fast"), ("xlsx (cell)", xlsx, "cell")):
            figures = measure(path, reader)
            reads[label] = figures["read"]
            peak = figures["peak_mib"]
            total = figures["read"] + figures["validate"]
            say(
                f"{label:>11} {figures['read']:>7.2f}s {figures['validate']:>8.2f}s {total:>7.2f}s {peak:>7.0f} MiB"
                f"  {figures['rows']:,} = {figures['accepted']:,} + {figures['quarantined']:,}"
            )
        say(
            f"XLSX read: fastexcel {reads['xlsx']:.2f}s vs cell by cell {reads['xlsx (cell)']:.2f}s "
            f"({reads['xlsx (cell)'] / reads['xlsx']:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
