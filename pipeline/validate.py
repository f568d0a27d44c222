"""Validate stage: check every household row, quarantine the bad ones.

Following osmnx's pattern, all problems are collected first and reported
once. A problem with the whole file (a required column is missing) raises
one :class:`~pipeline.errors.ValidationError`. A problem with a row sends the
row to the quarantine table with every reason that applies, so that nothing
is ever dropped silently: ``rows in == accepted + quarantined``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from . import columns as C
from .codes import normalize_kode
from .errors import ValidationError

logger = logging.getLogger(__name__)

#: Reason code -> explanation for the data officer (Bahasa Indonesia).
REASONS: dict[str, str] = {
    "id_kosong": "ID keluarga kosong",
    "id_ganda": "ID keluarga muncul lebih dari sekali (baris pertama dipakai)",
    "nik_tidak_valid": "NIK kepala keluarga bukan 16 digit angka",
    "desil_tidak_valid": "Desil kesejahteraan kosong atau di luar 1-10",
    "koordinat_tidak_valid": "Latitude/longitude bukan angka",
    "koordinat_tidak_lengkap": "Hanya satu dari latitude/longitude yang terisi",
    "koordinat_di_luar_indonesia": "Koordinat di luar wilayah Indonesia (mungkin lat/lon tertukar)",
    "lokasi_tidak_ada": "Tidak ada koordinat maupun kode kelurahan yang valid",
    "di_luar_wilayah": "Titik GPS di luar semua batas kelurahan, lebih jauh dari jarak toleransi",
    "kode_kel_tidak_dikenal": "Kode kelurahan tidak ada di file batas wilayah",
}

#: Indonesia's bounding box with a margin, (lon_min, lat_min, lon_max, lat_max).
INDONESIA_BOUNDS: tuple[float, float, float, float] = (94.0, -11.5, 141.5, 6.5)
REQUIRED: tuple[str, ...] = (C.ID_KELUARGA, C.NIK, C.DESIL)
FLAG_COLUMNS: tuple[str, ...] = (C.LANSIA_TUNGGAL, C.DISABILITAS, C.RISIKO_STUNTING, C.PEKERJA_MIGRAN)
_TRUE = {"1", "ya", "y", "true", "benar", "iya"}
_FALSE = {"0", "tidak", "t", "n", "no", "false", "salah", ""}


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="string")
    return frame[column].astype("string").fillna("").str.strip()


def _per_unique(values: pd.Series, func) -> pd.Series:
    """Apply a vectorised ``func`` to the distinct values only, then spread back.

    Register columns such as flags and kelurahan codes hold few distinct
    values in a million rows; this keeps their parsing cheap.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = func(pd.Series(uniques, dtype="string"))
    taken = parsed.take(np.where(codes < 0, 0, codes)) if len(parsed) else pd.Series([], dtype=parsed.dtype)
    out = pd.Series(taken.to_numpy(), index=values.index, dtype=parsed.dtype)
    return out.mask(codes < 0) if (codes < 0).any() else out


def _flag_values(values: pd.Series) -> pd.Series:
    lower = values.fillna("").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="Int8")
    out[lower.isin(_TRUE)] = 1
    out[lower.isin(_FALSE)] = 0
    return out


def parse_flag(values: pd.Series) -> pd.Series:
    """Parse Ya/Tidak, 1/0, true/false flags into a nullable 0/1 ``Int8`` Series.

    Empty values are 0 (not flagged); unrecognised values become ``<NA>``.
    """
    return _per_unique(values.astype("string").fillna(""), _flag_values)


def parse_number(values: pd.Series) -> pd.Series:
    """Parse numbers written with a decimal point or a decimal comma.

    ``-0,1234`` and ``-0.1234`` both give -0.1234; empty text gives NaN and
    anything else that is not a number gives NaN too.
    """
    text = values.astype("string").fillna("").str.strip()
    comma_decimal = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
    text = text.mask(comma_decimal, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")


def _missing_columns_error(frame: pd.DataFrame, missing: list[str]) -> ValidationError:
    files = ", ".join(sorted(frame[C.FILE_SUMBER].unique())) if C.FILE_SUMBER in frame else "households"
    found = ", ".join(f"'{c}'" for c in frame.columns if c not in (C.FILE_SUMBER, C.BARIS_SUMBER))
    return ValidationError(
        f"{files}: required column(s) {', '.join(repr(m) for m in missing)} not found; found {found}. "
        "Map them in the region TOML under [households.columns], e.g. nik = 'NIK KK'"
    )


def validate_households(frame: pd.DataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Check household rows and split them into accepted and quarantined.

    Parameters
    ----------
    frame
        Rows from :func:`pipeline.load.households_from_file`, canonical headers,
        values as text.

    Returns
    -------
    accepted : GeoDataFrame
        Valid rows with typed columns and a point geometry in EPSG:4326
        (``None`` where the row has no coordinates). The index is kept.
    quarantine : DataFrame
        Rejected rows as found, plus ``alasan`` (reason codes separated by
        ``;``, see :data:`REASONS`) and ``tahap`` = ``"validasi"``.

    Raises
    ------
    ValidationError
        If a required column is missing, or neither a kelurahan code nor
        coordinates are present.
    """
    missing = [c for c in REQUIRED if c not in frame.columns]
    has_coords = C.LAT in frame.columns and C.LON in frame.columns
    if C.KODE_KEL not in frame.columns and not has_coords:
        missing.append(f"{C.KODE_KEL} (or {C.LAT} and {C.LON})")
    if missing:
        raise _missing_columns_error(frame, missing)

    reasons: dict[str, pd.Series] = {}
    ident = _text(frame, C.ID_KELUARGA)
    reasons["id_kosong"] = ident == ""
    reasons["id_ganda"] = (ident != "") & ident.duplicated(keep="first")

    nik = _text(frame, C.NIK).str.replace(r"[\s'`]", "", regex=True)
    reasons["nik_tidak_valid"] = ~nik.str.fullmatch(r"\d{16}").fillna(False).astype(bool)

    desil = _per_unique(_text(frame, C.DESIL), parse_number)
    reasons["desil_tidak_valid"] = ~(desil.between(1, 10) & (desil % 1 == 0))

    lat_text, lon_text = _text(frame, C.LAT), _text(frame, C.LON)
    lat, lon = parse_number(lat_text), parse_number(lon_text)
    lat_given, lon_given = lat_text != "", lon_text != ""
    reasons["koordinat_tidak_lengkap"] = lat_given ^ lon_given
    reasons["koordinat_tidak_valid"] = (lat_given & lat.isna()) | (lon_given & lon.isna())
    both = lat.notna() & lon.notna()
    lon_min, lat_min, lon_max, lat_max = INDONESIA_BOUNDS
    inside = lon.between(lon_min, lon_max) & lat.between(lat_min, lat_max)
    reasons["koordinat_di_luar_indonesia"] = both & ~inside

    kode = _per_unique(_text(frame, C.KODE_KEL), normalize_kode)
    located = both & inside
    reasons["lokasi_tidak_ada"] = ~located & kode.isna() & ~(lat_given | lon_given)

    reasons = {code: mask.fillna(False).astype(bool) for code, mask in reasons.items()}
    reason_text = pd.Series("", index=frame.index, dtype="object")
    for code, mask in reasons.items():
        reason_text = reason_text + np.where(mask.to_numpy(), code + ";", "")
    bad = reason_text != ""

    quarantine = frame.loc[bad].copy()
    quarantine[C.ALASAN] = reason_text[bad].str.rstrip(";")
    quarantine[C.TAHAP] = "validasi"

    good = ~bad
    accepted = frame.loc[good].copy()
    accepted[C.ID_KELUARGA] = ident[good]
    accepted[C.NIK] = nik[good]
    accepted[C.DESIL] = desil[good].astype("int64")
    accepted[C.KODE_KEL] = kode[good]
    accepted[C.LAT] = lat[good].where(located[good])
    accepted[C.LON] = lon[good].where(located[good])
    members = _per_unique(_text(frame, C.JUMLAH_ART)[good], parse_number)
    accepted[C.JUMLAH_ART] = members.where((members >= 1) & (members % 1 == 0)).astype("Int64")
    for column in FLAG_COLUMNS + tuple(c for c in frame.columns if c.startswith(C.PENERIMA_PREFIX)):
        if column in frame.columns:
            accepted[column] = parse_flag(frame.loc[good, column])
    if C.JENIS_KELAMIN in frame.columns:
        sex = _text(frame, C.JENIS_KELAMIN)[good].str.lower()
        accepted[C.JENIS_KELAMIN] = np.where(sex.str.startswith("p"), "P", np.where(sex.str.startswith("l"), "L", None))

    geometry = gpd.points_from_xy(accepted[C.LON], accepted[C.LAT], crs="EPSG:4326")
    accepted = gpd.GeoDataFrame(accepted, geometry=geometry, crs="EPSG:4326")
    accepted.loc[~located[good], "geometry"] = None

    counts = {code: int(mask.sum()) for code, mask in reasons.items() if mask.any()}
    logger.info(
        "validated %d rows: %d accepted, %d quarantined %s", len(frame), len(accepted), len(quarantine), counts or ""
    )
    return accepted, quarantine
