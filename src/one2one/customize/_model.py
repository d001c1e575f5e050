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

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

import attrs

from ..errors import DataContractError
from ._formula import And, Expr, Iff, Implies, Not, Or, Var, check_expr, parse_formula, variables

__all__ = ["Group", "LinearRule", "Option", "ProductModel", "Rule"]

_T = TypeVar("_T")
GroupKind = Literal["mandatory", "optional", "alternative", "or", "cardinality"]
_KINDS: tuple[GroupKind, ...] = ("mandatory", "optional", "alternative", "or", "cardinality")
Comparison = Literal["<", "<=", ">", ">=", "=="]


def finite(value: object, *, field: str, where: str = "") -> float:
    """Return ``value`` as a float if it is a finite real number (not a bool), else raise.

    Money and amounts must be finite: a NaN compares false with everything, so
    one NaN price would let any surcharge past the fair-pricing guard, and an
    infinity has no place in whole thousandths.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{where}{field!r} must be a number (got {value!r}, a {type(value).__name__})."
        raise DataContractError(msg, column=field, value=value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        msg = f"{where}{field!r} must be a finite number (got {value!r})."
        raise DataContractError(msg, column=field, value=value)
    return number


def text(value: object, *, field: str, where: str = "", empty: bool = True) -> str:
    """Return ``value`` if it is text (non-empty unless ``empty``), else raise naming ``field``."""
    if not isinstance(value, str) or (not empty and not value):
        want = "text" if empty else "non-empty text"
        msg = f"{where}{field!r} must be {want} (got {value!r})."
        raise DataContractError(msg, column=field, value=value)
    return value


def numeric_attributes(options: Iterable[Option]) -> list[str]:
    """Return the names of the attributes some option holds as a number, sorted."""
    return sorted({k for o in options for k, v in o.attributes.items() if isinstance(v, float)})


def unknown_name(problem: str, name: str, known: Iterable[str], *, kind: str) -> str:
    """Return the message for a name the model does not know: the problem, a guess, the names.

    A misspelt name must not be ignored (a rule on ``weigth`` would bound
    nothing), so the message names it, suggests the closest known name and
    lists the known ones (the first 30 of a large model).
    """
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not close:  # capitals and underscores are the usual slips
        folded = {n.lower().replace("_", ""): n for n in names}
        close = [folded[k] for k in (name.lower().replace("_", ""),) if k in folded]
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    shown = names[:30]
    more = f" and {len(names) - 30} more" if len(names) > 30 else ""  # noqa: PLR2004
    listed = ", ".join(map(repr, shown)) or "none"
    return f"{problem}{guess}; the {kind} are {listed}{more}."


def _attributes(value: object) -> Mapping[str, float | str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = f"'attributes' must map names to numbers or text (got {value!r})."
        raise DataContractError(msg, column="attributes", value=value)
    out: dict[str, float | str] = {}
    for key, item in value.items():
        name = text(key, field="attributes", empty=False)
        out[name] = item if isinstance(item, str) else finite(item, field=name, where="attribute ")
    return out


def _names(values: object) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        msg = f"'children' must be a list of option names (got {values!r})."
        raise DataContractError(msg, column="children", value=values)
    return tuple(text(v, field="children", empty=False) for v in values)


def _check_text(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    text(value, field=attribute.name, empty=attribute.name == "description")


def _check_bool(_instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        msg = f"{attribute.name!r} must be True or False (got {value!r})."
        raise DataContractError(msg, column=attribute.name, value=value)


def _check_count(_instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        msg = f"{attribute.name!r} must be a whole number or None (got {value!r})."
        raise DataContractError(msg, column=attribute.name, value=value)


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
        msg = (
            f"option {option.name!r}: domain must be two whole numbers, low and high "
            f"(got {value!r})."
        )
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

    Raises
    ------
    DataContractError
        If ``name`` is not non-empty text, ``abstract`` is not a bool, an
        attribute is neither text nor a finite number, or ``domain`` is not
        two whole numbers with ``1 <= low <= high`` and at most 1,000
        quantities.
    """

    name: str = attrs.field(validator=_check_text)
    abstract: bool = attrs.field(default=False, validator=_check_bool)
    attributes: Mapping[str, float | str] = attrs.field(factory=dict, converter=_attributes)
    description: str = attrs.field(default="", validator=_check_text)
    domain: tuple[int, int] | None = attrs.field(default=None, converter=_pair, validator=_domain)

    def values(self) -> tuple[bool, ...] | tuple[int, ...]:
        """Every value the option can take: ``(False, True)``, or ``0`` and its quantities.

        Returns
        -------
        tuple of bool or tuple of int
            ``(False, True)`` for a Boolean option; ``(0, low, ..., high)``
            for a counted one (0 is left out).
        """
        if self.domain is None:
            return (False, True)
        return (0, *range(self.domain[0], self.domain[1] + 1))


@attrs.frozen
class Group:
    """How many of a parent's ``children`` go with it (see the module docstring).

    Parameters
    ----------
    parent
        The option the children belong to; a child needs its parent.
    kind
        ``"mandatory"`` (every child), ``"optional"`` (any), ``"alternative"``
        (exactly one), ``"or"`` (at least one) or ``"cardinality"`` (between
        ``low`` and ``high``).
    children
        The child options' names; each option is in at most one group.
    low, high
        The least and most children, for ``"cardinality"`` (``low`` defaults
        to 0, ``high`` to every child); ignored by the other kinds.

    Raises
    ------
    DataContractError
        If ``parent`` or ``kind`` is not text, ``children`` is not a list of
        non-empty names, or ``low``/``high`` is not a whole number or None.
        Unknown kinds, options and impossible bounds are refused by the
        :class:`ProductModel` that holds the group.
    """

    parent: str = attrs.field(validator=_check_text)
    kind: GroupKind = attrs.field(validator=_check_text)
    children: tuple[str, ...] = attrs.field(converter=_names)
    low: int | None = attrs.field(default=None, validator=_check_count)
    high: int | None = attrs.field(default=None, validator=_check_count)

    def bounds(self) -> tuple[int, int]:
        """Return the (least, most) children selected with the parent.

        Returns
        -------
        tuple of (int, int)
            The bounds the group's kind implies, e.g. ``(1, 1)`` for an
            alternative.
        """
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
                f"{list(columns)} (got {row!r})."
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


def formula(value: object, *, field: str) -> Expr:
    """Return a rule's formula from its text or tree, or raise naming ``field``."""
    if isinstance(value, str):
        return parse_formula(value)
    if not isinstance(value, Var | Not | And | Or | Implies | Iff):
        msg = f"{field!r} must be a rule as text (e.g. 'a => b') or a formula tree (got {value!r})."
        raise DataContractError(msg, column=field, value=value)
    return check_expr(value)


def _formula(value: object) -> Expr:
    return formula(value, field="formula")


@attrs.frozen
class Rule:
    """A named propositional rule (``"requires"``, ``"excludes"`` or any formula).

    The name is what a customer reads when the rule rules something out, so
    give it words (``"road frames take no carrier"``), not a formula.

    Parameters
    ----------
    name
        Non-empty words naming the rule.
    formula
        The rule as text (``"road => !carrier"``, see :func:`parse_formula`)
        or a formula tree.

    Raises
    ------
    DataContractError
        If ``name`` is not non-empty text, or ``formula`` is neither text
        that parses nor a formula tree (the message shows where it fails).
    """

    name: str = attrs.field(validator=_check_text)
    formula: Expr = attrs.field(converter=_formula)

    @classmethod
    def requires(cls, option: str, needed: str, *, name: str | None = None) -> Rule:
        """``option`` needs ``needed``.

        Parameters
        ----------
        option
            The option that needs another.
        needed
            The option it needs.
        name
            The rule's words; ``"<option> requires <needed>"`` by default.

        Returns
        -------
        Rule
            ``option => needed``.
        """
        return cls(name or f"{option} requires {needed}", Implies(Var(option), Var(needed)))

    @classmethod
    def excludes(cls, option: str, other: str, *, name: str | None = None) -> Rule:
        """``option`` and ``other`` never go together.

        Parameters
        ----------
        option, other
            The two options.
        name
            The rule's words; ``"<option> excludes <other>"`` by default.

        Returns
        -------
        Rule
            ``option => !other``.
        """
        return cls(name or f"{option} excludes {other}", Implies(Var(option), Not(Var(other))))

    @classmethod
    def allowed(
        cls, name: str, options: Iterable[str], combinations: Iterable[Iterable[bool]]
    ) -> Rule:
        """Only these combinations of ``options`` (rows of True/False, one per option).

        A table is how product managers often write compatibility (which
        frames take which forks); this turns it into one rule.

        Parameters
        ----------
        name
            The rule's words.
        options
            The options the table's columns stand for.
        combinations
            The allowed rows, each one True/False per option.

        Returns
        -------
        Rule
            The disjunction of the rows.

        Raises
        ------
        DataContractError
            If there are no options or no rows, or a row does not give one
            True/False per option (the row is named).
        """
        columns, rows = _table(name, options, combinations)
        return cls(name, _any(columns, rows))

    @classmethod
    def forbidden(
        cls, name: str, options: Iterable[str], combinations: Iterable[Iterable[bool]]
    ) -> Rule:
        """Never these combinations of ``options`` (rows of True/False, one per option).

        Parameters
        ----------
        name
            The rule's words.
        options
            The options the table's columns stand for.
        combinations
            The forbidden rows, each one True/False per option.

        Returns
        -------
        Rule
            The conjunction of the rows' negations.

        Raises
        ------
        DataContractError
            If there are no options or no rows, or a row does not give one
            True/False per option (the row is named).
        """
        columns, rows = _table(name, options, combinations)
        return cls(name, _all(tuple(Not(_row(columns, r)) for r in rows)))

    def __str__(self) -> str:
        """Write the rule as text."""
        return str(self.formula)


_COMPARISONS = ("<", "<=", ">", ">=", "==")


def _check_comparison(_instance: object, _attribute: object, value: object) -> None:
    if value not in _COMPARISONS:
        msg = f"'comparison' must be one of {_COMPARISONS} (got {value!r})."
        raise DataContractError(msg, column="comparison", value=value)


def _bound(value: object) -> float:
    return finite(value, field="bound")


@attrs.frozen
class LinearRule:
    """The selected options' total of a numeric ``attribute`` compared with ``bound``.

    Example: ``LinearRule("light enough", "weight", "<=", 10)``. Options
    without the attribute count 0; a counted option counts its attribute
    times its quantity. Totals are compared in thousandths (amounts rounded
    to 0.001), exactly, by the checker and the engine alike.

    Parameters
    ----------
    name
        Non-empty words naming the rule.
    attribute
        The numeric option attribute to total; the :class:`ProductModel`
        refuses a name no option holds as a number (a misspelling would
        bound nothing).
    comparison
        ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"=="``.
    bound
        The finite number the total is compared with.

    Raises
    ------
    DataContractError
        If ``name`` or ``attribute`` is not text, ``comparison`` is not one
        of the five, or ``bound`` is not a finite number.
    """

    name: str = attrs.field(validator=_check_text)
    attribute: str = attrs.field(validator=_check_text)
    comparison: Comparison = attrs.field(validator=_check_comparison)
    bound: float = attrs.field(converter=_bound)

    def holds_scaled(self, total: int, scale: int) -> bool:
        """Check a total kept in whole ``1/scale`` units against the bound, exactly.

        Integer totals avoid the float sums by which ``0.1 + 0.2 <= 0.3``
        fails; the bound is rounded to the same units.

        Parameters
        ----------
        total
            The total in whole ``1/scale`` units.
        scale
            Units per attribute unit (1000 for thousandths).

        Returns
        -------
        bool
            Whether the rule holds.
        """
        return self.holds(total, bound=round(scale * self.bound))

    def holds(self, total: float, *, bound: float | None = None) -> bool:
        """Check a total against the bound.

        Parameters
        ----------
        total
            The selected options' total of the attribute.
        bound
            A bound to use instead of the rule's (e.g. a scaled one).

        Returns
        -------
        bool
            Whether ``total <comparison> bound`` holds.
        """
        bound = self.bound if bound is None else bound
        return {
            "<": total < bound,
            "<=": total <= bound,
            ">": total > bound,
            ">=": total >= bound,
            "==": total == bound,
        }[self.comparison]


def instance(value: object, kind: type[_T], *, field: str) -> _T:
    """Return ``value`` if it is a ``kind``, else raise naming ``field``."""
    if not isinstance(value, kind):
        msg = f"{field!r} must be a {kind.__name__} (got {value!r})."
        raise DataContractError(msg, column=field, value=value)
    return value


def items(values: object, field: str, kind: type[_T]) -> tuple[_T, ...]:
    """Return ``values`` as a tuple of ``kind``, naming ``field`` when given anything else."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        msg = f"{field!r} must be a list of {kind.__name__} (got {values!r})."
        raise DataContractError(msg, column=field, value=values)
    out = tuple(values)
    for number, item in enumerate(out):
        if not isinstance(item, kind):
            msg = f"{field}[{number}] must be a {kind.__name__} (got {item!r})."
            raise DataContractError(msg, column=field, value=item, row=number)
    return out


def _options(values: object) -> tuple[Option, ...]:
    return items(values, "options", Option)


def _groups(values: object) -> tuple[Group, ...]:
    return items(values, "groups", Group)


def _rules(values: object) -> tuple[Rule, ...]:
    return items(values, "rules", Rule)


def _linear_rules(values: object) -> tuple[LinearRule, ...]:
    return items(values, "linear_rules", LinearRule)


def _named(kind: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name:
            msg = f"every {kind} needs a non-empty name (got {name!r})."
            raise DataContractError(msg, column=kind, value=name)
        if name in seen:
            msg = f"{kind} {name!r} is defined twice; names must be unique."
            raise DataContractError(msg, column=kind, value=name)
        seen.add(name)


@attrs.frozen
class ProductModel:
    """A configurable product: options, groups and rules, checked when built.

    Checked when built so that an ill-formed model fails once, with the rule
    or option named, instead of as a wrong answer in front of a customer.

    Parameters
    ----------
    name
        Non-empty name of the product.
    options
        Every :class:`Option`, names unique; exactly one is the root (in no
        group's children).
    groups
        The :class:`Group` of each parent, which makes the hierarchy.
    rules
        Propositional :class:`Rule` constraints across the hierarchy.
    linear_rules
        :class:`LinearRule` bounds on attribute totals (weight, budget).

    Raises
    ------
    DataContractError
        Unknown options in a group or rule (the rule is named), duplicate
        names, several roots, cycles in the hierarchy, impossible group
        cardinalities, a linear rule on an attribute no option has as a
        number (a misspelling would bound nothing; the known ones are listed).
    """

    name: str = attrs.field(validator=_check_text)
    options: tuple[Option, ...] = attrs.field(converter=_options)
    groups: tuple[Group, ...] = attrs.field(converter=_groups, factory=tuple)
    rules: tuple[Rule, ...] = attrs.field(converter=_rules, factory=tuple)
    linear_rules: tuple[LinearRule, ...] = attrs.field(converter=_linear_rules, factory=tuple)

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
        numeric = numeric_attributes(self.options)
        for linear in self.linear_rules:
            if linear.attribute not in numeric:
                msg = unknown_name(
                    f"linear rule {linear.name!r} totals {linear.attribute!r}, which no option "
                    "has as a number, so the rule would bound nothing",
                    linear.attribute,
                    numeric,
                    kind="options' numeric attributes",
                )
                raise DataContractError(msg, column="attribute", value=linear.attribute)

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
        # Walk up from each option, stopping at any option already known to reach the
        # root: linear in the number of options however deep the hierarchy is.
        reaches_root = {roots[0]}
        for name in parent_of:
            path: list[str] = []
            on_path: set[str] = set()
            current = name
            while current not in reaches_root:
                if current in on_path:
                    msg = f"the hierarchy has a cycle through {current!r}."
                    raise DataContractError(msg, column="option", value=current)
                path.append(current)
                on_path.add(current)
                current = parent_of[current]
            reaches_root.update(path)

    @property
    def root(self) -> str:
        """The root option (the product itself)."""
        children = {c for g in self.groups for c in g.children}
        return next(o.name for o in self.options if o.name not in children)

    def option(self, name: str) -> Option:
        """Return the option called ``name``.

        Parameters
        ----------
        name
            The option's name.

        Returns
        -------
        Option
            The option.

        Raises
        ------
        DataContractError
            If the model has no option called ``name``.
        """
        for option in self.options:
            if option.name == name:
                return option
        msg = f"the model has no option {name!r}."
        raise DataContractError(msg, column="option", value=name)

    def parent(self, name: str) -> str | None:
        """Return the option's parent (``None`` for the root).

        Parameters
        ----------
        name
            The option's name.

        Returns
        -------
        str or None
            The parent's name; ``None`` for the root and for names the model
            does not know.
        """
        for group in self.groups:
            if name in group.children:
                return group.parent
        return None

    def order(self) -> list[str]:
        """Options in depth-first tree order (a good variable order for solvers).

        Related options sit together in this order, which keeps decision
        diagrams small and is the order a configurator asks in.

        Returns
        -------
        list of str
            Every option reachable from the root, parent before children.
        """
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
        """Return the JSON-ready form (read back with :meth:`from_dict`).

        Returns
        -------
        dict of str to object
            ``name``, ``options``, ``groups``, ``rules`` (formulas as text) and
            ``linear_rules``, in lists and plain values only.
        """
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
    def from_dict(cls, data: object) -> ProductModel:
        """Build a model from its dict form (as :meth:`to_dict` writes it, e.g. read from JSON).

        The dict form usually comes from a file, so it is checked field by
        field: every entry must be a mapping with the known keys, and every
        value of the right type and domain (finite numbers, whole-number
        cardinalities, text names, rules that parse).

        Parameters
        ----------
        data
            The dict form: ``name`` and ``options``, optionally ``groups``,
            ``rules`` and ``linear_rules``, each a list of mappings.

        Returns
        -------
        ProductModel
            The model, checked as when built in Python.

        Raises
        ------
        DataContractError
            A missing or unknown field, or a value of the wrong type or out
            of its domain; the message gives its place, e.g. ``options[3]``.
        """
        form = _fields(data, "model", required=("name", "options"), optional=_SECTIONS)
        name = text(form["name"], field="name", where="the model's ", empty=False)
        parts: dict[str, list[Any]] = {}
        for section, (build, required, optional) in _BUILDERS.items():
            entries = form.get(section, [])
            if isinstance(entries, str | bytes) or not isinstance(entries, list | tuple):
                msg = f"{section!r} must be a list (got {entries!r})."
                raise DataContractError(msg, column=section, value=entries)
            built = []
            for number, entry in enumerate(entries):
                where = f"{section}[{number}]"
                fields = _fields(entry, where, required=required, optional=optional)
                try:
                    built.append(build(**fields))
                except DataContractError as error:
                    msg = f"{where}: {error}"
                    raise DataContractError(
                        msg, column=error.column, value=error.value, row=number
                    ) from error
            parts[section] = built
        return cls(name=name, **parts)


def _fields(
    entry: object, where: str, *, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any]:
    """Return ``entry`` as a dict of strings if it has the required keys and no unknown ones."""
    if not isinstance(entry, Mapping):
        msg = f"{where} must be a mapping of {list(required + optional)} (got {entry!r})."
        raise DataContractError(msg, column=where, value=entry)
    missing = [key for key in required if key not in entry]
    unknown = [key for key in entry if key not in required + optional]
    if missing or unknown:
        problem = f"lacks {missing}" if missing else f"has unknown fields {unknown}"
        msg = f"{where} {problem}; its fields are {list(required + optional)}."
        field = str((missing or unknown)[0])
        raise DataContractError(msg, column=field, value=(missing or unknown)[0])
    return {str(key): value for key, value in entry.items()}


def _option(**fields: Any) -> Option:
    if isinstance(fields.get("domain"), list):
        fields["domain"] = tuple(fields["domain"])
    return Option(**fields)


_BUILDERS: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "options": (_option, ("name",), ("abstract", "attributes", "description", "domain")),
    "groups": (Group, ("parent", "kind", "children"), ("low", "high")),
    "rules": (Rule, ("name", "formula"), ()),
    "linear_rules": (LinearRule, ("name", "attribute", "comparison", "bound"), ()),
}
_SECTIONS = ("groups", "rules", "linear_rules")
