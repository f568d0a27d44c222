"""Eligibility: a region's rules evaluated on whole household columns at once.

The rule language (what a rule may say, and how it is checked) is
:mod:`pipeline.rules`. Here a checked rule is applied: text is compared
ignoring case, spaces and punctuation ("Anyaman bambu" matches "Anyaman
Bambu"), and a household with no value in a field a comparison needs is not
eligible by that comparison.
"""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..rules import COMPARE_OPERATORS, literal_value, parse_rule, rule_fields
from ..text import header_key, text_key


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
            values, literal = column(left), literal_value(right)
        else:  # 2 < desil
            values, literal = column(right), literal_value(left)
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
            result = COMPARE_OPERATORS[type(op)](text_key(values), header_key(literal))
        elif isinstance(literal, bool) or literal is None:
            raise ConfigError(f"{where}: compare with numbers or text in rule '{text}'")
        else:
            number = pd.to_numeric(values.astype("object") if values.dtype == bool else values, errors="coerce")
            result = COMPARE_OPERATORS[type(op)](number.astype("Float64"), literal)
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
