"""Propositional rules over options: a small syntax tree, a parser, and evaluation.

The syntax is that of UVL constraints: option names (quoted with ``"..."``
when they contain spaces or symbols), ``!`` (not), ``&`` (and), ``|`` (or),
``=>`` (implies), ``<=>`` (equivalent) and parentheses, binding in that
order, tightest first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import attrs

from ..errors import DataContractError

__all__ = ["And", "Expr", "Iff", "Implies", "Not", "Or", "Var", "parse_formula"]


@attrs.frozen
class Var:
    """An option: true when it is selected."""

    name: str

    def __str__(self) -> str:
        """Write the name, quoted when it needs to be."""
        return self.name if re.fullmatch(r"[A-Za-z_][\w.]*", self.name) else f'"{self.name}"'


@attrs.frozen
class Not:
    """Negation."""

    arg: Expr

    def __str__(self) -> str:
        """Write ``!x``."""
        return f"!{_wrap(self.arg)}"


@attrs.frozen
class And:
    """Conjunction of two or more terms."""

    args: tuple[Expr, ...]

    def __str__(self) -> str:
        """Write ``a & b``."""
        return " & ".join(_wrap(a) for a in self.args)


@attrs.frozen
class Or:
    """Disjunction of two or more terms."""

    args: tuple[Expr, ...]

    def __str__(self) -> str:
        """Write ``a | b``."""
        return " | ".join(_wrap(a) for a in self.args)


@attrs.frozen
class Implies:
    """``left => right``."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        """Write ``a => b``."""
        return f"{_wrap(self.left)} => {_wrap(self.right)}"


@attrs.frozen
class Iff:
    """``left <=> right``."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        """Write ``a <=> b``."""
        return f"{_wrap(self.left)} <=> {_wrap(self.right)}"


Expr = Var | Not | And | Or | Implies | Iff


def _wrap(expr: Expr) -> str:
    return str(expr) if isinstance(expr, Var | Not) else f"({expr})"


def variables(expr: Expr) -> Iterator[str]:
    """Yield every option name the formula mentions."""
    if isinstance(expr, Var):
        yield expr.name
    elif isinstance(expr, Not):
        yield from variables(expr.arg)
    elif isinstance(expr, And | Or):
        for arg in expr.args:
            yield from variables(arg)
    else:
        yield from variables(expr.left)
        yield from variables(expr.right)


def evaluate(expr: Expr, values: Mapping[str, bool]) -> bool:
    """Evaluate the formula under a full assignment of its options."""
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


_TOKEN = re.compile(r'\s*(?:(<=>|=>|[!&|()])|"([^"]*)"|([A-Za-z_][\w.\-]*))')


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            msg = f"cannot read the rule {text!r} at {text[position : position + 20]!r}."
            raise DataContractError(msg, column="rule", value=text)
        operator, quoted, name = match.groups()
        out.append(operator or ("\x00" + (quoted if quoted is not None else name)))
        position = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            msg = f"the rule {self.text!r} ends too early."
            raise DataContractError(msg, column="rule", value=self.text)
        self.at += 1
        return token

    def parse(self) -> Expr:
        expr = self._iff()
        if self._peek() is not None:
            msg = f"unexpected {self._peek()!r} in the rule {self.text!r}."
            raise DataContractError(msg, column="rule", value=self.text)
        return expr

    def _iff(self) -> Expr:
        left = self._implies()
        while self._peek() == "<=>":
            self._take()
            left = Iff(left, self._implies())
        return left

    def _implies(self) -> Expr:
        left = self._or()
        if self._peek() == "=>":
            self._take()
            return Implies(left, self._implies())  # right-associative
        return left

    def _or(self) -> Expr:
        args = [self._and()]
        while self._peek() == "|":
            self._take()
            args.append(self._and())
        return args[0] if len(args) == 1 else Or(tuple(args))

    def _and(self) -> Expr:
        args = [self._not()]
        while self._peek() == "&":
            self._take()
            args.append(self._not())
        return args[0] if len(args) == 1 else And(tuple(args))

    def _not(self) -> Expr:
        token = self._take()
        if token == "!":  # noqa: S105 (an operator, not a secret)
            return Not(self._not())
        if token == "(":  # noqa: S105
            inner = self._iff()
            if self._take() != ")":
                msg = f"a parenthesis is not closed in the rule {self.text!r}."
                raise DataContractError(msg, column="rule", value=self.text)
            return inner
        if token.startswith("\x00"):
            return Var(token[1:])
        msg = f"unexpected {token!r} in the rule {self.text!r}."
        raise DataContractError(msg, column="rule", value=self.text)


def parse_formula(text: str) -> Expr:
    """Read a rule such as ``'A & !B => (C | "D E")'``.

    Examples
    --------
    >>> str(parse_formula('Front | Back => Dynamo'))
    '(Front | Back) => Dynamo'
    """
    if not isinstance(text, str) or not text.strip():
        msg = f"a rule must be non-empty text; got {text!r}."
        raise DataContractError(msg, column="rule", value=text)
    return _Parser(text).parse()
