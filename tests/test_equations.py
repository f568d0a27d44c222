"""The array form of the disclosure relations gives what the cell-by-cell walk gave, in the same order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.publish.equations import EquationIndex, hidden_system, single_pass
from pipeline.publish.relations import Relations


def _walk(equations, hidden: dict, value: dict) -> list:
    """The previous cell-by-cell rule: walk the equations in order until a walk hides nothing."""
    order = []
    changed = True
    while changed:
        changed = False
        for terms in equations:
            if sum(hidden[c] for c, _ in terms) == 1:
                candidates = [c for c, _ in terms if not hidden[c] and value[c] >= 0]
                if candidates:
                    cell = min(candidates, key=lambda c: (value[c], c))
                    hidden[cell] = True
                    order.append(cell)
                    changed = True
    return order


def _random_system(seed: int):
    rng = np.random.default_rng(seed)
    cells = [("t", i, "c") for i in range(rng.integers(5, 40))]
    equations = [
        [(cells[i], int(rng.choice([-1, 1]))) for i in rng.choice(len(cells), size=rng.integers(2, 6), replace=True)]
        for _ in range(rng.integers(3, 30))
    ]
    inequalities = [
        (cells[rng.integers(len(cells))], cells[rng.integers(len(cells))]) for _ in range(rng.integers(0, 10))
    ]
    hidden = {c: bool(rng.random() < 0.2) for c in cells}
    value = {c: float(rng.integers(0, 50)) for c in cells}
    return cells, equations, inequalities, hidden, value


@pytest.mark.parametrize("seed", range(60))
def test_single_pass_hides_what_the_walk_hid_in_the_same_order(seed: int) -> None:
    cells, equations, inequalities, hidden, value = _random_system(seed)
    expected = _walk(equations, dict(hidden), value)
    index = EquationIndex.build(equations, inequalities)
    state = dict(hidden)
    order = []

    def partner(e):
        candidates = [c for c, _ in equations[e] if not state[c] and value[c] >= 0]
        return min(candidates, key=lambda c: (value[c], c)) if candidates else None

    def hide(cell):
        state[cell] = True
        order.append(cell)

    mask = np.array([hidden[c] for c in index.cells])
    assert single_pass(index, mask, partner, hide) == len(expected)
    assert order == expected


def test_worked_example_of_the_walk_order() -> None:
    # e0: a + b = c, e1: c = d + x, e2: a = y.  a hidden. Walk 1: e0 has one hidden (a): hide the cheapest of
    # b (5), c (9) -> b; e1 has none; e2 has one (a): hide y (1). Walk 2: nothing has exactly one. Order: b, y.
    a, b, c, d, x, y = (("t", i, "n") for i in range(6))
    equations = [[(a, 1), (b, 1), (c, -1)], [(c, 1), (d, -1), (x, -1)], [(a, 1), (y, -1)]]
    value = {a: 4.0, b: 5.0, c: 9.0, d: 6.0, x: 3.0, y: 4.0}
    start = {a: True, b: False, c: False, d: False, x: False, y: False}
    assert _walk(equations, dict(start), value) == [b, y]
    index = EquationIndex.build(equations, [])
    state, order = dict(start), []

    def partner(e):
        candidates = [c for c, _ in equations[e] if not state[c]]
        return min(candidates, key=value.get) if candidates else None

    def hide(cell):
        state[cell] = True
        order.append(cell)

    assert single_pass(index, np.array([start[c] for c in index.cells]), partner, hide) == 2
    assert order == [b, y]


@pytest.mark.parametrize("seed", range(30))
def test_hidden_system_equals_the_cell_by_cell_build(seed: int) -> None:
    cells, equations, inequalities, hidden, value = _random_system(seed)
    index = EquationIndex.build(equations, inequalities)
    mask = np.array([hidden[c] for c in index.cells])
    values = np.array([value[c] for c in index.cells])
    system = hidden_system(index, mask, values)
    involved = list(dict.fromkeys(c for terms in equations for c, _ in terms if hidden[c]))
    local = {c: i for i, c in enumerate(involved)}
    rows = []
    for terms in equations:
        known, coefs = 0.0, {}
        for c, coef in terms:
            if c in local:
                coefs[local[c]] = coefs.get(local[c], 0) + coef
            else:
                known += coef * value[c]
        if coefs:
            rows.append((coefs, -known))
    upper = np.full(len(involved), np.inf)
    pairs = []
    for part, total in inequalities:
        if part in local and total in local:
            pairs.append((local[part], local[total]))
        elif part in local and not hidden[total]:
            upper[local[part]] = min(upper[local[part]], value[total])
    assert system.cells == involved
    assert [list(r[0].items()) for r in system.rows] == [list(r[0].items()) for r in rows]
    assert [r[1] for r in system.rows] == [r[1] for r in rows]
    assert system.pairs == pairs
    assert np.array_equal(system.upper, upper)
    assert system.true_values == [value[c] for c in involved]


def test_relations_read_masks_and_values_through_the_index() -> None:
    # kecamatan 10 = kelurahan 3 + 7; the 3 is hidden: its partner is the 7 (the only published term left).
    tables = {"kel": pd.DataFrame({"n": [3, 7]}), "kec": pd.DataFrame({"n": [10]})}
    hidden = {"kel": pd.DataFrame({"n": [True, False]}), "kec": pd.DataFrame({"n": [False]})}
    relations = Relations(tables=tables, hidden=hidden)
    relations.add_equation([(("kec", 0, "n"), 1), (("kel", 0, "n"), -1), (("kel", 1, "n"), -1)], kind="sum")
    assert relations._single_pass() == 1
    assert relations.hidden_frames()["kel"]["n"].tolist() == [True, True]
    ranges = relations.bounds()
    assert ranges[("kel", 0, "n")] == (0.0, 10.0) and ranges[("kel", 1, "n")] == (0.0, 10.0)


def test_protection_that_does_not_finish_is_a_one_line_privacy_error() -> None:
    from pipeline.errors import PrivacyError

    tables = {"kel": pd.DataFrame({"n": [3, 40, 57]}), "kec": pd.DataFrame({"n": [100]})}
    hidden = {"kel": pd.DataFrame({"n": [True, False, False]}), "kec": pd.DataFrame({"n": [False]})}
    terms = [(("kec", 0, "n"), 1), *((("kel", i, "n"), -1) for i in range(3))]
    relations = Relations(tables=tables, hidden={t: f.copy() for t, f in hidden.items()})
    relations.add_equation(terms, kind="sum")
    with pytest.raises(PrivacyError, match=r"could not protect every small count in 0 rounds.*no public map"):
        relations.protect(k=5, max_rounds=0)
    finished = Relations(tables=tables, hidden={t: f.copy() for t, f in hidden.items()})
    finished.add_equation(terms, kind="sum")
    assert finished.protect(k=5) == 1  # with its rounds it finishes: the 40 is hidden beside the 3
    assert finished.hidden_frames()["kel"]["n"].tolist() == [True, True, False]


def test_counts_that_are_no_small_count_may_stay_pinned_small_ones_never(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.publish import relations as module

    monkeypatch.setattr(module, "STUCK_ROUNDS", 1)
    # S 10 = X 0 + Y 10, X <= T 0 (published): X is pinned to [0, 0] by T, and with it Y to [10, 10].
    # Neither is a small count (0, and 10 >= k = 5): nothing is hidden for them, and they are listed.
    tables = {"t": pd.DataFrame({"s": [10], "x": [0], "y": [10], "total": [0]})}
    hidden = {"t": pd.DataFrame({"s": [False], "x": [True], "y": [True], "total": [False]})}
    relations = Relations(tables=tables, hidden=hidden)
    relations.add_equation([(("t", 0, "s"), 1), (("t", 0, "x"), -1), (("t", 0, "y"), -1)], kind="sum")
    relations.at_most("t", parts=["x"], total="total")
    assert relations.bounds() == {("t", 0, "x"): (0.0, 0.0), ("t", 0, "y"): (10.0, 10.0)}
    assert relations.protect(k=5) == 0
    assert sorted(relations.pinned) == [("t", 0, "x"), ("t", 0, "y")]
    assert relations.hidden_frames()["t"]["s"].tolist() == [False]

    # S 105 = X 3 + Y 1 + Z 101: X and Y (small counts) range over [0, 4] only. In the one round, X takes
    # the cheaper published term, Z (101 < 105), and Y then the one left, S: both are hidden, none pinned.
    tables = {"t": pd.DataFrame({"s": [105], "x": [3], "y": [1], "z": [101]})}
    hidden = {"t": pd.DataFrame({"s": [False], "x": [True], "y": [True], "z": [False]})}
    small = Relations(tables=tables, hidden=hidden)
    small.add_equation([(("t", 0, "s"), 1), *((("t", 0, c), -1) for c in "xyz")], kind="sum")
    assert small.bounds(k=5)[("t", 0, "x")] == (0.0, 4.0)
    assert small.protect(k=5) == 2 and not small.pinned
    assert small.hidden_frames()["t"][["s", "z"]].to_numpy().tolist() == [[True, True]]
    # all four hidden: S = X + Y + Z is one sum with nothing published, so X can be anything from 0 up
    assert small.bounds()[("t", 0, "x")] == (0.0, np.inf)
