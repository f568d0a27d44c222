"""Benchmark: do the H3 pockets find what is there, and nothing that is not?

Run with ``make bench`` (or ``python bench/bench_pockets.py [recovery|null|speed]``).
It prints tables; it does not pass or fail.

**Recovery.** Households are placed like settlements (clusters plus a
scattered background) on the real kelurahan of three cities in
``../shared/data/boundaries``. Poverty pockets of known centre and radius
are planted: inside a pocket a household is poor with probability
``P_POCKET``, elsewhere with ``P_BASE``. The pipeline's own functions then
aggregate to H3 cells, run Gi* with the FDR and merge pockets, at the
default settings. Recall and precision are measured against the planted
discs, by households and by area, over four layouts and several seeds.

Two layouts probe the edges: ``kecil`` plants pockets of only 15-30
households (the disc reaching the 15th-30th nearest household of a
settlement centre), and ``pesisir`` centres pockets on the region's own
outline (the coast, or the regency border), so that part of each disc lies
outside the region. Recall is also reported per planted pocket by its size
in households, to show where it falls.

Each layout is scored twice: ``sebelum`` as the pipeline was before pockets
had a minimum size and a clip (groups of >= 5 households, hexagons as they
are), and ``sesudah`` as it is now (``[analysis] min_pocket_households`` =
2 k = 10, clipped to the kelurahan). ``luar_km2`` is the pocket area outside
the region.

**Null.** The same households with poverty spatially random at the same
overall rate: the share of seeds for which no pocket at all is reported.

**Speed.** 1,000,000 located households over a city: H3 aggregation, Gi*
and pocket merge, step by step.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline import columns as C
from pipeline.analyse.pockets import aggregate_cells, cell_hotspots, cell_ids, label_pockets, merge_pockets
from pipeline.demo.households import _sample_points

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "boundaries"
CITIES = ("kupang", "pekalongan", "palangka_raya")
HOUSEHOLDS = int(os.environ.get("KANTONG_BENCH_HOUSEHOLDS", "100000"))
SEEDS = int(os.environ.get("KANTONG_BENCH_SEEDS", "5"))
NULL_SEEDS = int(os.environ.get("KANTONG_BENCH_NULL_SEEDS", "40"))
P_BASE = 0.30
P_POCKET = 0.70
#: layout -> (number of pockets, radius in metres, placement)
LAYOUTS: dict[str, tuple[int, float, str]] = {
    "satu_besar": (1, 800.0, "settlement"),
    "jalur_sungai": (3, 500.0, "line"),
    "tersebar": (4, 500.0, "settlement"),
    "lintas_batas": (2, 600.0, "boundary"),
    "kecil": (4, 0.0, "small"),
    "pesisir": (2, 500.0, "coast"),
}
#: (minimum pocket households, clip to the region) before and after the analytical-soundness issue.
VARIANTS: dict[str, tuple[int, bool]] = {"sebelum": (5, False), "sesudah": (10, True)}


def city(name: str) -> gpd.GeoDataFrame:
    path = SHARED / name / f"{name}_admin_boundaries.gpkg"
    kel = gpd.read_file(path, layer="kelurahan")[["kode", "nama", "geometry"]]
    kel["geometry"] = shapely.make_valid(kel.geometry.values)
    return kel.rename(columns={"kode": C.KODE_KEL, "nama": C.NAMA_KEL})


def place_households(kel: gpd.GeoDataFrame, n: int, seed: int):
    """Settlement-like points (projected metres), their kelurahan, and the settlement centres."""
    utm = kel.estimate_utm_crs()
    metric = kel.to_crs(utm)
    polygons = metric.geometry.values
    scale = float(np.sqrt(shapely.area(shapely.union_all(polygons))))
    rng = np.random.default_rng(seed)
    x, y, centres, _ = _sample_points(
        rng, polygons, n, clusters=max(12, min(400, len(kel) * 3)), cluster_share=0.85, metric_scale=scale / 6
    )
    tree = shapely.STRtree(polygons)
    hit = tree.query(shapely.points(x, y), predicate="within")
    first = pd.Series(hit[1]).groupby(hit[0]).min()
    which = np.zeros(n, dtype=int)
    which[first.index.to_numpy()] = first.to_numpy()
    return utm, metric, x, y, centres, metric[C.KODE_KEL].to_numpy()[which]


def plant(layout: str, rng, metric, x, y, centres) -> list[shapely.Polygon]:
    count, radius, placement = LAYOUTS[layout]
    density = np.array([np.sum((x - cx) ** 2 + (y - cy) ** 2 < radius**2) for cx, cy in centres])
    populated = centres[density >= np.quantile(density, 0.5)]
    if placement == "settlement":
        chosen = []
        for c in rng.permutation(populated):
            if all(np.hypot(*(c - o)) > 3 * radius for o in chosen):
                chosen.append(c)
            if len(chosen) == count:
                break
    elif placement == "line":
        start = populated[rng.integers(len(populated))]
        angle = rng.uniform(0, np.pi)
        step = 2.6 * radius * np.array([np.cos(angle), np.sin(angle)])
        chosen = [start + i * step for i in range(count)]
    elif placement == "small":
        chosen, radii = [], []
        for c in rng.permutation(populated):
            if all(np.hypot(*(c - o)) > 2000 for o in chosen):
                size = int(rng.integers(15, 31))
                distances = np.sort(np.hypot(x - c[0], y - c[1]))
                chosen.append(c)
                radii.append(float((distances[size - 1] + distances[size]) / 2))
            if len(chosen) == count:
                break
        return [shapely.Point(c).buffer(r, quad_segs=32) for c, r in zip(chosen, radii, strict=True)]
    elif placement == "coast":
        outline = shapely.boundary(shapely.union_all(metric.geometry.values))
        chosen = []
        for c in rng.permutation(populated):
            nearest = np.array(shapely.get_coordinates(shapely.shortest_line(shapely.Point(c), outline))[1])
            near_homes = np.sum(np.hypot(x - nearest[0], y - nearest[1]) < radius)
            if near_homes >= 30 and all(np.hypot(*(nearest - o)) > 3 * radius for o in chosen):
                chosen.append(nearest)
            if len(chosen) == count:
                break
    else:  # centred on a shared kelurahan boundary near a settlement
        boundaries = shapely.union_all(shapely.boundary(metric.geometry.values))
        outline = shapely.boundary(shapely.union_all(metric.geometry.values))
        inner = shapely.difference(boundaries, shapely.buffer(outline, radius))
        chosen = []
        for c in rng.permutation(populated):
            nearest = np.array(shapely.get_coordinates(shapely.shortest_line(shapely.Point(c), inner))[1])
            if np.hypot(*(nearest - c)) < 1500 and all(np.hypot(*(nearest - o)) > 3 * radius for o in chosen):
                chosen.append(nearest)
            if len(chosen) == count:
                break
    return [shapely.Point(c).buffer(radius, quad_segs=32) for c in chosen]


def households_frame(x, y, codes, poor, utm) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            C.KODE_KEL: codes,
            C.MISKIN: poor,
            C.MISKIN_EKSTREM: np.zeros(len(x), dtype=bool),
            C.METODE_LOKASI: "titik",
        },
        geometry=shapely.points(x, y),
        crs=utm,
    ).to_crs("EPSG:4326")


def detect(
    households: gpd.GeoDataFrame, *, region: gpd.GeoDataFrame | None = None, variant: str = "sesudah"
) -> gpd.GeoDataFrame:
    """The pipeline's pockets at the default settings (``variant``: see :data:`VARIANTS`)."""
    smallest, clip = VARIANTS[variant]
    cells = label_pockets(
        cell_hotspots(aggregate_cells(households, resolution=9), significance=0.05), min_households=smallest
    )
    return merge_pockets(cells, region=region if clip else None)


def score(planted, detected_metric, x, y, inhabited, land) -> dict[str, float]:
    """Recall and precision by households and by inhabited area (the occupied H3 cells, within the region)."""
    truth = shapely.intersection(shapely.intersection(shapely.union_all(planted), inhabited), land)
    found = shapely.union_all(detected_metric) if len(detected_metric) else shapely.Polygon()
    points = shapely.points(x, y)
    in_truth = shapely.contains_xy(truth, x, y)
    in_found = shapely.contains_xy(found, x, y) if not found.is_empty else np.zeros(len(points), dtype=bool)
    both = in_truth & in_found
    overlap = shapely.area(shapely.intersection(truth, found))
    return {
        "recall_kk": both.sum() / max(in_truth.sum(), 1),
        "precision_kk": both.sum() / in_found.sum() if in_found.sum() else np.nan,
        "recall_luas": overlap / shapely.area(truth),
        "precision_luas": overlap / shapely.area(found) if not found.is_empty else np.nan,
        "kantong_ditanam": len(planted),
        "kantong_terdeteksi": len(detected_metric),
        "kk_kantong": int(in_truth.sum()),
        "luar_km2": shapely.area(shapely.difference(found, land)) / 1e6 if not found.is_empty else 0.0,
    }


def per_pocket(planted, detected_metric, x, y) -> list[dict[str, float]]:
    """Each planted pocket: its households, and the share of them inside a detected pocket."""
    found = shapely.union_all(detected_metric) if len(detected_metric) else shapely.Polygon()
    rows = []
    for disc in planted:
        inside = shapely.contains_xy(disc, x, y)
        hit = shapely.contains_xy(found, x[inside], y[inside]) if not found.is_empty else np.zeros(inside.sum())
        rows.append({"kk_ditanam": int(inside.sum()), "recall_kk": float(np.mean(hit)) if inside.any() else np.nan})
    return rows


def recovery() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per city, seed, layout and variant; and one per planted pocket."""
    rows, pockets_rows = [], []
    for name in CITIES:
        kel = city(name)
        for seed in range(SEEDS):
            utm, metric, x, y, centres, codes = place_households(kel, HOUSEHOLDS, seed)
            land = shapely.union_all(metric.geometry.values)
            occupied = aggregate_cells(households_frame(x, y, codes, np.zeros(len(x), dtype=bool), utm), resolution=9)
            inhabited = shapely.union_all(occupied.to_crs(utm).geometry.values)
            for layout in LAYOUTS:
                rng = np.random.default_rng([seed, len(layout)])
                planted = plant(layout, rng, metric, x, y, centres)
                inside = np.zeros(len(x), dtype=bool)
                for disc in planted:
                    inside |= shapely.contains_xy(disc, x, y)
                poor = rng.random(len(x)) < np.where(inside, P_POCKET, P_BASE)
                households = households_frame(x, y, codes, poor, utm)
                for variant in VARIANTS:
                    found = detect(households, region=kel, variant=variant).to_crs(utm).geometry.values
                    key = {"kota": name, "tata_letak": layout, "seed": seed, "varian": variant}
                    rows.append({**key, **score(planted, found, x, y, inhabited, land)})
                    pockets_rows += [{**key, **row} for row in per_pocket(planted, found, x, y)]
    return pd.DataFrame(rows), pd.DataFrame(pockets_rows)


def null() -> pd.DataFrame:
    rows = []
    for name in CITIES:
        kel = city(name)
        utm, _, x, y, _, codes = place_households(kel, HOUSEHOLDS, 0)
        for seed in range(NULL_SEEDS):
            rng = np.random.default_rng(1000 + seed)
            poor = rng.random(len(x)) < P_BASE
            pockets = detect(households_frame(x, y, codes, poor, utm), region=kel)
            rows.append({"kota": name, "seed": seed, "kantong": len(pockets)})
    return pd.DataFrame(rows)


def speed(n: int = 1_000_000) -> dict[str, float]:
    kel = city("kupang")
    utm, metric, x, y, centres, codes = place_households(kel, n, 0)
    rng = np.random.default_rng(0)
    planted = plant("jalur_sungai", rng, metric, x, y, centres)
    inside = np.zeros(n, dtype=bool)
    for disc in planted:
        inside |= shapely.contains_xy(disc, x, y)
    households = households_frame(x, y, codes, rng.random(n) < np.where(inside, P_POCKET, P_BASE), utm)
    times = {}
    start = time.perf_counter()
    lat, lon = shapely.get_y(households.geometry.values), shapely.get_x(households.geometry.values)
    cell_ids(lat, lon, resolution=9)
    times["h3_indeks_saja"] = time.perf_counter() - start
    start = time.perf_counter()
    cells = aggregate_cells(households, resolution=9)
    times["agregasi_h3"] = time.perf_counter() - start
    start = time.perf_counter()
    cells = cell_hotspots(cells, significance=0.05)
    times["gi_star_fdr"] = time.perf_counter() - start
    start = time.perf_counter()
    pockets = merge_pockets(label_pockets(cells, min_households=10), region=kel)
    times["gabung_kantong"] = time.perf_counter() - start
    times["total"] = times["agregasi_h3"] + times["gi_star_fdr"] + times["gabung_kantong"]
    times["sel"] = len(cells)
    times["kantong"] = len(pockets)
    return times


def main(argv: list[str]) -> int:
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not found (the benchmark uses the shared real boundaries)")  # noqa: T201
        return 0
    modes = argv[1:] or ["recovery", "null", "speed"]
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if "recovery" in modes:
        table, planted = recovery()
        measures = ["recall_kk", "precision_kk", "recall_luas", "precision_luas", "luar_km2"]
        summary = table.groupby(["tata_letak", "varian"])[measures].mean()
        summary["kantong_terdeteksi_rata"] = table.groupby(["tata_letak", "varian"])["kantong_terdeteksi"].mean()
        for variant in VARIANTS:
            summary.loc[("SEMUA", variant), measures] = table.loc[table["varian"] == variant, measures].mean()
        print(  # noqa: T201
            f"Recovery: {HOUSEHOLDS:,} households, {SEEDS} seeds x {len(CITIES)} cities, "
            f"p(poor) {P_POCKET} in pockets / {P_BASE} elsewhere, H3 res 9, FDR 0.05"
        )
        print(summary.round(3).to_string())  # noqa: T201
        print(table.groupby(["kota", "varian"])[measures].mean().round(3))  # noqa: T201
        bands = pd.cut(planted["kk_ditanam"], [0, 20, 30, 60, 120, 250, np.inf])
        by_size = planted.groupby([bands, "varian"], observed=True)["recall_kk"].agg(["mean", "count"])
        print("Recall per planted pocket, by its households:")  # noqa: T201
        print(by_size.round(3).to_string())  # noqa: T201
    if "null" in modes:
        table = null()
        clean = (table["kantong"] == 0).groupby(table["kota"]).mean()
        print(f"Null (random poverty, p = {P_BASE}): share of seeds with no pocket, {NULL_SEEDS} seeds per city")  # noqa: T201
        print(clean.round(3).to_string(), f"\nall: {(table['kantong'] == 0).mean():.3f}")  # noqa: T201
    if "speed" in modes:
        figures = speed()
        print("Speed, 1,000,000 located households over Kota Kupang (seconds):")  # noqa: T201
        for key, value in figures.items():
            print(f"  {key:16s} {value:8.2f}" if isinstance(value, float) else f"  {key:16s} {value:8d}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
