"""Kemendagri area codes: normalise ``6474011001`` <-> ``64.74.01.1001``.

Kemendagri and BPS codes are different systems; this module only knows the
Kemendagri one (2-2-2-4 digits). In the 4th segment ``1xxx`` is a kelurahan
and ``2xxx`` a desa.
"""

from __future__ import annotations

import pandas as pd


def normalize_kode(values: pd.Series) -> pd.Series:
    """Return kelurahan codes in dotted form, or ``<NA>`` where not a valid code.

    Accepts ``64.74.01.1001``, ``6474011001`` and the same with spaces.

    Parameters
    ----------
    values
        Codes as text or numbers.

    Returns
    -------
    Series
        Dotted codes (``64.74.01.1001``) aligned to ``values``; ``<NA>`` where
        the value is not 10 digits.
    """
    text = values.astype("string").str.strip().str.replace(r"^(\d{10})\.0$", r"\1", regex=True)  # read as a float
    digits = text.str.replace(r"[\s.]", "", regex=True)
    valid = digits.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
    dotted = digits.str[0:2] + "." + digits.str[2:4] + "." + digits.str[4:6] + "." + digits.str[6:10]
    return dotted.where(valid, pd.NA)


def kecamatan_of(kode_kel: pd.Series) -> pd.Series:
    """Return the dotted kecamatan code (``64.74.01``) of dotted kelurahan codes."""
    return kode_kel.astype("string").str[:8]


def is_desa(kode_kel: pd.Series) -> pd.Series:
    """True where the 4th segment starts with 2 (desa), False for 1 (kelurahan)."""
    return kode_kel.astype("string").str[9] == "2"
