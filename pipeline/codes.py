"""Kemendagri area codes: normalise ``6474011001`` <-> ``64.74.01.1001``.

Kemendagri and BPS codes are different systems; this module only knows the
Kemendagri one (2-2-2-4 digits). In the 4th segment ``1xxx`` is a kelurahan
and ``2xxx`` a desa.
"""

from __future__ import annotations

import datetime as dt

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


def kabkota_of(kode_kel: pd.Series) -> pd.Series:
    """Return the dotted kab/kota code (``64.74``) of dotted kelurahan codes."""
    return kode_kel.astype("string").str[:5]


def is_desa(kode_kel: pd.Series) -> pd.Series:
    """True where the 4th segment starts with 2 (desa), False for 1 (kelurahan)."""
    return kode_kel.astype("string").str[9] == "2"


#: Indonesia's three time zones (no daylight saving), by the province part of a Kemendagri code.
_WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})


def time_zone(kode: str) -> dt.tzinfo:
    """The local time zone of a region from its code (``53.71`` -> WITA, UTC+8).

    WIB (UTC+7): Sumatra, Java, West and Central Kalimantan; WITA (UTC+8):
    Bali, Nusa Tenggara, South, East and North Kalimantan, Sulawesi; WIT
    (UTC+9): Maluku and Papua. An unknown province reads as WIB.
    """
    province = str(kode).strip()[:2]
    if province in _WIT_PROVINCES:
        return dt.timezone(dt.timedelta(hours=9), "WIT")
    if province in _WITA_PROVINCES:
        return dt.timezone(dt.timedelta(hours=8), "WITA")
    return dt.timezone(dt.timedelta(hours=7), "WIB")
