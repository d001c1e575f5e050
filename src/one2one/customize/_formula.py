"""Propositional rules over options: a small syntax tree, a parser, and evaluation.

The syntax is that of UVL constraints: option names (quoted with ``"..."``
when they contain spaces or symbols), ``!`` (not), ``&`` (and), ``|`` (or),
``=>`` (implies), ``<=>`` (equivalent) and parentheses, binding in that
order, tightest first.

Rules come from files that may be hostile, so reading one is linear in its
length and nothing recurses on the input: the parser keeps its own stack,
and a formula may nest at most ``MAX_NESTING`` (100) levels (parentheses,
negations, chained implications or equivalences). Every node knows its
depth and refuses to be built deeper, so the engine's recursive walks over a
formula are bounded whether it was parsed or built in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import ClassVar

import attrs

from ..errors import DataContractError

__all__ = [
    "MAX_NESTING",
    "And",
    "Expr",
    "Iff",
    "Implies",
    "Not",
    "Or",
    "Var",
    "clip",
    "parse_formula",
]

MAX_NESTING = 100
"""The deepest a rule may nest (real feature-model constraints nest a few levels)."""


def clip(text: str, limit: int = 60) -> str:
    """Return ``text`` cut to ``limit`` characters for a message (hostile input can be huge)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _too_deep(depth: int) -> None:
    if depth > MAX_NESTING:
        msg = (
            f"the rule nests {depth} levels deep, more than the {MAX_NESTING} allowed; "
            "write it flatter (e.g. a & b & c rather than nested pairs)."
        )
        raise DataContractError(msg, column="rule", value=depth)


def _depth(expr: object) -> int:
    if isinstance(expr, Var | Not | And | Or | Implies | Iff):
        return expr.depth
    msg = f"a rule is built of Var, Not, And, Or, Implies and Iff (got {expr!r})."
    raise DataContractError(msg, column="rule", value=expr)


def _check_name(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        msg = f"an option name in a rule must be non-empty text (got {value!r})."
        raise DataContractError(msg, column="rule", value=value)


def _check_terms(
    _instance: object, _attribute: attrs.Attribute[tuple[Expr, ...]], value: object
) -> None:
    if not isinstance(value, tuple) or len(value) < 2:  # noqa: PLR2004
        msg = f"And and Or take a tuple of two or more terms (got {value!r})."
        raise DataContractError(msg, column="rule", value=value)


@attrs.frozen
class Var:
    """An option: true when it is selected."""

    name: str = attrs.field(validator=_check_name)
    depth: ClassVar[int] = 1

    def __str__(self) -> str:
        """Write the name, quoted when it needs to be."""
        return self.name if re.fullmatch(r"[A-Za-z_][\w.]*", self.name) else f'"{self.name}"'


@attrs.frozen
class Not:
    """Negation."""

    arg: Expr
    depth: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Know the depth; refuse to nest too deep."""
        object.__setattr__(self, "depth", 1 + _depth(self.arg))
        _too_deep(self.depth)

    def __str__(self) -> str:
        """Write ``!x``."""
        return f"!{_wrap(self.arg)}"


@attrs.frozen
class And:
    """Conjunction of two or more terms."""

    args: tuple[Expr, ...] = attrs.field(validator=_check_terms)
    depth: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Know the depth; refuse to nest too deep."""
        object.__setattr__(self, "depth", 1 + max(_depth(a) for a in self.args))
        _too_deep(self.depth)

    def __str__(self) -> str:
        """Write ``a & b``."""
        return " & ".join(_wrap(a) for a in self.args)


@attrs.frozen
class Or:
    """Disjunction of two or more terms."""

    args: tuple[Expr, ...] = attrs.field(validator=_check_terms)
    depth: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Know the depth; refuse to nest too deep."""
        object.__setattr__(self, "depth", 1 + max(_depth(a) for a in self.args))
        _too_deep(self.depth)

    def __str__(self) -> str:
        """Write ``a | b``."""
        return " | ".join(_wrap(a) for a in self.args)


@attrs.frozen
class Implies:
    """``left => right``."""

    left: Expr
    right: Expr
    depth: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Know the depth; refuse to nest too deep."""
        object.__setattr__(self, "depth", 1 + max(_depth(self.left), _depth(self.right)))
        _too_deep(self.depth)

    def __str__(self) -> str:
        """Write ``a => b``."""
        return f"{_wrap(self.left)} => {_wrap(self.right)}"


@attrs.frozen
class Iff:
    """``left <=> right``."""

    left: Expr
    right: Expr
    depth: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Know the depth; refuse to nest too deep."""
        object.__setattr__(self, "depth", 1 + max(_depth(self.left), _depth(self.right)))
        _too_deep(self.depth)

    def __str__(self) -> str:
        """Write ``a <=> b``."""
        return f"{_wrap(self.left)} <=> {_wrap(self.right)}"


Expr = Var | Not | And | Or | Implies | Iff


def check_expr(value: object) -> Expr:
    """Return ``value`` if it is a formula tree, else raise (its nodes checked their depth)."""
    _depth(value)
    return value  # type: ignore[return-value]


def _wrap(expr: Expr) -> str:
    return str(expr) if isinstance(expr, Var | Not) else f"({expr})"


def variables(expr: Expr) -> Iterator[str]:
    """Yield every option name the formula mentions."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Var):
            yield node.name
        elif isinstance(node, Not):
            stack.append(node.arg)
        elif isinstance(node, And | Or):
            stack.extend(reversed(node.args))
        else:
            stack.extend((node.right, node.left))


def evaluate(expr: Expr, values: Mapping[str, bool]) -> bool:
    """Evaluate the formula under a full assignment of its options (depth is bounded)."""
    if isinstance(expr, Var):
        return bool(values[expr.name])
    if isinstance(expr, Not):
        return not evaluate(expr.arg, values)
    if isinstance(expr, And):
        return all(evaluate(a, values) for a in expr.args)
    if isinstance(expr, Or):
        return any(evaluate(a, values) for a in expr.args)
    if isinstance(expr, Implies):
        return (not evaluate(expr.left, values)) or evaluate(expr.right, values)
    return evaluate(expr.left, values) == evaluate(expr.right, values)


_TOKEN = re.compile(r'\s*+(?:(<=>|=>|[!&|()])|"([^"]*+)"|([A-Za-z_][\w.\-]*+)|(\S))')


class _Level:
    """One parenthesis level of the parser: its pending terms, by binding strength."""

    def __init__(self, nots: int = 0) -> None:
        self.nots = nots  # negations waiting, outside this parenthesis, for its value
        self.pending = 0  # negations waiting inside, for the next operand
        self.ands: list[Expr] = []
        self.ors: list[Expr] = []
        self.implies: list[Expr] = []
        self.iff: Expr | None = None

    def operand(self, expr: Expr) -> None:
        for _ in range(self.pending):
            expr = Not(expr)
        self.pending = 0
        self.ands.append(expr)

    def close_and(self) -> None:
        self.ors.append(self.ands[0] if len(self.ands) == 1 else And(tuple(self.ands)))
        self.ands = []

    def close_or(self) -> None:
        self.close_and()
        self.implies.append(self.ors[0] if len(self.ors) == 1 else Or(tuple(self.ors)))
        self.ors = []

    def close_implies(self) -> None:
        self.close_or()
        expr = self.implies[-1]
        for left in reversed(self.implies[:-1]):  # right-associative
            expr = Implies(left, expr)
        self.implies = []
        self.iff = expr if self.iff is None else Iff(self.iff, expr)  # left-associative

    def value(self) -> Expr:
        self.close_implies()
        assert self.iff is not None  # noqa: S101 (an operand was read before closing)
        return self.iff


class _Parser:
    """Read a rule with an explicit stack of parenthesis levels (no recursion on the input)."""

    def __init__(self, text: str, names: dict[str, Var]) -> None:
        self.text = text
        self.levels = [_Level()]
        self.names = names  # one Var per name, shared across the rules of a file

    def fail(self, what: str) -> DataContractError:
        msg = f"{what} in the rule {clip(self.text)!r}."
        return DataContractError(msg, column="rule", value=self.text)

    def parse(self) -> Expr:
        text = self.text
        expect_operand = True
        for match in _TOKEN.finditer(text.rstrip()):
            operator, quoted, name, other = match.groups()
            if other is not None:
                at = match.start(4)
                msg = f"cannot read the rule {clip(text)!r} at {text[at : at + 20]!r}."
                raise DataContractError(msg, column="rule", value=text)
            label = quoted if quoted is not None else name
            if expect_operand:
                expect_operand = self.operand(operator, label)
            else:
                expect_operand = self.operator(operator, label)
        if expect_operand:
            msg = f"the rule {clip(text)!r} ends too early."
            raise DataContractError(msg, column="rule", value=text)
        if len(self.levels) > 1:
            problem = "a parenthesis is not closed"
            raise self.fail(problem)
        return self.levels[0].value()

    def operand(self, operator: str | None, label: str) -> bool:
        """Take a token where an operand is due; return whether one is still due."""
        level = self.levels[-1]
        if operator == "!":
            level.pending += 1
            return True
        if operator == "(":
            if len(self.levels) > MAX_NESTING:
                _too_deep(len(self.levels) + 1)
            self.levels.append(_Level(nots=level.pending))
            level.pending = 0
            return True
        if operator is not None:
            problem = f"unexpected {operator!r}"
            raise self.fail(problem)
        var = self.names.get(label)
        if var is None:
            var = self.names[label] = Var(label)
        level.operand(var)
        return False

    def operator(self, operator: str | None, label: str) -> bool:
        """Take a token after an operand; return whether an operand is due next."""
        level = self.levels[-1]
        if operator == ")" and len(self.levels) > 1:
            inner = self.levels.pop()
            outer = self.levels[-1]
            outer.pending = inner.nots
            outer.operand(inner.value())
            return False
        if operator == "&":
            return True
        if operator == "|":
            level.close_and()
        elif operator == "=>":
            level.close_or()
        elif operator == "<=>":
            level.close_implies()
        else:
            problem = f"unexpected {operator or label!r}"
            raise self.fail(problem)
        return True


def parse_formula(text: str) -> Expr:
    """Read a rule such as ``'A & !B => (C | "D E")'``.

    Parsing takes time linear in the text; a rule nesting deeper than
    100 levels is refused.

    Parameters
    ----------
    text
        The rule: option names (double-quoted when they hold spaces or
        operators), ``!`` (not), ``&`` (and), ``|`` (or), ``=>`` (implies),
        ``<=>`` (if and only if) and parentheses.

    Returns
    -------
    Expr
        The formula tree; ``str()`` writes it back as text.

    Raises
    ------
    DataContractError
        Text that is not a rule (the place is quoted), or one nested too deep.

    Examples
    --------
    >>> str(parse_formula('Front | Back => Dynamo'))
    '(Front | Back) => Dynamo'
    """
    return read_rule(text, {})


def read_rule(text: object, names: dict[str, Var]) -> Expr:
    """Parse a rule, sharing one :class:`Var` per name in ``names`` (a file's rules share them)."""
    if not isinstance(text, str) or not text.strip():
        msg = f"a rule must be non-empty text (got {text!r})."
        raise DataContractError(msg, column="rule", value=text)
    try:
        return _Parser(text, names).parse()
    except DataContractError as error:
        if not isinstance(error.value, int):
            raise
        msg = f"{error} The rule: {clip(text)!r}."
        raise DataContractError(msg, column="rule", value=text) from error
