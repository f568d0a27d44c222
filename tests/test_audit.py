"""The LP audit's ranges (:func:`pipeline.publish.audit.component_ranges`): exact where narrow, and cheap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from pipeline.publish import audit


def _count_solves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record, per LP solved, how many variables its objective has."""
    seen: list[int] = []
    solve = audit._RangeSolver.solve

    def counting(self, objective):
        seen.append(int(np.count_nonzero(objective)))
        return solve(self, objective)

    monkeypatch.setattr(audit._RangeSolver, "solve", counting)
    return seen


def _exact(a_eq, b_eq, bounds, j: int) -> tuple[float, float]:
    """Least and greatest value of variable j, each by a fresh scipy solve."""
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(a_eq.shape[1])
        c[j] = sign
        result = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert result.status in (0, 3), result.message
        out.append(sign * result.fun if result.status == 0 else np.inf)  # 3: unbounded (only upwards here)
    return out[0], out[1]


def test_worked_example_a_side_at_its_bound_needs_no_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two published totals over three hidden counts x = 0, y = 3, z = 2: x + y = 3 and y + z = 5,
    # all >= 0. So y is in [0, 3], x = 3 - y in [0, 3], z = 5 - y in [2, 5]; all narrower than k = 5.
    # x starts at its bound 0: only its greatest value is solved (x = 3, y = 0, z = 5), which also
    # takes y to its bound 0 and z to 5. y: its greatest value only. z: both (2 is above its bound,
    # 5 is not a bound). Four solves instead of six.
    seen = _count_solves(monkeypatch)
    ranges = audit.component_ranges(
        sparse.coo_matrix(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])),
        np.array([3.0, 5.0]),
        sparse.coo_matrix((0, 3)),
        [(0, None)] * 3,
        np.array([0.0, 3.0, 2.0]),
        k=5,
    )
    assert ranges == [(0.0, 3.0), (0.0, 3.0), (2.0, 5.0)]
    assert seen == [1, 1, 1, 1]


def test_worked_example_a_side_at_its_upper_bound_needs_no_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    # x + y = 4 and y + z = 4 with x <= 4 (a published total above it); x = 4, y = 0, z = 4.
    # x is at its upper bound: only its least value is solved (x = 0, y = 4, z = 0), which takes
    # z to its bound 0. y's and z's greatest values are solved: 4 each. Three solves instead of six.
    seen = _count_solves(monkeypatch)
    ranges = audit.component_ranges(
        sparse.coo_matrix(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])),
        np.array([4.0, 4.0]),
        sparse.coo_matrix((0, 3)),
        [(0, 4.0), (0, None), (0, None)],
        np.array([4.0, 0.0, 4.0]),
        k=5,
    )
    assert ranges == [(0.0, 4.0), (0.0, 4.0), (0.0, 4.0)]
    assert seen == [1, 1, 1]


def test_large_programme_is_spread_first_and_exact_where_narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    # 300 published sums of 10 over two hidden counts (each ranges over [0, 10]: wide for k = 5)
    # and 20 sums of 3 (each count ranges over [0, 3]: narrow). 640 variables: more than SPREAD_FROM,
    # so many-variable objectives spread the wide ones first and only the narrow ones are solved alone.
    wide, narrow = 300, 20
    pairs = wide + narrow
    rows = np.repeat(np.arange(pairs), 2)
    a_eq = sparse.coo_matrix((np.ones(2 * pairs), (rows, np.arange(2 * pairs))), shape=(pairs, 2 * pairs))
    b_eq = np.array([10.0] * wide + [3.0] * narrow)
    true = np.tile([0.0, 1.0], pairs) * np.repeat(b_eq, 2)  # (0, total) in every pair
    bounds = [(0, None)] * (2 * pairs)
    assert 2 * pairs > audit.SPREAD_FROM
    seen = _count_solves(monkeypatch)
    ranges = audit.component_ranges(a_eq, b_eq, sparse.coo_matrix((0, 2 * pairs)), bounds, true, k=5)
    for j in range(2 * wide):
        assert ranges[j][1] - ranges[j][0] >= 5  # shown wide: a lower bound of the range
    for j in range(2 * wide, 2 * pairs):
        assert ranges[j] == pytest.approx((0.0, 3.0))
        assert ranges[j] == pytest.approx(_exact(a_eq.tocsr(), b_eq, bounds, j))
    single = [s for s in seen if s == 1]
    # 40 for the narrow counts (one side each: the other is at 0); the spread stops when a round frees
    # under SPREAD_GAIN of what is left, so a few wide ones may still get their own: far from 600
    assert 2 * narrow <= len(single) < 2 * narrow + 30
    assert len(seen) > len(single)  # the spread ran


@pytest.mark.parametrize("seed", range(5))
def test_ranges_equal_fresh_solves_on_random_systems(seed: int) -> None:
    # Random sums over 12 hidden counts (3 to 5 terms each), a total over a part, k = inf: every
    # range exact, with warm-started primal and dual simplex, equal to fresh scipy solves.
    rng = np.random.default_rng(seed)
    n, m = 12, 6
    dense = np.zeros((m, n))
    for r in range(m):
        dense[r, rng.choice(n, size=rng.integers(3, 6), replace=False)] = rng.choice([1.0, -1.0], p=[0.8, 0.2])
    true = rng.integers(0, 8, n).astype(float)
    b_eq = dense @ true
    bounds = [(0, float(true[j] + rng.integers(0, 6))) if j % 4 == 0 else (0, None) for j in range(n)]
    ranges = audit.component_ranges(sparse.coo_matrix(dense), b_eq, sparse.coo_matrix((0, n)), bounds, true, k=np.inf)
    for j in range(n):
        assert ranges[j] == pytest.approx(_exact(dense, b_eq, bounds, j), abs=1e-7)


def test_rounding_noise_is_not_narrow() -> None:
    assert not audit.is_narrow(0.0, 4.999999999999998, 5)
    assert audit.is_narrow(0.0, 4.9, 5)
    assert audit.is_narrow(2.0, 2.0, 5)
    assert not audit.is_narrow(0.0, 5.0, 5)


def test_worked_example_one_sum_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # A published kecamatan total of 9 with one hidden kelurahan count T and published parts, so
    # that T - x - y = 4 on the hidden cells (x, y the two hidden parts), x <= 3 (a published
    # bound), y unbounded. T = 4 + x + y: least 4 (x = y = 0), greatest unbounded.
    # x = T - 4 - y: from 0 to its bound 3. y likewise from 0 up, unbounded.
    seen = _count_solves(monkeypatch)
    ranges = audit.component_ranges(
        sparse.coo_matrix(np.array([[1.0, -1.0, -1.0]])),
        np.array([4.0]),
        sparse.coo_matrix((0, 3)),
        [(0, None), (0, 3.0), (0, None)],
        np.array([9.0, 2.0, 3.0]),
        k=5,
    )
    assert ranges == [(4.0, np.inf), (0.0, 3.0), (0.0, np.inf)]
    assert seen == []  # no linear programme
    # x + y + z = 6 with x <= 1 and y <= 2: z is at least 6 - 1 - 2 = 3 and at most 6
    assert audit.one_sum_ranges(np.array([1.0, 1.0, 1.0]), 6.0, [(0, 1.0), (0, 2.0), (0, None)]) == [
        (0.0, 1.0),
        (0.0, 2.0),
        (3.0, 6.0),
    ]


@pytest.mark.parametrize("seed", range(3))
def test_one_sum_ranges_equal_the_linear_programme(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n = int(rng.integers(1, 7))
        a = rng.choice([1.0, -1.0, 2.0], size=n, p=[0.6, 0.35, 0.05])
        true = rng.integers(0, 9, n).astype(float)
        bounds = [(0, float(true[j] + rng.integers(0, 4))) if rng.random() < 0.3 else (0, None) for j in range(n)]
        ranges = audit.one_sum_ranges(a, float(a @ true), bounds)
        for j in range(n):
            assert ranges[j] == pytest.approx(_exact(a[None, :], [float(a @ true)], bounds, j), abs=1e-7)
