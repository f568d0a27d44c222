"""Deprivation stage: multidimensional poverty by the Alkire-Foster method.

The government defines extreme poverty by unmet basic needs, not by income
alone. This stage scores every household on the configured indicators
(dwelling, water, sanitation, energy, education, health; see
:data:`pipeline.settings.DEFAULT_DEPRIVATION`) the way the global MPI does:

1. **Deprivations.** ``g_ij = 1`` when household *i* is below the cutoff of
   indicator *j* (e.g. an earth floor), else 0.
2. **Score.** ``c_i = sum_j w_j g_ij``, with weights summing to 1.
3. **Identification.** The household is multidimensionally poor when
   ``c_i >= k`` (default k = 1/3).
4. **Aggregation** over the *n* assessed households of an area, with *q* of
   them poor: headcount ``H = q / n``, intensity ``A = sum_{poor} c_i / q``,
   adjusted headcount ``M0 = H × A``. The censored headcount of indicator
   *j* is the share of households that are poor *and* deprived in *j*;
   its contribution to M0 is ``w_j × censored headcount_j / M0``, and the
   contributions sum to 100 %.

Only counts are stored per area (assessed households, poor households, and
poor-and-deprived households per indicator), so kecamatan and region
figures are recomputed exactly from summed counts by :func:`mpi_from_counts`.

Missing data: an indicator whose column is absent from the register is
dropped, and its weight goes to the other indicators of its dimension (or,
if the whole dimension is missing, to the other dimensions). A household
with no value for an indicator that is present is not assessed
(``dinilai_mpi`` = False) and is left out of H, A and M0, as in the global
MPI.
"""

from __future__ import annotations

import logging
import operator
from dataclasses import replace

import numpy as np
import pandas as pd

from .. import columns as C
from ..settings import DeprivationIndicator, DeprivationSettings
from ..text import text_key

logger = logging.getLogger(__name__)

#: Household column of indicator <name>: 1 deprived, 0 not, <NA> unknown.
DEPRIVED_PREFIX: str = "dep_"
#: Kelurahan count of households poor and deprived in <name> (censored headcount).
CENSORED_COUNT_PREFIX: str = "kk_sensor_"
CENSORED_RATE_PREFIX: str = "persen_sensor_"
CONTRIBUTION_PREFIX: str = "kontribusi_"
_OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def effective_indicators(
    indicators: tuple[DeprivationIndicator, ...], available: set[str] | list[str]
) -> tuple[DeprivationIndicator, ...]:
    """Drop indicators whose column is missing and re-spread their weight.

    The weight of a dropped indicator goes to the remaining indicators of
    its dimension, in proportion to their weights; a dimension with no
    indicator left gives its weight to the other dimensions in the same way.

    Returns
    -------
    tuple of DeprivationIndicator
        The indicators that can be computed, with weights summing to 1.
    """
    present = [i for i in indicators if i.column in available]
    if not present:
        return ()
    dimension_weight: dict[str, float] = {}
    for i in indicators:
        dimension_weight[i.dimension] = dimension_weight.get(i.dimension, 0.0) + i.weight
    kept_dimensions = {i.dimension for i in present}
    kept_total = sum(w for d, w in dimension_weight.items() if d in kept_dimensions)
    out = []
    for i in present:
        within = sum(j.weight for j in present if j.dimension == i.dimension)
        weight = i.weight / within * dimension_weight[i.dimension] / kept_total
        out.append(replace(i, weight=weight))
    dropped = [i.name for i in indicators if i.column not in available]
    if dropped:
        logger.warning(
            "deprivation: no column for %s; their weight is spread over the other indicators", ", ".join(dropped)
        )
    return tuple(out)


def deprivations(households: pd.DataFrame, *, indicators: tuple[DeprivationIndicator, ...]) -> pd.DataFrame:
    """The deprivation matrix ``g``: one nullable 0/1 column per indicator.

    Parameters
    ----------
    households
        Households with the indicators' columns.
    indicators
        Indicators whose columns are all present (see :func:`effective_indicators`).

    Returns
    -------
    DataFrame
        Columns ``dep_<name>`` (Int8): 1 deprived, 0 not, <NA> where the
        household has no value.
    """
    out = pd.DataFrame(index=households.index)
    for indicator in indicators:
        values = households[indicator.column]
        if indicator.values:
            key = text_key(values)
            wanted = set(text_key(pd.Series(indicator.values)).dropna())
            deprived = key.isin(wanted).astype("Int8").mask(key.isna())
        else:
            number = pd.to_numeric(values, errors="coerce").astype("Float64")
            deprived = _OPERATORS[indicator.op](number, indicator.threshold).astype("Int8")
        out[DEPRIVED_PREFIX + indicator.name] = deprived
    return out


def score_households(households: pd.DataFrame, *, settings: DeprivationSettings):
    """Add each household's deprivations, score and multidimensional-poverty flag.

    Parameters
    ----------
    households
        Joined households (any frame with the indicators' columns).
    settings
        The region's indicators and poverty cutoff ``k``.

    Returns
    -------
    households : same type as the input
        A copy with ``dep_<name>`` per indicator, ``skor_deprivasi`` (c_i,
        NaN when not assessed), ``dinilai_mpi`` and ``miskin_multidimensi``.
    indicators : tuple of DeprivationIndicator
        The indicators used, with their effective weights.
    """
    indicators = effective_indicators(settings.indicators, set(households.columns))
    out = households.copy()
    if not indicators:
        logger.warning("deprivation: the register has none of the indicator columns; no MPI computed")
        out[C.DINILAI_MPI] = False
        out[C.SKOR_DEPRIVASI] = np.nan
        out[C.MISKIN_MULTIDIMENSI] = False
        return out, indicators
    g = deprivations(households, indicators=indicators)
    weights = np.array([i.weight for i in indicators])
    matrix = g.to_numpy(dtype="float64", na_value=np.nan)
    assessed = ~np.isnan(matrix).any(axis=1)
    score = np.where(assessed, np.nan_to_num(matrix) @ weights, np.nan)
    for column in g.columns:
        out[column] = g[column]
    out[C.DINILAI_MPI] = assessed
    out[C.SKOR_DEPRIVASI] = score
    # a small tolerance: 1/18 + 1/18 + 1/6 + 1/18 is k = 1/3 only up to rounding
    out[C.MISKIN_MULTIDIMENSI] = assessed & (np.nan_to_num(score) >= settings.poverty_cutoff - 1e-9)
    logger.info(
        "deprivation: %d of %d households assessed on %d indicators; %d multidimensionally poor (k = %.3f)",
        int(assessed.sum()),
        len(out),
        len(indicators),
        int(out[C.MISKIN_MULTIDIMENSI].sum()),
        settings.poverty_cutoff,
    )
    return out, indicators


def mpi_counts(households: pd.DataFrame, *, indicators: tuple[DeprivationIndicator, ...]) -> pd.DataFrame:
    """Per-household 0/1 counts that sum to the area figures of :func:`mpi_from_counts`.

    Returns
    -------
    DataFrame
        ``kk_dinilai_mpi``, ``kk_miskin_multidimensi`` and
        ``kk_sensor_<name>`` (poor and deprived in the indicator) per household.
    """
    out = pd.DataFrame(index=households.index)
    if C.DINILAI_MPI not in households:
        return out
    poor = households[C.MISKIN_MULTIDIMENSI].to_numpy(dtype=bool)
    out[C.KK_DINILAI_MPI] = households[C.DINILAI_MPI].astype("int64")
    out[C.KK_MISKIN_MULTIDIMENSI] = poor.astype("int64")
    for indicator in indicators:
        deprived = households[DEPRIVED_PREFIX + indicator.name].fillna(0).to_numpy(dtype="int64")
        out[CENSORED_COUNT_PREFIX + indicator.name] = deprived * poor
    return out


def mpi_from_counts(frame: pd.DataFrame, *, indicators: tuple[DeprivationIndicator, ...]) -> pd.DataFrame:
    """H, A, M0, censored headcounts and contributions from summed counts.

    Parameters
    ----------
    frame
        Rows (kelurahan, kecamatan, pocket...) with the columns of
        :func:`mpi_counts` summed.
    indicators
        The indicators used, with their effective weights.

    Returns
    -------
    DataFrame
        A copy with ``mpi_h`` (%), ``mpi_a`` (%), ``mpi_m0`` (0..1),
        ``persen_sensor_<name>`` (%) and ``kontribusi_<name>`` (% of M0).
        Areas with no assessed household get NaN; where no one is poor,
        H = M0 = 0 and A and the contributions are NaN.
    """
    out = frame.copy()
    if C.KK_DINILAI_MPI not in out:
        return out
    n = out[C.KK_DINILAI_MPI].astype("float64").where(lambda s: s > 0)
    q = out[C.KK_MISKIN_MULTIDIMENSI].astype("float64")
    weighted = sum(
        (i.weight * out[CENSORED_COUNT_PREFIX + i.name].astype("float64") for i in indicators),
        start=pd.Series(0.0, index=out.index),
    )
    m0 = weighted / n
    out[C.MPI_H] = 100.0 * q / n
    out[C.MPI_A] = 100.0 * weighted / q.where(q > 0)
    out[C.MPI_M0] = m0
    for i in indicators:
        censored = out[CENSORED_COUNT_PREFIX + i.name].astype("float64")
        out[CENSORED_RATE_PREFIX + i.name] = 100.0 * censored / n
        out[CONTRIBUTION_PREFIX + i.name] = 100.0 * i.weight * censored / weighted.where(weighted > 0)
    return out


def indicator_table(indicators: tuple[DeprivationIndicator, ...], *, cutoff: float) -> pd.DataFrame:
    """The indicators, cutoffs and effective weights used, as a table for the GeoPackage.

    Returns
    -------
    DataFrame
        ``indikator``, ``dimensi``, ``kolom``, ``batas_deprivasi`` (the
        deprivation cutoff in words), ``bobot`` and ``ambang_k`` (the poverty
        cutoff k, the same on every row).
    """
    return pd.DataFrame(
        {
            "indikator": [i.name for i in indicators],
            "dimensi": [i.dimension for i in indicators],
            "kolom": [i.column for i in indicators],
            "batas_deprivasi": [i.describe() for i in indicators],
            "bobot": [round(i.weight, 6) for i in indicators],
            "ambang_k": round(cutoff, 6),
        }
    )
