"""Complementary (secondary) suppression: hidden counts cannot be worked back.

Primary suppression (:mod:`pipeline.publish.privacy`) hides every count of 1 to k-1
households. That is not enough when the published tables also carry sums:
a kecamatan total minus its published kelurahan gives back the one hidden
kelurahan; ``kk_miskin`` minus ``kk_desil_2..4`` gives back a hidden
``kk_desil_1``. This module finds every such additive relation between the
published counts and hides further cells until no hidden count can be
pinned down.

The guarantee, checked here and again by an independent attacker in the
tests: for every hidden count, the smallest and the largest value that is
consistent with everything published (all the sum relations, all counts
>= 0, every sub-count <= its total) differ by at least ``k``. The bounds are
computed with linear programming (HiGHS through ``highspy``, warm-started),
the way an attacker would compute them; systems larger than
:data:`AUDIT_LIMIT` keep the one-equation rule only.

How cells are chosen: an equation with exactly one hidden term gives that
term away, so another term is hidden, the cheapest published one (the least
information lost; headline counts, counts a rate rests on, and totals last,
see :meth:`Relations.cost`). The LP audit then finds the subtler cases (several
equations combined), and for each cell still pinned down, the cheapest
published cell of a linked equation is hidden, until the audit passes. A
published zero may be hidden too: a reader cannot tell it from a small count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import columns as C
from ..analyse.pockets import KANTONG_ID, public_cells
from .privacy import rate_sources
from .relations import Relations

logger = logging.getLogger(__name__)


def _hidden_mask(true: pd.DataFrame, public: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """True where ``public`` has no value but the true table has one (primary suppression)."""
    return pd.DataFrame({c: (public[c].isna() & true[c].notna()).to_numpy() for c in columns}, index=range(len(true)))


def apply_hidden(public: pd.DataFrame, hidden: pd.DataFrame, *, derived: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Blank the newly hidden counts in a public frame, and every field derived from one.

    Parameters
    ----------
    public
        The frame after primary suppression.
    hidden
        Count column -> True where hidden (row positions of ``public``).
    derived
        Field -> the counts it rests on (rates, scores, ranks): hidden when any of them is.

    Returns
    -------
    DataFrame
        A copy; ``disembunyikan`` lists every hidden field of the row.
    """
    out = public.copy()
    mask = hidden.set_axis(out.index)
    for field_name, sources in derived.items():
        present = [s for s in sources if s in mask]
        if field_name in out and present:
            extra = mask[present].any(axis=1) & out[field_name].notna()
            mask[field_name] = mask.get(field_name, False) | extra
    added = pd.DataFrame(False, index=out.index, columns=mask.columns)
    for column in mask.columns:
        now = mask[column] & out[column].notna()
        if now.any():
            added[column] = now
            out[column] = out[column].mask(now.to_numpy())
    if "disembunyikan" in out and added.to_numpy().any():
        names = np.asarray(added.columns, dtype=object)
        previous = out["disembunyikan"].fillna("").astype(str).tolist()
        out["disembunyikan"] = [
            ",".join(dict.fromkeys([*filter(None, before.split(",")), *names[row]]))
            for before, row in zip(previous, added.to_numpy(dtype=bool), strict=True)
        ]
    return out


@dataclass
class Published:
    """One published table for :func:`protect_publication`: its true values and its primary-suppressed form."""

    true: pd.DataFrame
    public: pd.DataFrame
    #: The count columns (households or people) of the table.
    counts: list[str]
    #: Field -> the counts it rests on (hidden with them).
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)


#: Region totals (``ringkasan.json``, the map's panel) that are sums of the kecamatan.
REGION_COUNTS: tuple[str, ...] = (
    "jumlah_kk", "jumlah_jiwa", "kk_miskin", "kk_miskin_ekstrem", "kk_miskin_tanpa_program", "kk_miskin_banyak_program",
    "kk_dinilai_mpi", "kk_miskin_multidimensi",
)  # fmt: skip


def build_relations(tables: dict[str, Published], *, poor_max_decile: int, extreme_max_decile: int) -> Relations:
    """Every additive relation among the published counts of a region.

    Tables (each optional but ``kel``): ``kel`` (kelurahan), ``kec``
    (kecamatan), ``wilayah`` (one row: region totals), ``sel`` (H3 cells,
    with a ``kantong`` key: the pocket each lies in, as the pocket polygons
    show), ``kantong`` (pockets), ``cakupan`` (coverage per kelurahan and
    programme), ``opd`` (coverage per programme, whole region),
    ``tumpang`` (programme x programme), ``perubahan`` (snapshot
    movements per kelurahan), ``rekon`` (register people per kelurahan).
    Relations that do not hold on the data are left out.
    """
    relations = Relations(
        tables={n: t.true.reset_index(drop=True) for n, t in tables.items()},
        hidden={
            n: _hidden_mask(t.true.reset_index(drop=True), t.public.reset_index(drop=True), t.counts)
            for n, t in tables.items()
        },
    )
    relations.feeds_rates = {(n, c) for n, t in tables.items() for sources in t.derived.values() for c in sources}
    have = relations.tables
    kel_counts = tables["kel"].counts
    deciles = [f"kk_desil_{d}" for d in range(1, 11)]
    if "kec" in have:
        relations.sum_by("kec", "kel", key="kode_kec", columns=kel_counts, kind="kelurahan -> kecamatan")
    if "wilayah" in have:
        below = "kec" if "kec" in have else "kel"
        relations.sum_all("wilayah", below, columns=REGION_COUNTS, kind="kecamatan -> wilayah")
    for table in ("kel", "kec"):
        if table in have:
            relations.row_sum(table, total="jumlah_kk", parts=deciles, kind="desil -> jumlah_kk")
            relations.row_sum(table, total="kk_miskin", parts=deciles[:poor_max_decile], kind="desil -> miskin")
            relations.row_sum(
                table, total="kk_miskin_ekstrem", parts=deciles[:extreme_max_decile], kind="desil -> ekstrem"
            )
            relations.at_most(table, parts=[c for c in tables[table].counts if c.startswith("kk_")], total="jumlah_kk")
    if "sel" in have:
        cell_counts = tables["sel"].counts
        relations.at_most("sel", parts=cell_counts, total="jumlah_kk")
        if "kantong" in have:
            relations.sum_by("kantong", "sel", key="kantong", columns=cell_counts, kind="sel -> kantong")
        if "kec" in have:  # every located household is in one cell
            relations.add_equation(
                [
                    *((("kec", i, "kk_berkoordinat"), 1) for i in range(len(have["kec"]))),
                    *((("sel", j, "jumlah_kk"), -1) for j in range(len(have["sel"]))),
                ],
                kind="sel -> berkoordinat",
            )
    if "cakupan" in have:
        relations.row_sum("cakupan", total="kk_layak", parts=["kk_layak_terima", "kk_eksklusi"], kind="cakupan")
        relations.row_sum("cakupan", total="kk_penerima", parts=["kk_layak_terima", "kk_inklusi"], kind="cakupan")
        relations.at_most("cakupan", parts=["kk_eksklusi"], total="kk_eksklusi_total")
        if "opd" in have:
            relations.sum_by("opd", "cakupan", key="program", columns=tables["cakupan"].counts, kind="cakupan -> opd")
        kel_row = {v: i for i, v in enumerate(have["kel"]["kode_kel"])}
        coverage = have["cakupan"]
        for i, (code, program) in enumerate(zip(coverage["kode_kel"], coverage["program"], strict=True)):
            column = f"kk_penerima_{program}"
            if code in kel_row and column in have["kel"]:
                relations.add_equation(
                    [(("cakupan", i, "kk_penerima"), 1), (("kel", kel_row[code], column), -1)], kind="cakupan = kel"
                )
    if "tumpang" in have and "opd" in have:
        overlap, opd = have["tumpang"], have["opd"]
        opd_row = {v: i for i, v in enumerate(opd["program"])}
        for i, (a, b) in enumerate(zip(overlap["program_a"], overlap["program_b"], strict=True)):
            if a == b and a in opd_row:
                relations.add_equation(
                    [(("tumpang", i, "kk_bersama"), 1), (("opd", opd_row[a], "kk_penerima"), -1)],
                    kind="tumpang diagonal = penerima",
                )
    if "perubahan" in have:
        relations.same(
            "perubahan",
            "kel",
            key="kode_kel",
            column_a="kk_miskin_sekarang",
            column_b="kk_miskin",
            kind="snapshot = kel",
        )
        frame = have["perubahan"]
        for i in range(len(frame)):
            relations.add_equation(
                [
                    (("perubahan", i, "kk_miskin_sekarang"), 1),
                    (("perubahan", i, "kk_miskin_sebelum"), -1),
                    (("perubahan", i, "kk_masuk_miskin"), -1),
                    (("perubahan", i, "kk_keluar_miskin"), 1),
                    (("perubahan", i, "kk_baru_miskin"), -1),
                    (("perubahan", i, "kk_hilang_miskin"), 1),
                ],
                kind="snapshot movements",
            )
    if "rekon" in have:
        relations.same(
            "rekon", "kel", key="kode_kel", column_a="jiwa_register", column_b="jiwa_miskin", kind="rekon = kel"
        )
    return relations


def protect_publication(
    tables: dict[str, Published], *, k: int, poor_max_decile: int = 4, extreme_max_decile: int = 1
) -> dict[str, pd.DataFrame]:
    """Secondary suppression over every published table of a region.

    Returns
    -------
    dict
        Table name -> its public frame with the secondary cells (and the
        fields derived from them) hidden, ``disembunyikan`` updated.
    """
    relations = build_relations(tables, poor_max_decile=poor_max_decile, extreme_max_decile=extreme_max_decile)
    primary = sum(int(h.to_numpy().sum()) for h in relations.hidden.values())
    added = relations.protect(k=k)
    logger.info(
        "disclosure control: %d counts hidden by the threshold, %d more so that none can be worked back "
        "(%d sum relations checked)",
        primary,
        added,
        len(relations.equations),
    )
    if relations.dropped:
        logger.debug("relations that do not hold on this data: %s", relations.dropped)
    hidden = relations.hidden_frames()
    return {name: apply_hidden(table.public, hidden[name], derived=table.derived) for name, table in tables.items()}


#: Count columns of the coverage tables, and the fields derived from them (hidden with them).
COVERAGE_COUNTS: list[str] = [
    "kk_layak",
    "kk_layak_terima",
    "kk_eksklusi",
    "kk_eksklusi_total",
    "kk_inklusi",
    "kk_penerima",
]


COVERAGE_DERIVED: dict[str, tuple[str, ...]] = {"persen_cakupan": ("kk_layak_terima", "kk_layak")}
CHANGES_DERIVED: dict[str, tuple[str, ...]] = {"perubahan_miskin": ("kk_miskin_sekarang", "kk_miskin_sebelum")}
DRIVERS_DERIVED: dict[str, tuple[str, ...]] = {"selisih": ("jiwa_register",), "persen_dari_selisih": ("jiwa_register",)}


#: Priority scores and ranks rest on counts: hidden with them.
PRIORITY_DERIVED: dict[str, tuple[str, ...]] = {
    "skor_ekstrem": (C.KK_MISKIN_EKSTREM,),
    "skor_eb": (C.KK_MISKIN,),
    "skor_mpi": (C.KK_MISKIN_MULTIDIMENSI,),
    C.SKOR_PRIORITAS: (C.KK_MISKIN_EKSTREM, C.KK_MISKIN, C.KK_MISKIN_MULTIDIMENSI),
    C.PERINGKAT: (C.KK_MISKIN_EKSTREM, C.KK_MISKIN, C.KK_MISKIN_MULTIDIMENSI),
}


def rate_derived(columns) -> dict[str, tuple[str, ...]]:
    """Rate column -> (the count it rests on,), for :class:`pipeline.publish.disclosure.Published`."""
    return {rate: (count,) for rate, count in rate_sources(columns).items()}


def region_table(summary: dict, *, k: int) -> Published:
    """The region totals (``ringkasan.json``, the map panel) as a one-row table for disclosure control."""
    keys = [key for key in REGION_COUNTS if key in summary]
    true = pd.DataFrame([{key: summary[key] for key in keys}])
    public = true.astype("Int64").mask(true.apply(lambda col: col.between(1, k - 1)))
    derived = {
        C.PERSEN_MISKIN: (C.KK_MISKIN,),
        C.PERSEN_MISKIN_EKSTREM: (C.KK_MISKIN_EKSTREM,),
        **{key: (C.KK_MISKIN_MULTIDIMENSI,) for key in (C.MPI_H, C.MPI_A, C.MPI_M0)},
    }
    rates = pd.DataFrame([{key: summary[key] for key in derived if key in summary}])
    return Published(pd.concat([true, rates], axis=1), pd.concat([public, rates], axis=1), keys, derived=derived)


def cell_table(cells: gpd.GeoDataFrame, *, k: int) -> Published:
    """H3 cells for disclosure control: sub-counts of 1..k-1 hidden too, and the pocket each cell lies in.

    ``cells`` are labelled by :func:`pipeline.analyse.pockets.label_pockets`.
    """
    public = public_cells(cells, k=k)
    counts = [c for c in ("jumlah_kk", C.KK_MISKIN, C.KK_MISKIN_EKSTREM) if c in public]
    for column in counts[1:]:
        public[column] = public[column].mask(public[column].between(1, k - 1).fillna(False).to_numpy())
    true = public.assign(**{c: cells[c].to_numpy() for c in counts})
    key = cells[KANTONG_ID].astype(str).to_numpy(dtype=object)
    true["kantong"] = key
    derived = {
        C.PERSEN_MISKIN: (C.KK_MISKIN,),
        C.RATA_SKOR_DEPRIVASI: ("jumlah_kk",),
        C.GI_Z: (C.KK_MISKIN, "jumlah_kk"),
    }
    return Published(true, public, counts, derived=derived)
