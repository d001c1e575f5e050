"""The product model: options in a hierarchy, groups with cardinalities, attributes and rules.

A model is a value: built in Python or read from its dict (JSON) form, and
checked when built, so an ill-formed model fails with the rule or option
named, before any customer sees it. Options are Boolean (selected or not)
or counted: an option with a ``domain`` ``(low, high)`` is taken in a
quantity from ``low`` to ``high`` when selected (0 when left out), and its
attributes count per unit. The hierarchy says a child needs its parent, and
each parent's groups say how many of their children it takes:

* ``mandatory``: every child (when the parent is selected);
* ``optional``: any;
* ``alternative``: exactly one;
* ``or``: at least one;
* ``cardinality``: between ``low`` and ``high``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from ..errors import DataContractError
from ._formula import And, Expr, Implies, Not, Or, Var, parse_formula, variables

__all__ = ["Group", "LinearRule", "Option", "ProductModel", "Rule"]

GroupKind = Literal["mandatory", "optional", "alternative", "or", "cardinality"]
_KINDS: tuple[GroupKind, ...] = ("mandatory", "optional", "alternative", "or", "cardinality")
Comparison = Literal["<", "<=", ">", ">=", "=="]


def _attributes(value: Mapping[str, Any] | None) -> Mapping[str, float | str]:
    out: dict[str, float | str] = {}
    for key, item in (value or {}).items():
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            msg = f"attribute {key!r} must be a number or text; got {item!r}."
            raise DataContractError(msg, column=str(key), value=item)
        out[str(key)] = float(item) if isinstance(item, int | float) else item
    return out


def _names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


MAX_QUANTITIES = 1000
"""The most quantities a counted option may offer (each is a value the engine reasons about)."""


def _domain(
    option: Option,
    _attribute: attrs.Attribute[tuple[int, int] | None],
    value: object,
) -> None:
    if value is None:
        return
    if (
        not isinstance(value, tuple)
        or len(value) != 2  # noqa: PLR2004
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        msg = f"option {option.name!r}: domain must be two whole numbers (low, high); got {value!r}"
        raise DataContractError(msg, column=option.name, value=value)
    low, high = value
    if not 1 <= low <= high or high - low >= MAX_QUANTITIES:
        msg = (
            f"option {option.name!r}: domain {low}..{high} must have 1 <= low <= high and at "
            f"most {MAX_QUANTITIES} quantities (0 means left out, so low starts at 1)."
        )
        raise DataContractError(msg, column=option.name, value=value)


def _pair(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@attrs.frozen
class Option:
    """A selectable module or feature of the product.

    Attributes
    ----------
    name
        Unique name.
    abstract
        A grouping node with no part of its own (not listed in a bill of materials).
    attributes
        Numbers (price, cost, lead time, weight, ...) or text, by name; for a
        counted option, per unit.
    description
        Words for people.
    domain
        ``(low, high)`` for an option taken in a quantity (e.g. bottle cages
        1..3); ``None`` for a Boolean option.
    """

    name: str
    abstract: bool = False
    attributes: Mapping[str, float | str] = attrs.field(factory=dict, converter=_attributes)
    description: str = ""
    domain: tuple[int, int] | None = attrs.field(default=None, converter=_pair, validator=_domain)

    def values(self) -> tuple[bool, ...] | tuple[int, ...]:
        """Every value the option can take: ``(False, True)``, or ``0`` and its quantities."""
        if self.domain is None:
            return (False, True)
        return (0, *range(self.domain[0], self.domain[1] + 1))


@attrs.frozen
class Group:
    """How many of a parent's ``children`` go with it (see the module docstring)."""

    parent: str
    kind: GroupKind
    children: tuple[str, ...] = attrs.field(converter=_names)
    low: int | None = None
    high: int | None = None

    def bounds(self) -> tuple[int, int]:
        """Return the (least, most) children selected with the parent."""
        n = len(self.children)
        if self.kind == "mandatory":
            return n, n
        if self.kind == "optional":
            return 0, n
        if self.kind == "alternative":
            return 1, 1
        if self.kind == "or":
            return 1, n
        return int(self.low or 0), n if self.high is None else int(self.high)


def _table(
    name: str, options: Iterable[str], combinations: Iterable[Iterable[bool]]
) -> tuple[tuple[str, ...], list[tuple[bool, ...]]]:
    columns = tuple(options)
    rows = [tuple(row) for row in combinations]
    if not columns or not rows:
        msg = f"rule {name!r}: a combination table needs options and at least one row."
        raise DataContractError(msg, column="rule", value=name)
    for number, row in enumerate(rows):
        if len(row) != len(columns) or not all(isinstance(v, bool) for v in row):
            msg = (
                f"rule {name!r}: combination {number} must give True/False for each of "
                f"{list(columns)}; got {row!r}."
            )
            raise DataContractError(msg, column="rule", value=name, row=number)
    return columns, rows


def _row(columns: tuple[str, ...], row: tuple[bool, ...]) -> Expr:
    """Write one row as a formula: each option as the row says."""
    return _all(tuple(Var(c) if v else Not(Var(c)) for c, v in zip(columns, row, strict=True)))


def _all(terms: tuple[Expr, ...]) -> Expr:
    return terms[0] if len(terms) == 1 else And(terms)


def _any(columns: tuple[str, ...], rows: list[tuple[bool, ...]]) -> Expr:
    terms = tuple(_row(columns, r) for r in rows)
    return terms[0] if len(terms) == 1 else Or(terms)


def _formula(value: Expr | str) -> Expr:
    return parse_formula(value) if isinstance(value, str) else value


@attrs.frozen
class Rule:
    """A named propositional rule (``"requires"``, ``"excludes"`` or any formula)."""

    name: str
    formula: Expr = attrs.field(converter=_formula)

    @classmethod
    def requires(cls, option: str, needed: str, *, name: str | None = None) -> Rule:
        """``option`` needs ``needed``."""
        return cls(name or f"{option} requires {needed}", Implies(Var(option), Var(needed)))

    @classmethod
    def excludes(cls, option: str, other: str, *, name: str | None = None) -> Rule:
        """``option`` and ``other`` never go together."""
        return cls(name or f"{option} excludes {other}", Implies(Var(option), Not(Var(other))))

    @classmethod
    def allowed(
        cls, name: str, options: Iterable[str], combinations: Iterable[Iterable[bool]]
    ) -> Rule:
        """Only these combinations of ``options`` (rows of True/False, one per option)."""
        columns, rows = _table(name, options, combinations)
        return cls(name, _any(columns, rows))

    @classmethod
    def forbidden(
        cls, name: str, options: Iterable[str], combinations: Iterable[Iterable[bool]]
    ) -> Rule:
        """Never these combinations of ``options`` (rows of True/False, one per option)."""
        columns, rows = _table(name, options, combinations)
        return cls(name, _all(tuple(Not(_row(columns, r)) for r in rows)))

    def __str__(self) -> str:
        """Write the rule as text."""
        return str(self.formula)


@attrs.frozen
class LinearRule:
    """The selected options' total of a numeric ``attribute`` compared with ``bound``.

    Example: ``LinearRule("light enough", "weight", "<=", 10)``. Options
    without the attribute count 0; a counted option counts its attribute
    times its quantity. Totals are compared in thousandths (amounts rounded
    to 0.001), exactly, by the checker and the engine alike.
    """

    name: str
    attribute: str
    comparison: Comparison
    bound: float

    def holds_scaled(self, total: int, scale: int) -> bool:
        """Check a total kept in whole ``1/scale`` units against the bound, exactly."""
        return self.holds(total, bound=round(scale * self.bound))

    def holds(self, total: float, *, bound: float | None = None) -> bool:
        """Check a total against the bound."""
        bound = self.bound if bound is None else bound
        return {
            "<": total < bound,
            "<=": total <= bound,
            ">": total > bound,
            ">=": total >= bound,
            "==": total == bound,
        }[self.comparison]


def _tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


def _named(kind: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name:
            msg = f"every {kind} needs a non-empty name; got {name!r}."
            raise DataContractError(msg, column=kind, value=name)
        if name in seen:
            msg = f"{kind} {name!r} is defined twice; names must be unique."
            raise DataContractError(msg, column=kind, value=name)
        seen.add(name)


@attrs.frozen
class ProductModel:
    """A configurable product: options, groups and rules, checked when built.

    Raises
    ------
    DataContractError
        Unknown options in a group or rule (the rule is named), duplicate
        names, several roots, cycles in the hierarchy, impossible group
        cardinalities.
    """

    name: str
    options: tuple[Option, ...] = attrs.field(converter=_tuple)
    groups: tuple[Group, ...] = attrs.field(converter=_tuple, factory=tuple)
    rules: tuple[Rule, ...] = attrs.field(converter=_tuple, factory=tuple)
    linear_rules: tuple[LinearRule, ...] = attrs.field(converter=_tuple, factory=tuple)

    def __attrs_post_init__(self) -> None:
        """Refuse an ill-formed model, naming what is wrong."""
        _named("option", (o.name for o in self.options))
        _named("rule", [r.name for r in self.rules] + [r.name for r in self.linear_rules])
        known = {o.name for o in self.options}
        parent_of = self._check_groups(known)
        self._check_tree(parent_of)
        for rule in self.rules:
            for name in variables(rule.formula):
                if name not in known:
                    msg = f"rule {rule.name!r} names unknown option {name!r}."
                    raise DataContractError(msg, column="rule", value=rule.name)

    def _check_groups(self, known: set[str]) -> dict[str, str]:
        parent_of: dict[str, str] = {}
        for group in self.groups:
            if group.kind not in _KINDS:
                msg = f"group of {group.parent!r} has unknown kind {group.kind!r}; use {_KINDS}."
                raise DataContractError(msg, column="kind", value=group.kind)
            for name in (group.parent, *group.children):
                if name not in known:
                    msg = f"group of {group.parent!r} names unknown option {name!r}."
                    raise DataContractError(msg, column="option", value=name)
            if not group.children:
                msg = f"group of {group.parent!r} has no children."
                raise DataContractError(msg, column="option", value=group.parent)
            low, high = group.bounds()
            if not 0 <= low <= high <= len(group.children):
                msg = (
                    f"group of {group.parent!r} asks for {low}..{high} of its "
                    f"{len(group.children)} children; impossible."
                )
                raise DataContractError(msg, column="cardinality", value=(low, high))
            for child in group.children:
                if child in parent_of:
                    msg = (
                        f"option {child!r} is in two groups "
                        f"(of {parent_of[child]!r} and {group.parent!r})."
                    )
                    raise DataContractError(msg, column="option", value=child)
                parent_of[child] = group.parent
        return parent_of

    def _check_tree(self, parent_of: dict[str, str]) -> None:
        roots = [o.name for o in self.options if o.name not in parent_of]
        if len(roots) != 1:
            msg = f"a model needs exactly one root option; found {roots[:5]}."
            raise DataContractError(msg, column="option", value=roots[:5])
        for name in parent_of:
            seen = {name}
            current = name
            while current in parent_of:
                current = parent_of[current]
                if current in seen:
                    msg = f"the hierarchy has a cycle through {name!r}."
                    raise DataContractError(msg, column="option", value=name)
                seen.add(current)

    @property
    def root(self) -> str:
        """The root option (the product itself)."""
        children = {c for g in self.groups for c in g.children}
        return next(o.name for o in self.options if o.name not in children)

    def option(self, name: str) -> Option:
        """Return the option called ``name``."""
        for option in self.options:
            if option.name == name:
                return option
        msg = f"the model has no option {name!r}."
        raise DataContractError(msg, column="option", value=name)

    def parent(self, name: str) -> str | None:
        """Return the option's parent (``None`` for the root)."""
        for group in self.groups:
            if name in group.children:
                return group.parent
        return None

    def order(self) -> list[str]:
        """Options in depth-first tree order (a good variable order for solvers)."""
        by_parent: dict[str, list[str]] = {}
        for group in self.groups:
            by_parent.setdefault(group.parent, []).extend(group.children)
        out: list[str] = []
        stack = [self.root]
        while stack:
            name = stack.pop()
            out.append(name)
            stack.extend(reversed(by_parent.get(name, [])))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form (read back with :meth:`from_dict`)."""
        return {
            "name": self.name,
            "options": [
                {k: (list(v) if k == "domain" else v) for k, v in attrs.asdict(o).items()}
                if o.domain is not None
                else {k: v for k, v in attrs.asdict(o).items() if k != "domain"}
                for o in self.options
            ],
            "groups": [
                {k: v for k, v in attrs.asdict(g).items() if v is not None}
                | {"children": list(g.children)}
                for g in self.groups
            ],
            "rules": [{"name": r.name, "formula": str(r.formula)} for r in self.rules],
            "linear_rules": [attrs.asdict(r) for r in self.linear_rules],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProductModel:
        """Build a model from its dict form."""
        try:
            return cls(
                name=str(data["name"]),
                options=[Option(**o) for o in data["options"]],
                groups=[Group(**g) for g in data.get("groups", ())],
                rules=[Rule(r["name"], r["formula"]) for r in data.get("rules", ())],
                linear_rules=[LinearRule(**r) for r in data.get("linear_rules", ())],
            )
        except (KeyError, TypeError) as error:
            msg = f"the model's dict form is incomplete or has unknown fields: {error}."
            raise DataContractError(msg, column="model") from error
