"""The sums that tie published tables together, and the choice of what else to hide.

:class:`Relations` holds every additive relation among published counts
(kelurahan -> kecamatan -> region, deciles -> poor, coverage, overlap, ...)
and hides partner counts, cheapest first, until no hidden count can be
recovered: first by the one-equation rule, then by the LP audit of
:mod:`pipeline.publish.audit`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..errors import PrivacyError
from .audit import AUDIT_LIMIT, component_ranges, is_narrow
from .equations import Cell, EquationIndex, hidden_system, single_pass

logger = logging.getLogger(__name__)

#: Rounds in which only counts that are no small count stay narrow before they are left as they are.
STUCK_ROUNDS: int = 20


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
    #: Hidden counts of 0 or k and more that stayed narrow (:meth:`protect`): no small count, left so.
    pinned: list[Cell] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._values: dict[tuple[str, str], np.ndarray] = {}
        self._hidden: dict[tuple[str, str], np.ndarray] = {}
        #: Hidden cells already shown to range over at least k (see :meth:`bounds`).
        self._wide: dict[Cell, tuple[float, float]] = {}

    def _column_values(self, table: str, column: str) -> np.ndarray:
        key = (table, column)
        if key not in self._values:
            self._values[key] = pd.to_numeric(self.tables[table][column], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
        return self._values[key]

    def value(self, cell: Cell) -> float:
        table, row, column = cell
        return float(self._column_values(table, column)[row])

    def _index(self) -> EquationIndex:
        """The equations and inequalities as arrays (built once they are all added)."""
        size = (len(self.equations), len(self.inequalities))
        if getattr(self, "_built", None) != size:
            self._equation_index = EquationIndex.build(self.equations, self.inequalities)
            self._built = size
        return self._equation_index

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

    def _nearest_partner(self, cell: Cell) -> Cell | None:
        """A published cell to hide for a hidden ``cell`` that is still pinned down.

        Searched breadth-first through the equations linking hidden cells:
        first the equations of ``cell`` itself, then those of the hidden
        cells they share, and so on (``kk_miskin`` = deciles 1-4 and
        ``jumlah_kk`` = deciles 1-10 pin ``kk_miskin`` down through the
        published deciles 5-10 even when every term of its own equations is
        hidden).
        """
        index = self._index()
        seen_cells, seen_eqs = {cell}, set()
        frontier = [cell]
        while frontier:
            candidates = []
            following = []
            for current in frontier:
                for e in index.equations_of(index.ids[current]).tolist():  # every cell of an equation is numbered
                    if e in seen_eqs:
                        continue
                    seen_eqs.add(e)
                    terms = self.equations[e]
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
        index = self._index()
        return single_pass(
            index,
            index.gather(self._mask, bool),
            partner=lambda e: self._partner(self.equations[e]),
            hide=self._hide,
        )

    def _wide_numbers(self, index: EquationIndex) -> np.ndarray:
        """Per cell number of ``index``: shown to range over at least k (in ``_wide``)."""
        if getattr(self, "_wide_index", None) is not index:  # numbered anew when relations were added
            self._wide_flags = np.array([cell in self._wide for cell in index.cells], dtype=bool)
            self._wide_index = index
        return self._wide_flags

    def _mark_wide(self, cell: Cell, span: tuple[float, float]) -> None:
        index = self._index()
        self._wide[cell] = span
        self._wide_numbers(index)[index.ids[cell]] = True

    def bounds(self, *, k: float = np.inf) -> dict[Cell, tuple[float, float]]:
        """For every hidden cell in a relation: a range of values consistent with what is published.

        The range is exact (the least and greatest consistent values) for
        every cell whose range is narrower than ``k``; for the others it is
        a range of at least ``k`` actually reached by consistent solutions
        (enough to show the cell is protected). The default ``k`` = inf asks
        for the exact range of every cell.
        """

        index = self._index()
        system = hidden_system(index, index.gather(self._mask, bool), index.gather(self._column_values, float))
        cells, rows, pairs, upper = system.cells, system.rows, system.pairs, system.upper
        true_values = system.true_values
        if not rows:
            return {}
        # A hidden cell that appears in one equation only, in no part <= total pair and without an upper
        # bound is "free" (most small H3 cells: only their sum, the located households, is published).
        # The free cells of an equation enter the programme as one sum s >= 0: each ranges over [0, max s]
        # when there are several, [min s, max s] when alone. This keeps the programme small at any scale.
        row_of = np.repeat(np.arange(len(rows)), [len(coefs) for coefs, _ in rows])
        cell_of = np.fromiter(chain.from_iterable(coefs for coefs, _ in rows), dtype=np.int64, count=len(row_of))
        coef_of = np.fromiter(
            chain.from_iterable(coefs.values() for coefs, _ in rows), dtype=np.int64, count=len(row_of)
        )
        paired = np.zeros(len(cells), dtype=bool)
        paired[[i for pair in pairs for i in pair]] = True
        free_cell = (np.bincount(cell_of, minlength=len(cells)) == 1) & ~paired & np.isinf(upper)
        loose = free_cell[cell_of]
        groups: dict[int, list[int]] = {}
        # (row, sign) with more than one free cell, in the order of the rows, + before -
        counted = {sign: np.bincount(row_of[loose & (coef_of == sign)], minlength=len(rows)) for sign in (1, -1)}
        for r in np.flatnonzero((counted[1] > 1) | (counted[-1] > 1)).tolist():
            coefs = rows[r][0]
            for sign in (1, -1):
                if counted[sign][r] < 2:
                    continue
                free = [i for i, c in coefs.items() if c == sign and free_cell[i]]
                total = len(cells)
                cells.append(("_summe", r, str(sign)))
                true_values.append(sum(true_values[i] for i in free))
                for i in free:
                    del coefs[i]
                coefs[total] = sign
                groups[total] = free
        upper = np.concatenate([upper, np.full(len(cells) - len(upper), np.inf)])  # a sum has no upper bound
        members_of_sum = {i for free in groups.values() for i in free}
        # connected components: the cells of one row together, and each part with its total
        first = np.array([next(iter(coefs)) for coefs, _ in rows], dtype=np.int64)
        row_of = np.repeat(np.arange(len(rows)), [len(coefs) for coefs, _ in rows])
        cell_of = np.fromiter(chain.from_iterable(coefs for coefs, _ in rows), dtype=np.int64, count=len(row_of))
        ends = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        graph = sparse.coo_matrix(
            (
                np.ones(len(cell_of) + len(ends)),
                (np.concatenate([first[row_of], ends[:, 0]]), np.concatenate([cell_of, ends[:, 1]])),
            ),
            shape=(len(cells), len(cells)),
        )
        _, label = connected_components(graph, directed=False)
        # the components (cells in a sum of free cells left out), each in increasing cell order, in the
        # order of their first cell
        counted_cells = np.ones(len(cells), dtype=bool)
        counted_cells[list(members_of_sum)] = False
        kept = np.flatnonzero(counted_cells)
        kept = kept[np.argsort(label[kept], kind="stable")]
        components = np.split(kept, np.flatnonzero(np.diff(label[kept])) + 1) if len(kept) else []
        components.sort(key=lambda members: members[0])
        # Hiding a cell only frees it: the consistent values of every other cell can only grow. A cell
        # shown to range over k or more stays so, and is not solved again in later rounds. A sum of free
        # cells is wide when each of them is.
        wide = np.zeros(len(cells), dtype=bool)
        wide[: len(system.numbers)] = self._wide_numbers(index)[system.numbers]
        for g, free in groups.items():
            wide[g] = wide[free].all()
        out: dict[Cell, tuple[float, float]] = {}
        rows_of: dict[int, list[int]] = {}
        for r, root in enumerate(label[first].tolist()):
            rows_of.setdefault(root, []).append(r)
        pairs_of: dict[int, list[tuple[int, int]]] = {}
        for (p, t), root in zip(pairs, label[ends[:, 0]].tolist(), strict=True):
            pairs_of.setdefault(root, []).append((p, t))
        for component in components:
            root, members = int(label[component[0]]), component.tolist()
            if wide[component].all():
                for g in members:
                    for i in groups.get(g, (g,)):
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
            done = np.array([g not in groups and wide[g] for g in members], dtype=bool)
            ranges = component_ranges(a_eq, b_eq, a_ub, bounds, true, k=k, done=done)
            for j, g in enumerate(members):
                if g in groups:  # a sum of free cells: each ranges over [0, max] (or the sum's range alone)
                    free = groups[g]
                    low, high = ranges[j]
                    for i in free:
                        out[cells[i]] = (low if len(free) == 1 else 0.0, high)
                        if not is_narrow(out[cells[i]][0], high, k):
                            self._mark_wide(cells[i], out[cells[i]])
                    continue
                if done[j]:
                    ranges[j] = self._wide[cells[g]]
                elif not is_narrow(*ranges[j], k):
                    self._mark_wide(cells[g], ranges[j])
                out[cells[g]] = ranges[j]
        return out

    def protect(self, *, k: int, max_rounds: int = 200) -> int:
        """Hide cells until no hidden count is pinned down to less than ``k``; return how many were added.

        Raises
        ------
        PrivacyError
            If some hidden count can still be narrowed down after ``max_rounds``
            (seen on registers with very few households per kelurahan/desa):
            nothing public is written rather than something unprotected.
        """
        added = self._single_pass()
        narrow: list[Cell] = []
        stuck = 0
        for _ in range(max_rounds):
            narrow = [cell for cell, (low, high) in self.bounds(k=k).items() if is_narrow(low, high, k)]
            if not narrow:
                return added
            # Hidden only as partners, counts of k households or more (or none) reveal no small count when
            # worked back; the small ones are audited for themselves. Hiding more for them is tried for a
            # while (as before), then left: a large total pinned by published parts cannot always be freed.
            stuck = 0 if any(0 < self.value(cell) < k for cell in narrow) else stuck + 1
            if stuck >= STUCK_ROUNDS:
                self.pinned = narrow
                logger.info(
                    "disclosure control: %d hidden counts that are no small count (0 or %d and more) can be "
                    "worked back, e.g. %s; every small count is protected",
                    len(narrow),
                    k,
                    ", ".join(f"{t}[{r}].{c}" for t, r, c in narrow[:3]),
                )
                return added
            progress = 0
            for cell in narrow:
                partner = self._nearest_partner(cell)
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
        raise PrivacyError(
            f"disclosure control could not protect every small count in {max_rounds} rounds: {len(narrow)} hidden "
            f"counts can still be worked back to a range narrower than {k}, so no public map or GeoPackage is "
            "written. This happens when most kelurahan/desa have very few households in the register; check that "
            "the register is complete, and report it with the region's TOML if it is"
        )
