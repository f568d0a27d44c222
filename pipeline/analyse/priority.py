"""Priority stage: which kelurahan first.

A documented composite of four components, each shown beside the result
so that a planner can see why a kelurahan ranks where it does:

========================  ==========================================  =====================
component (weight key)    measure                                     score 0..1
========================  ==========================================  =====================
``kk_miskin_ekstrem``     extreme-poor households (how many)          percentile rank
``persen_miskin_eb``      EB-smoothed poverty rate (how concentrated)  percentile rank
``titik_panas``           Gi* hot spot of the EB rate that passes     99 %: 1, 95 %: 2/3,
                          the Benjamini-Hochberg FDR (``gi_fdr_eb``)  90 %: 1/3, else 0
``mpi_m0``                Alkire-Foster M0 (how deprived)             percentile rank
========================  ==========================================  =====================

``skor_prioritas`` is the weighted mean of the scores (weights from the
region's ``[priority] weights``, equal by default) and
``peringkat_prioritas`` ranks it, 1 = first. Equal scores are ordered by
:data:`TIE_RULE`: more extreme-poor households first, then the higher
EB-smoothed rate, then the kelurahan code, so every rank is distinct and
repeatable. Percentile ranks are taken
among the kelurahan with households (ties share their mean rank); a
component the region has no data for is left out and the others are
re-weighted. Kelurahan without households get no score and no rank.

Only hot spots that survive the false discovery rate count: a kelurahan
whose Gi* p-value is small by itself but not under the FDR (as happens by
chance in a region with no real cluster) scores 0, so chance does not move
it up the list. Its class is still published (``gi_kelas_eb``) beside the
FDR flag.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .. import columns as C

logger = logging.getLogger(__name__)

#: Component -> (source column, score column).
COMPONENTS: dict[str, tuple[str, str]] = {
    "kk_miskin_ekstrem": (C.KK_MISKIN_EKSTREM, "skor_ekstrem"),
    "persen_miskin_eb": (C.PERSEN_MISKIN_EB, "skor_eb"),
    "titik_panas": ("gi_kelas_eb", "skor_titik_panas"),
    "mpi_m0": (C.MPI_M0, "skor_mpi"),
}
HOTSPOT_SCORES: dict[str, float] = {"panas_99": 1.0, "panas_95": 2 / 3, "panas_90": 1 / 3}
#: The FDR flag that gates the hot-spot component (True: significant under the FDR).
HOTSPOT_FDR: str = "gi_fdr_eb"
#: How equal scores are ordered, in words (the map's priority list states it).
TIE_RULE: str = (
    "skor sama: lebih banyak KK miskin ekstrem lebih dulu, lalu persentase (EB) lebih tinggi, lalu kode wilayah"
)


def prioritise(kelurahan: pd.DataFrame, *, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Score and rank kelurahan by the composite of :data:`COMPONENTS`.

    Parameters
    ----------
    kelurahan
        Kelurahan indicators with EB rates, Gi* classes of the EB rate
        with their FDR flags (``gi_fdr_eb``; without it no kelurahan counts
        as a hot spot) and M0.
    weights
        Component -> weight (>= 0); equal weights by default.

    Returns
    -------
    DataFrame (same type as the input)
        A copy with one score column per component, ``skor_prioritas``
        (0..1) and ``peringkat_prioritas`` (1 = first; <NA> where there are
        no households).
    """
    weights = weights or dict.fromkeys(COMPONENTS, 1.0)
    out = kelurahan.copy()
    has = (out[C.JUMLAH_KK] > 0).to_numpy()
    used: dict[str, float] = {}
    for component, (source, score) in COMPONENTS.items():
        if source not in out or out.loc[has, source].isna().all():
            logger.warning("priority: no '%s' data; the component is left out", source)
            continue
        if component == "titik_panas":
            significant = (
                out[HOTSPOT_FDR].fillna(False).astype(bool) if HOTSPOT_FDR in out else pd.Series(False, index=out.index)
            )
            values = out[source].map(HOTSPOT_SCORES).fillna(0.0).astype("float64").where(significant, 0.0)
        else:
            values = out[source].astype("float64").where(has).rank(pct=True, method="average").fillna(0.0)
        out[score] = values.where(has)
        used[score] = weights.get(component, 0.0)
    total = sum(used.values())
    if not used or total <= 0:
        out[C.SKOR_PRIORITAS] = np.nan
        out[C.PERINGKAT] = pd.array([pd.NA] * len(out), dtype="Int64")
        return out
    composite = sum(out[score] * weight for score, weight in used.items()) / total
    out[C.SKOR_PRIORITAS] = composite.where(has)
    out[C.PERINGKAT] = _ranks(out)
    return out


def _ranks(scored: pd.DataFrame) -> pd.Series:
    """1..n by descending score, ties broken by :data:`TIE_RULE`; <NA> without a score."""
    keys = pd.DataFrame(
        {
            "score": scored[C.SKOR_PRIORITAS].astype("float64"),
            "extreme": scored[C.KK_MISKIN_EKSTREM].astype("float64") if C.KK_MISKIN_EKSTREM in scored else 0.0,
            "eb": scored[C.PERSEN_MISKIN_EB].astype("float64") if C.PERSEN_MISKIN_EB in scored else 0.0,
            "code": scored[C.KODE_KEL].astype(str) if C.KODE_KEL in scored else "",
        },
        index=scored.index,
    ).fillna({"extreme": -1.0, "eb": -1.0})
    ordered = keys.dropna(subset=["score"]).sort_values(
        ["score", "extreme", "eb", "code"], ascending=[False, False, False, True], kind="stable"
    )
    ranks = pd.Series(pd.NA, index=scored.index, dtype="Int64")
    ranks.loc[ordered.index] = np.arange(1, len(ordered) + 1)
    return ranks
