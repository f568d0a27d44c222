"""The Excel recap the agencies ask for: ``rekap_<region>.xlsx``, public and aggregate only.

One sheet per level — ``kota`` (the kab/kota), ``kecamatan``, ``kelurahan``
and, where the register holds RT/RW, ``rw`` — each with households, poor
and extreme-poor households, programme coverage and exclusion, field
verification progress and the change since the last register snapshot.

Every figure is taken from the published (suppressed) tables, so a count of
1..k-1 households is a blank cell here as it is on the map. The RW sheet is
aggregated here: its small counts are hidden, and where one RW of a
kelurahan would be the only hidden one, the next smallest is hidden too, so
that no hidden count follows from the kelurahan total. Numbers are number
cells, texts are text cells, never formulas (:func:`pipeline.publish.write.to_workbook`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import columns as C
from ..analyse.region import RegionAnalysis

#: Columns of each level, in order, where present: canonical -> header of the recap.
HEADERS: dict[str, str] = {
    C.JUMLAH_KK: "Jumlah KK",
    C.KK_MISKIN: "KK miskin & rentan",
    C.PERSEN_MISKIN: "% KK miskin & rentan",
    C.KK_MISKIN_EKSTREM: "KK miskin ekstrem",
    C.PERSEN_MISKIN_EKSTREM: "% KK miskin ekstrem",
    "kk_layak_tanpa_program": "Eksklusi: KK layak tanpa program",
    "kk_rencana_kunjungan": "Verifikasi: KK direncanakan",
    "kk_dikunjungi_rencana": "Verifikasi: KK sudah dikunjungi",
    "persen_kunjungan_selesai": "Verifikasi: % selesai",
    "kk_ditemukan": "Verifikasi: ditemukan",
    "kk_pindah": "Verifikasi: pindah",
    "kk_meninggal": "Verifikasi: meninggal",
    "kk_tidak_ditemukan": "Verifikasi: tidak ditemukan",
    "perubahan_miskin": "Perubahan KK miskin sejak snapshot",
}
#: The counts aggregated per RW.
RW_COUNTS: tuple[str, ...] = (C.JUMLAH_KK, C.KK_MISKIN, C.KK_MISKIN_EKSTREM)


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (100 * part.astype("Float64") / whole.astype("Float64").where(whole > 0)).round(1)


def _coverage(coverage: pd.DataFrame, by: list[str], names: dict[str, str]) -> pd.DataFrame:
    """Coverage (%) per programme as columns "Cakupan <programme> (%)", one row per ``by``."""
    if not len(coverage) or "persen_cakupan" not in coverage:
        return pd.DataFrame()
    wide = coverage.pivot_table(index=by, columns="program", values="persen_cakupan", aggfunc="first", dropna=False)
    return wide.rename(columns=lambda code: f"Cakupan {names.get(code, code)} (%)")


def _level(frame: pd.DataFrame, keys: dict[str, str], *, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    table = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    if changes is not None and len(changes) and C.KODE_KEL in table:
        table = table.merge(changes[[C.KODE_KEL, "perubahan_miskin"]], on=C.KODE_KEL, how="left")
    present = [c for c in HEADERS if c in table]
    out = table[[*keys, *present]].rename(columns={**keys, **HEADERS})
    return out.reset_index(drop=True)


def rw_table(households: pd.DataFrame, *, k: int, names: dict[str, str]) -> pd.DataFrame:
    """Households, poor and extreme poor per RW, small counts hidden with complementary suppression.

    Empty when the register holds no RW.
    """
    if C.RW not in households or households[C.RW].astype("string").fillna("").str.strip().eq("").all():
        return pd.DataFrame()
    rw = households[C.RW].astype("string").fillna("").str.strip().str.lstrip("0").replace("", "?")
    frame = pd.DataFrame(
        {
            C.KODE_KEL: households[C.KODE_KEL].to_numpy(),
            "rw": rw.to_numpy(),
            C.JUMLAH_KK: 1,
            C.KK_MISKIN: households[C.MISKIN].fillna(0).astype(int).to_numpy(),
            C.KK_MISKIN_EKSTREM: households[C.MISKIN_EKSTREM].fillna(0).astype(int).to_numpy(),
        }
    )
    table = frame.groupby([C.KODE_KEL, "rw"], sort=True)[list(RW_COUNTS)].sum().reset_index()
    for column in RW_COUNTS:
        values = table[column].astype("Float64")
        hidden = values.between(1, k - 1)
        # one hidden RW in a kelurahan follows from the kelurahan total: hide the next smallest as well
        alone = hidden.groupby(table[C.KODE_KEL]).transform("sum") == 1
        candidates = values.where(~hidden & (values > 0) & alone)
        smallest = candidates.groupby(table[C.KODE_KEL]).transform("min")
        hidden |= (candidates == smallest).fillna(False).astype(bool)
        table[column] = values.mask(hidden)
    table[C.PERSEN_MISKIN] = _percent(table[C.KK_MISKIN], table[C.JUMLAH_KK])
    table.insert(1, C.NAMA_KEL, table[C.KODE_KEL].map(names))
    return table.rename(columns={C.KODE_KEL: "Kode kelurahan", C.NAMA_KEL: "Kelurahan", "rw": "RW", **HEADERS})


def recap_sheets(analysis: RegionAnalysis, *, names: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The recap's sheets: ``kota``, ``kecamatan``, ``kelurahan`` and ``rw`` (when the register has RW)."""
    config = analysis.config
    programmes = {p.code: p.name for p in config.programs}
    summary = analysis.summary
    region = pd.DataFrame(
        [
            {
                "Kode": config.kode,
                "Kab/Kota": config.name,
                **{HEADERS[c]: summary.get(c) for c in HEADERS if c in summary},
            }
        ]
    )
    kelurahan = analysis.public_kelurahan
    verification = [c for c in ("kk_rencana_kunjungan", "kk_dikunjungi_rencana") if c in kelurahan]
    for column in verification:  # the region's total: hidden when any kelurahan's is (so none follows from it)
        values = kelurahan[column]
        region[HEADERS[column]] = np.nan if values.isna().any() else float(values.sum())
    if len(verification) == 2:
        region[HEADERS["persen_kunjungan_selesai"]] = _percent(
            region[HEADERS["kk_dikunjungi_rencana"]], region[HEADERS["kk_rencana_kunjungan"]]
        )
    if len(analysis.coverage_opd) and "persen_cakupan" in analysis.coverage_opd:
        for row in analysis.coverage_opd.itertuples():
            region[f"Cakupan {programmes.get(row.program, row.program)} (%)"] = row.persen_cakupan
    kecamatan = analysis.public_kecamatan.copy()
    if {"kk_dikunjungi_rencana", "kk_rencana_kunjungan"} <= set(kecamatan.columns):
        kecamatan["persen_kunjungan_selesai"] = _percent(
            kecamatan["kk_dikunjungi_rencana"], kecamatan["kk_rencana_kunjungan"]
        )
    kel = _level(
        kelurahan,
        {C.KODE_KEC: "Kode kecamatan", C.NAMA_KEC: "Kecamatan", C.KODE_KEL: "Kode kelurahan", C.NAMA_KEL: "Kelurahan"},
        changes=analysis.snapshot_changes,
    )
    coverage = _coverage(analysis.coverage, [C.KODE_KEL], programmes)
    if len(coverage):
        kel = kel.join(coverage.reindex(kelurahan[C.KODE_KEL].to_numpy()).reset_index(drop=True))
    sheets = {
        "kota": region,
        "kecamatan": _level(kecamatan, {C.KODE_KEC: "Kode kecamatan", C.NAMA_KEC: "Kecamatan"}),
        "kelurahan": kel,
    }
    rw = rw_table(analysis.households, k=config.min_households, names=names)
    if len(rw):
        sheets["rw"] = rw
    return {name: _rounded(sheet) for name, sheet in sheets.items()}


def _rounded(sheet: pd.DataFrame) -> pd.DataFrame:
    """Percentages to one decimal, as a planner reads them."""
    shares = [c for c in sheet.columns if c.startswith(("%", "Cakupan")) or c.endswith("% selesai")]
    return sheet.assign(**{c: pd.to_numeric(sheet[c], errors="coerce").round(1) for c in shares})
