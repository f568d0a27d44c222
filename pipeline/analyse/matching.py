"""Matching the OPDs' own beneficiary lists to the register.

Lists are kept in spreadsheets by hand and have typos. Each list row is
matched in steps, and every match records its method and score:

1. ``nik``: the NIK equals the head's NIK (score 100);
2. ``no_kk``: the family-card number equals the register's (score 100);
3. ``nik_mirip``: a NIK one digit away from a head's NIK, same birth date,
   and a name similarity of at least ``name_floor`` (score = name similarity);
4. ``nama_tgl_kel``: among households of the same kelurahan (code, or name)
   and the same birth date, the best name similarity
   (the higher of ``rapidfuzz.fuzz.token_sort_ratio`` — word order — and
   ``fuzz.ratio`` without spaces — a misplaced space —, after removing titles
   such as "Hj.", "H.", "Dr.", "S.Pd") of at least ``threshold``, and unique.

Rows that match nothing are returned, never dropped (they go to the
restricted tier).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from .. import columns as C
from ..text import digits_only, iso_dates, normalise_name

logger = logging.getLogger(__name__)


def _one_digit_apart(a: str, b: str) -> bool:
    return len(a) == len(b) == 16 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def match_beneficiaries(
    beneficiaries: pd.DataFrame,
    households: pd.DataFrame,
    *,
    kelurahan_names: dict[str, str] | None = None,
    threshold: float = 85.0,
    name_floor: float = 60.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match beneficiary-list rows to register households.

    Parameters
    ----------
    beneficiaries
        Rows with any of ``nik``, ``no_kk``, ``nama``, ``tanggal_lahir``,
        ``kode_kel``, ``nama_kel`` and ``program``.
    households
        Register households with ``id_keluarga``, ``kode_kel`` and where
        present ``nik``, ``no_kk``, ``nama_kk``, ``tanggal_lahir``.
    kelurahan_names
        Kelurahan code -> name, for lists that give a name instead of a code.
    threshold
        Minimum name similarity (0-100) for a name + birth date + kelurahan match.
    name_floor
        Minimum name similarity for a NIK one digit away.

    Returns
    -------
    matched : DataFrame
        The matched list rows with ``id_keluarga``, ``metode`` and ``skor``.
    unmatched : DataFrame
        The other list rows, with ``alasan`` = ``tidak_cocok``.
    """
    rows = beneficiaries.reset_index(drop=True).copy()
    for column in (C.NIK, C.NO_KK, "nama", C.TANGGAL_LAHIR, C.KODE_KEL, C.NAMA_KEL):
        if column not in rows:
            rows[column] = pd.NA
    rows["_nik"] = digits_only(rows[C.NIK])
    rows["_kk"] = digits_only(rows[C.NO_KK])
    rows["_nama"] = normalise_name(rows["nama"])
    rows["_tgl"] = iso_dates(rows[C.TANGGAL_LAHIR])
    by_name = {(name or "").lower().strip(): code for code, name in (kelurahan_names or {}).items()}
    # codes compared by their digits: 64.74.01.1001 and 6474011001 are the same kelurahan
    rows["_kel"] = digits_only(
        rows[C.KODE_KEL].where(
            rows[C.KODE_KEL].notna(), rows[C.NAMA_KEL].astype("string").str.lower().str.strip().map(by_name)
        )
    )
    h = pd.DataFrame(
        {C.ID_KELUARGA: households[C.ID_KELUARGA].to_numpy(), "_kel": digits_only(households[C.KODE_KEL]).to_numpy()}
    )
    h["_nik"] = digits_only(households[C.NIK]).to_numpy() if C.NIK in households else pd.NA
    h["_kk"] = digits_only(households[C.NO_KK]).to_numpy() if C.NO_KK in households else pd.NA
    h["_nama"] = normalise_name(households[C.NAMA_KK]).to_numpy() if C.NAMA_KK in households else ""
    h["_tgl"] = iso_dates(households[C.TANGGAL_LAHIR]).to_numpy() if C.TANGGAL_LAHIR in households else pd.NA

    rows[C.ID_KELUARGA] = pd.Series(pd.NA, index=rows.index, dtype="string")
    rows["metode"] = pd.Series(pd.NA, index=rows.index, dtype="string")
    rows["skor"] = np.nan

    def settle(method: str, ids: pd.Series, score) -> None:
        todo = rows[C.ID_KELUARGA].isna() & ids.notna()
        rows.loc[todo, C.ID_KELUARGA] = ids[todo]
        rows.loc[todo, "metode"] = method
        rows.loc[todo, "skor"] = score[todo] if isinstance(score, pd.Series) else score

    for key, method in (("_nik", "nik"), ("_kk", "no_kk")):
        lookup = h.dropna(subset=[key]).drop_duplicates(key).set_index(key)[C.ID_KELUARGA]
        settle(method, rows[key].map(lookup), 100.0)

    # candidates: same birth date (and, for names, the same kelurahan)
    open_rows = rows[rows[C.ID_KELUARGA].isna() & rows["_tgl"].notna()]
    pairs = open_rows.reset_index().merge(h.dropna(subset=["_tgl"]), on="_tgl", suffixes=("", "_h"))
    if len(pairs):
        pairs["nama_skor"] = [
            max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))
            for a, b in zip(pairs["_nama"].fillna(""), pairs["_nama_h"].fillna(""), strict=True)
        ]
        near_nik = np.array(
            [
                isinstance(a, str) and isinstance(b, str) and _one_digit_apart(a, b)
                for a, b in zip(pairs["_nik"].astype(object), pairs["_nik_h"].astype(object), strict=True)
            ],
            dtype=bool,
        )
        nik_hits = pairs[near_nik & (pairs["nama_skor"] >= name_floor)]
        best = nik_hits.sort_values("nama_skor", ascending=False).drop_duplicates("index")
        settle(
            "nik_mirip",
            best.set_index("index")[f"{C.ID_KELUARGA}_h"].reindex(rows.index),
            best.set_index("index")["nama_skor"].reindex(rows.index),
        )
        same_place = pairs[(pairs["_kel"] == pairs["_kel_h"]) & (pairs["nama_skor"] >= threshold)]
        same_place = same_place[rows.loc[same_place["index"], C.ID_KELUARGA].isna().to_numpy()]
        ranked = same_place.sort_values("nama_skor", ascending=False)
        top = ranked.groupby("index")["nama_skor"].transform("max")
        ties = ranked[ranked["nama_skor"] == top].groupby("index")[f"{C.ID_KELUARGA}_h"].transform("nunique")
        unique = ranked[(ranked["nama_skor"] == top) & (ties == 1)].drop_duplicates("index").set_index("index")
        settle(
            "nama_tgl_kel",
            unique[f"{C.ID_KELUARGA}_h"].reindex(rows.index),
            unique["nama_skor"].reindex(rows.index),
        )
    internal = [c for c in rows.columns if c.startswith("_")]
    matched = rows[rows[C.ID_KELUARGA].notna()].drop(columns=internal)
    unmatched = rows[rows[C.ID_KELUARGA].isna()].drop(columns=[*internal, C.ID_KELUARGA, "metode", "skor"])
    unmatched = unmatched.assign(alasan="tidak_cocok")
    logger.info(
        "beneficiary lists: %d rows, %d matched (%s), %d unmatched",
        len(rows),
        len(matched),
        matched["metode"].value_counts().to_dict(),
        len(unmatched),
    )
    return matched, unmatched
