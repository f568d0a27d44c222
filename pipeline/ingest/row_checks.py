"""Check each household row on its own, and find which rows are the same household.

:func:`row_checks` gives every reason a row is refused that depends on the
row alone (an empty ID, a broken NIK, a decile out of range, coordinates
outside Indonesia...), with the values it parsed; :func:`duplicate_keepers`
finds the rows that repeat a household and the row each group keeps.
:mod:`.validate` puts the two together; a province split
(:mod:`.split`) uses them over a register too large to validate at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import columns as C
from ..codes import normalize_kode
from ..errors import ValidationError
from ..text import column_text, parse_date, parse_number, per_unique, strip_id

#: Indonesia's bounding box with a margin, (lon_min, lat_min, lon_max, lat_max).
INDONESIA_BOUNDS: tuple[float, float, float, float] = (94.0, -11.5, 141.5, 6.5)
REQUIRED: tuple[str, ...] = (C.ID_KELUARGA, C.NIK, C.DESIL)
#: Province codes a NIK may start with: 11-96, plus the fictional 99 of the demo.
NIK_PROVINCES: tuple[int, ...] = (*range(11, 97), 99)
DUPLICATE_KEYS: tuple[str, ...] = C.DUPLICATE_KEYS


def nik_parts(nik: pd.Series) -> pd.DataFrame:
    """Province, day (women: +40), month and 2-digit year of 16-digit NIKs, as integers.

    Rows whose NIK is not 16 digits get -1 everywhere. Works on a digit
    matrix (bytes minus ``b"0"``): no per-row Python, no string slicing.
    """
    digits = nik.str.fullmatch(r"\d{16}").fillna(False).astype(bool).to_numpy()
    values = np.where(digits, nik.fillna("").to_numpy(dtype=object), "0" * 16).astype("S16")
    d = values.view(np.uint8).reshape(-1, 16).astype(np.int16) - ord("0")
    columns = {"prov": (0, 1), "day": (6, 7), "month": (8, 9), "year": (10, 11)}
    return pd.DataFrame(
        {name: np.where(digits, d[:, a] * 10 + d[:, b], -1) for name, (a, b) in columns.items()}, index=nik.index
    )


def nik_checks(nik: pd.Series, parts: pd.DataFrame) -> dict[str, pd.Series]:
    """Structural checks of 16-digit NIKs (already stripped of spaces and apostrophes).

    ``parts`` is :func:`nik_parts` of the same NIKs.

    Returns
    -------
    dict
        Reason code -> boolean mask: ``nik_format_ilmiah`` (a float in
        scientific notation, as Excel stores long numbers), ``nik_tidak_valid``
        (not 16 digits), and, for 16-digit NIKs, ``nik_provinsi_tidak_valid``,
        ``nik_tanggal_tidak_valid`` and ``nik_angka_seragam``.
    """
    scientific = nik.str.fullmatch(r"\d(?:[.,]\d+)?[eE]\+?\d+").fillna(False).astype(bool)
    digits = parts["day"] >= 0  # nik_parts marks NIKs that are not 16 digits with -1
    day = parts["day"].where(parts["day"] <= 40, parts["day"] - 40)
    # a real calendar date? (the century is unknown: 29 February needs a leap year in 19YY or 20YY)
    valid_date = (
        pd.to_datetime(
            pd.DataFrame(
                {"year": 2000 + parts["year"].clip(0, 99), "month": parts["month"].clip(1, 12), "day": day.clip(1, 31)}
            ),
            errors="coerce",
        ).notna()
        & parts["month"].between(1, 12)
        & day.between(1, 31)
    )
    province = parts["prov"].isin(NIK_PROVINCES)
    return {
        "nik_format_ilmiah": scientific,
        "nik_tidak_valid": ~digits & ~scientific,
        "nik_provinsi_tidak_valid": digits & ~province,
        "nik_tanggal_tidak_valid": digits & ~valid_date,
        "nik_angka_seragam": digits & (nik == nik.str.slice(0, 1).str.repeat(16)).fillna(False).astype(bool),
    }


def nik_mismatch_flags(parts: pd.DataFrame, sex: pd.Series, birth: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Flags where the sex or birth date encoded in a valid NIK disagrees with the columns.

    Parameters
    ----------
    parts
        :func:`nik_parts` of the NIKs (-1 where a NIK is not 16 digits).
    sex
        ``"P"``/``"L"`` or missing.
    birth
        Parsed birth dates (NaT where unknown).

    Returns
    -------
    sex_differs, birth_differs : Series of bool
        False where either side is unknown.
    """
    known = parts["day"] >= 0
    female = parts["day"] > 40
    sex_differs = known & sex.isin(["P", "L"]) & ((sex == "P") != female)
    day = parts["day"].where(~female, parts["day"] - 40)
    birth_differs = (
        known
        & birth.notna()
        & ((birth.dt.day != day) | (birth.dt.month != parts["month"]) | (birth.dt.year % 100 != parts["year"]))
    )
    return sex_differs.fillna(False).astype(bool), birth_differs.fillna(False).astype(bool)


def duplicate_keepers(keys: list[pd.Series], *, bad: np.ndarray, verified: pd.Series) -> np.ndarray:
    """For every row, the position of the row it duplicates and that is kept; -1 for rows kept or unique.

    Rows are the same household when they share a household ID, a No KK or a
    head-of-household NIK (within a file or across files), taken in the
    order of ``keys``; an empty or missing key matches nothing. The row kept
    is, in order: one that passes every other check (not ``bad``), the
    latest ``verified`` date, the first in row order.
    """
    order = (
        pd.DataFrame({"bad": bad, "verified": verified.fillna(pd.Timestamp.min).to_numpy(), "pos": np.arange(len(bad))})
        .sort_values(["bad", "verified", "pos"], ascending=[True, False, True], kind="stable")["pos"]
        .to_numpy()
    )
    keeper = np.full(len(bad), -1, dtype=np.int64)
    for key in keys:
        ranked = key.iloc[order]
        valid = ranked.notna().to_numpy(dtype=bool)
        if not pd.api.types.is_numeric_dtype(ranked.dtype):
            valid = valid & (ranked != "").fillna(False).to_numpy(dtype=bool)
        usable = valid & (keeper[order] == -1)
        rows = order[usable]
        # the first row of each key in preference order is kept; the others point at it
        first = pd.Series(rows).groupby(ranked.to_numpy()[usable], sort=False).transform("first").to_numpy()
        dup = first != rows
        keeper[rows[dup]] = first[dup]
    return keeper


def _missing_columns_error(frame: pd.DataFrame, missing: list[str]) -> ValidationError:
    from .headers import closest_headers

    files = ", ".join(sorted(frame[C.FILE_SUMBER].unique())) if C.FILE_SUMBER in frame else "households"
    headers = [c for c in frame.columns if c not in (C.FILE_SUMBER, C.BARIS_SUMBER)]
    found = ", ".join(f"'{c}'" for c in headers)
    hints = []
    for name in missing:
        close = closest_headers(name.split(" ")[0], headers)
        if close:
            hints.append(f"{name} = '{close[0]}'?")
    hint = f" Closest candidates: {'; '.join(hints)}." if hints else ""
    return ValidationError(
        f"{files}: required column(s) {', '.join(repr(m) for m in missing)} not found; found {found}.{hint} "
        "Map them in the region TOML under [households.columns], e.g. nik = 'NIK KK'"
    )


@dataclass(frozen=True)
class RowChecks:
    """Each household row checked on its own (every reason but ``id_ganda``), with the values parsed."""

    reasons: dict[str, pd.Series]
    ident: pd.Series
    nik: pd.Series
    parts: pd.DataFrame
    desil: pd.Series
    lat: pd.Series
    lon: pd.Series
    located: pd.Series
    kode: pd.Series
    kode_text: pd.Series
    birth: pd.Series
    verified: pd.Series

    @property
    def bad(self) -> pd.Series:
        """Rows with any reason: a duplicate group keeps another row if it can."""
        return pd.concat([m.fillna(False).astype(bool) for m in self.reasons.values()], axis=1).any(axis=1)

    def keys(self, frame: pd.DataFrame) -> dict[str, pd.Series]:
        """The keys that make two rows the same household (:data:`DUPLICATE_KEYS`), normalised."""
        return {key: self.nik if key == C.NIK else strip_id(column_text(frame, key)) for key in DUPLICATE_KEYS}


def row_checks(frame: pd.DataFrame) -> RowChecks:
    """Check every household row on its own; see :func:`validate_households`.

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
    if not frame.index.is_unique:
        raise ValidationError("household rows must have a unique index; call .reset_index(drop=True) first")

    reasons: dict[str, pd.Series] = {}
    ident = column_text(frame, C.ID_KELUARGA)
    reasons["id_kosong"] = ident == ""

    nik = strip_id(column_text(frame, C.NIK))
    parts = nik_parts(nik)
    reasons.update(nik_checks(nik, parts))

    desil = per_unique(column_text(frame, C.DESIL), parse_number)
    reasons["desil_tidak_valid"] = ~(desil.between(1, 10) & (desil % 1 == 0))

    lat_text, lon_text = column_text(frame, C.LAT), column_text(frame, C.LON)
    lat, lon = parse_number(lat_text), parse_number(lon_text)
    lat_given, lon_given = lat_text != "", lon_text != ""
    reasons["koordinat_tidak_lengkap"] = lat_given ^ lon_given
    reasons["koordinat_tidak_valid"] = (lat_given & lat.isna()) | (lon_given & lon.isna())
    both = lat.notna() & lon.notna()
    lon_min, lat_min, lon_max, lat_max = INDONESIA_BOUNDS
    inside = lon.between(lon_min, lon_max) & lat.between(lat_min, lat_max)
    reasons["koordinat_di_luar_indonesia"] = both & ~inside

    kode_text = column_text(frame, C.KODE_KEL)
    kode = per_unique(kode_text, normalize_kode)
    located = both & inside
    reasons["lokasi_tidak_ada"] = ~located & kode.isna() & ~(lat_given | lon_given)

    birth_text, verified_text = column_text(frame, C.TANGGAL_LAHIR), column_text(frame, C.TANGGAL_VERIFIKASI)
    birth, verified = parse_date(birth_text), parse_date(verified_text)
    reasons["tanggal_tidak_valid"] = ((birth_text != "") & birth.isna()) | ((verified_text != "") & verified.isna())
    status = column_text(frame, C.STATUS).str.lower()
    reasons["status_meninggal"] = status.str.contains("meninggal", regex=False)
    reasons["status_tidak_ditemukan"] = status.str.contains(r"tidak\s*ditemukan", regex=True)
    reasons["status_pindah"] = status.str.fullmatch(r"\s*pindah(?:\s+alamat)?\s*")
    return RowChecks(reasons, ident, nik, parts, desil, lat, lon, located, kode, kode_text, birth, verified)
