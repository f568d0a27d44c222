"""Complementary (secondary) suppression: hidden counts cannot be worked back.

Primary suppression (:mod:`pipeline.privacy`) hides every count of 1 to k-1
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
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

logger = logging.getLogger(__name__)

#: Counts planners read first: hidden by secondary suppression only when nothing else protects.
HEADLINE_COUNTS: frozenset[str] = frozenset(
    {
        "jumlah_kk",
        "jumlah_jiwa",
        "kk_miskin",
        "kk_miskin_ekstrem",
        "kk_layak",
        "kk_penerima",
        "jiwa_miskin",
        "kk_miskin_sekarang",
        "kk_miskin_sebelum",
        "jiwa_register",
    }
)
#: Tables of totals (kecamatan, region, pockets, programme totals): kept published before their parts.
TOTAL_TABLES: frozenset[str] = frozenset({"wilayah", "kec", "opd", "kantong"})
#: A cell of a published table: (table, row position, column).
Cell = tuple[str, int, str]


@dataclass
class Relations:
    """The published tables (true values) and the additive relations among their counts.

    ``tables`` maps a name to the unsuppressed frame; ``hidden`` to a
    boolean frame of the same shape (True = not published). Equations are
    lists of ``(cell, coefficient)`` whose weighted sum is 0; inequalities
    are pairs ``(part, total)`` with ``part <= total``. An equation or
    inequality that does not hold on the true values is not a relation of
    the data and is left out (:meth:`add_equation` checks).
    """

    tables: dict[str, pd.DataFrame]
    hidden: dict[str, pd.DataFrame]
    equations: list[list[tuple[Cell, int]]] = field(default_factory=list)
    inequalities: list[tuple[Cell, Cell]] = field(default_factory=list)
    #: Equations given that did not hold on the data, by kind (for the log).
    dropped: dict[str, int] = field(default_factory=dict)
    #: Hidden counts left out of the LP audit (components over AUDIT_LIMIT).
    audit_skipped: int = 0
    #: (table, column) of counts that a published rate or score rests on.
    feeds_rates: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._values: dict[tuple[str, str], np.ndarray] = {}
        self._hidden: dict[tuple[str, str], np.ndarray] = {}
        #: Hidden cells already shown to range over at least k (see :meth:`bounds`).
        self._wide: dict[Cell, tuple[float, float]] = {}

    def value(self, cell: Cell) -> float:
        table, row, column = cell
        key = (table, column)
        if key not in self._values:
            self._values[key] = pd.to_numeric(self.tables[table][column], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
        return float(self._values[key][row])

    def _mask(self, table: str, column: str) -> np.ndarray:
        key = (table, column)
        if key not in self._hidden:
            frame = self.hidden[table]
            self._hidden[key] = (
                frame[column].to_numpy(dtype=bool).copy() if column in frame else np.zeros(len(frame), dtype=bool)
            )
        return self._hidden[key]

    def is_hidden(self, cell: Cell) -> bool:
        table, row, column = cell
        return bool(self._mask(table, column)[row])

    def hidden_frames(self) -> dict[str, pd.DataFrame]:
        """The hidden masks as frames, primary and secondary together."""
        out = {}
        for table, frame in self.hidden.items():
            out[table] = pd.DataFrame(
                {column: self._mask(table, column) for column in frame.columns}, index=frame.index
            )
        return out

    def add_equation(self, terms: list[tuple[Cell, int]], *, kind: str) -> None:
        values = [self.value(cell) for cell, _ in terms]
        if any(np.isnan(values)):
            return
        if abs(sum(v * c for v, (_, c) in zip(values, terms, strict=True))) > 1e-6:
            self.dropped[kind] = self.dropped.get(kind, 0) + 1
            return
        self.equations.append(terms)

    # -- relation builders ---------------------------------------------------------------------------------
    def sum_by(self, parent: str, child: str, *, key: str, columns: Iterable[str], kind: str) -> None:
        """``parent[c] = sum of child[c]`` over the child rows with the same ``key`` (kelurahan -> kecamatan)."""
        p, c = self.tables[parent], self.tables[child]
        if key not in p or key not in c:
            return
        rows = pd.Series(np.arange(len(c))).groupby(c[key].to_numpy()).apply(list).to_dict()
        for i, group in enumerate(p[key].to_numpy()):
            members = rows.get(group, [])
            for column in columns:
                if column in p and column in c:
                    self.add_equation(
                        [((parent, i, column), 1), *(((child, j, column), -1) for j in members)], kind=kind
                    )

    def sum_all(self, parent: str, child: str, *, columns: Iterable[str], kind: str) -> None:
        """``parent[c]`` (a one-row table: the region) = the sum of every child row."""
        if not len(self.tables[parent]):
            return
        rows = range(len(self.tables[child]))
        for column in columns:
            if column in self.tables[parent] and column in self.tables[child]:
                self.add_equation([((parent, 0, column), 1), *(((child, j, column), -1) for j in rows)], kind=kind)

    def row_sum(self, table: str, *, total: str, parts: list[str], kind: str) -> None:
        """``total = sum of parts`` within each row (deciles -> poor households)."""
        frame = self.tables[table]
        if total not in frame or not all(p in frame for p in parts):
            return
        for i in range(len(frame)):
            self.add_equation([((table, i, total), 1), *(((table, i, p), -1) for p in parts)], kind=kind)

    def same(self, a: str, b: str, *, key: str, column_a: str, column_b: str, kind: str) -> None:
        """``a[column_a] = b[column_b]`` for rows with the same ``key`` (one figure published twice)."""
        fa, fb = self.tables[a], self.tables[b]
        if key not in fa or key not in fb or column_a not in fa or column_b not in fb:
            return
        position = {v: j for j, v in enumerate(fb[key].to_numpy())}
        for i, v in enumerate(fa[key].to_numpy()):
            if v in position:
                self.add_equation([((a, i, column_a), 1), ((b, position[v], column_b), -1)], kind=kind)

    def at_most(self, table: str, *, parts: Iterable[str], total: str) -> None:
        """``part <= total`` within each row (a sub-count never exceeds the households)."""
        frame = self.tables[table]
        if total not in frame:
            return
        totals = pd.to_numeric(frame[total], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for part in parts:
            if part in frame and part != total:
                values = pd.to_numeric(frame[part], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                holds = values <= totals  # a part that exceeds its total (not a household count) is no relation
                if (~holds & ~np.isnan(values) & ~np.isnan(totals)).any():
                    self.dropped[f"{part} <= {total}"] = int((~holds).sum())
                    continue
                self.inequalities += [((table, i, part), (table, i, total)) for i in np.flatnonzero(holds)]

    # -- protection ----------------------------------------------------------------------------------------
    def _hide(self, cell: Cell) -> None:
        table, row, column = cell
        if column not in self.hidden[table]:
            self.hidden[table][column] = False
        self._mask(table, column)[row] = True

    def cost(self, cell: Cell) -> float:
        """What hiding ``cell`` costs the readers: its value, far more for a headline figure or a total.

        Planners read the households, poor and extreme-poor counts first and
        the totals of kecamatan and region; details (deciles, groups) go first.
        """
        table, _, column = cell
        weight = 1.0
        if column in HEADLINE_COUNTS or cell in self._identical_to_headline():
            weight *= 1_000
        elif (table, column) in self.feeds_rates:  # hiding it hides a rate or score too
            weight *= 100
        if table in TOTAL_TABLES:
            weight *= 10
        return weight * max(self.value(cell), 0.5)  # a zero hides cheaply, and the reader cannot tell it from 1..k-1

    def _identical_to_headline(self) -> set[Cell]:
        """Cells that an equation of two terms makes equal to a headline count (``kk_desil_1`` = extreme poor)."""
        if not hasattr(self, "_identical"):
            self._identical = set()
            for terms in self.equations:
                if len(terms) == 2 and terms[0][1] == -terms[1][1]:
                    (a, _), (b, _) = terms
                    if a[2] in HEADLINE_COUNTS or b[2] in HEADLINE_COUNTS:
                        self._identical |= {a, b}
        return self._identical

    def _partner(self, terms: Iterable[tuple[Cell, int]]) -> Cell | None:
        """The published cell of an equation to hide with the others: the cheapest one (:meth:`cost`)."""
        candidates = [cell for cell, _ in terms if not self.is_hidden(cell) and self.value(cell) >= 0]
        return min(candidates, key=self.cost) if candidates else None

    def _nearest_partner(self, cell: Cell, where: dict[Cell, list]) -> Cell | None:
        """A published cell to hide for a hidden ``cell`` that is still pinned down.

        Searched breadth-first through the equations linking hidden cells:
        first the equations of ``cell`` itself, then those of the hidden
        cells they share, and so on (``kk_miskin`` = deciles 1-4 and
        ``jumlah_kk`` = deciles 1-10 pin ``kk_miskin`` down through the
        published deciles 5-10 even when every term of its own equations is
        hidden).
        """
        seen_cells, seen_eqs = {cell}, set()
        frontier = [cell]
        while frontier:
            candidates = []
            following = []
            for current in frontier:
                for terms in where.get(current, []):
                    if id(terms) in seen_eqs:
                        continue
                    seen_eqs.add(id(terms))
                    partner = self._partner(terms)
                    if partner is not None:
                        candidates.append(partner)
                    for other, _ in terms:
                        if other not in seen_cells and self.is_hidden(other):
                            seen_cells.add(other)
                            following.append(other)
            if candidates:
                return min(candidates, key=self.cost)
            frontier = following
        return None

    def _single_pass(self) -> int:
        """Hide a partner in every equation that has exactly one hidden term; return how many were hidden."""
        added = 0
        changed = True
        while changed:
            changed = False
            for terms in self.equations:
                hidden = [cell for cell, _ in terms if self.is_hidden(cell)]
                if len(hidden) == 1:
                    partner = self._partner(terms)
                    if partner is not None:
                        self._hide(partner)
                        added += 1
                        changed = True
        return added

    def bounds(self, *, k: float = np.inf) -> dict[Cell, tuple[float, float]]:
        """For every hidden cell in a relation: a range of values consistent with what is published.

        The range is exact (the least and greatest consistent values) for
        every cell whose range is narrower than ``k``; for the others it is
        a range of at least ``k`` actually reached by consistent solutions
        (enough to show the cell is protected). The default ``k`` = inf asks
        for the exact range of every cell.
        """

        involved: dict[Cell, None] = {}
        for terms in self.equations:
            for cell, _ in terms:
                if self.is_hidden(cell):
                    involved[cell] = None
        cells = list(involved)
        index = {cell: i for i, cell in enumerate(cells)}
        parent = list(range(len(cells)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        rows: list[tuple[dict[int, int], float]] = []
        for terms in self.equations:
            known, coefs = 0.0, {}
            for cell, coef in terms:
                if cell in index:
                    coefs[index[cell]] = coefs.get(index[cell], 0) + coef
                else:
                    known += coef * self.value(cell)
            if coefs:
                rows.append((coefs, -known))
        upper = np.full(len(cells), np.inf)
        pairs = []
        for part, total in self.inequalities:
            if part in index and total in index:
                pairs.append((index[part], index[total]))
            elif part in index and not self.is_hidden(total):
                upper[index[part]] = min(upper[index[part]], self.value(total))
        true_values = [self.value(cell) for cell in cells]
        # A hidden cell that appears in one equation only, in no part <= total pair and without an upper
        # bound is "free" (most small H3 cells: only their sum, the located households, is published).
        # The free cells of an equation enter the programme as one sum s >= 0: each ranges over [0, max s]
        # when there are several, [min s, max s] when alone. This keeps the programme small at any scale.
        seen = np.zeros(len(cells), dtype=int)
        for coefs, _ in rows:
            for i in coefs:
                seen[i] += 1
        paired = {i for pair in pairs for i in pair}
        groups: dict[int, list[int]] = {}
        for r, (coefs, _) in enumerate(rows):
            for sign in (1, -1):
                free = [
                    i for i, c in coefs.items() if c == sign and seen[i] == 1 and i not in paired and np.isinf(upper[i])
                ]
                if len(free) > 1:
                    total = len(cells)
                    cells.append(("_summe", r, str(sign)))
                    true_values.append(sum(true_values[i] for i in free))
                    upper = np.append(upper, np.inf)
                    for i in free:
                        del coefs[i]
                    coefs[total] = sign
                    groups[total] = free
        parent.extend(range(len(parent), len(cells)))
        for coefs, _ in rows:
            first, *rest = coefs
            for other in rest:
                parent[find(other)] = find(first)
        for p, t in pairs:
            parent[find(p)] = find(t)
        members_of_sum = {i for free in groups.values() for i in free}
        components: dict[int, list[int]] = {}
        for i in range(len(cells)):
            if i not in members_of_sum:
                components.setdefault(find(i), []).append(i)
        out: dict[Cell, tuple[float, float]] = {}
        rows_of: dict[int, list[int]] = {}
        for r, (coefs, _) in enumerate(rows):
            rows_of.setdefault(find(next(iter(coefs))), []).append(r)
        pairs_of: dict[int, list[tuple[int, int]]] = {}
        for p, t in pairs:
            pairs_of.setdefault(find(p), []).append((p, t))
        for root, members in components.items():
            # Hiding a cell only frees it: the consistent values of every other cell can only grow. A cell
            # shown to range over k or more stays so, and is not solved again in later rounds.
            real = [g for g in members if g not in groups]
            if all(cells[g] in self._wide for g in real) and all(
                cells[i] in self._wide for g in members if g in groups for i in groups[g]
            ):
                for g in real:
                    out[cells[g]] = self._wide[cells[g]]
                for g in members:
                    for i in groups.get(g, []):
                        out[cells[i]] = self._wide[cells[i]]
                continue
            if len(members) > AUDIT_LIMIT:  # province scale: see AUDIT_LIMIT
                if not self.audit_skipped:
                    logger.warning(
                        "disclosure control: %d hidden counts are linked in one system, more than the LP audit takes "
                        "(%d); they are protected by the one-equation rule only (every sum with a hidden count has "
                        "at least two), not proven by the audit",
                        len(members),
                        AUDIT_LIMIT,
                    )
                self.audit_skipped += len(members)
                for g in members:
                    for i in groups.get(g, [g]):
                        out[cells[i]] = (-np.inf, np.inf)
                continue
            local = {g: j for j, g in enumerate(members)}
            eq = [rows[r] for r in rows_of.get(root, [])]
            triples = [(r, local[g], coef) for r, (coefs, _) in enumerate(eq) for g, coef in coefs.items()]
            a_eq = sparse.coo_matrix(
                ([t[2] for t in triples], ([t[0] for t in triples], [t[1] for t in triples])),
                shape=(len(eq), len(members)),
            )
            b_eq = np.array([rhs for _, rhs in eq], dtype=float)
            ub = pairs_of.get(root, [])
            a_ub = sparse.coo_matrix(
                (
                    [1.0] * len(ub) + [-1.0] * len(ub),
                    (list(range(len(ub))) * 2, [local[p] for p, _ in ub] + [local[t] for _, t in ub]),
                ),
                shape=(len(ub), len(members)),
            )
            bounds = [(0, None if np.isinf(upper[g]) else upper[g]) for g in members]
            true = np.array([true_values[g] for g in members])
            done = np.array([g not in groups and cells[g] in self._wide for g in members])
            ranges = _component_ranges(a_eq, b_eq, a_ub, bounds, true, k=k, done=done)
            for j, g in enumerate(members):
                if g in groups:  # a sum of free cells: each ranges over [0, max] (or the sum's range alone)
                    free = groups[g]
                    low, high = ranges[j]
                    for i in free:
                        out[cells[i]] = (low if len(free) == 1 else 0.0, high)
                        if high - out[cells[i]][0] >= k:
                            self._wide[cells[i]] = out[cells[i]]
                    continue
                if done[j]:
                    ranges[j] = self._wide[cells[g]]
                elif ranges[j][1] - ranges[j][0] >= k:
                    self._wide[cells[g]] = ranges[j]
                out[cells[g]] = ranges[j]
        return out

    def protect(self, *, k: int, max_rounds: int = 200) -> int:
        """Hide cells until no hidden count is pinned down to less than ``k``; return how many were added.

        Raises
        ------
        RuntimeError
            If the audit still fails after ``max_rounds`` (not expected: each round hides a cell).
        """
        where: dict[Cell, list[list[tuple[Cell, int]]]] = {}
        for terms in self.equations:
            for cell, _ in terms:
                where.setdefault(cell, []).append(terms)
        added = self._single_pass()
        for _ in range(max_rounds):
            narrow = [cell for cell, (low, high) in self.bounds(k=k).items() if high - low < k]
            if not narrow:
                return added
            progress = 0
            for cell in narrow:
                partner = self._nearest_partner(cell, where)
                if partner is not None:
                    self._hide(partner)
                    progress += 1
            added += progress + self._single_pass()
            if not progress:
                self.unprotected = narrow
                logger.warning(
                    "%d hidden counts could not be protected further (no published cell left): %s",
                    len(narrow),
                    ", ".join(f"{t}[{r}].{c}" for t, r, c in narrow[:5]),
                )
                return added
        raise RuntimeError("secondary suppression did not converge")


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
        matrix = sparse.vstack(
            [sparse.csr_matrix(a_eq, shape=(a_eq.shape[0], n)), sparse.csr_matrix(a_ub, shape=(a_ub.shape[0], n))]
        ).tocsc()
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, matrix.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([lo for lo, _ in bounds], dtype=float)
        lp.col_upper_ = np.array([inf if hi is None else hi for _, hi in bounds], dtype=float)
        lp.row_lower_ = np.concatenate([b_eq, np.full(a_ub.shape[0], -inf)]).astype(float)
        lp.row_upper_ = np.concatenate([b_eq, np.zeros(a_ub.shape[0])]).astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        self._a_eq, self._b_eq, self._a_ub, self._bounds = (
            sparse.csr_matrix(a_eq),
            b_eq,
            sparse.csr_matrix(a_ub),
            bounds,
        )
        self._highs = _quiet_highs()
        self._highs.passModel(lp)
        self._status = highspy.HighsModelStatus
        self._cost = np.zeros(n)
        self.n = n

    def solve(self, objective: np.ndarray) -> tuple[str, float, np.ndarray | None]:
        """Minimise ``objective @ x``: ("optimal" | "unbounded" | other, value, solution)."""
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
#: Variables of one programme solved exactly per audit round; past it, a variable not yet shown to range
#: over k counts as pinned down and gets a partner (more hidden, never less protected).
EXACT_LIMIT: int = 400
#: Rounds of many-variable objectives that spread a large programme before the exact solves.
SPREAD_ROUNDS: int = 8


def _component_ranges(
    a_eq, b_eq: np.ndarray, a_ub, bounds: list, true: np.ndarray, *, k: float, done: np.ndarray | None = None
) -> list[tuple[float, float]]:
    """Range of each variable of ``a_eq x = b_eq, a_ub x <= 0, bounds``: exact where narrower than ``k``.

    Every solution found widens the spread seen for all variables (the
    true values are one solution); a variable whose spread already reaches
    ``k`` needs no LP of its own, the spread being a lower bound of its
    range. The others get their least and greatest value. Variables marked
    ``done`` are not solved for (their entry is a placeholder).
    """
    n = len(true)
    solver = _RangeSolver(a_eq, b_eq, a_ub, bounds)
    low, high = true.astype(float).copy(), true.astype(float).copy()
    skip = np.zeros(n, dtype=bool) if done is None else done.astype(bool)
    rng = np.random.default_rng(n)
    for _ in range(SPREAD_ROUNDS if n > EXACT_LIMIT else 0):  # large programmes: push many variables at once
        pending = np.flatnonzero(~skip & (high - low < k))
        if not len(pending):
            break
        weights = np.zeros(n)
        weights[pending] = rng.uniform(0.5, 1.5, len(pending))
        for sign in (-1.0, 1.0):
            status, _, x = solver.solve(sign * weights)
            if status == "optimal":
                np.minimum(low, x, out=low)
                np.maximum(high, x, out=high)
    exact = 0
    out: list[tuple[float, float]] = []
    for j in range(n):
        if skip[j] or high[j] - low[j] >= k:
            out.append((float(low[j]), float(high[j])))
            continue
        if exact >= EXACT_LIMIT:  # over budget this round: reported as narrow, so it gets a partner (safe side)
            out.append((float(low[j]), float(high[j])))
            continue
        exact += 1
        found = []
        for sign in (1.0, -1.0):
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
    "jumlah_kk", "jumlah_jiwa", "kk_miskin", "kk_miskin_ekstrem", "kk_miskin_tanpa_program", "kk_miskin_3_program",
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
