"""Indicators stage: classify households by the region's poverty rule and
aggregate them per kelurahan and kecamatan.

Counts are households (KK) unless the name says *jiwa* (people). Rates are
percentages of the kelurahan's households. Nothing here is suppressed yet:
small-count suppression is applied to public outputs by
:mod:`pipeline.publish.privacy`.
"""

from __future__ import annotations

import datetime as dt
import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import columns as C
from ..settings import DEFAULT_SMALL_BASE, DeprivationIndicator, PovertyRule, Program
from .deprivation import mpi_counts, mpi_from_counts

logger = logging.getLogger(__name__)

#: Vulnerable-group flag -> kelurahan count column.
VULNERABLE: dict[str, str] = {
    C.LANSIA_TUNGGAL: "kk_lansia_tunggal",
    C.DISABILITAS: "kk_disabilitas",
    C.RISIKO_STUNTING: "kk_risiko_stunting",
    C.PEKERJA_MIGRAN: "kk_pekerja_migran",
    "perempuan_kk": "kk_perempuan_kepala",
}
#: Member-table counts (see :mod:`pipeline.ingest.members`) -> kelurahan columns:
#: (households with at least one such member, people).
MEMBER_COUNTS: dict[str, tuple[str, str]] = {
    C.JUMLAH_LANSIA: ("kk_ada_lansia", "jiwa_lansia"),
    C.JUMLAH_TIDAK_SEKOLAH: ("kk_anak_tidak_sekolah", "jiwa_anak_tidak_sekolah"),
    C.JUMLAH_DISABILITAS: ("kk_ada_disabilitas", "jiwa_disabilitas"),
    C.JUMLAH_PENYAKIT_KRONIS: ("kk_ada_penyakit_kronis", "jiwa_penyakit_kronis"),
}
#: Households for which a member table was given.
KK_DATA_ANGGOTA: str = "kk_dengan_data_anggota"
KK_MISKIN_TANPA_PROGRAM: str = "kk_miskin_tanpa_program"
#: Poor households receiving at least ``[analysis] overlap_programs`` programmes (default 3).
KK_MISKIN_BANYAK_PROGRAM: str = "kk_miskin_banyak_program"
#: Raw rate -> (its count, its Empirical-Bayes-smoothed column).
EB_RATES: dict[str, tuple[str, str]] = {
    C.PERSEN_MISKIN: (C.KK_MISKIN, C.PERSEN_MISKIN_EB),
    C.PERSEN_MISKIN_EKSTREM: (C.KK_MISKIN_EKSTREM, "persen_miskin_ekstrem_eb"),
}


def classify_poverty(households: gpd.GeoDataFrame, *, rule: PovertyRule, on: dt.date | None = None) -> gpd.GeoDataFrame:
    """Add ``miskin`` and ``miskin_ekstrem`` flags by the configured rule.

    Parameters
    ----------
    households
        Joined households.
    rule
        The region's :class:`~pipeline.settings.PovertyRule`.
    on
        The data date, which picks the valid expenditure line.

    Returns
    -------
    GeoDataFrame
        A copy with the two boolean columns. Extreme poor are always also poor.
    """
    out = households.copy()
    if rule.method == "desil":
        out[C.MISKIN_EKSTREM] = out[C.DESIL] <= rule.extreme_max_decile
        out[C.MISKIN] = out[C.DESIL] <= rule.poor_max_decile
    else:
        spend = pd.to_numeric(out[C.PENGELUARAN], errors="coerce")
        out[C.MISKIN_EKSTREM] = (spend < rule.line_for(C.MISKIN_EKSTREM, on).rupiah_per_capita_month).fillna(False)
        out[C.MISKIN] = (spend < rule.line_for(C.MISKIN, on).rupiah_per_capita_month).fillna(False) | out[
            C.MISKIN_EKSTREM
        ]
    return out


def vulnerable_flags(h: pd.DataFrame) -> dict[str, pd.Series]:
    """0/1 per household for each :data:`VULNERABLE` group.

    The register's own flag counts, and so does the member table: a
    household with a member with a disability is a household with a
    disability; a household of one member aged 60+ is a single elderly one.
    The head's sex gives women-headed households.
    """
    zero = pd.Series(0, index=h.index, dtype="int64")

    def flag(column: str) -> pd.Series:
        return h[column].fillna(0).astype("int64") if column in h else zero

    out = {column: flag(column) for column in VULNERABLE if column != "perempuan_kk"}
    out["perempuan_kk"] = (h[C.JENIS_KELAMIN] == "P").fillna(False).astype("int64") if C.JENIS_KELAMIN in h else zero
    if C.JUMLAH_DISABILITAS in h:
        out[C.DISABILITAS] = out[C.DISABILITAS] | (h[C.JUMLAH_DISABILITAS].fillna(0) > 0).astype("int64")
    if C.JUMLAH_LANSIA in h and C.JUMLAH_ANGGOTA_TERCATAT in h:
        alone = (h[C.JUMLAH_ANGGOTA_TERCATAT] == 1) & (h[C.JUMLAH_LANSIA] == 1)
        out[C.LANSIA_TUNGGAL] = out[C.LANSIA_TUNGGAL] | alone.fillna(False).astype("int64")
    return out


#: Region summary key: True when the register cannot say how many people it holds.
JIWA_TIDAK_DIKETAHUI: str = "jiwa_tidak_diketahui"
#: Columns of people (not households) built from the household's member count.
PEOPLE_COLUMNS: tuple[str, ...] = (C.JUMLAH_JIWA, "jiwa_miskin", "jiwa_miskin_ekstrem")


def household_people(households: pd.DataFrame, *, household_size: float | None = None) -> pd.Series | None:
    """People in each household, or None when the register cannot say.

    The member count (``jumlah_art``, or the members listed in a member
    table) where there is one; for the households without it,
    ``[progress] household_size`` when set, else the mean of the households
    that have one, provided at least half do. Otherwise the number of
    people is unknown: never one person per household.
    """
    n = len(households)
    members = (
        pd.to_numeric(households[C.JUMLAH_ART], errors="coerce").astype("float64")
        if C.JUMLAH_ART in households
        else pd.Series(np.nan, index=households.index)
    )
    missing = members.isna()
    if not missing.any():
        return members
    if household_size:
        logger.info("people: %d of %d households have no member count; [progress] household_size %g used",
                    int(missing.sum()), n, household_size)  # fmt: skip
        return members.fillna(household_size)
    if n and (~missing).mean() >= 0.5:
        mean = float(members[~missing].mean())
        logger.info("people: %d of %d households have no member count; the others' mean %.2f used",
                    int(missing.sum()), n, mean)  # fmt: skip
        return members.fillna(mean)
    logger.warning(
        "people: %d of %d households have no member count and [progress] household_size is not set; "
        "the number of people is unknown and the people figures are left empty",
        int(missing.sum()),
        n,
    )
    return None


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (100.0 * part / whole.where(whole > 0)).astype("float64")


def eb_rates(frame: pd.DataFrame, *, small_base: int = DEFAULT_SMALL_BASE) -> pd.DataFrame:
    """Empirical-Bayes-smoothed poverty rates and the small-base flag.

    A kelurahan of 12 households with 9 poor has a raw rate of 75 %, but
    that figure could as well be 50 % next year. Aspatial Empirical Bayes
    (``esda.smoothing.Empirical_Bayes``, Marshall 1991) pulls each rate
    towards the regional rate, more strongly the fewer households it
    rests on; large kelurahan keep their raw rate.

    Parameters
    ----------
    frame
        Kelurahan with ``jumlah_kk`` and the counts of :data:`EB_RATES`.
    small_base
        Kelurahan with fewer households are flagged ``basis_kecil``.

    Returns
    -------
    DataFrame
        A copy with ``persen_miskin_eb``, ``persen_miskin_ekstrem_eb``
        (NaN where there are no households) and ``basis_kecil``.
    """
    from esda.smoothing import Empirical_Bayes

    out = frame.copy()
    base = out[C.JUMLAH_KK].to_numpy(dtype="float64")
    has = base > 0
    for count, smoothed in EB_RATES.values():
        out[smoothed] = np.nan
        if has.sum() < 2:
            continue
        events = out[count].to_numpy(dtype="float64")[has]
        rate = events / base[has]
        mean = events.sum() / base[has].sum()
        with np.errstate(divide="ignore", invalid="ignore"):  # zero variance: handled below
            eb = Empirical_Bayes(events, base[has]).r.ravel()
        # Marshall's between-area variance estimate can be negative (less
        # spread than chance alone): then every area is its mean rate.
        if np.any(np.sign(eb - mean) * np.sign(rate - mean) < 0) or not np.isfinite(eb).all():
            eb = np.full_like(rate, mean)
        out.loc[has, smoothed] = 100.0 * eb
    out[C.BASIS_KECIL] = out[C.JUMLAH_KK] < small_base
    return out


def kelurahan_indicators(
    households: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    programs: tuple[Program, ...] = (),
    deprivation: tuple[DeprivationIndicator, ...] = (),
    small_base: int = DEFAULT_SMALL_BASE,
    overlap_programs: int = 3,
    household_size: float | None = None,
) -> gpd.GeoDataFrame:
    """Aggregate classified households to one row per kelurahan.

    Parameters
    ----------
    households
        Output of :func:`classify_poverty`.
    boundaries
        Kelurahan polygons; every one of them gets a row, with zero counts
        where no household lives.
    programs
        The region's programmes; recipients are counted per programme.
    deprivation
        The deprivation indicators used by
        :func:`pipeline.analyse.deprivation.score_households` (with their effective
        weights); empty when the households were not scored.
    small_base
        See :func:`eb_rates`.
    overlap_programs
        Poor households receiving at least this many programmes are counted
        in ``kk_miskin_banyak_program`` (``[analysis] overlap_programs``).
    household_size
        ``[progress] household_size``, for households without a member
        count (see :func:`household_people`).

    Returns
    -------
    GeoDataFrame
        The boundaries' columns and geometry plus ``jumlah_kk``,
        ``jumlah_jiwa``, households by decile (``kk_desil_1..10``),
        ``kk_miskin``, ``kk_miskin_ekstrem``, ``persen_miskin``,
        ``persen_miskin_ekstrem``, their EB-smoothed rates and the
        ``basis_kecil`` flag, Alkire-Foster figures (``mpi_h``, ``mpi_a``,
        ``mpi_m0``, censored headcounts and contributions), vulnerable-group counts,
        recipients per programme (``kk_penerima_<code>``), poor households
        with no programme and with ``overlap_programs`` or more, and data-quality counts.
    """
    h = pd.DataFrame(households.drop(columns="geometry"))
    flags = pd.DataFrame(index=h.index)
    flags[C.JUMLAH_KK] = 1
    people = household_people(h, household_size=household_size)
    flags[C.JUMLAH_JIWA] = people if people is not None else 0.0
    flags[C.KK_MISKIN] = h[C.MISKIN].astype("int64")
    flags[C.KK_MISKIN_EKSTREM] = h[C.MISKIN_EKSTREM].astype("int64")
    flags["jiwa_miskin"] = flags[C.JUMLAH_JIWA] * flags[C.KK_MISKIN]
    flags["jiwa_miskin_ekstrem"] = flags[C.JUMLAH_JIWA] * flags[C.KK_MISKIN_EKSTREM]
    if C.DESIL in h:
        decile = pd.to_numeric(h[C.DESIL], errors="coerce")
        for d in range(1, 11):
            flags[f"{C.KK_DESIL_PREFIX}{d}"] = (decile == d).astype("int64")
    for flag, values in vulnerable_flags(h).items():
        flags[VULNERABLE[flag]] = values
    if C.JUMLAH_ANGGOTA_TERCATAT in h:
        flags[KK_DATA_ANGGOTA] = h[C.JUMLAH_ANGGOTA_TERCATAT].notna().astype("int64")
        for source, (households_column, people_column) in MEMBER_COUNTS.items():
            people = h[source].fillna(0).astype("int64")
            flags[households_column] = (people > 0).astype("int64")
            flags[people_column] = people
    received = pd.DataFrame(index=h.index)
    for program in programs:
        if program.column in h:
            received[program.code] = h[program.column].fillna(0).astype("int64")
            flags[f"kk_penerima_{program.code}"] = received[program.code]
    n_programs = received.sum(axis=1) if len(received.columns) else pd.Series(0, index=h.index)
    flags[KK_MISKIN_TANPA_PROGRAM] = (h[C.MISKIN] & (n_programs == 0)).astype("int64")
    flags[KK_MISKIN_BANYAK_PROGRAM] = (h[C.MISKIN] & (n_programs >= overlap_programs)).astype("int64")
    if deprivation:
        flags = flags.join(mpi_counts(h, indicators=deprivation))
    flags[C.KK_BERKOORDINAT] = (h[C.METODE_LOKASI] == "titik").astype("int64")
    flags[C.KK_BEDA_LOKASI] = h[C.BEDA_LOKASI].astype("int64")
    flags[C.KK_KODE_TIDAK_DIKENAL] = h[C.KODE_TIDAK_DIKENAL].astype("int64") if C.KODE_TIDAK_DIKENAL in h else 0
    flags[C.KK_DI_TUMPANG] = h[C.DI_TUMPANG].astype("int64")
    flags[C.KK_DIGESER] = h[C.DIGESER].astype("int64") if C.DIGESER in h else 0

    sums = flags.groupby(h[C.KODE_KEL].to_numpy()).sum()
    out = boundaries.merge(sums, left_on=C.KODE_KEL, right_index=True, how="left")
    count_columns = [c for c in sums.columns if c not in PEOPLE_COLUMNS]
    out[count_columns] = out[count_columns].fillna(0).astype("int64")
    for column in PEOPLE_COLUMNS:  # whole people; <NA> everywhere when the register cannot say
        whole = out[column].fillna(0).round().astype("Int64")
        out[column] = whole if people is not None else pd.array([pd.NA] * len(out), dtype="Int64")
    out[C.PERSEN_MISKIN] = _percent(out[C.KK_MISKIN], out[C.JUMLAH_KK])
    out[C.PERSEN_MISKIN_EKSTREM] = _percent(out[C.KK_MISKIN_EKSTREM], out[C.JUMLAH_KK])
    out[C.PERSEN_BERKOORDINAT] = _percent(out[C.KK_BERKOORDINAT], out[C.JUMLAH_KK])
    out = eb_rates(mpi_from_counts(out, indicators=deprivation), small_base=small_base)
    unknown = set(sums.index) - set(boundaries[C.KODE_KEL])
    if unknown:  # join guarantees this never happens; guard the invariant
        raise AssertionError(f"households assigned to codes not in the boundaries: {sorted(unknown)[:5]}")
    logger.info("aggregated %d households into %d kelurahan", int(out[C.JUMLAH_KK].sum()), len(out))
    return out


def count_columns(indicators: pd.DataFrame) -> list[str]:
    """The household/people count columns of an indicator frame."""
    return [c for c in indicators.columns if c.startswith(("jumlah_", "kk_", "jiwa_"))]


def kecamatan_indicators(
    kelurahan: gpd.GeoDataFrame,
    *,
    deprivation: tuple[DeprivationIndicator, ...] = (),
    small_base: int = DEFAULT_SMALL_BASE,
) -> gpd.GeoDataFrame:
    """Sum kelurahan counts into kecamatan and recompute the rates.

    Parameters
    ----------
    kelurahan
        Output of :func:`kelurahan_indicators`.
    deprivation
        The deprivation indicators with their effective weights, to
        recompute H, A and M0 from the summed counts.
    small_base
        See :func:`eb_rates`.

    Returns
    -------
    GeoDataFrame
        One row per kecamatan with ``kode_kec``, ``nama_kec``, the summed
        counts, the rates, their Empirical-Bayes-smoothed rates (smoothed
        among the kecamatan) with ``basis_kecil``, and the dissolved geometry.
    """
    counts = count_columns(kelurahan)
    out = kelurahan[[C.KODE_KEC, C.NAMA_KEC, *counts, "geometry"]].dissolve(
        by=[C.KODE_KEC, C.NAMA_KEC], aggfunc="sum", as_index=False
    )
    out[C.PERSEN_MISKIN] = _percent(out[C.KK_MISKIN], out[C.JUMLAH_KK])
    out[C.PERSEN_MISKIN_EKSTREM] = _percent(out[C.KK_MISKIN_EKSTREM], out[C.JUMLAH_KK])
    out[C.PERSEN_BERKOORDINAT] = _percent(out[C.KK_BERKOORDINAT], out[C.JUMLAH_KK])
    return eb_rates(mpi_from_counts(out, indicators=deprivation), small_base=small_base)


def region_summary(
    kelurahan: pd.DataFrame, *, deprivation: tuple[DeprivationIndicator, ...] = ()
) -> dict[str, float | int]:
    """Headline figures of a region from its kelurahan indicators."""
    mpi = {}
    if C.KK_DINILAI_MPI in kelurahan:
        pooled = mpi_from_counts(kelurahan[count_columns(kelurahan)].sum().to_frame().T, indicators=deprivation)
        mpi = {
            C.KK_DINILAI_MPI: int(pooled[C.KK_DINILAI_MPI].iloc[0]),
            C.KK_MISKIN_MULTIDIMENSI: int(pooled[C.KK_MISKIN_MULTIDIMENSI].iloc[0]),
            **{key: float(np.round(pooled[key].iloc[0], 4)) for key in (C.MPI_H, C.MPI_A, C.MPI_M0)},
        }
    total = int(kelurahan[C.JUMLAH_KK].sum())
    poor = int(kelurahan[C.KK_MISKIN].sum())
    extreme = int(kelurahan[C.KK_MISKIN_EKSTREM].sum())
    return {
        "jumlah_kelurahan": int(len(kelurahan)),
        C.JUMLAH_KK: total,
        C.JUMLAH_JIWA: None if kelurahan[C.JUMLAH_JIWA].isna().all() else int(kelurahan[C.JUMLAH_JIWA].sum()),
        C.KK_MISKIN: poor,
        C.KK_MISKIN_EKSTREM: extreme,
        C.PERSEN_MISKIN: float(np.round(100 * poor / total, 4)) if total else float("nan"),
        C.PERSEN_MISKIN_EKSTREM: float(np.round(100 * extreme / total, 4)) if total else float("nan"),
        KK_MISKIN_TANPA_PROGRAM: int(kelurahan[KK_MISKIN_TANPA_PROGRAM].sum()),
        KK_MISKIN_BANYAK_PROGRAM: int(kelurahan[KK_MISKIN_BANYAK_PROGRAM].sum()),
        JIWA_TIDAK_DIKETAHUI: bool(kelurahan[C.JUMLAH_JIWA].isna().all()),
        **mpi,
    }
