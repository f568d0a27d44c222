"""A field round on disk: the XLSForm, its list of households, and one assignment sheet per enumerator.

Everything here names households, so it goes to the restricted tier,
``outputs/<region>/terbatas/verifikasi/<date>/`` (folders 0700, files 0600):

* ``formulir_verifikasi.xlsx`` — an XLSForm (sheets ``survey``, ``choices``,
  ``settings``) that ODK Collect (through ODK Central) and KoboToolbox both
  accept. The households are preloaded from ``daftar_kunjungan.csv``
  (``select_one_from_file``; the registered name comes back with
  ``pulldata``), so upload the CSV as the form's media file.
* ``daftar_kunjungan.csv`` — ``name`` (the family ID), ``label`` and the
  household's registered name, address, kelurahan, enumerator and order.
* ``petugas/<kelurahan>_petugas_<n>.xlsx`` — each enumerator's route: order,
  family ID, name, address, RT/RW, why the visit, GPS point if known.

Texts from the register and the region TOML (names, programme names) are
data: in the workbooks every cell is a text cell (never a formula), and in
form labels ``${`` — XLSForm's reference syntax — is broken up.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import columns as C
from .. import survey as S
from ..analyse.visits import ALASAN, PETUGAS, REASON_TEXT, URUTAN
from ..settings import RegionConfig
from .write import to_restricted

#: The media file of the form (its name is part of the form).
LIST_FILE: str = "daftar_kunjungan.csv"


def _label(text: object) -> str:
    """A text from a file or the TOML, safe as an XLSForm label: no ``${...}`` reference, one line."""
    return _labels(pd.Series([str(text)], dtype="string")).iloc[0]


def _labels(values: pd.Series) -> pd.Series:
    """:func:`_label` over a column."""
    text = values.astype("string").fillna("").str.replace(r"[\x00-\x1f\x7f]+", " ", regex=True)
    return text.str.replace("${", "$ {", regex=False).str.strip()


def form_version(on: dt.datetime) -> str:
    """The form version: the time it was made, ``YYYYMMDDHH`` (ODK compares versions as text)."""
    return on.strftime("%Y%m%d%H")


def xlsform(config: RegionConfig, *, version: str) -> dict[str, pd.DataFrame]:
    """The sheets of the region's verification XLSForm (``survey``, ``choices``, ``settings``)."""
    dwelling_rows = [
        {"type": f"select_one {column}", "name": column, "label": label, "required": "yes",
         "relevant": f"${{{S.PERSETUJUAN}}} = 'ya'"}
        for column, (label, _) in S.DWELLING.items()
    ]  # fmt: skip
    consented = f"${{{S.PERSETUJUAN}}} = 'ya'"
    survey = pd.DataFrame(
        [
            {"type": "start", "name": "mulai"},
            {"type": "end", "name": "selesai"},
            {"type": "calculate", "name": S.FORM_ID, "calculation": f"'{S.FORM_ID_PREFIX}{config.slug}'"},
            {"type": "integer", "name": S.PETUGAS, "label": "Nomor petugas (lihat lembar tugas)", "required": "yes",
             "constraint": ". >= 1 and . <= 100"},
            {"type": f"select_one_from_file {LIST_FILE}", "name": S.ID, "label": "Keluarga yang dikunjungi",
             "required": "yes", "appearance": "autocomplete"},
            {"type": "calculate", "name": "nama_terdaftar",
             "calculation": f"pulldata('{LIST_FILE.removesuffix('.csv')}', 'nama_kk', 'name', ${{{S.ID}}})"},
            {"type": "note", "name": "cek_nama", "label": "Nama kepala keluarga di register: ${nama_terdaftar}"},
            {"type": "select_one hasil", "name": S.HASIL, "label": "Hasil kunjungan", "required": "yes"},
            {"type": "select_one ya_tidak", "name": S.PERSETUJUAN,
             "label": "Keluarga bersedia diwawancarai dan datanya dicatat (persetujuan)?", "required": "yes",
             "relevant": f"${{{S.HASIL}}} = 'ditemukan'"},
            {"type": "geopoint", "name": S.LOKASI, "label": "Titik GPS rumah (berdiri di depan rumah)",
             "required": "yes", "relevant": consented},
            *dwelling_rows,
            {"type": "integer", "name": S.JUMLAH_ART, "label": "Jumlah anggota keluarga yang tinggal di rumah ini",
             "required": "yes", "relevant": consented, "constraint": ". >= 1 and . <= 30"},
            {"type": "select_multiple program", "name": S.PROGRAM, "label": "Bantuan yang diterima saat ini",
             "relevant": consented},
            {"type": "image", "name": S.FOTO, "label": "Foto rumah tampak depan (tidak wajib)", "relevant": consented,
             "parameters": "max-pixels=1024"},
            {"type": "text", "name": S.CATATAN, "label": "Catatan petugas (tidak wajib)"},
        ]
    ).fillna("")  # fmt: skip
    choices = [
        *({"list_name": "hasil", "name": name, "label": label} for name, (label, _) in S.OUTCOMES.items()),
        {"list_name": "ya_tidak", "name": "ya", "label": "Ya"},
        {"list_name": "ya_tidak", "name": "tidak", "label": "Tidak"},
        *(
            {"list_name": column, "name": name, "label": text}
            for column, (_, answers) in S.DWELLING.items()
            for name, text in answers
        ),
        *({"list_name": "program", "name": p.code, "label": _label(p.name)} for p in config.programs),
        {"list_name": "program", "name": "tidak_ada", "label": "Tidak menerima bantuan"},
    ]
    settings = pd.DataFrame(
        [{"form_title": _label(f"Verifikasi lapangan — {config.name}"), "form_id": f"{S.FORM_ID_PREFIX}{config.slug}",
          "version": version, "instance_name": f"concat(${{{S.ID}}}, ' ', ${{{S.HASIL}}})"}]
    )  # fmt: skip
    return {"survey": survey, "choices": pd.DataFrame(choices), "settings": settings}


def _sheet_name(kode_kel: str, petugas: int) -> str:
    return f"{re.sub(r'[^0-9]', '', kode_kel)}_petugas_{petugas}"


def write_round(
    visits: gpd.GeoDataFrame, *, config: RegionConfig, folder: str | Path, made: dt.datetime
) -> tuple[Path, dict[str, int]]:
    """Write a field round under ``folder`` (``.../terbatas/verifikasi``), in a sub-folder named by date.

    Returns
    -------
    folder, counts
        The round's folder, and households and enumerators per kelurahan (totals).
    """
    round_folder = Path(folder) / made.strftime("%Y-%m-%d_%H%M")
    points = visits.geometry
    located = points.notna() & ~points.is_empty
    names = visits[C.NAMA_KEL] if C.NAMA_KEL in visits else visits[C.KODE_KEL]
    listing = pd.DataFrame(
        {
            "name": visits[C.ID_KELUARGA].astype(str),
            "label": _labels(visits[C.ID_KELUARGA].astype(str) + " — " + visits[C.NAMA_KK].fillna("").astype(str)),
            "nama_kk": _labels(visits[C.NAMA_KK]),
            "alamat": visits.get(C.ALAMAT, pd.Series("", index=visits.index)).fillna("").astype(str),
            "kelurahan": names.astype(str),
            C.KODE_KEL: visits[C.KODE_KEL].astype(str),
            PETUGAS: visits[PETUGAS].astype(int),
            URUTAN: visits[URUTAN].astype(int),
        }
    )
    pattern = r"\b(" + "|".join(REASON_TEXT) + r")\b"
    reasons = visits[ALASAN].astype(str).str.replace(pattern, lambda m: REASON_TEXT[m.group(1)], regex=True)
    sheet = pd.DataFrame(
        {
            "urutan": visits[URUTAN].astype(int),
            "id_keluarga": visits[C.ID_KELUARGA].astype(str),
            "nama_kepala_keluarga": visits[C.NAMA_KK].fillna("").astype(str),
            "alamat": listing["alamat"],
            "rt": visits.get(C.RT, pd.Series("", index=visits.index)).fillna("").astype(str),
            "rw": visits.get(C.RW, pd.Series("", index=visits.index)).fillna("").astype(str),
            "kelurahan": names.astype(str),
            "alasan_kunjungan": reasons,
            "lintang": points.y.where(located).round(6),
            "bujur": points.x.where(located).round(6),
        }
    )
    tables: dict[str, object] = {
        "formulir_verifikasi": xlsform(config, version=form_version(made)),
        LIST_FILE.removesuffix(".csv"): listing,
    }
    groups = visits.groupby([C.KODE_KEL, PETUGAS], sort=True).groups
    for (kode, petugas), rows in groups.items():
        tables[f"petugas/{_sheet_name(str(kode), int(petugas))}"] = {"tugas": sheet.loc[rows]}
    to_restricted(tables, round_folder)  # type: ignore[arg-type]
    return round_folder, {
        "rumah_tangga": len(visits),
        "petugas": len(groups),
        "kelurahan": visits[C.KODE_KEL].nunique(),
    }
