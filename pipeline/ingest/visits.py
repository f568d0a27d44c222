"""Field-verification submissions: read KoboToolbox and ODK Central exports, and apply each visit to its household.

A visit is tied to its household by the family ID. The latest submission
for a household wins; each submission is either applied or rejected with a
reason (:data:`pipeline.survey.REJECTIONS`): submissions in = applied +
rejected, always. An applied visit

* sets the verification status and date (*Meninggal*, *Pindah* and *Tidak
  Ditemukan* then leave the analysis with their reason, in validation);
* for a household found and consenting: replaces the GPS point with the
  verified one (within ``max_gps_accuracy_m``), and records the dwelling
  answers, the number of members and the programmes received as the newest
  values.

Exports are read as the two tools write them: KoboToolbox XLSX/CSV ("XML
values and headers"; the geopoint as one ``lokasi`` column "lat lon alt acc"
and as ``_lokasi_latitude``..., ``_submission_time``, ``_uuid``) and ODK
Central CSV (``lokasi-Latitude``..., ``SubmissionDate``, ``KEY`` or
``meta-instanceID``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import columns as C
from .. import survey as S
from ..errors import InputError
from ..text import column_text, parse_number, strip_id
from .excel import EXCEL_SUFFIXES, read_excel
from .tables import CSV_SUFFIXES, read_csv

logger = logging.getLogger(__name__)

#: Canonical submission columns.
WAKTU: str = "waktu_kirim"
UUID: str = "uuid_kiriman"
AKURASI: str = "akurasi_m"
STATUS_KIRIMAN: str = "status_kiriman"  # "diterapkan" or a rejection reason
APPLIED: str = "diterapkan"
#: Prefix of the columns keeping a household's value as the register had it before the visit.
BEFORE: str = "sebelum_"
#: Per submission: the accuracy limit of its ``[[verification]]`` source (metres).
MAX_ACCURACY: str = "maks_akurasi_m"

#: Headers of the two tools -> canonical submission column (compared in lower case).
_ALIASES: dict[str, tuple[str, ...]] = {
    WAKTU: ("_submission_time", "submissiondate", "selesai", "end"),
    UUID: ("_uuid", "meta-instanceid", "instanceid", "key", "meta/instanceid"),
    C.LAT: (f"_{S.LOKASI}_latitude", f"{S.LOKASI}-latitude"),
    C.LON: (f"_{S.LOKASI}_longitude", f"{S.LOKASI}-longitude"),
    AKURASI: (f"_{S.LOKASI}_precision", f"{S.LOKASI}-accuracy"),
}
#: Indonesia with a margin: lat, lon.
_LAT, _LON = (-11.5, 6.5), (94.0, 142.0)


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename a tool's headers: group prefixes dropped ("grup/x", "grup-x"), aliases taken."""
    lower = {c: str(c).strip().lower() for c in frame.columns}
    renamed: dict[str, str] = {}
    for column, key in lower.items():
        for canonical, names in _ALIASES.items():
            if key in names and canonical not in renamed.values():
                renamed[column] = canonical
    for column, key in lower.items():
        if column not in renamed:
            short = key.rsplit("/", 1)[-1]
            if short not in renamed.values() and short not in frame.columns:
                renamed[column] = short
    return frame.rename(columns=renamed)


def read_submissions(path: str | Path, *, form_id: str) -> pd.DataFrame:
    """One export of the verification form, in canonical columns, as text.

    Raises
    ------
    InputError
        If the file is of another type, is not an export of this form (no
        ``id_keluarga``/``hasil_kunjungan``), or of another region's form.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"verification export '{path}' not found; check [[verification]] paths in the region TOML")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + EXCEL_SUFFIXES:
        raise InputError(f"{path}: a verification export must be CSV or XLSX (KoboToolbox, ODK Central)")
    try:  # the form has no repeat groups: an XLSX export's first table holds the submissions
        frame = _canonical(read_csv(path) if suffix in CSV_SUFFIXES else read_excel(path, None)[0])
    except InputError as exc:
        if "no sheet holds" not in str(exc):
            raise
        frame = pd.DataFrame()  # no header row the register reader knows: reported below
    missing = [c for c in (S.ID, S.HASIL) if c not in frame.columns]
    if missing:
        found = ", ".join(str(c) for c in frame.columns if c not in (C.BARIS_SUMBER, C.LEMBAR_SUMBER)) or "no table"
        raise InputError(
            f"{path}: not an export of the kantong verification form: no column {', '.join(missing)} (found: {found}). "
            "Export from KoboToolbox with 'XML values and headers', or the CSV of ODK Central"
        )
    if S.FORM_ID in frame.columns:
        other = sorted(set(column_text(frame, S.FORM_ID)) - {form_id, ""})
        if other:
            raise InputError(
                f"{path}: submissions of form {', '.join(other)}, not {form_id}: this export belongs to another "
                "region's form. Remove it from [[verification]] paths"
            )
    if C.LAT not in frame.columns and S.LOKASI in frame.columns:  # one "lat lon alt acc" column
        parts = column_text(frame, S.LOKASI).str.split(r"\s+", n=3, expand=True).reindex(columns=range(4))
        frame[C.LAT], frame[C.LON], frame[AKURASI] = parts[0], parts[1], parts[3]
    frame["file_verifikasi"] = path.name
    return frame


def planned_visits(folder: str | Path) -> pd.DataFrame:
    """``id_keluarga`` and ``kode_kel`` of every household on a field round's list under ``folder``.

    ``folder`` is ``outputs/<region>/terbatas/verifikasi``; each round's
    ``daftar_kunjungan.csv`` lists its households. Empty when there is none.
    """
    frames = []
    for path in sorted(Path(folder).glob("*/daftar_kunjungan.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if {"name", C.KODE_KEL} <= set(table.columns):
            frames.append(pd.DataFrame({C.ID_KELUARGA: strip_id(table["name"]), C.KODE_KEL: table[C.KODE_KEL]}))
        else:
            logger.warning("%s: no name and kode_kel columns; this round's plan is not counted", path)
    if not frames:
        return pd.DataFrame({C.ID_KELUARGA: pd.Series(dtype=str), C.KODE_KEL: pd.Series(dtype=str)})
    return pd.concat(frames, ignore_index=True).drop_duplicates(C.ID_KELUARGA)


def _inside(lat: pd.Series, lon: pd.Series, boundaries: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each point lies in a kelurahan polygon."""
    points = gpd.GeoSeries(gpd.points_from_xy(lon.fillna(0), lat.fillna(0)), crs="EPSG:4326")
    hit = np.zeros(len(points), dtype=bool)
    which, _ = boundaries.to_crs("EPSG:4326").sindex.query(points, predicate="intersects")
    hit[np.unique(which)] = True
    return hit & lat.notna().to_numpy() & lon.notna().to_numpy()


def apply_visits(
    households: pd.DataFrame,
    submissions: pd.DataFrame,
    *,
    boundaries: gpd.GeoDataFrame,
    max_accuracy_m: float = 50.0,
    programs: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply verification visits to register rows (text, canonical columns).

    Parameters
    ----------
    households
        Register rows as read (before validation).
    submissions
        :func:`read_submissions` output, one or more exports stacked.
    boundaries
        The region's kelurahan: a verified point outside all of them is rejected.
    max_accuracy_m
        A point whose GPS accuracy is worse (larger) is rejected; a
        ``maks_akurasi_m`` column of ``submissions`` (per source) wins.
    programs
        The region's programme codes: a consenting household's answer sets
        ``penerima_<code>`` to Ya or Tidak for each.

    Returns
    -------
    households, submissions
        The rows with the visits applied (``hasil_verifikasi`` says the
        outcome where a visit was applied), and every submission with
        ``status_kiriman`` (``diterapkan`` or the rejection reason).
    """
    sub = submissions.reset_index(drop=True).copy()
    sub["_id"] = strip_id(column_text(sub, S.ID))
    status = pd.Series("", index=sub.index, dtype=object)
    ids = strip_id(column_text(households, C.ID_KELUARGA))
    known = sub["_id"].isin(set(ids))
    status[~known] = "rumah_tangga_tidak_dikenal"
    # the latest submission of a household wins; the same submission (uuid) read twice counts once as applied
    when = pd.to_datetime(column_text(sub, WAKTU), errors="coerce", utc=True, format="mixed")
    order = sub.assign(_t=when).sort_values(["_t", C.BARIS_SUMBER], na_position="first", kind="stable").index
    latest = sub.loc[order].loc[known[order].to_numpy()].drop_duplicates("_id", keep="last").index
    status[known & ~sub.index.isin(latest)] = "kiriman_ganda"
    outcome = column_text(sub, S.HASIL).str.lower()
    status[(status == "") & ~outcome.isin(list(S.OUTCOMES))] = "hasil_tidak_dikenal"
    found = (status == "") & (outcome == "ditemukan")
    status[found & (column_text(sub, S.PERSETUJUAN).str.lower() != "ya")] = "tidak_bersedia"
    found &= status == ""
    lat, lon = parse_number(column_text(sub, C.LAT)), parse_number(column_text(sub, C.LON))
    accuracy = parse_number(column_text(sub, AKURASI))
    in_indonesia = lat.between(*_LAT) & lon.between(*_LON)
    status[found & ~in_indonesia.fillna(False)] = "koordinat_tidak_valid"
    limit = pd.to_numeric(sub[MAX_ACCURACY], errors="coerce") if MAX_ACCURACY in sub else None
    limit = pd.Series(max_accuracy_m, index=sub.index) if limit is None else limit.fillna(max_accuracy_m)
    status[found & (status == "") & (accuracy > limit).fillna(False)] = "akurasi_gps_buruk"
    check = found & (status == "")
    if check.any():
        outside = ~_inside(lat[check], lon[check], boundaries)
        status[check[check].index[outside]] = "di_luar_wilayah"
    status[status == ""] = APPLIED
    sub[STATUS_KIRIMAN] = status

    applied = sub[status == APPLIED].set_index("_id")
    out = households.copy()
    row = ids.isin(applied.index)
    key = ids[row]
    result = outcome[status == APPLIED].set_axis(applied.index)
    out[C.STATUS] = column_text(out, C.STATUS).where(
        ~row, key.map(result.map({k: v[1] for k, v in S.OUTCOMES.items()}))
    )
    stamp = when[status == APPLIED].set_axis(applied.index).dt.tz_convert(None).dt.strftime("%Y-%m-%d")
    out[C.TANGGAL_VERIFIKASI] = column_text(out, C.TANGGAL_VERIFIKASI).where(~row, key.map(stamp).fillna(""))
    out["hasil_verifikasi"] = pd.Series("", index=out.index, dtype=object).where(~row, key.map(result))
    consenting = row & key.map(result).eq("ditemukan").reindex(out.index, fill_value=False)
    take = key[consenting]
    out.loc[consenting, C.LAT] = take.map(lat[status == APPLIED].set_axis(applied.index).round(7).astype(str))
    out.loc[consenting, C.LON] = take.map(lon[status == APPLIED].set_axis(applied.index).round(7).astype(str))
    for column, (_, answers) in S.DWELLING.items():
        if column in applied:
            text = applied[column].astype("string").str.strip().map(dict(answers))
            out[BEFORE + column] = column_text(out, column).where(consenting)  # for who moved in or out of poverty
            out.loc[consenting, column] = take.map(text).fillna(column_text(out, column)[consenting])
    if S.JUMLAH_ART in applied:
        out.loc[consenting, C.JUMLAH_ART] = take.map(applied[S.JUMLAH_ART].astype("string")).fillna("")
    if S.PROGRAM in applied:
        received = " " + applied[S.PROGRAM].astype("string").fillna("") + " "  # select_multiple: "pkh bpnt"
        for code in programs:
            yes = received.str.contains(f" {code} ", regex=False)
            column = f"{C.PENERIMA_PREFIX}{code}"
            out[BEFORE + column] = column_text(out, column).where(consenting)
            out.loc[consenting, column] = take.map(yes.map({True: "Ya", False: "Tidak"}))
    counts = sub[STATUS_KIRIMAN].value_counts().to_dict()
    logger.info(
        "verification: %d submissions = %d applied + %d rejected %s",
        len(sub),
        counts.get(APPLIED, 0),
        len(sub) - counts.get(APPLIED, 0),
        {k: v for k, v in counts.items() if k != APPLIED},
    )
    return out, sub.drop(columns="_id")
