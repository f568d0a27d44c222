"""Targets: the region against its poverty targets, the register against
BPS, and one register snapshot against the previous one.

**Target gap.** For each configured target (``[[targets]]``) and each rate
it sets (poverty, extreme poverty), with the latest BPS rate of the same
kind (``[[bps]]``):

- ``selisih_poin`` = latest rate - target (percentage points; > 0: still
  above the target);
- ``selisih_jiwa`` = points / 100 × population, and ``selisih_kk`` = people
  / people per household — the arithmetic Pekalongan's planners did by hand;
- ``penurunan_per_tahun_perlu`` = points / (target year - latest BPS year);
- ``penurunan_per_tahun_teramati`` from the two latest BPS rates.

**Status rule** (:data:`STATUS_RULE`): *tercapai* when the latest rate is at
or below the target; *tidak_tercapai* when the target year has passed (it is
not after the latest BPS year) and the rate is above it; *sesuai_jalur* when
the observed yearly reduction is at least the required one;
*tidak_sesuai_jalur* when it is smaller; *belum_dapat_dinilai* with fewer than
two BPS rates; *tanpa_data_bps* with none.

**Reconciliation.** The register's people in poor and extreme-poor households
against BPS's poor people. They measure different things (see
:data:`RECONCILIATION_NOTE`), so the ratio is reported, not "corrected". The
kelurahan that drive the difference are those whose register count departs
most from the BPS total shared out by population.

**Snapshots.** Households are matched by family ID between two register
snapshots: per kelurahan, households that entered and left the poor group
(by the region's poverty rule), new and removed households, and the net
change in poor households.
"""

from __future__ import annotations

import datetime as dt
import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import columns as C
from ..settings import PovertyRule, ProgressSettings
from .indicators import classify_poverty

logger = logging.getLogger(__name__)

STATUS_RULE: str = (
    "tercapai: angka BPS terbaru ≤ target; tidak_tercapai: tahun target sudah lewat (tidak sesudah tahun data "
    "BPS terbaru) dan angka masih di atas target; sesuai_jalur: penurunan per tahun yang teramati (dua angka BPS "
    "terakhir) ≥ penurunan per tahun yang diperlukan; tidak_sesuai_jalur: lebih kecil; belum_dapat_dinilai: "
    "baru ada satu angka BPS; tanpa_data_bps: belum ada angka BPS."
)
RECONCILIATION_NOTE: str = (
    "Register (DTSEN/DTKS/P3KE) dan BPS mengukur hal yang berbeda. Register memeringkat keluarga yang terdaftar "
    "dengan uji proksi kemampuan (proxy means test) ke dalam desil kesejahteraan; 'miskin & rentan' di sini "
    "adalah desil yang ditetapkan aturan daerah (mis. desil 1-4, sekitar 40 % terbawah secara nasional), jadi "
    "jumlahnya jauh melebihi penduduk miskin BPS. BPS memperkirakan penduduk di bawah garis kemiskinan "
    "(pengeluaran per kapita) dari survei sampel Susenas, dengan galat sampling, tanpa nama. Perbedaan juga "
    "timbul dari cakupan register (keluarga yang belum/tidak terdaftar), data yang belum diperbarui, dan waktu "
    "pencacahan yang berbeda."
)
#: Rate kinds: configured name -> (label, register people column, register households column).
#: What a ``[[reported_register]]`` count is, beside this run's own register count.
REPORTED_NOTE: str = (
    "Jiwa_dilaporkan adalah hitungan penduduk miskin dari register yang dilaporkan dinas (bukan angka BPS). "
    "Rasio_dilaporkan = jiwa_register / jiwa_dilaporkan: jauh dari 1 berarti register yang dipakai di sini "
    "berbeda cakupan, tanggal atau definisi miskin dari yang dipakai dinas; periksa sebelum membandingkan angka."
)
KINDS: dict[str, tuple[str, str, str]] = {
    "poverty_rate": ("kemiskinan", "jiwa_miskin", C.KK_MISKIN),
    "extreme_poverty_rate": ("kemiskinan ekstrem", "jiwa_miskin_ekstrem", C.KK_MISKIN_EKSTREM),
}


def population_assumption(settings: ProgressSettings, *, register_people: int | None) -> tuple[float | None, str]:
    """The population that turns percentage points into people, and where it comes from.

    In order: ``[progress] population``; the latest BPS figure's
    ``population``; the latest BPS ``poor_people / poverty_rate``; the
    register's people (a fallback that undercounts: not everyone is registered).
    """
    if settings.population:
        return float(settings.population), settings.population_source or "[progress] population"
    for figure in reversed(settings.bps):
        if figure.population:
            return float(figure.population), f"BPS {figure.year}: {figure.source}"
        if figure.poor_people and figure.poverty_rate:
            return figure.poor_people / (figure.poverty_rate / 100), (
                f"BPS {figure.year}: penduduk miskin / persentase miskin ({figure.source})"
            )
    if register_people is None:
        return None, "tidak diketahui: tanpa [progress] population, angka BPS atau jumlah anggota di register"
    return float(register_people), "register: jumlah jiwa (tidak semua penduduk terdaftar)"


def household_size(settings: ProgressSettings, *, people: int | None, households: int) -> tuple[float, str]:
    """People per household: ``[progress] household_size``, else the register's mean (NaN when unknown)."""
    if settings.household_size:
        return settings.household_size, settings.household_size_source or "[progress] household_size"
    if people is None:
        return float("nan"), "tidak diketahui: register tanpa jumlah anggota keluarga"
    return (people / households if households else float("nan")), "register: jumlah jiwa / jumlah KK"


def target_progress(
    settings: ProgressSettings, *, register_people: int | None, register_households: int
) -> pd.DataFrame:
    """One row per target and rate: the gap and the status (see the module docstring).

    Parameters
    ----------
    settings
        The region's BPS figures, targets and assumptions.
    register_people, register_households
        The register's totals, for the fallbacks of :func:`population_assumption`
        and :func:`household_size`; ``register_people`` is None when the
        register cannot say how many people it holds. When people per
        household are unknown, the gap in KK is the gap in points applied to
        the register's households (``sumber_jiwa_per_kk`` says so).

    Returns
    -------
    DataFrame
        ``indikator``, ``tahun_target``, ``target_persen``, ``tahun_bps``,
        ``bps_persen``, ``selisih_poin``, ``populasi``, ``sumber_populasi``,
        ``jiwa_per_kk``, ``sumber_jiwa_per_kk``, ``selisih_jiwa``,
        ``selisih_kk``, ``penurunan_per_tahun_perlu``,
        ``penurunan_per_tahun_teramati``, ``status``, ``sumber_target``,
        ``sumber_bps``.
    """
    population, population_source = population_assumption(settings, register_people=register_people)
    size, size_source = household_size(settings, people=register_people, households=register_households)
    rows = []
    for target in settings.targets:
        for kind, (label, _, _) in KINDS.items():
            goal = getattr(target, kind)
            if goal is None:
                continue
            observed = [(b.year, getattr(b, kind), b.source) for b in settings.bps if getattr(b, kind) is not None]
            row = {
                "indikator": label,
                "tahun_target": target.year,
                "target_persen": goal,
                "sumber_target": target.source,
                "populasi": None if population is None else round(population),  # people are whole
                "sumber_populasi": population_source,
                "jiwa_per_kk": size,
                "sumber_jiwa_per_kk": size_source,
            }
            if not observed:
                rows.append({**row, "status": "tanpa_data_bps"})
                continue
            year, rate, source = observed[-1]
            gap = rate - goal
            years_left = target.year - year
            required = gap / years_left if years_left > 0 else np.nan
            trend = np.nan
            if len(observed) >= 2:
                (y0, r0, _), (y1, r1, _) = observed[-2], observed[-1]
                trend = (r0 - r1) / (y1 - y0)
            if gap <= 0:
                status = "tercapai"
            elif years_left <= 0:
                status = "tidak_tercapai"
            elif np.isnan(trend):
                status = "belum_dapat_dinilai"
            else:
                status = "sesuai_jalur" if trend >= required else "tidak_sesuai_jalur"
            people = gap / 100 * population if population is not None else None
            if people is not None and size == size:
                households = round(people / size)
            elif register_households:  # people per KK unknown: the gap in households only
                households = round(gap / 100 * register_households)
                row["sumber_jiwa_per_kk"] = f"{size_source}; selisih KK = selisih poin x jumlah KK register"
            else:
                households = None
            rows.append(
                {
                    **row,
                    "tahun_bps": year,
                    "bps_persen": rate,
                    "sumber_bps": source,
                    "selisih_poin": round(gap, 4),
                    "selisih_jiwa": round(people) if people is not None else None,
                    "selisih_kk": households,
                    "penurunan_per_tahun_perlu": required,
                    "penurunan_per_tahun_teramati": trend,
                    "status": status,
                }
            )
    columns = [
        "indikator", "tahun_target", "target_persen", "tahun_bps", "bps_persen", "selisih_poin", "populasi",
        "sumber_populasi", "jiwa_per_kk", "sumber_jiwa_per_kk", "selisih_jiwa", "selisih_kk",
        "penurunan_per_tahun_perlu", "penurunan_per_tahun_teramati", "status", "sumber_target", "sumber_bps",
    ]  # fmt: skip
    out = pd.DataFrame(rows).reindex(columns=columns)
    for column in ("tahun_bps", "selisih_jiwa", "selisih_kk"):
        out[column] = out[column].astype("Int64")
    return out


def reconcile(
    kelurahan: pd.DataFrame, settings: ProgressSettings, *, top: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The register's poor people against BPS, and the kelurahan that drive the difference.

    Parameters
    ----------
    kelurahan
        Kelurahan indicators with ``jumlah_jiwa``, ``jiwa_miskin`` and ``jiwa_miskin_ekstrem``.
    settings
        The region's BPS figures.
    top
        Kelurahan listed as driving the difference.

    Returns
    -------
    region : DataFrame
        One row per kind (poverty, extreme poverty): ``jiwa_register``,
        ``jiwa_bps`` (BPS poor people, or rate × population), ``tahun_bps``,
        ``rasio`` (register / BPS), ``selisih`` (register - BPS),
        ``sumber_bps`` and ``penjelasan``; on the poverty row, where the
        region lists ``[[reported_register]]`` counts, the latest of them:
        ``jiwa_dilaporkan``, ``tahun_dilaporkan``, ``sumber_dilaporkan`` and
        ``rasio_dilaporkan`` (register / reported). A region with reported
        counts and no BPS figure gets that row without the BPS columns.
    kelurahan : DataFrame
        The ``top`` kelurahan by absolute contribution: ``kode_kel``,
        ``nama_kel``, ``jiwa_register``, ``jiwa_bps_dibagi`` (the BPS count
        shared out by the kelurahan's share of registered people),
        ``selisih`` and ``persen_dari_selisih`` (share of the sum of
        absolute differences).
    """
    if kelurahan[C.JUMLAH_JIWA].isna().all():
        logger.info("reconciliation: the register's number of people is unknown; nothing to compare with BPS")
        return pd.DataFrame(), pd.DataFrame()
    people_total = float(kelurahan[C.JUMLAH_JIWA].sum())
    population, _ = population_assumption(settings, register_people=int(people_total))
    reported = _latest_reported(settings)
    region_rows, drivers = [], []
    for kind, (label, people_column, _) in KINDS.items():
        observed = [
            b for b in settings.bps if getattr(b, kind) is not None or (kind == "poverty_rate" and b.poor_people)
        ]
        agency = reported if kind == "poverty_rate" else {}
        if (not observed and not agency) or people_column not in kelurahan:
            continue
        register = float(kelurahan[people_column].sum())
        row = {"indikator": label, "jiwa_register": int(register), **agency}
        if agency:
            row["rasio_dilaporkan"] = register / agency["jiwa_dilaporkan"] if agency["jiwa_dilaporkan"] else np.nan
        if not observed:
            region_rows.append({**row, "penjelasan": REPORTED_NOTE})
            continue
        figure = observed[-1]
        bps = (
            float(figure.poor_people)
            if kind == "poverty_rate" and figure.poor_people
            else getattr(figure, kind) / 100 * population
        )
        region_rows.append(
            {
                **row,
                "jiwa_bps": round(bps),
                "tahun_bps": figure.year,
                "rasio": register / bps if bps else np.nan,
                "selisih": round(register - bps),
                "sumber_bps": figure.source,
                "penjelasan": RECONCILIATION_NOTE + (" " + REPORTED_NOTE if agency else ""),
            }
        )
        if kind == "poverty_rate":
            shared = bps * kelurahan[C.JUMLAH_JIWA] / people_total if people_total else 0.0
            difference = kelurahan[people_column] - shared
            table = pd.DataFrame(
                {
                    C.KODE_KEL: kelurahan[C.KODE_KEL],
                    C.NAMA_KEL: kelurahan[C.NAMA_KEL],
                    "jiwa_register": kelurahan[people_column].astype("int64"),
                    "jiwa_bps_dibagi": shared.round().astype("int64"),
                    "selisih": difference.round().astype("int64"),
                    "persen_dari_selisih": 100 * difference.abs() / difference.abs().sum(),
                }
            )
            drivers.append(table.reindex(difference.abs().sort_values(ascending=False).index).head(top))
    region = pd.DataFrame(region_rows)
    return region, (pd.concat(drivers, ignore_index=True) if drivers else pd.DataFrame())


def _latest_reported(settings: ProgressSettings) -> dict[str, object]:
    """The latest ``[[reported_register]]`` count as reconciliation columns (empty without one)."""
    if not settings.reported:
        return {}
    latest = max(settings.reported, key=lambda r: r.year)
    return {
        "jiwa_dilaporkan": int(latest.poor_people),
        "tahun_dilaporkan": int(latest.year),
        "sumber_dilaporkan": latest.source,
    }


def compare_snapshots(current: pd.DataFrame, previous: pd.DataFrame, *, kelurahan: pd.DataFrame) -> pd.DataFrame:
    """Movements between two register snapshots, per kelurahan.

    Parameters
    ----------
    current, previous
        Households with ``id_keluarga``, ``kode_kel`` and ``miskin``
        (classified by the same rule).
    kelurahan
        The kelurahan (``kode_kel``, ``nama_kel``, geometry); every one gets a row.

    Returns
    -------
    DataFrame (same type as ``kelurahan``)
        ``kk_masuk_miskin`` (in both, not poor before, poor now),
        ``kk_keluar_miskin`` (in both, poor before, not now), ``kk_baru``
        and ``kk_baru_miskin`` (only in the current snapshot), ``kk_hilang``
        and ``kk_hilang_miskin`` (only in the previous one, by their previous
        kelurahan), ``kk_miskin_sebelum``, ``kk_miskin_sekarang`` and
        ``perubahan_miskin`` (now - before). Continuing households count
        where they are now.
    """
    keys = [C.ID_KELUARGA, C.KODE_KEL, C.MISKIN]
    now = current[keys].drop_duplicates(C.ID_KELUARGA)
    before = previous[keys].drop_duplicates(C.ID_KELUARGA)
    both = now.merge(before, on=C.ID_KELUARGA, how="outer", suffixes=("", "_lalu"), indicator=True)
    poor_now = both[C.MISKIN].astype("boolean").fillna(False).to_numpy(dtype=bool)
    poor_before = both[f"{C.MISKIN}_lalu"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    kept = (both["_merge"] == "both").to_numpy()
    new = (both["_merge"] == "left_only").to_numpy()
    gone = (both["_merge"] == "right_only").to_numpy()
    where_now = both[C.KODE_KEL].to_numpy()
    where_before = both[f"{C.KODE_KEL}_lalu"].to_numpy()
    counts = {
        "kk_masuk_miskin": (where_now, kept & poor_now & ~poor_before),
        "kk_keluar_miskin": (where_now, kept & ~poor_now & poor_before),
        "kk_baru": (where_now, new),
        "kk_baru_miskin": (where_now, new & poor_now),
        "kk_hilang": (where_before, gone),
        "kk_hilang_miskin": (where_before, gone & poor_before),
        "kk_miskin_sebelum": (where_before, poor_before),
        "kk_miskin_sekarang": (where_now, poor_now),
    }
    out = kelurahan[[C.KODE_KEL, C.NAMA_KEL, "geometry"]].copy()
    for column, (where, flag) in counts.items():
        per = pd.Series(flag.astype("int64")).groupby(pd.Series(where)).sum()
        out[column] = out[C.KODE_KEL].map(per).fillna(0).astype("int64")
    out["perubahan_miskin"] = out["kk_miskin_sekarang"] - out["kk_miskin_sebelum"]
    logger.info(
        "snapshots: %d continuing, %d new, %d removed households; poor %+d",
        int(kept.sum()),
        int(new.sum()),
        int(gone.sum()),
        int(out["perubahan_miskin"].sum()),
    )
    return out


def snapshot_changes(
    current: gpd.GeoDataFrame,
    earlier: pd.DataFrame,
    *,
    boundaries: gpd.GeoDataFrame,
    rule: PovertyRule,
    on: dt.date,
) -> pd.DataFrame:
    """Compare the current households with the accepted households of an earlier snapshot.

    The earlier households (:func:`pipeline.ingest.validate.read_snapshot`)
    keep the kelurahan of their register code; those whose code is not in the
    boundaries are left out with a warning. They are classified by the same
    rule, on the snapshot's date ``on``.
    """
    known = earlier[earlier[C.KODE_KEL].isin(boundaries[C.KODE_KEL])]
    if len(known) < len(earlier):
        logger.warning(
            "snapshot %s: %d households have a kelurahan code outside the boundaries; not compared",
            on.isoformat(),
            len(earlier) - len(known),
        )
    return compare_snapshots(current, classify_poverty(known, rule=rule, on=on), kelurahan=boundaries)
