"""LP audit of hidden counts: the smallest and largest value each hidden count can take.

Given the published relations (sums that hold on the data) and the visible
values, every hidden count is bounded by linear programming (HiGHS through
``highspy``, warm-started; SciPy as a fallback), or by hand where its linked
counts form a single sum (:func:`one_sum_ranges`). A hidden count whose range
is narrower than k is disclosed, and :class:`pipeline.publish.relations.Relations`
hides more until none is.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
from scipy import sparse


def _quiet_highs():
    """A HiGHS instance, without the banner HiGHS prints on standard output when the first one is made."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


_THREAD = threading.local()


def _highs():
    """This thread's HiGHS instance, made once: each programme is passed to it in turn."""
    if not hasattr(_THREAD, "highs"):
        _THREAD.highs = _quiet_highs()
    return _THREAD.highs


def _bound_arrays(bounds: list) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest value of each variable as arrays (``None``: no upper bound, inf)."""
    lower = np.array([lo for lo, _ in bounds], dtype=float)
    upper = np.array([np.inf if hi is None else hi for _, hi in bounds], dtype=float)
    return lower, upper


#: HiGHS ``simplex_strategy`` values.
DUAL: int = 1
PRIMAL: int = 4


class _RangeSolver:
    """One component's linear programme, solved again and again with a new objective (HiGHS, warm-started).

    Variables are the hidden counts; rows are the sum relations
    (``a_eq x = b_eq``) and the part <= total pairs (``a_ub x <= 0``); each
    variable lies in its ``bounds``. Changing only the objective lets HiGHS
    restart from the last basis, so a range costs a fraction of a fresh
    solve: a region of 3,000 hidden counts is audited in seconds.
    """

    def __init__(self, a_eq, b_eq: np.ndarray, a_ub, bounds: list[tuple[float, float | None]]) -> None:
        import highspy

        n = len(bounds)
        eq, ub = sparse.coo_matrix(a_eq), sparse.coo_matrix(a_ub)
        matrix = sparse.csc_matrix(
            (
                np.concatenate([eq.data, ub.data]).astype(float),
                (np.concatenate([eq.row, ub.row + eq.shape[0]]), np.concatenate([eq.col, ub.col])),
            ),
            shape=(eq.shape[0] + ub.shape[0], n),
        )
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, matrix.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_, lp.col_upper_ = _bound_arrays(bounds)  # HiGHS's infinity is inf
        lp.row_lower_ = np.concatenate([b_eq, np.full(ub.shape[0], -inf)]).astype(float)
        lp.row_upper_ = np.concatenate([b_eq, np.zeros(ub.shape[0])]).astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data
        self._a_eq, self._b_eq, self._a_ub, self._bounds = eq, b_eq, ub, bounds  # for the SciPy fallback
        self._highs = _highs()
        self._highs.passModel(lp)
        self._status = highspy.HighsModelStatus
        self._cost = np.zeros(n)
        self._strategy = DUAL
        self._highs.setOptionValue("simplex_strategy", DUAL)
        self.n = n

    def solve(self, objective: np.ndarray) -> tuple[str, float, np.ndarray | None]:
        """Minimise ``objective @ x``: ("optimal" | "unbounded" | other, value, solution)."""
        # One variable's least or greatest value: primal simplex from the last basis, several times faster
        # than dual here. Many-variable objectives: dual simplex, whose solutions land farther from the
        # last one and so spread more variables at once.
        strategy = PRIMAL if np.count_nonzero(objective) == 1 else DUAL
        if strategy != self._strategy:
            self._highs.setOptionValue("simplex_strategy", strategy)
            self._strategy = strategy
        changed = np.flatnonzero(objective != self._cost)
        if len(changed):
            self._highs.changeColsCost(len(changed), changed.astype(np.int32), objective[changed].astype(float))
            self._cost = objective.copy()
        self._highs.run()
        status = self._highs.getModelStatus()
        if status not in (self._status.kOptimal, self._status.kUnbounded):
            self._highs.clearSolver()  # a warm start gone wrong: solve this objective from scratch
            self._highs.run()
            status = self._highs.getModelStatus()
        if status not in (self._status.kOptimal, self._status.kUnbounded):
            return self._scipy(objective)
        if status == self._status.kOptimal:
            return (
                "optimal",
                self._highs.getInfo().objective_function_value,
                np.asarray(self._highs.getSolution().col_value),
            )
        if status in (self._status.kUnbounded, self._status.kUnboundedOrInfeasible):
            return "unbounded", np.nan, None
        raise RuntimeError(f"disclosure audit: linear programme failed ({self._highs.modelStatusToString(status)})")

    def _scipy(self, objective: np.ndarray) -> tuple[str, float, np.ndarray | None]:
        """The same programme through scipy's HiGHS interface (a fresh model, default settings)."""
        from scipy.optimize import linprog

        result = linprog(
            objective,
            A_eq=self._a_eq if self._a_eq.shape[0] else None,
            b_eq=self._b_eq if self._a_eq.shape[0] else None,
            A_ub=self._a_ub if self._a_ub.shape[0] else None,
            b_ub=np.zeros(self._a_ub.shape[0]) if self._a_ub.shape[0] else None,
            bounds=self._bounds,
            method="highs",
        )
        if result.status == 0:
            return "optimal", result.fun, result.x
        if result.status == 3:
            return "unbounded", np.nan, None
        raise RuntimeError(f"disclosure audit: linear programme failed ({result.message})")


#: Largest system of linked hidden counts the LP audit takes. A city or regency (Kupang: ~3,000) is far
#: below it; a province's counts are linked through the province totals into one system of 100,000s,
#: whose audit takes hours. There the one-equation rule alone applies, with a warning.
AUDIT_LIMIT: int = 20_000


#: Exact solves (one objective each) per programme and audit round; past it, a variable not yet shown to
#: range over k counts as pinned down and gets a partner (more hidden, never less protected).
EXACT_SOLVES: int = 4000

#: Programmes with more variables than this are first spread by many-variable objectives.
SPREAD_FROM: int = 400

#: Most rounds of many-variable objectives before the exact solves; they stop earlier once a round
#: frees less than SPREAD_GAIN of the variables still pending.
SPREAD_ROUNDS: int = 40
SPREAD_GAIN: float = 0.02

#: Slack on k: LP values carry rounding noise (a range of 5 may come back as 4.999999999999998).
TOLERANCE: float = 1e-6


def is_narrow(low, high, k: float):
    """Whether a range of consistent values is narrower than ``k`` (up to LP rounding noise).

    ``low`` and ``high`` are numbers or arrays (then an array of flags).
    """
    return high - low < k - TOLERANCE


def one_sum_ranges(coefficients: np.ndarray, total: float, bounds: list) -> list[tuple[float, float]]:
    """Exact range of each variable of ``coefficients @ x = total`` with each ``x_j`` within its bounds.

    The rest of the sum, ``r = total - a_j x_j``, takes every value between
    the least and the greatest sum of the other terms (each term on its own
    interval), so ``x_j`` ranges over ``(total - r) / a_j`` for those ``r``,
    cut to its own bounds. The same values as the linear programme, without it.
    """
    a = np.asarray(coefficients, dtype=float)
    lower, upper = _bound_arrays(bounds)
    with np.errstate(invalid="ignore"):  # 0 * inf: a variable with coefficient 0 adds nothing
        term_low = np.where(a > 0, a * lower, a * upper)
        term_high = np.where(a > 0, a * upper, a * lower)
    term_low[a == 0] = 0.0
    term_high[a == 0] = 0.0

    def others(terms: np.ndarray, infinite: float) -> np.ndarray:
        """Per variable, the sum of the other variables' terms (+-inf when one of them is unbounded)."""
        unbounded = terms == infinite
        finite = np.where(unbounded, 0.0, terms)
        rest = finite.sum() - finite
        return np.where(unbounded.sum() - unbounded > 0, infinite, rest)

    rest_low, rest_high = others(term_low, -np.inf), others(term_high, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        ends = np.sort(np.stack([(total - rest_high) / a, (total - rest_low) / a]), axis=0)
    low = np.where(a == 0, lower, np.maximum(ends[0], lower))
    high = np.where(a == 0, upper, np.minimum(ends[1], upper))
    return [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]


def component_ranges(
    a_eq, b_eq: np.ndarray, a_ub, bounds: list, true: np.ndarray, *, k: float, done: np.ndarray | None = None
) -> list[tuple[float, float]]:
    """Range of each variable of ``a_eq x = b_eq, a_ub x <= 0, bounds``: exact where narrower than ``k``.

    Every solution found widens the spread seen for all variables (the
    true values are one solution); a variable whose spread already reaches
    ``k`` needs no LP of its own, the spread being a lower bound of its
    range. The others get their least and greatest value; a side already
    at the variable's bound (most hidden counts are 0 and can go no lower)
    needs no solve. Variables marked ``done`` are not solved for (their
    entry is a placeholder).
    """
    if a_eq.shape[0] == 1 and a_ub.shape[0] == 0:  # most components of a province: one sum, solved by hand
        return one_sum_ranges(np.asarray(sparse.csr_matrix(a_eq).todense(), dtype=float)[0], float(b_eq[0]), bounds)
    n = len(true)
    solver = _RangeSolver(a_eq, b_eq, a_ub, bounds)
    low, high = true.astype(float).copy(), true.astype(float).copy()
    lower, upper = _bound_arrays(bounds)
    skip = np.zeros(n, dtype=bool) if done is None else done.astype(bool)

    def pending() -> np.ndarray:
        return ~skip & is_narrow(low, high, k)

    rng = np.random.default_rng(n)
    left = int(pending().sum())
    for _ in range(SPREAD_ROUNDS if n > SPREAD_FROM else 0):  # large programmes: push many variables at once
        if not left:
            break
        waiting = pending()
        for sign, movable in ((-1.0, low > lower), (1.0, high < upper)):  # push each only where it can move
            chosen = np.flatnonzero(waiting & movable)
            if not len(chosen):
                continue
            weights = np.zeros(n)
            weights[chosen] = rng.uniform(0.5, 1.5, len(chosen))
            status, _, x = solver.solve(sign * weights)
            if status == "optimal":
                np.minimum(low, x, out=low)
                np.maximum(high, x, out=high)
        now = int(pending().sum())
        stalled = left - now < SPREAD_GAIN * left
        left = now
        if stalled:
            break
    solves = 0
    out: list[tuple[float, float]] = []
    for j in range(n):
        if skip[j] or not is_narrow(low[j], high[j], k) or solves >= EXACT_SOLVES:
            # wide, or over budget this round: reported as narrow, so it gets a partner (safe side)
            out.append((float(low[j]), float(high[j])))
            continue
        found = []
        for sign, at_bound in ((1.0, low[j] <= lower[j]), (-1.0, high[j] >= upper[j])):
            if at_bound:  # the least (greatest) value is the bound itself, already reached
                found.append(lower[j] if sign > 0 else upper[j])
                continue
            solves += 1
            objective = np.zeros(n)
            objective[j] = sign
            status, value, x = solver.solve(objective)
            if status == "unbounded":
                found.append(np.inf)
                continue
            np.minimum(low, x, out=low)
            np.maximum(high, x, out=high)
            found.append(sign * value)
        out.append((found[0], found[1]))
    return out
