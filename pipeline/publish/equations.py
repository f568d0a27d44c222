"""The relations of :mod:`pipeline.publish.relations` as arrays, for province-scale disclosure control.

A province publishes tens of thousands of rows (kelurahan, H3 cells,
coverage, overlap), tied by hundreds of thousands of equations. Walking the
equations cell by cell in Python each round (is this cell hidden? what is its
value?) took most of a 1-million-household run. :class:`EquationIndex` numbers
every cell once, keeps the equations as flat arrays of terms (cell number,
coefficient, equation number) and reads the hidden masks and values of all
cells at once, so that a round touches only the equations that hold a hidden
cell. The results are the same as the cell-by-cell walk, in the same order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: A cell of a published table: (table, row position, column).
Cell = tuple[str, int, str]


@dataclass
class EquationIndex:
    """Every cell of the equations and inequalities, numbered; the equations as flat term arrays."""

    cells: list[Cell]
    ids: dict[Cell, int]
    #: Per term, in equation order then term order: its cell, its coefficient, its equation.
    term_cell: np.ndarray
    term_coef: np.ndarray
    term_eq: np.ndarray
    n_equations: int
    #: Inequalities ``part <= total`` as cell numbers.
    ineq_part: np.ndarray
    ineq_total: np.ndarray
    #: (table, column) -> (cell numbers, row positions): how to gather masks and values.
    groups: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    #: Terms sorted by cell (with ``starts``): the equations each cell is in, with multiplicity.
    by_cell: np.ndarray
    starts: np.ndarray

    @classmethod
    def build(cls, equations: Sequence[Sequence[tuple[Cell, int]]], inequalities: Sequence[tuple[Cell, Cell]]):
        """Number the cells of ``equations`` (in order of first appearance), then of ``inequalities``."""
        ids: dict[Cell, int] = {}
        term_cell: list[int] = []
        term_coef: list[int] = []
        lengths = np.fromiter((len(terms) for terms in equations), dtype=np.int64, count=len(equations))
        for terms in equations:
            for cell, coef in terms:
                term_cell.append(ids.setdefault(cell, len(ids)))
                term_coef.append(coef)
        part = np.array([ids.setdefault(p, len(ids)) for p, _ in inequalities], dtype=np.int64)
        total = np.array([ids.setdefault(t, len(ids)) for _, t in inequalities], dtype=np.int64)
        cells = list(ids)
        keys: dict[tuple[str, str], list[int]] = {}
        for i, (table, _, column) in enumerate(cells):
            keys.setdefault((table, column), []).append(i)
        groups = {
            key: (np.array(members, dtype=np.int64), np.array([cells[i][1] for i in members], dtype=np.int64))
            for key, members in keys.items()
        }
        term_cell_a = np.array(term_cell, dtype=np.int64)
        order = np.argsort(term_cell_a, kind="stable")
        return cls(
            cells=cells,
            ids=ids,
            term_cell=term_cell_a,
            term_coef=np.array(term_coef, dtype=float),
            term_eq=np.repeat(np.arange(len(equations), dtype=np.int64), lengths),
            n_equations=len(equations),
            ineq_part=part,
            ineq_total=total,
            groups=groups,
            by_cell=order,
            starts=np.searchsorted(term_cell_a[order], np.arange(len(cells) + 1)),
        )

    def gather(self, read: Callable[[str, str], np.ndarray], dtype) -> np.ndarray:
        """Per cell, ``read(table, column)[row]``: the hidden mask or the value of every cell at once."""
        out = np.zeros(len(self.cells), dtype=dtype)
        for (table, column), (members, rows) in self.groups.items():
            out[members] = read(table, column)[rows]
        return out

    def equations_of(self, cell: int) -> np.ndarray:
        """The equations ``cell`` is a term of, once per term."""
        return self.term_eq[self.by_cell[self.starts[cell] : self.starts[cell + 1]]]


def single_pass(
    index: EquationIndex,
    hidden: np.ndarray,
    partner: Callable[[int], Cell | None],
    hide: Callable[[Cell], None],
) -> int:
    """Hide a partner in every equation with exactly one hidden term, until none is left; return how many.

    The same as walking the equations in order again and again until a
    walk hides nothing: each walk takes the equations in order, each with
    the hidden cells as they are when it is reached. Here only the equations
    with one hidden term are visited; one whose count becomes one behind the
    current equation waits for the next walk, one ahead is visited in this one.

    Parameters
    ----------
    hidden
        Per cell number, hidden or not (updated in place).
    partner
        The cell to hide for an equation (by number), or None.
    hide
        Hides a cell.
    """
    counts = np.bincount(index.term_eq, weights=hidden[index.term_cell], minlength=index.n_equations).astype(np.int64)
    added = 0
    todo = np.flatnonzero(counts == 1).tolist()
    while todo:
        heap, later = todo, []
        heapq.heapify(heap)
        while heap:
            e = heapq.heappop(heap)
            if counts[e] != 1:
                continue
            cell = partner(e)
            if cell is None:
                continue
            hide(cell)
            added += 1
            number = index.ids[cell]
            hidden[number] = True
            for f in index.equations_of(number).tolist():
                counts[f] += 1
                if counts[f] == 1:
                    if f > e:
                        heapq.heappush(heap, f)
                    else:
                        later.append(f)
        todo = sorted(set(later))
    return added


@dataclass
class HiddenSystem:
    """The equations restricted to hidden cells, as :meth:`Relations.bounds` takes them."""

    cells: list[Cell]
    #: The cells' numbers in the :class:`EquationIndex`.
    numbers: np.ndarray
    #: Per equation with a hidden term: {local cell: coefficient} in order of first appearance, right-hand side.
    rows: list[tuple[dict[int, int], float]]
    #: ``part <= total`` between two hidden cells (local numbers).
    pairs: list[tuple[int, int]]
    #: Upper bounds from published totals.
    upper: np.ndarray
    true_values: list[float]


def hidden_system(index: EquationIndex, hidden: np.ndarray, values: np.ndarray) -> HiddenSystem:
    """The hidden cells in equations (in order of first appearance) and the equations on them.

    An equation's published terms move to its right-hand side; an
    inequality with a published total bounds its hidden part from above.
    """
    term_hidden = hidden[index.term_cell]
    positions = np.flatnonzero(term_hidden)
    numbers, first = np.unique(index.term_cell[positions], return_index=True)
    order = numbers[np.argsort(first, kind="stable")]
    local = np.full(len(index.cells), -1, dtype=np.int64)
    local[order] = np.arange(len(order))
    contributions = np.where(term_hidden, 0.0, index.term_coef * values[index.term_cell])
    known = np.bincount(index.term_eq, weights=contributions, minlength=index.n_equations)
    rows: list[tuple[dict[int, int], float]] = []
    current, coefs = -1, {}
    for eq, cell, coef in zip(
        index.term_eq[positions].tolist(),
        local[index.term_cell[positions]].tolist(),
        index.term_coef[positions].astype(np.int64).tolist(),
        strict=True,
    ):
        if eq != current:
            if coefs:
                rows.append((coefs, -float(known[current])))
            current, coefs = eq, {}
        coefs[cell] = coefs.get(cell, 0) + coef
    if coefs:
        rows.append((coefs, -float(known[current])))
    upper = np.full(len(order), np.inf)
    part, total = local[index.ineq_part], local[index.ineq_total]
    both = (part >= 0) & (total >= 0)
    pairs = list(zip(part[both].tolist(), total[both].tolist(), strict=True))
    capped = (part >= 0) & (total < 0) & ~hidden[index.ineq_total]
    np.minimum.at(upper, part[capped], values[index.ineq_total[capped]])
    return HiddenSystem(
        cells=[index.cells[i] for i in order.tolist()],
        numbers=order,
        rows=rows,
        pairs=pairs,
        upper=upper,
        true_values=values[order].tolist(),
    )
