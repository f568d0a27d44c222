"""Complementary suppression: no hidden count can be worked back from what is published.

The attacker here is written independently of :mod:`pipeline.publish.disclosure`:
it reads only the public GeoPackage and ``ringkasan.json`` (the map's panel
totals), sets up every sum relation a reader can see, and bounds each hidden
count with linear programming.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import highspy
import numpy as np
import pandas as pd
import pyogrio
import pytest
from scipy import sparse

from pipeline.publish.disclosure import Published, protect_publication

K = 5


def test_worked_example_one_hidden_kelurahan_gets_a_partner() -> None:
    # one kecamatan of three kelurahan: 3 + 40 + 57 = 100. Primary suppression hides the 3;
    # the kecamatan total would give it back (100 - 40 - 57 = 3), so the smallest other
    # kelurahan (40) is hidden too. The attacker then knows only A + B = 43: A in [0, 43].
    kel = pd.DataFrame({"kode_kec": ["k1"] * 3, "jumlah_kk": [3, 40, 57]})
    kec = pd.DataFrame({"kode_kec": ["k1"], "jumlah_kk": [100]})
    public_kel = kel.assign(jumlah_kk=pd.array([None, 40, 57], dtype="Int64"), disembunyikan=["jumlah_kk", "", ""])
    out = protect_publication(
        {
            "kel": Published(kel, public_kel, ["jumlah_kk"]),
            "kec": Published(kec, kec.assign(disembunyikan=""), ["jumlah_kk"]),
        },
        k=K,
    )
    assert out["kel"]["jumlah_kk"].isna().tolist() == [True, True, False]
    assert out["kel"]["disembunyikan"].tolist() == ["jumlah_kk", "jumlah_kk", ""]
    assert out["kec"]["jumlah_kk"].tolist() == [100]
    bounds = attack(
        {"kel": out["kel"], "kec": out["kec"]},
        [
            [
                (("kec", 0, "jumlah_kk"), 1),
                (("kel", 0, "jumlah_kk"), -1),
                (("kel", 1, "jumlah_kk"), -1),
                (("kel", 2, "jumlah_kk"), -1),
            ]
        ],
        [],
    )
    assert bounds == {("kel", 0, "jumlah_kk"): (0.0, 43.0), ("kel", 1, "jumlah_kk"): (0.0, 43.0)}


ROW_A = [3, 5, 6, 6, 8, 8, 8, 8, 4, 4]  # 60 households, 20 poor (deciles 1-4), 3 extreme poor
ROW_B = [9, 7, 7, 7, 8, 8, 8, 8, 10, 8]  # 80 households, 30 poor, 9 extreme poor


def test_deciles_cannot_give_back_a_hidden_decile() -> None:
    # kk_miskin = desil 1..4 in each row; desil_1 = 3 is hidden. Hiding it alone would leave
    # 20 - 5 - 6 - 6 = 3. A second decile of the row is hidden with it (the cheapest: 5), and
    # the kecamatan total of each decile column needs a second hidden row as well.
    kel = pd.DataFrame(
        {
            "kode_kec": ["k1", "k1"],
            "jumlah_kk": [60, 80],
            "kk_miskin": [20, 30],
            "kk_miskin_ekstrem": [3, 9],
            **{f"kk_desil_{d}": [a, b] for d, a, b in zip(range(1, 11), ROW_A, ROW_B, strict=True)},
        }
    )
    counts = [c for c in kel.columns if c != "kode_kec"]
    kec = kel.groupby("kode_kec", as_index=False)[counts].sum()
    public = kel.copy()
    for c in counts:
        public[c] = public[c].astype("Int64")
    public.loc[0, ["kk_desil_1", "kk_miskin_ekstrem"]] = pd.NA
    public["disembunyikan"] = ["kk_desil_1,kk_miskin_ekstrem", ""]
    out = protect_publication(
        {"kel": Published(kel, public, counts), "kec": Published(kec, kec.assign(disembunyikan=""), counts)}, k=K
    )
    hidden = out["kel"][counts].isna()
    assert hidden.loc[0, "kk_desil_1"] and hidden.loc[0].sum() >= 3  # desil_1, extreme and a partner
    assert hidden.loc[1].sum() >= 2  # the column totals need a second row
    assert not hidden[["jumlah_kk", "kk_miskin"]].any().any()  # the headline counts stay published


# -- the attacker ------------------------------------------------------------------------------------------------

Cell = tuple[str, int, str]


def attack(tables: dict[str, pd.DataFrame], equations: list, inequalities: list) -> dict[Cell, tuple[float, float]]:
    """Least and greatest value of every hidden cell consistent with the published relations (LP, HiGHS)."""
    hidden: dict[Cell, int] = {}
    rows, rhs = [], []
    for terms in equations:
        known, coefs = 0.0, {}
        for (table, row, column), coef in terms:
            value = tables[table][column].iloc[row]
            if pd.isna(value):
                index = hidden.setdefault((table, row, column), len(hidden))
                coefs[index] = coefs.get(index, 0) + coef
            else:
                known += coef * float(value)
        if coefs:
            rows.append(coefs)
            rhs.append(-known)
    upper: dict[int, float] = {}
    pairs = []
    for (pt, pr, pc), (tt, tr, tc) in inequalities:
        part, total = tables[pt][pc].iloc[pr], tables[tt][tc].iloc[tr]
        if pd.isna(part) and (pt, pr, pc) in hidden:
            if pd.isna(total) and (tt, tr, tc) in hidden:
                pairs.append((hidden[(pt, pr, pc)], hidden[(tt, tr, tc)]))
            elif not pd.isna(total):
                i = hidden[(pt, pr, pc)]
                upper[i] = min(upper.get(i, np.inf), float(total))
    n = len(hidden)
    if not n:
        return {}
    a_eq = np.zeros((len(rows), n))
    for r, coefs in enumerate(rows):
        for i, c in coefs.items():
            a_eq[r, i] = c
    a_ub = np.zeros((len(pairs), n))
    for r, (p, t) in enumerate(pairs):
        a_ub[r, p], a_ub[r, t] = 1, -1
    bounds = [(0, upper.get(i)) for i in range(n)]
    # connected components keep each LP small
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coefs in rows:
        first, *rest = coefs
        for other in rest:
            parent[find(other)] = find(first)
    for p, t in pairs:
        parent[find(p)] = find(t)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    names = {i: cell for cell, i in hidden.items()}
    out = {}
    for members in groups.values():
        cols = np.array(members)
        eq_rows = np.flatnonzero(np.abs(a_eq[:, cols]).sum(axis=1) > 0)
        ub_rows = np.flatnonzero(np.abs(a_ub[:, cols]).sum(axis=1) > 0) if len(pairs) else np.array([], dtype=int)
        matrix = sparse.vstack(
            [sparse.csr_matrix(a_eq[np.ix_(eq_rows, cols)]), sparse.csr_matrix(a_ub[np.ix_(ub_rows, cols)])]
        ).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(cols), matrix.shape[0]
        lp.col_cost_ = np.zeros(len(cols))
        lp.col_lower_ = np.zeros(len(cols))
        lp.col_upper_ = np.array(
            [highspy.kHighsInf if bounds[i][1] is None else bounds[i][1] for i in members], dtype=float
        )
        lp.row_lower_ = np.concatenate([np.array(rhs, dtype=float)[eq_rows], np.full(len(ub_rows), -highspy.kHighsInf)])
        lp.row_upper_ = np.concatenate([np.array(rhs, dtype=float)[eq_rows], np.zeros(len(ub_rows))])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        solver.passModel(lp)
        # the spread of values seen over all solutions is a lower bound of each cell's range:
        # a cell whose spread reaches K is proven protected without an LP of its own
        low, high = np.full(len(cols), np.inf), np.full(len(cols), -np.inf)
        cost = np.zeros(len(cols))
        for j, i in enumerate(members):
            if high[j] - low[j] >= K:
                out[names[i]] = (low[j], high[j])
                continue
            found = []
            for sign in (1.0, -1.0):
                new = np.zeros(len(cols))
                new[j] = sign
                changed = np.flatnonzero(new != cost)
                solver.changeColsCost(len(changed), changed.astype(np.int32), new[changed])
                cost = new
                solver.run()
                status = solver.getModelStatus()
                if status == highspy.HighsModelStatus.kUnbounded:
                    found.append(np.inf)
                    continue
                assert status == highspy.HighsModelStatus.kOptimal, solver.modelStatusToString(status)
                x = np.asarray(solver.getSolution().col_value)
                np.minimum(low, x, out=low)
                np.maximum(high, x, out=high)
                found.append(sign * solver.getInfo().objective_function_value)
            out[names[i]] = (round(found[0], 6), round(found[1], 6))
    return out


def published_relations(folder: Path) -> tuple[dict[str, pd.DataFrame], list, list]:
    """Every sum relation a reader can set up from the public GeoPackage and ringkasan.json."""
    gpkg = next(folder.glob("*.gpkg"))
    layers = set(pyogrio.list_layers(gpkg)[:, 0])
    read = lambda name: pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)  # noqa: E731
    kel, kec = read("kelurahan"), read("kecamatan")
    summary = json.loads((folder / "ringkasan.json").read_text(encoding="utf-8"))["ringkasan"]
    tables = {
        "kel": kel,
        "kec": kec,
        "wilayah": pd.DataFrame([{k: v for k, v in summary.items() if k.startswith(("kk_", "jumlah_"))}]),
    }
    equations: list = []
    inequalities: list = []
    counts = [c for c in kel.columns if c.startswith(("kk_", "jumlah_", "jiwa_")) and c in kec.columns]
    for i, code in enumerate(kec["kode_kec"]):
        members = np.flatnonzero(kel["kode_kec"].to_numpy() == code)
        for c in counts:
            equations.append([(("kec", i, c), 1), *((("kel", int(j), c), -1) for j in members)])
    for c in tables["wilayah"].columns:
        if c in kec:
            equations.append([(("wilayah", 0, c), 1), *((("kec", i, c), -1) for i in range(len(kec)))])
    deciles = [f"kk_desil_{d}" for d in range(1, 11)]
    for name, frame in (("kel", kel), ("kec", kec)):
        for i in range(len(frame)):
            equations.append([((name, i, "jumlah_kk"), 1), *(((name, i, d), -1) for d in deciles)])
            equations.append([((name, i, "kk_miskin"), 1), *(((name, i, d), -1) for d in deciles[:4])])
            equations.append([((name, i, "kk_miskin_ekstrem"), 1), ((name, i, "kk_desil_1"), -1)])
            for c in frame.columns:
                if c.startswith("kk_") and c != "jumlah_kk":
                    inequalities.append(((name, i, c), (name, i, "jumlah_kk")))
    if "sel_h3" in layers:
        cells = pyogrio.read_dataframe(gpkg, layer="sel_h3")
        tables["sel"] = cells
        for i in range(len(cells)):
            for c in ("kk_miskin", "kk_miskin_ekstrem"):
                inequalities.append((("sel", i, c), ("sel", i, "jumlah_kk")))
        equations.append(
            [
                *((("kec", i, "kk_berkoordinat"), 1) for i in range(len(kec))),
                *((("sel", j, "jumlah_kk"), -1) for j in range(len(cells))),
            ]
        )
        pockets = pyogrio.read_dataframe(gpkg, layer="kantong")
        if len(pockets):
            tables["kantong"] = pockets
            inside = gpd.sjoin(
                gpd.GeoDataFrame(geometry=cells.geometry.representative_point(), crs=cells.crs),
                pockets[["geometry"]],
                predicate="within",
            )
            for p in range(len(pockets)):
                members = inside.index[inside["index_right"] == p]
                for c in ("jumlah_kk", "kk_miskin", "kk_miskin_ekstrem"):
                    equations.append([(("kantong", p, c), 1), *((("sel", int(j), c), -1) for j in members)])
    if "cakupan_program" in layers:
        cov, opd = read("cakupan_program"), read("cakupan_opd")
        tables.update(cakupan=cov, opd=opd)
        for i in range(len(cov)):
            equations.append(
                [
                    (("cakupan", i, "kk_layak"), 1),
                    (("cakupan", i, "kk_layak_terima"), -1),
                    (("cakupan", i, "kk_eksklusi"), -1),
                ]
            )
            equations.append(
                [
                    (("cakupan", i, "kk_penerima"), 1),
                    (("cakupan", i, "kk_layak_terima"), -1),
                    (("cakupan", i, "kk_inklusi"), -1),
                ]
            )
        for i, program in enumerate(opd["program"]):
            members = np.flatnonzero(cov["program"].to_numpy() == program)
            for c in ("kk_layak", "kk_layak_terima", "kk_eksklusi", "kk_inklusi", "kk_penerima"):
                equations.append([(("opd", i, c), 1), *((("cakupan", int(j), c), -1) for j in members)])
    if "perubahan_snapshot" in layers:
        changes = read("perubahan_snapshot")
        tables["perubahan"] = changes
        where = {code: i for i, code in enumerate(kel["kode_kel"])}
        for i, code in enumerate(changes["kode_kel"]):
            equations.append([(("perubahan", i, "kk_miskin_sekarang"), 1), (("kel", where[code], "kk_miskin"), -1)])
    # keep only relations that hold wherever every term is published (a reader can check that much)
    return tables, [e for e in equations if _consistent(tables, e)], inequalities


def _consistent(tables: dict[str, pd.DataFrame], terms: list) -> bool:
    values = [tables[t][c].iloc[r] for (t, r, c), _ in terms]
    if any(pd.isna(v) for v in values):
        return True
    return abs(sum(float(v) * coef for v, (_, coef) in zip(values, terms, strict=True))) < 1e-6


@pytest.mark.parametrize("fixture", ["demo_run", "kupang_run"], ids=["demo", "kupang"])
def test_attacker_cannot_pin_down_any_hidden_count(fixture: str, request: pytest.FixtureRequest) -> None:
    folder: Path = request.getfixturevalue(fixture)
    tables, equations, inequalities = published_relations(folder)
    assert len(equations) > 100  # the relations are really set up
    hidden_kel = int(tables["kel"][[c for c in tables["kel"].columns if c.startswith("kk_")]].isna().sum().sum())
    assert hidden_kel > 0, "the test region should have hidden kelurahan counts to attack"
    bounds = attack(tables, equations, inequalities)
    assert bounds, "no hidden count takes part in any relation"
    narrow = {cell: b for cell, b in bounds.items() if b[1] - b[0] < K}
    assert not narrow, f"{len(narrow)} hidden counts pinned to less than k={K}: {list(narrow.items())[:5]}"
