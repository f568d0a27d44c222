"""Benjamini-Hochberg false discovery rate, shared by the kelurahan hot spots and the H3 cells."""

from __future__ import annotations

import esda
import numpy as np


def fdr_significant(p: np.ndarray, alpha: float) -> np.ndarray:
    """True where ``p`` survives the Benjamini-Hochberg FDR at ``alpha`` (``esda.fdr``; NaN never does)."""
    finite = np.isfinite(p)
    out = np.zeros(p.shape, dtype=bool)
    if finite.any():
        cutoff = esda.fdr(p[finite], alpha)
        # esda returns alpha/n when BH rejects nothing; no p-value is below it then
        out[finite] = p[finite] <= cutoff
    return out
