"""Members stage: turn a member (individual) table into household features.

The P3KE export has an individual sheet beside the family sheet, and DTKS/BDT
has a member table (ART) beside the household table (ruta). Each member row
names its household through the household ID (``ID Keluarga`` / ``IDBDT``).
This stage counts, per household:

- members listed (``jumlah_anggota_tercatat``), which fills ``jumlah_art``
  where the household table has none;
- elderly, aged 60 or more (``jumlah_lansia``);
- members of school age, 7-18 (``jumlah_usia_sekolah``), and those of them
  not in school (``jumlah_tidak_sekolah``);
- members with a disability (``jumlah_disabilitas``) and with a chronic
  illness (``jumlah_penyakit_kronis``).

The head of household (``Hubungan`` = *Kepala Keluarga* / *Kepala Rumah
Tangga* / code 1) fills the head's NIK, name, sex and birth date where the
household table lacks them: DTKS ruta tables carry no head NIK, so this is
how a DTKS pair gets one. Values in the household table always win.

Member rows are never counted as households. Every member row is accounted
for: rows read = rows linked to a household row + rows not linked, and the
unlinked ones go to the restricted tier with a reason.

Age is taken from the birth date at the region's data date, else from an
``Umur`` column, else from the P3KE age-band flags (``Usia 60+`` ...).
School participation understands text (*Masih Sekolah*, *Tidak Bersekolah
Lagi*, *Tidak/Belum Pernah Sekolah*) and the BDT codes (1 never, 2 still,
3 no longer in school). Disability and chronic illness are "present" for
*Ya*/1 or any BDT type code other than 0, and absent for *Tidak*/0/empty.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import numpy as np
import pandas as pd

from .. import columns as C
from ..text import column_text, parse_date, parse_number, parse_presence, parse_sex, strip_id
from .households import rows_per_source

logger = logging.getLogger(__name__)

#: Age from which a member counts as elderly (lansia).
ELDERLY_AGE: int = 60
#: School age, inclusive: wajib belajar 12 tahun (SD 7-12, SMP 13-15, SMA 16-18).
SCHOOL_AGE: tuple[int, int] = (7, 18)
#: Reason codes of member rows that link to no household (restricted tier only).
MEMBER_REASONS: dict[str, str] = {
    "anggota_id_kosong": "ID keluarga anggota kosong",
    "anggota_tanpa_keluarga": "ID keluarga anggota tidak ada di tabel keluarga/rumah tangga",
}
#: Head-of-household identity filled from the head member: member column -> household column.
HEAD_FIELDS: dict[str, str] = {
    C.NIK: C.NIK,
    C.NAMA_ANGGOTA: C.NAMA_KK,
    C.JENIS_KELAMIN: C.JENIS_KELAMIN,
    C.TANGGAL_LAHIR: C.TANGGAL_LAHIR,
}
#: Household feature columns this stage adds.
FEATURES: tuple[str, ...] = (
    C.JUMLAH_ANGGOTA_TERCATAT,
    C.JUMLAH_LANSIA,
    C.JUMLAH_USIA_SEKOLAH,
    C.JUMLAH_TIDAK_SEKOLAH,
    C.JUMLAH_DISABILITAS,
    C.JUMLAH_PENYAKIT_KRONIS,
)
_BAND = re.compile(r"^usia_(?P<lo>\d+)_(?P<hi>\d+|plus)$")


def _in_school(values: pd.Series) -> pd.Series:
    """1 in school, 0 not in school, <NA> unknown."""
    text = values.str.lower()
    still = text.str.contains("masih", regex=False) | (text == "2")
    not_in = text.str.contains(r"tidak|belum", regex=True) | text.isin(["0", "1", "3"])
    out = pd.Series(pd.NA, index=values.index, dtype="Int8")
    out[not_in.to_numpy()] = 0
    out[still.to_numpy()] = 1
    return out


def member_ages(members: pd.DataFrame, *, on: dt.date) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Whether each member is elderly and of school age, and their age in years.

    Returns
    -------
    elderly, school_age : Series of nullable booleans
        ``<NA>`` where neither a birth date, an age nor an age band is known.
    age : Series of float
        Whole years at ``on`` (NaN where unknown).
    """
    birth = parse_date(column_text(members, C.TANGGAL_LAHIR))
    before_birthday = (birth.dt.month > on.month) | ((birth.dt.month == on.month) & (birth.dt.day > on.day))
    age = (on.year - birth.dt.year - before_birthday.astype("float64")).astype("float64")
    age = age.where(birth.notna(), parse_number(column_text(members, C.UMUR)))
    age = age.where((age >= 0) & (age < 130))
    elderly = (age >= ELDERLY_AGE).astype("boolean").mask(age.isna())
    lo, hi = SCHOOL_AGE
    school = age.between(lo, hi).astype("boolean").mask(age.isna())
    bands = {c: _BAND.match(c) for c in members.columns if c.startswith(C.USIA_PREFIX)}
    for column, match in bands.items():
        if match is None:
            continue
        flagged = parse_presence(column_text(members, column)).fillna(0).astype(bool)
        band_lo = int(match["lo"])
        band_hi = 200 if match["hi"] == "plus" else int(match["hi"])
        if band_lo >= ELDERLY_AGE:
            elderly = elderly.mask(elderly.isna() & flagged, True)
        if band_lo >= lo and band_hi <= hi:
            school = school.mask(school.isna() & flagged, True)
    if bands:  # a member flagged in no band that matters is neither
        elderly = elderly.fillna(False)
        school = school.fillna(False)
    return elderly, school, age


def attach_members(
    households: pd.DataFrame, members: pd.DataFrame, *, on: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Add member-table features to household rows, and account for every member row.

    Parameters
    ----------
    households
        Household rows as loaded (canonical headers, text values).
    members
        Member rows as loaded by :func:`pipeline.ingest.households.read_registers`, with
        ``id_keluarga`` and ``file_sumber``.
    on
        The region's data date, for ages.

    Returns
    -------
    households : DataFrame
        A copy with the :data:`FEATURES` columns (nullable integers, ``<NA>``
        for households with no member row), ``jumlah_art`` filled from the
        member count where empty, and the head's identity filled from the
        head member where empty.
    unlinked : DataFrame
        Member rows that link to no household row, as found, plus ``alasan``
        (see :data:`MEMBER_REASONS`) and ``tahap`` = ``"anggota"``.
    report : DataFrame
        Per file and sheet: ``anggota_masuk``, ``anggota_tertaut``,
        ``anggota_tidak_tertaut``; masuk = tertaut + tidak_tertaut.
    """
    out = households.copy()
    if members.empty:
        return out, members.assign(**{C.ALASAN: pd.Series(dtype="string")}), _report(members, members)
    key = strip_id(column_text(members, C.ID_KELUARGA))
    household_ids = strip_id(column_text(out, C.ID_KELUARGA))
    empty = key == ""
    linked = ~empty & key.isin(household_ids[household_ids != ""])

    elderly, school, _ = member_ages(members, on=on)
    in_school = _in_school(column_text(members, C.PARTISIPASI_SEKOLAH))
    counts = pd.DataFrame(
        {
            C.JUMLAH_ANGGOTA_TERCATAT: 1,
            C.JUMLAH_LANSIA: elderly.astype("Int64"),
            C.JUMLAH_USIA_SEKOLAH: school.astype("Int64"),
            C.JUMLAH_TIDAK_SEKOLAH: (school & (in_school == 0)).astype("Int64"),
            C.JUMLAH_DISABILITAS: parse_presence(column_text(members, C.DISABILITAS)).astype("Int64"),
            C.JUMLAH_PENYAKIT_KRONIS: parse_presence(column_text(members, C.PENYAKIT_KRONIS)).astype("Int64"),
        },
        index=members.index,
    )[linked]
    # a household's count is unknown (<NA>) only when no member row says anything
    features = counts.groupby(key[linked].to_numpy()).sum(min_count=1)
    taken = features.reindex(household_ids.to_numpy())
    for column in FEATURES:
        out[column] = pd.array(taken[column].to_numpy(), dtype="Int64")

    listed = out[C.JUMLAH_ANGGOTA_TERCATAT].astype("string").fillna("")
    size = column_text(out, C.JUMLAH_ART)
    out[C.JUMLAH_ART] = size.mask(size == "", listed)

    head_rows = members[linked & column_text(members, C.HUBUNGAN).str.lower().str.contains(r"^1$|kepala", regex=True)]
    heads = head_rows.assign(**{C.JENIS_KELAMIN: parse_sex(column_text(head_rows, C.JENIS_KELAMIN))})
    heads = heads.groupby(key[head_rows.index].to_numpy()).first()
    for member_column, household_column in HEAD_FIELDS.items():
        if member_column not in heads:
            continue
        fill = heads[member_column].astype("string").reindex(household_ids.to_numpy()).fillna("").to_numpy()
        current = column_text(out, household_column)
        out[household_column] = current.mask(current == "", pd.Series(fill, index=out.index, dtype="string"))

    unlinked = members[~linked].copy()
    unlinked[C.ALASAN] = np.where(empty[~linked], "anggota_id_kosong", "anggota_tanpa_keluarga")
    unlinked[C.TAHAP] = "anggota"
    logger.info(
        "member table: %d rows, %d linked to %d households, %d not linked",
        len(members),
        int(linked.sum()),
        len(features),
        len(unlinked),
    )
    return out, unlinked, _report(members, unlinked)


def _report(members: pd.DataFrame, unlinked: pd.DataFrame) -> pd.DataFrame:
    table = rows_per_source({"anggota_masuk": members, "anggota_tidak_tertaut": unlinked})
    table.insert(3, "anggota_tertaut", table["anggota_masuk"] - table["anggota_tidak_tertaut"])
    return table
