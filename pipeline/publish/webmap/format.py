"""Numbers and dates as an Indonesian reader writes them: 1.234 KK, 12,5 %, 2 Januari 2026."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..palette import HIDDEN_LABEL


def format_int(value: float | int | None) -> str:
    """``1234`` -> ``"1.234"``; missing -> ``"disembunyikan"``."""
    if value is None or pd.isna(value):
        return HIDDEN_LABEL
    return f"{int(value):,}".replace(",", ".")


def format_percent(value: float | None, digits: int = 2) -> str:
    """``8.6123`` -> ``"8,61 %"``; missing -> ``"disembunyikan"``."""
    if value is None or pd.isna(value):
        return HIDDEN_LABEL
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".") + " %"


def format_number(value: float, digits: int | None = None) -> str:
    """A decimal with a decimal comma: ``0.05`` -> ``"0,05"``; ``digits`` fixes the decimals (``0.5``, 2 -> ``"0,50"``)."""
    text = f"{value:g}" if digits is None else f"{value:.{digits}f}"
    return text.replace(".", ",")


def format_households(values: pd.Series) -> pd.Series:
    """Counts as ``"1.234 KK"``; hidden counts as ``"disembunyikan"``."""
    return values.map(lambda v: HIDDEN_LABEL if v is None or pd.isna(v) else f"{format_int(v)} KK")


def format_date(value: dt.date) -> str:
    """``2026-09-30`` -> ``"30 September 2026"``."""
    months = (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    )
    return f"{value.day} {months[value.month - 1]} {value.year}"
