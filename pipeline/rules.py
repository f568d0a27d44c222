"""The rule language of the region TOML: parse and check a rule, never evaluate it here.

A rule is a small expression over household fields, for example::

    desil <= 2
    jenis_lantai in ["Tanah", "Bambu"] or jenis_dinding in ["Bambu", "Anyaman Bambu"]
    jumlah_usia_sekolah > 0 and desil <= 4
    not miskin_ekstrem

Allowed: field names, numbers, text in quotes, lists, the comparisons
``== != < <= > >= in not in``, and ``and``, ``or``, ``not``, with
parentheses. Nothing else is accepted: a rule is parsed with :mod:`ast` and
checked node by node, never passed to ``eval``. The config checks every rule
when it is read; :func:`pipeline.analyse.eligibility.evaluate_rule` applies one.
"""

from __future__ import annotations

import ast
import operator
import re

from .errors import ConfigError

COMPARE_OPERATORS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


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
        ast.Load, ast.Constant, ast.List, ast.Tuple, ast.In, ast.NotIn, *COMPARE_OPERATORS,
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


def literal_value(node: ast.AST):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        return -node.operand.value
    if isinstance(node, ast.List | ast.Tuple):
        return [literal_value(e) for e in node.elts]
    return None
