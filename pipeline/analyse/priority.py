"""Priority stage: which kelurahan first.

A documented composite of four components, each shown beside the result
so that a planner can see why a kelurahan ranks where it does:

========================  ==========================================  =====================
component (weight key)    measure                                     score 0..1
========================  ==========================================  =====================
``kk_miskin_ekstrem``     extreme-poor households (how many)          percentile rank
``persen_miskin_eb``      EB-smoothed poverty rate (how concentrated)  percentile rank
``titik_panas``           Gi* class of the EB rate (in a hot spot)    99 %: 1, 95 %: 2/3,
                                                                      90 %: 1/3, else 0
``mpi_m0``                Alkire-Foster M0 (how deprived)             percentile rank
========================  ==========================================  =====================

``skor_prioritas`` is the weighted mean of the scores (weights from the
region's ``[priority] weights``, equal by default) and
``peringkat_prioritas`` ranks it, 1 = first. Percentile ranks are taken
among the kelurahan with households (ties share their mean rank); a
component the region has no data for is left out and the others are
re-weighted. Kelurahan without households get no score and no rank.
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


def prioritise(kelurahan: pd.DataFrame, *, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Score and rank kelurahan by the composite of :data:`COMPONENTS`.

    Parameters
    ----------
    kelurahan
        Kelurahan indicators with EB rates, Gi* classes of the EB rate and M0.
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
            values = out[source].map(HOTSPOT_SCORES).fillna(0.0).astype("float64")
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
    out[C.PERINGKAT] = out[C.SKOR_PRIORITAS].rank(ascending=False, method="min").astype("Int64")
    return out
