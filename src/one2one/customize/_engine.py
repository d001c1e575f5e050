"""The configurator engine: check, propagate exactly, complete, count, sample and explain.

Reasoning runs on a SAT solver (PySAT's Glucose 4, incremental, choices
passed as assumptions), never on hand-written search. Propagation is exact:
a value is offered if and only if some valid configuration uses it, found by
solving for each value no earlier solution has shown. This is
backtrack-free for the customer, which unit propagation is not.
Counting and uniform sampling use a binary decision diagram (``dd`` over
CUDD), which represents every valid configuration at once.
Explanations are QuickXplain (Junker, 2004: a minimal set of the customer's
choices that conflict) and FastDiag (Felfernig et al., 2012: a minimal set
of choices to change to restore validity).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Self

import attrs
import numpy as np
from pysat.solvers import Solver

from .._validation import as_generator, require_number
from ..errors import ConfigurationConflictError, DataContractError
from ._check import broken_rules
from ._cnf import encode
from ._count import DecisionDiagram
from ._model import ProductModel

__all__ = ["Configurator", "Explanation", "Propagation"]

Choices = Mapping[str, bool]


@attrs.frozen
class Propagation:
    """What is still possible after some choices.

    Attributes
    ----------
    possible
        Every option's values still reachable by a valid configuration:
        ``{True}``, ``{False}`` or ``{True, False}``.
    forced
        Options not chosen but decided by the choices (and the rules), with their value.
    """

    possible: Mapping[str, frozenset[bool]]
    forced: Mapping[str, bool]

    def open(self) -> list[str]:
        """Return the options still free to choose either way."""
        return [name for name, values in self.possible.items() if len(values) == 2]  # noqa: PLR2004


@attrs.frozen
class Explanation:
    """Why some choices cannot go together, and the least change that fixes it.

    Attributes
    ----------
    conflict
        A minimal set of choices that cannot all hold (drop any one and the
        rest can).
    repair
        A minimal set of choices whose removal makes the rest valid.
    text
        Both, in words.
    """

    conflict: tuple[str, ...]
    repair: tuple[str, ...]
    text: str


def _word(name: str, value: bool) -> str:
    return f"{name} {'selected' if value else 'left out'}"


class Configurator:
    """Reason about one product model: validity, propagation, completion, counts, conflicts.

    Parameters
    ----------
    model
        The product model.

    Raises
    ------
    ConfigurationConflictError
        The model has no valid configuration at all.
    DataContractError
        The model has linear rules (attribute totals); they are checked by
        :meth:`check` but the solver engine does not reason about them yet.

    Examples
    --------
    >>> from one2one.customize import Group, Option, ProductModel, Rule
    >>> bike = ProductModel("bike", [Option("bike"), Option("frame"), Option("road"),
    ...                              Option("mountain"), Option("carrier")],
    ...                     [Group("bike", "mandatory", ["frame"]),
    ...                      Group("frame", "alternative", ["road", "mountain"]),
    ...                      Group("bike", "optional", ["carrier"])],
    ...                     [Rule.excludes("road", "carrier")])
    >>> engine = Configurator(bike)
    >>> engine.count()
    3
    >>> engine.propagate({"carrier": True}).forced
    {'bike': True, 'frame': True, 'road': False, 'mountain': True}
    """

    def __init__(self, model: ProductModel) -> None:
        if model.linear_rules:
            names = [r.name for r in model.linear_rules]
            msg = (
                f"the model has linear rules {names[:3]} (totals of attributes); the engine "
                "reasons about options, groups and propositional rules only for now. "
                "Check totals with Configurator.check on complete configurations."
            )
            raise DataContractError(msg, column="linear_rules", value=names[0])
        self.model = model
        self._encoding = encode(model)
        self.names = self._encoding.names
        self._var = self._encoding.var
        self._solver = Solver(name="g4", bootstrap_with=self._encoding.clauses)
        self._diagram: DecisionDiagram | None = None
        if not self._solver.solve():
            msg = f"the model {model.name!r} has no valid configuration at all."
            raise ConfigurationConflictError(msg)

    def close(self) -> None:
        """Free the solver."""
        self._solver.delete()

    # ---------------------------------------------------------------- helpers
    def _literals(self, choices: object) -> list[int]:
        if not isinstance(choices, Mapping):
            msg = f"choices must map option names to True/False; got {type(choices).__name__}."
            raise DataContractError(msg, column="choices", value=type(choices).__name__)
        literals = []
        item: tuple[object, object]
        for item in choices.items():
            name, value = item
            if not isinstance(name, str) or name not in self._var:
                msg = f"unknown option {name!r} in the choices."
                raise DataContractError(msg, column="option", value=name)
            if not isinstance(value, bool | np.bool_):
                msg = f"option {name!r} must be chosen True or False; got {value!r}."
                raise DataContractError(msg, column=name, value=value)
            literals.append(self._var[name] if bool(value) else -self._var[name])
        return literals

    def _consistent(self, literals: Sequence[int]) -> bool:
        return bool(self._solver.solve(assumptions=list(literals)))

    def _values(self) -> dict[str, bool]:
        model = self._solver.get_model() or []
        true = {lit for lit in model if lit > 0}
        return {name: self._var[name] in true for name in self.names}

    # ------------------------------------------------------------------- check
    def check(self, configuration: Choices | Iterable[str]) -> list[str]:
        """Every rule a complete configuration breaks, in words (empty when valid).

        ``configuration`` is the set of selected options, or a mapping of
        every option to True/False (options not named are left out).
        """
        if isinstance(configuration, Mapping):
            self._literals(configuration)
            selected = {n for n, v in configuration.items() if v}
        else:
            selected = set(configuration)
            self._literals(dict.fromkeys(selected, True))
        return broken_rules(self.model, selected)

    # --------------------------------------------------------------- propagate
    def propagate(self, choices: Choices | None = None) -> Propagation:
        """Return the values every option can still take, exactly (backtrack-free).

        Raises
        ------
        ConfigurationConflictError
            The choices cannot all hold; the error names a minimal conflict.
        """
        literals = self._literals(choices or {})
        if not self._consistent(literals):
            raise self._conflict_error(choices or {})
        seen: dict[str, set[bool]] = {name: set() for name in self.names}
        for name, value in self._values().items():
            seen[name].add(value)
        chosen = {abs(lit) for lit in literals}
        self._backbone(literals, chosen, seen)
        possible = {name: frozenset(values) for name, values in seen.items()}
        forced = {
            name: next(iter(values))
            for name, values in possible.items()
            if len(values) == 1 and self._var[name] not in chosen
        }
        return Propagation(possible=possible, forced=forced)

    def _backbone(self, literals: list[int], chosen: set[int], seen: dict[str, set[bool]]) -> None:
        """Test each option whose other value no solution has shown yet.

        Before each call the solver is told to prefer, for every undecided
        option, the value not seen yet, so one solution usually settles many
        options at once.
        """
        for name in self.names:
            var = self._var[name]
            if var in chosen or len(seen[name]) == 2:  # noqa: PLR2004
                continue
            self._solver.set_phases(
                [
                    -self._var[n] if next(iter(values)) else self._var[n]
                    for n, values in seen.items()
                    if len(values) == 1
                ]
            )
            other = not next(iter(seen[name]))
            if self._consistent([*literals, var if other else -var]):
                for key, value in self._values().items():
                    seen[key].add(value)

    def complete(self, choices: Choices | None = None, *, prefer: bool = False) -> dict[str, bool]:
        """Return a valid configuration keeping the choices (free options left out by default).

        ``prefer=True`` leans the other way, selecting free options.
        """
        literals = self._literals(choices or {})
        chosen = {abs(lit) for lit in literals}
        self._solver.set_phases(
            [v if prefer else -v for v in range(1, len(self.names) + 1) if v not in chosen]
        )
        if not self._consistent(literals):
            raise self._conflict_error(choices or {})
        return self._values()

    # ----------------------------------------------------------------- explain
    def _quickxplain(self, background: list[int], candidates: list[int]) -> list[int]:
        """Return a minimal subset of ``candidates`` that conflicts with ``background``."""

        def qx(base: list[int], items: list[int], *, delta: bool) -> list[int]:
            if delta and not self._consistent(base):
                return []
            if len(items) == 1:
                return items
            half = len(items) // 2
            first, second = items[:half], items[half:]
            d2 = qx(base + first, second, delta=bool(first))
            d1 = qx(base + d2, first, delta=bool(d2))
            return d1 + d2

        if self._consistent(background + candidates):
            return []
        return qx(background, candidates, delta=False)

    def _fastdiag(self, candidates: list[int]) -> list[int]:
        """Felfernig's FastDiag: a minimal subset whose removal leaves the rest consistent."""

        def fd(items: list[int], rest: list[int], *, delta: bool) -> list[int]:
            if delta and self._consistent(rest):
                return []
            if len(items) == 1:
                return items
            half = len(items) // 2
            first, second = items[:half], items[half:]
            d1 = fd(second, [x for x in rest if x not in first], delta=bool(first))
            d2 = fd(first, [x for x in rest if x not in d1], delta=bool(d1))
            return d1 + d2

        if self._consistent(candidates):
            return []
        return fd(candidates, candidates, delta=False)

    def explain(self, choices: Choices) -> Explanation:
        """Explain why ``choices`` conflict: a minimal conflict and a minimal repair, in words."""
        literals = self._literals(choices)
        conflict = self._quickxplain([], literals)
        repair = self._fastdiag(literals)
        name = {v: n for n, v in self._var.items()}
        conflict_words = tuple(_word(name[abs(x)], x > 0) for x in conflict)
        repair_words = tuple(_word(name[abs(x)], x > 0) for x in repair)
        if not conflict:
            return Explanation((), (), "The choices are consistent: nothing to explain.")
        text = (
            f"These choices cannot all hold: {'; '.join(conflict_words)}. "
            f"Changing {'; '.join(repair_words)} is the smallest change that makes the rest valid."
        )
        return Explanation(conflict_words, repair_words, text)

    def _conflict_error(self, choices: Choices) -> ConfigurationConflictError:
        explanation = self.explain(choices)
        return ConfigurationConflictError(explanation.text, choices=explanation.conflict)

    # ----------------------------------------------------------- count, sample
    def _dd(self) -> DecisionDiagram:
        if self._diagram is None:
            self._diagram = DecisionDiagram(self.model, self.names)
        return self._diagram

    def count(self, choices: Choices | None = None) -> int:
        """Count the valid configurations (keeping the choices), exactly."""
        self._literals(choices or {})
        return self._dd().count(choices or {})

    def sample(
        self,
        n: int,
        choices: Choices | None = None,
        *,
        random_state: int | np.random.Generator | None = None,
    ) -> list[frozenset[str]]:
        """Draw ``n`` valid configurations uniformly at random (as sets of selected options)."""
        require_number(n, name="n", low=0, integer=True)
        self._literals(choices or {})
        rng = as_generator(random_state)
        return [self._dd().sample(choices or {}, rng) for _ in range(int(n))]

    def __enter__(self) -> Self:
        """Return the engine itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Free the solver."""
        self.close()
