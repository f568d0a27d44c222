"""Benchmark: with no real cluster, does chance still move kelurahan up the priority list?

Run with ``make bench`` (or ``python bench/bench_null_priority.py [regions...]``).
It prints a table; it does not pass or fail.

For the demo and each seed region, the region is analysed once (its own
synthetic register, as ``make maps`` builds it). Then, for each of
``KANTONG_BENCH_NULL_SEEDS`` seeds (default 20), the households' poverty
labels are shuffled among them: poverty becomes spatially random at the
region's own rate and with its own household counts. The kelurahan counts,
EB rates, Gi* (999 permutations, the region's seed) and the priority score
are recomputed (``maks_panas_mentah`` counts the chance hot classes of
the raw rate too: the EB rate of a region with no real spread is often
flat, as Marshall's between-area variance is then estimated below zero).
A run is *clean* when the hot-spot component
``skor_titik_panas`` is zero for every kelurahan.

Two scores are compared: ``kelas_saja`` gives points to every Gi* hot
class (as before), ``lolos_fdr`` only to hot spots that survive the
Benjamini-Hochberg FDR (as the pipeline does now).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import columns as C
from pipeline.analyse.hotspots import kelurahan_hotspots
from pipeline.analyse.indicators import eb_rates
from pipeline.analyse.priority import prioritise
from pipeline.config import load_config
from pipeline.run import analyse_region

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ("demo", "bontang", "kupang", "pekalongan", "palangka_raya", "dompu")
SEEDS = int(os.environ.get("KANTONG_BENCH_NULL_SEEDS", "20"))


def null_runs(region: str, seeds: int) -> pd.DataFrame:
    """One row per seed: kelurahan with a hot class, with an FDR-significant one, and both component sums."""
    config = load_config(ROOT / "regions" / f"{region}.toml")
    analysis = analyse_region(config)
    households = analysis.households
    boundaries = analysis.kelurahan[[C.KODE_KEL, C.NAMA_KEL, C.JUMLAH_KK, C.MPI_M0, "geometry"]]
    labels = households[[C.MISKIN, C.MISKIN_EKSTREM]].to_numpy()
    codes = households[C.KODE_KEL].to_numpy()
    settings = config.analysis
    rows = []
    for seed in range(seeds):
        shuffled = labels[np.random.default_rng(seed).permutation(len(labels))]
        counts = (
            pd.DataFrame({C.KODE_KEL: codes, C.KK_MISKIN: shuffled[:, 0], C.KK_MISKIN_EKSTREM: shuffled[:, 1]})
            .astype({C.KK_MISKIN: "int64", C.KK_MISKIN_EKSTREM: "int64"})
            .groupby(C.KODE_KEL)
            .sum()
        )
        kel = boundaries.merge(counts, left_on=C.KODE_KEL, right_index=True, how="left").fillna(
            {C.KK_MISKIN: 0, C.KK_MISKIN_EKSTREM: 0}
        )
        kel[C.PERSEN_MISKIN] = (100 * kel[C.KK_MISKIN] / kel[C.JUMLAH_KK].where(kel[C.JUMLAH_KK] > 0)).astype(float)
        kel = eb_rates(kel, small_base=settings.small_base_households)
        kel = kelurahan_hotspots(
            kel,
            crs=analysis.projected_crs,
            permutations=settings.permutations,
            seed=settings.seed,
            significance=settings.significance,
        )
        gated = prioritise(kel)["skor_titik_panas"].fillna(0)
        ungated = prioritise(kel.assign(gi_fdr_eb=True))["skor_titik_panas"].fillna(0)
        rows.append(
            {
                "wilayah": region,
                "seed": seed,
                "kelurahan": len(kel),
                "kelas_panas_mentah": int(kel["gi_kelas"].str.startswith("panas").sum()),
                "kelas_panas": int(kel["gi_kelas_eb"].str.startswith("panas").sum()),
                "panas_lolos_fdr": int((kel["gi_kelas_eb"].str.startswith("panas") & kel["gi_fdr_eb"]).sum()),
                "bersih_kelas_saja": bool((ungated == 0).all()),
                "bersih_lolos_fdr": bool((gated == 0).all()),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str]) -> int:
    shared = ROOT.parent / "shared" / "data"
    os.environ.setdefault("KANTONG_SHARED_DATA", str(shared))
    if not shared.is_dir():
        print(f"skipped: {shared} not found (the seed regions use the shared real boundaries)")  # noqa: T201
        return 0
    logging.disable(logging.WARNING)
    regions = argv[1:] or list(REGIONS)
    table = pd.concat([null_runs(region, SEEDS) for region in regions], ignore_index=True)
    summary = table.groupby("wilayah", sort=False).agg(
        kelurahan=("kelurahan", "first"),
        maks_panas_mentah=("kelas_panas_mentah", "max"),
        rata_kelas_panas=("kelas_panas", "mean"),
        maks_kelas_panas=("kelas_panas", "max"),
        maks_panas_lolos_fdr=("panas_lolos_fdr", "max"),
        bersih_kelas_saja=("bersih_kelas_saja", "mean"),
        bersih_lolos_fdr=("bersih_lolos_fdr", "mean"),
    )
    print(  # noqa: T201
        f"Null runs: poverty labels shuffled among households, {SEEDS} seeds per region. "
        "'bersih' = share of runs where the hot-spot component of the priority is 0 for every kelurahan."
    )
    pd.set_option("display.width", 200)
    print(summary.round(3).to_string())  # noqa: T201
    print(  # noqa: T201
        f"all: kelas_saja {table['bersih_kelas_saja'].mean():.3f}, lolos_fdr {table['bersih_lolos_fdr'].mean():.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
