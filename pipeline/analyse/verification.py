"""Field verification per kelurahan: planned visits done, outcomes, and who moved in or out of poverty.

Per kelurahan:

* ``kk_rencana_kunjungan`` — households on a field round's list
  (``terbatas/verifikasi/*/daftar_kunjungan.csv``), and
  ``kk_dikunjungi_rencana`` — those of them with an applied visit;
  ``persen_kunjungan_selesai`` = done / planned;
* ``kk_ditemukan``, ``kk_pindah``, ``kk_meninggal``, ``kk_tidak_ditemukan`` —
  applied visits by outcome (the last three left the analysis: they are
  counted from the quarantine, by their register code);
* ``kk_masuk_miskin_md`` / ``kk_keluar_miskin_md`` — households found whose
  multidimensional-poverty status changed with the verified answers (the
  deprivation index scored on the register's values before the visit,
  and after). The decile rule does not change with a visit: the welfare
  decile is not asked.
"""

from __future__ import annotations

import pandas as pd

from .. import columns as C
from ..codes import normalize_kode
from ..ingest.visits import BEFORE
from ..settings import DeprivationSettings
from ..text import parse_flag
from .deprivation import score_households

#: The columns this module adds to the kelurahan indicators.
OUTCOME_COLUMNS: dict[str, str] = {
    "ditemukan": "kk_ditemukan",
    "pindah": "kk_pindah",
    "meninggal": "kk_meninggal",
    "tidak_ditemukan": "kk_tidak_ditemukan",
}
PLANNED: str = "kk_rencana_kunjungan"
DONE: str = "kk_dikunjungi_rencana"
SHARE_DONE: str = "persen_kunjungan_selesai"
INTO: str = "kk_masuk_miskin_md"
OUT_OF: str = "kk_keluar_miskin_md"
#: Every column this module adds, in order.
VERIFICATION_COLUMNS: tuple[str, ...] = (PLANNED, DONE, SHARE_DONE, *OUTCOME_COLUMNS.values(), INTO, OUT_OF)


def _before_scores(found: pd.DataFrame, *, settings: DeprivationSettings) -> pd.Series:
    """Multidimensional poverty of visited households on the register's values before the visit."""
    before = found.copy()
    for column in [c for c in found.columns if c.startswith(BEFORE)]:
        target = column.removeprefix(BEFORE)
        old = found[column]
        before[target] = parse_flag(old) if target.startswith(C.PENERIMA_PREFIX) else old
    scored, _ = score_households(before, settings=settings)
    return scored[C.MISKIN_MULTIDIMENSI].astype(bool)


def verification_by_kelurahan(
    households: pd.DataFrame,
    quarantine: pd.DataFrame,
    *,
    planned: pd.DataFrame,
    settings: DeprivationSettings,
) -> pd.DataFrame:
    """Verification counts per kelurahan (see the module docstring), with ``kode_kel``.

    Parameters
    ----------
    households
        Scored households (accepted), with ``hasil_verifikasi`` where a visit was applied.
    quarantine
        Quarantined rows (the deceased, moved and not found are there).
    planned
        ``id_keluarga`` and ``kode_kel`` of every household on a field round's list.
    settings
        The deprivation index, to score the values before the visit.
    """
    outcome = households.get("hasil_verifikasi", pd.Series("", index=households.index)).fillna("")
    left = quarantine.get("hasil_verifikasi", pd.Series("", index=quarantine.index)).fillna("")
    rows = [
        pd.DataFrame({C.KODE_KEL: households[C.KODE_KEL], "hasil": outcome, C.ID_KELUARGA: households[C.ID_KELUARGA]}),
        pd.DataFrame(
            {
                C.KODE_KEL: normalize_kode(quarantine[C.KODE_KEL].astype("string"))
                if C.KODE_KEL in quarantine
                else pd.Series(pd.NA, index=quarantine.index, dtype="string"),
                "hasil": left,
                C.ID_KELUARGA: quarantine.get(C.ID_KELUARGA, pd.Series("", index=quarantine.index)),
            }
        ),
    ]
    visits = pd.concat(rows, ignore_index=True)
    visits = visits[(visits["hasil"] != "") & visits[C.KODE_KEL].notna()]
    table = pd.crosstab(visits[C.KODE_KEL], visits["hasil"]).reindex(columns=list(OUTCOME_COLUMNS), fill_value=0)
    table = table.rename(columns=OUTCOME_COLUMNS)
    plan = planned.drop_duplicates(C.ID_KELUARGA)
    plan = plan.assign(_done=plan[C.ID_KELUARGA].isin(set(visits[C.ID_KELUARGA])))
    by_plan = plan.groupby(C.KODE_KEL).agg(**{PLANNED: (C.ID_KELUARGA, "size"), DONE: ("_done", "sum")})
    found = households[outcome == "ditemukan"]
    after = found[C.MISKIN_MULTIDIMENSI].astype(bool) if len(found) else pd.Series(dtype=bool)
    before = _before_scores(found, settings=settings) if len(found) else pd.Series(dtype=bool)
    moved = (
        pd.DataFrame(
            {C.KODE_KEL: found[C.KODE_KEL], INTO: (after & ~before).astype(int), OUT_OF: (before & ~after).astype(int)}
        )
        .groupby(C.KODE_KEL)[[INTO, OUT_OF]]
        .sum()
    )
    out = table.join(by_plan, how="outer").join(moved, how="outer").fillna(0).astype("int64")
    out[SHARE_DONE] = (100 * out[DONE] / out[PLANNED].where(out[PLANNED] > 0)).round(1)
    return out.reindex(columns=list(VERIFICATION_COLUMNS)).rename_axis(C.KODE_KEL).reset_index()
