"""Text, numbers, dates, yes/no and sex as written in registers: parsed in one place.

Every stage that reads a value typed by a person (a register cell, a header,
a rule literal, a beneficiary list) parses it here, so that "Ya", "1" and
"true" mean the same thing everywhere. All parsers are vectorised over a
pandas Series; text is compared in the form :func:`header_key` gives
(case, spaces and punctuation ignored).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: What :func:`header_key` and :func:`text_key` remove: everything but digits and ASCII letters.
_NOT_KEY = r"[^0-9a-z]+"


def header_key(header: str) -> str:
    """``"Desil Kesejahteraan"`` -> ``"desilkesejahteraan"``: the form headers and rule texts are matched in."""
    return re.sub(_NOT_KEY, "", str(header).lower())


def text_key(values: pd.Series) -> pd.Series:
    """:func:`header_key` over a whole column (rules, deprivation cutoffs); empty becomes <NA>.

    Worked out once per distinct value (:func:`per_unique`): a register column holds few.
    """
    return per_unique(values, _text_key)


def _text_key(values: pd.Series) -> pd.Series:
    key = values.astype("string").str.lower().str.replace(_NOT_KEY, "", regex=True)
    return key.mask(key == "")


DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y")


#: Yes and no as registers write them; one vocabulary for flags and for presence codes.
YES_WORDS: frozenset[str] = frozenset({"1", "ya", "y", "true", "benar", "iya"})
NO_WORDS: frozenset[str] = frozenset(
    {"0", "00", "tidak", "tidak ada", "t", "n", "no", "false", "salah", "bukan", "tidak cacat"}
)


def column_text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text ("" where empty or where the frame has no such column)."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="string")
    return frame[column].astype("string").fillna("").str.strip()


def per_unique(values: pd.Series, func) -> pd.Series:
    """Apply a vectorised ``func`` to the distinct values only, then spread back.

    Register columns such as flags and kelurahan codes hold few distinct
    values in a million rows; this keeps their parsing cheap.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = func(pd.Series(uniques, dtype="string"))
    if not len(parsed):  # no value, or every one missing
        return pd.Series(pd.NA, index=values.index, dtype=parsed.dtype)
    out = pd.Series(parsed.take(np.where(codes < 0, 0, codes)).to_numpy(), index=values.index, dtype=parsed.dtype)
    return out.mask(codes < 0) if (codes < 0).any() else out


def _flag_values(values: pd.Series) -> pd.Series:
    lower = values.fillna("").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="Int8")
    out[lower.isin(YES_WORDS)] = 1
    out[lower.isin(NO_WORDS | {""})] = 0
    return out


def strip_id(values: pd.Series) -> pd.Series:
    """Remove spaces and the apostrophe Excel puts before long numbers (literal replaces: fast in Arrow)."""
    for char in (" ", "'", "`", "\u00a0"):
        values = values.str.replace(char, "", regex=False)
    return values


def parse_flag(values: pd.Series) -> pd.Series:
    """Parse Ya/Tidak, 1/0, true/false flags into a nullable 0/1 ``Int8`` Series.

    Empty values are 0 (not flagged); unrecognised values become ``<NA>``.
    """
    return per_unique(values.astype("string").fillna(""), _flag_values)


def parse_number(values: pd.Series) -> pd.Series:
    """Parse numbers written with a decimal point or a decimal comma.

    ``-0,1234`` and ``-0.1234`` both give -0.1234; empty text gives NaN and
    anything else that is not a number gives NaN too.
    """
    text = values.astype("string").fillna("").str.strip()
    comma_decimal = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
    text = text.mask(comma_decimal, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")


#: A cell that is two numbers: "lat, lon", "[lat, lon]", "lat;lon", or "lat lon alt acc" (an ODK geopoint).
_COORDINATE_PAIR = re.compile(
    r"^\s*[\[(]?\s*(-?\d+(?:[.,]\d+)?)\s*(?:;|,\s*|\s+)\s*(-?\d+(?:[.,]\d+)?)"
    r"(?:\s+-?\d+(?:\.\d+)?){0,2}\s*[\])]?\s*$"
)


def split_coordinates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Latitude and longitude text from one coordinate column.

    ``"-10.17, 123.58"``, ``"[-10.17, 123.58]"`` (KoboToolbox
    ``_geolocation``), ``"-10,17; 123,58"`` (decimal commas) and
    ``"-10.17 123.58 12 5"`` (an ODK geopoint: lat lon altitude accuracy)
    all give ``("-10.17", "123.58")``. A cell that is not two such
    numbers gives its whole text as the latitude and nothing as the
    longitude, so that validation reports it as incomplete, not as absent;
    a cell of separators only (``", "``, ``"[]"``) is empty.
    """
    text = values.astype("string").fillna("").str.strip()
    text = text.mask(~text.str.contains(r"[0-9A-Za-z]", regex=True), "")  # ", " or "[]": nothing given
    pair = text.str.extract(_COORDINATE_PAIR)
    lat = pair[0].str.replace(",", ".", regex=False)
    lon = pair[1].str.replace(",", ".", regex=False)
    return lat.fillna(text).astype("string"), lon.fillna("").astype("string")


def parse_date(values: pd.Series) -> pd.Series:
    """Parse dates written as YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY, YYYY/MM/DD or DD.MM.YYYY.

    Empty text gives NaT, and so does text that is no real date (31-02-1980);
    compare with the input to tell the two apart.
    """
    text = values.astype("string").fillna("").str.strip().str.slice(0, 10)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        todo = out.isna() & (text != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out


def parse_presence(values: pd.Series) -> pd.Series:
    """Presence of something written as a yes or as a type code (disability type, illness):
    Ya/1/any code -> 1; a no word (:data:`NO_WORDS`) -> 0; empty -> <NA>."""
    text = values.str.strip().str.lower()
    out = pd.Series(np.where(text.isin(NO_WORDS), 0, 1), index=values.index, dtype="Int8")
    return out.mask(text == "")


def parse_sex(values: pd.Series) -> pd.Series:
    """``"P"``/``"L"`` from text (Perempuan, Laki-laki, P, L) or the BDT codes 2/1; None when unknown."""
    text = values.astype("string").fillna("").str.strip().str.lower()
    women = (text.str.startswith("p") | (text == "2")).to_numpy(dtype=bool)
    men = (text.str.startswith("l") | (text == "1")).to_numpy(dtype=bool)
    return pd.Series(np.where(women, "P", np.where(men, "L", None)), index=values.index, dtype=object)


_TITLES = re.compile(
    r"\b(hj|h|haji|hajah|dr|drs|dra|ir|prof|s\s?pd|s\s?e|s\s?h|s\s?kom|s\s?t|s\s?sos|a\s?md|bapak|bpk|ibu|sdr|sdri)\b\.?"
)


def normalise_name(values: pd.Series) -> pd.Series:
    """Lower case, titles removed, punctuation to spaces, spaces collapsed."""
    text = values.astype("string").fillna("").str.lower().str.replace(r"[.,']", " ", regex=True)
    text = text.str.replace(_TITLES, " ", regex=True)
    return text.str.replace(r"[^a-z ]+", " ", regex=True).str.split().str.join(" ")


def digits_only(values: pd.Series) -> pd.Series:
    """The digits of each value (NIK, KK number typed with spaces or dots); <NA> when none."""
    return values.astype("string").str.replace(r"\D+", "", regex=True).mask(lambda s: s == "")


def iso_dates(values: pd.Series) -> pd.Series:
    """Dates as ``YYYY-MM-DD`` text (:func:`parse_date`'s formats); NaN where not a date."""
    return parse_date(values).dt.strftime("%Y-%m-%d")
