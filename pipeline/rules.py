"""Eligibility rules written in the region TOML, evaluated on whole columns.

A rule is a small expression over household fields, for example::

    desil <= 2
    jenis_lantai in ["Tanah", "Bambu"] or jenis_dinding in ["Bambu", "Anyaman Bambu"]
    jumlah_usia_sekolah > 0 and desil <= 4
    not miskin_ekstrem

Allowed: field names, numbers, text in quotes, lists, the comparisons
``== != < <= > >= in not in``, and ``and``, ``or``, ``not``, with
parentheses. Text is compared ignoring case, spaces and punctuation
("Anyaman bambu" matches "Anyaman Bambu"). Nothing else is accepted: a rule
is parsed with :mod:`ast` and checked node by node, never passed to
``eval``. A household with no value in a field a comparison needs is not
eligible by that comparison.
"""

from __future__ import annotations

import ast
import operator
import re

import numpy as np
import pandas as pd

from .errors import ConfigError
from .load import header_key

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def text_key(values: pd.Series) -> pd.Series:
    """Text as compared in rules and deprivation cutoffs: case, spaces and punctuation ignored
    (the form :func:`pipeline.load.header_key` gives one text); empty becomes <NA>."""
    key = values.astype("string").str.lower().str.replace(r"[^0-9a-z]+", "", regex=True)
    return key.mask(key == "")


#: Longest eligibility rule accepted, in characters, and deepest nesting (brackets or ``not``).
MAX_RULE_CHARS: int = 2_000
MAX_RULE_DEPTH: int = 50


def parse_rule(text: str, *, where: str = "rule") -> ast.Expression:
    """Parse and check a rule; raise :class:`ConfigError` naming what is not allowed.

    A rule longer than :data:`MAX_RULE_CHARS` or nested deeper than
    :data:`MAX_RULE_DEPTH` is refused before it is parsed: Python's parser
    would exhaust memory or the stack on 100,000 nested ``not``.
    """
    if len(text) > MAX_RULE_CHARS:
        raise ConfigError(
            f"{where}: the rule is {len(text):,} characters long (at most {MAX_RULE_CHARS:,}); write a shorter rule"
        )
    nesting, deepest = 0, 0
    for ch in text:
        nesting += (ch in "([") - (ch in ")]")
        deepest = max(deepest, nesting)
    words = len(re.findall(r"\bnot\b", text))
    if deepest > MAX_RULE_DEPTH or words > MAX_RULE_DEPTH:
        raise ConfigError(
            f"{where}: the rule is nested too deeply (more than {MAX_RULE_DEPTH} brackets or 'not'); simplify it"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        if not isinstance(exc, SyntaxError):
            raise ConfigError(f"{where}: the rule is too complex to read; simplify it") from None
        raise ConfigError(
            f"{where}: cannot read rule '{text}' ({exc.msg}); e.g. 'desil <= 2 and disabilitas == 1'"
        ) from None
    allowed = (
        ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare, ast.Name,
        ast.Load, ast.Constant, ast.List, ast.Tuple, ast.In, ast.NotIn, *_COMPARE,
    )  # fmt: skip
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ConfigError(
                f"{where}: '{type(node).__name__}' is not allowed in rule '{text}'; use fields, numbers, "
                "text, lists, comparisons and and/or/not"
            )
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and not isinstance(node.operand, ast.Constant)
        ):
            raise ConfigError(f"{where}: '-' only before a number in rule '{text}'")
    return tree


def rule_fields(text: str) -> set[str]:
    """The household fields a rule reads."""
    return {node.id for node in ast.walk(parse_rule(text)) if isinstance(node, ast.Name)}


def _literal(node: ast.AST):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        return -node.operand.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    return None


def evaluate_rule(frame: pd.DataFrame, text: str, *, where: str = "rule") -> pd.Series:
    """Evaluate a rule on every row of ``frame`` at once.

    Returns
    -------
    Series of bool
        True where the household meets the rule; False where it does not or
        a value it needs is missing.

    Raises
    ------
    ConfigError
        If the rule is not allowed or names a field the frame does not have.
    """
    tree = parse_rule(text, where=where)
    missing = sorted(rule_fields(text) - set(frame.columns))
    if missing:
        raise ConfigError(f"{where}: rule '{text}' reads {missing}, which the register does not have")

    def column(node: ast.AST) -> pd.Series:
        return frame[node.id]

    def compare(left: ast.AST, op: ast.cmpop, right: ast.AST) -> np.ndarray:
        if isinstance(left, ast.Name):
            values, literal = column(left), _literal(right)
        else:  # 2 < desil
            values, literal = column(right), _literal(left)
            op = {ast.Lt: ast.Gt(), ast.LtE: ast.GtE(), ast.Gt: ast.Lt(), ast.GtE: ast.LtE()}.get(type(op), op)
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(literal, list):
                raise ConfigError(f"{where}: 'in' needs a list in rule '{text}', e.g. jenis_lantai in [\"Tanah\"]")
            if all(isinstance(v, str) for v in literal):
                found = text_key(values).isin({header_key(v) for v in literal})
            else:
                found = pd.to_numeric(values, errors="coerce").isin(literal)
            known = values.notna().to_numpy()
            hit = found.fillna(False).to_numpy(dtype=bool)
            return known & (hit if isinstance(op, ast.In) else ~hit)
        if isinstance(literal, str):
            result = _COMPARE[type(op)](text_key(values), header_key(literal))
        elif isinstance(literal, bool) or literal is None:
            raise ConfigError(f"{where}: compare with numbers or text in rule '{text}'")
        else:
            number = pd.to_numeric(values.astype("object") if values.dtype == bool else values, errors="coerce")
            result = _COMPARE[type(op)](number.astype("Float64"), literal)
        return pd.Series(result).fillna(False).to_numpy(dtype=bool)

    def walk(node: ast.AST) -> np.ndarray:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BoolOp):
            parts = [walk(v) for v in node.values]
            return np.logical_and.reduce(parts) if isinstance(node.op, ast.And) else np.logical_or.reduce(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~walk(node.operand)
        if isinstance(node, ast.Name):  # a flag alone: true when 1 / True
            flag = pd.to_numeric(column(node).astype("object"), errors="coerce").astype("Float64")
            return (flag > 0).fillna(False).to_numpy(dtype=bool)
        if isinstance(node, ast.Compare):
            out = np.ones(len(frame), dtype=bool)
            left = node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                out &= compare(left, op, right)
                left = right
            return out
        raise ConfigError(f"{where}: cannot evaluate '{ast.unparse(node)}' in rule '{text}'")

    return pd.Series(walk(tree), index=frame.index, dtype=bool)
