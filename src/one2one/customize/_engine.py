"""The configurator engine: check, propagate exactly, complete, count, sample and explain.

Reasoning runs on solvers, never on hand-written search. A model of Boolean
options and propositional rules runs on a SAT solver (PySAT's Glucose 4,
incremental, choices passed as assumptions); a model with counted options or
linear rules (attribute totals) runs on OR-Tools CP-SAT, which does integer
arithmetic, through the same questions. Propagation is exact: a value is
offered if and only if some valid configuration uses it, found by solving for
each value no earlier solution has shown. This is backtrack-free for the
customer, which unit propagation is not. Counting and uniform sampling use a
binary decision diagram (``dd`` over CUDD), which represents every valid
configuration at once; models with integer arithmetic are counted by
enumerating their configurations with CP-SAT, up to a limit.
Explanations are QuickXplain (Junker, 2004: a minimal set of the customer's
choices that conflict) and FastDiag (Felfernig et al., 2012: a minimal set
of choices to change to restore validity).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, Self

import attrs
import numpy as np
from ortools.sat.python import cp_model
from pysat.solvers import Solver

from .._validation import as_generator, require_number
from ..errors import ConfigurationConflictError, DataContractError
from ._check import broken_rules, quantities
from ._cnf import encode
from ._count import DecisionDiagram
from ._cp import CpEncoding, solve
from ._model import ProductModel

__all__ = ["ENUMERATION_LIMIT", "Configurator", "Explanation", "Propagation"]

Value = bool | int
Choices = Mapping[str, Value]
Key = tuple[str, Value]

ENUMERATION_LIMIT = 100_000
"""The most configurations counted (or sampled from) by enumeration, on CP-SAT models."""


@attrs.frozen
class Propagation:
    """What is still possible after some choices.

    Attributes
    ----------
    possible
        Every option's values still reachable by a valid configuration:
        ``{True}``, ``{False}`` or ``{True, False}`` for a Boolean option, the
        quantities (0 for left out) for a counted one.
    forced
        Options not chosen but decided by the choices (and the rules), with their value.
    """

    possible: Mapping[str, frozenset[Value]]
    forced: Mapping[str, Value]

    def open(self) -> list[str]:
        """Return the options still free to choose more than one way.

        Returns
        -------
        list of str
            The options with more than one possible value, in model order:
            what a configurator still has to ask.
        """
        return [name for name, values in self.possible.items() if len(values) > 1]


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


def _word(key: Key) -> str:
    name, value = key
    if isinstance(value, bool):
        return f"{name} {'selected' if value else 'left out'}"
    return f"{name} = {value}" if value else f"{name} left out"


def choice_keys(model: ProductModel, choices: object) -> list[Key]:
    """Validate choices at the boundary: known options, values in their domains."""
    options = {o.name: o for o in model.options}
    if not isinstance(choices, Mapping):
        msg = f"choices must map option names to values (got a {type(choices).__name__})."
        raise DataContractError(msg, column="choices", value=type(choices).__name__)
    keys: list[Key] = []
    item: tuple[object, object]
    for item in choices.items():
        name, value = item
        if not isinstance(name, str) or name not in options:
            msg = f"unknown option {name!r} in the choices."
            raise DataContractError(msg, column="option", value=name)
        option = options[name]
        if option.domain is None:
            if not isinstance(value, bool | np.bool_):
                msg = f"option {name!r} must be chosen True or False (got {value!r})."
                raise DataContractError(msg, column=name, value=value)
            keys.append((name, bool(value)))
            continue
        if isinstance(value, bool | np.bool_) and not value:
            value = 0
        if (
            isinstance(value, bool | np.bool_)
            or not isinstance(value, int | np.integer)
            or int(value) not in option.values()
        ):
            low, high = option.domain
            msg = (
                f"option {name!r} is counted: choose a quantity in {low}..{high}, "
                f"or 0 to leave it out (got {value!r})."
            )
            raise DataContractError(msg, column=name, value=value)
        keys.append((name, int(value)))
    return keys


class _Oracle(Protocol):
    """A solver answering the engine's one question: can these values hold together."""

    def consistent(self, keys: Sequence[Key]) -> bool: ...
    def solution(self) -> dict[str, Value]: ...
    def prefer(self, values: Mapping[str, Value]) -> None: ...
    def close(self) -> None: ...


class _SatOracle:
    """Boolean models on PySAT (Glucose 4): assumptions, phases, one incremental solver."""

    def __init__(self, model: ProductModel) -> None:
        encoding = encode(model)
        self.names = encoding.names
        self.var = encoding.var
        self.solver = Solver(name="g4", bootstrap_with=encoding.clauses)

    def literal(self, key: Key) -> int:
        return self.var[key[0]] if key[1] else -self.var[key[0]]

    def consistent(self, keys: Sequence[Key]) -> bool:
        return bool(self.solver.solve(assumptions=[self.literal(k) for k in keys]))

    def solution(self) -> dict[str, Value]:
        true = {lit for lit in self.solver.get_model() or [] if lit > 0}
        return {name: self.var[name] in true for name in self.names}

    def prefer(self, values: Mapping[str, Value]) -> None:
        self.solver.set_phases([self.literal(item) for item in values.items()])

    def close(self) -> None:
        self.solver.delete()


class _CpOracle:
    """Models with counted options or linear rules on OR-Tools CP-SAT (one worker)."""

    def __init__(self, model: ProductModel) -> None:
        self.encoding = CpEncoding(model)
        self.solver = cp_model.CpSolver()
        self.solver.parameters.num_workers = 1
        self.solver.parameters.max_time_in_seconds = 60.0
        self.counted = {o.name for o in model.options if o.domain is not None}

    def consistent(self, keys: Sequence[Key]) -> bool:
        cp = self.encoding.cp
        cp.clear_assumptions()
        cp.add_assumptions([self.encoding.is_value[k] for k in keys])
        status = solve(self.solver, cp)
        if status == cp_model.UNKNOWN:
            msg = "CP-SAT found no answer within 60 s; the model is too hard for this engine."
            raise ConfigurationConflictError(msg)
        return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)

    def solution(self) -> dict[str, Value]:
        encoding, solver = self.encoding, self.solver
        return {
            name: int(solver.value(encoding.amount[name]))
            if name in self.counted
            else bool(solver.boolean_value(encoding.selected[name]))
            for name in encoding.names
        }

    def prefer(self, values: Mapping[str, Value]) -> None:
        cp = self.encoding.cp
        cp.clear_hints()  # type: ignore[no-untyped-call]
        for name, value in values.items():
            cp.add_hint(self.encoding.amount[name], int(value))

    def close(self) -> None:
        """Nothing to free: CP-SAT solves are self-contained."""


class Configurator:
    """Reason about one product model: validity, propagation, completion, counts, conflicts.

    Parameters
    ----------
    model
        The product model. Boolean models run on a SAT solver; models with
        counted options or linear rules on CP-SAT (see the module docstring).

    Raises
    ------
    ConfigurationConflictError
        The model has no valid configuration at all (or CP-SAT finds no
        answer within 60 s).

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
        self.model = model
        self.names = model.order()
        self._options = {o.name: o for o in model.options}
        self._boolean = {o.name for o in model.options if o.domain is None}
        self.arithmetic = bool(model.linear_rules) or any(
            o.domain is not None for o in model.options
        )
        self._oracle: _Oracle = _CpOracle(model) if self.arithmetic else _SatOracle(model)
        self._diagram: DecisionDiagram | None = None
        if not self._oracle.consistent([]):
            msg = f"the model {model.name!r} has no valid configuration at all."
            raise ConfigurationConflictError(msg)

    def close(self) -> None:
        """Free the solver."""
        self._oracle.close()

    # ---------------------------------------------------------------- helpers
    def _keys(self, choices: object) -> list[Key]:
        return choice_keys(self.model, choices)

    def _hints(self, seen: dict[str, set[Value]], chosen: set[str]) -> dict[str, Value]:
        """For each undecided option, a value no solution has shown yet."""
        hints: dict[str, Value] = {}
        for name, values in seen.items():
            if name in chosen:
                continue
            if name in self._boolean:
                if len(values) == 1:
                    hints[name] = not next(iter(values))
                continue
            unseen = next((v for v in self._options[name].values() if v not in values), None)
            if unseen is not None:
                hints[name] = unseen
        return hints

    # ------------------------------------------------------------------- check
    def check(self, configuration: Choices | Iterable[str]) -> list[str]:
        """Every rule a complete configuration breaks, in words (empty when valid).

        A check, not a solve: it reads the rules directly, so it also works
        on configurations from outside (an order, a quote) and names each
        rule that fails rather than stopping at the first.

        Parameters
        ----------
        configuration
            The set of selected options, or a mapping of options to
            True/False or, for counted options, quantities (options not
            named are left out).

        Returns
        -------
        list of str
            Each broken rule, group or domain in words; empty when valid.

        Raises
        ------
        DataContractError
            If ``configuration`` names an unknown option or gives a value of
            the wrong type or outside its domain.
        """
        return broken_rules(self.model, quantities(self.model, configuration))

    # --------------------------------------------------------------- propagate
    def propagate(self, choices: Choices | None = None) -> Propagation:
        """Return the values every option can still take, exactly (backtrack-free).

        Exact, unlike unit propagation: a value is offered if and only if
        some valid configuration uses it, so a customer who keeps to the
        offered values always reaches a valid product.

        Parameters
        ----------
        choices
            The choices so far: option to True/False, or to a quantity for a
            counted option; none by default.

        Returns
        -------
        Propagation
            Every option's possible values, and the options the choices decide.

        Raises
        ------
        ConfigurationConflictError
            The choices cannot all hold; the error names a minimal conflict.
        DataContractError
            Unknown options, or values of the wrong type or outside their domain.
        """
        keys = self._keys(choices or {})
        oracle = self._oracle
        if not oracle.consistent(keys):
            raise self._conflict_error(keys)
        seen: dict[str, set[Value]] = {name: set() for name in self.names}
        for name, value in oracle.solution().items():
            seen[name].add(value)
        chosen = {name for name, _ in keys}
        # Lean every undecided option towards a value not seen yet, so one
        # solution usually settles many options at once.
        oracle.prefer(self._hints(seen, chosen))
        for name in self.names:
            if name in chosen:
                continue
            for value in self._options[name].values():
                if value in seen[name] or not oracle.consistent([*keys, (name, value)]):
                    continue
                for other, shown in oracle.solution().items():
                    seen[other].add(shown)
                oracle.prefer(self._hints(seen, chosen))
        possible = {name: frozenset(values) for name, values in seen.items()}
        forced = {
            name: next(iter(values))
            for name, values in possible.items()
            if len(values) == 1 and name not in chosen
        }
        return Propagation(possible=possible, forced=forced)

    def complete(self, choices: Choices | None = None, *, prefer: bool = False) -> dict[str, Value]:
        """Return a valid configuration keeping the choices (free options left out by default).

        Parameters
        ----------
        choices
            The choices to keep: option to True/False, or to a quantity.
        prefer
            ``False`` leaves free options out where the rules allow (the
            least product); ``True`` leans the other way, selecting free
            options (counted ones at their lowest quantity). A preference,
            not a rule: the rules win where they decide.

        Returns
        -------
        dict of str to bool or int
            Every option's value: True/False, or a quantity for a counted one.

        Raises
        ------
        ConfigurationConflictError
            The choices cannot all hold; the error names a minimal conflict.
        DataContractError
            Unknown options, or values of the wrong type or outside their domain.
        """
        keys = self._keys(choices or {})
        chosen = {name for name, _ in keys}
        lean: dict[str, Value] = {}
        for name in self.names:
            if name not in chosen:
                option = self._options[name]
                if option.domain is None:
                    lean[name] = prefer
                else:
                    lean[name] = option.domain[0] if prefer else 0
        self._oracle.prefer(lean)
        if not self._oracle.consistent(keys):
            raise self._conflict_error(keys)
        return self._oracle.solution()

    # ----------------------------------------------------------------- explain
    def _consistent(self, keys: Sequence[Key]) -> bool:
        return self._oracle.consistent(keys)

    def _quickxplain(self, background: list[Key], candidates: list[Key]) -> list[Key]:
        """Return a minimal subset of ``candidates`` that conflicts with ``background``."""

        def qx(base: list[Key], items: list[Key], *, delta: bool) -> list[Key]:
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

    def _fastdiag(self, candidates: list[Key]) -> list[Key]:
        """Felfernig's FastDiag: a minimal subset whose removal leaves the rest consistent."""

        def fd(items: list[Key], rest: list[Key], *, delta: bool) -> list[Key]:
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
        """Explain why ``choices`` conflict: a minimal conflict and a minimal repair, in words.

        Minimal, so the customer hears only the choices that matter: drop any
        one choice of the conflict and the rest can hold; give up the repair
        and the remaining choices are valid.

        Parameters
        ----------
        choices
            The choices to explain: option to True/False, or to a quantity.

        Returns
        -------
        Explanation
            The conflict and the repair as choices in words, and a sentence
            with both; all empty when the choices are consistent.

        Raises
        ------
        DataContractError
            Unknown options, or values of the wrong type or outside their domain.
        """
        return self._explain(self._keys(choices))

    def _explain(self, keys: list[Key]) -> Explanation:
        conflict = self._quickxplain([], keys)
        if not conflict:
            return Explanation((), (), "The choices are consistent: nothing to explain.")
        repair = self._fastdiag(keys)
        conflict_words = tuple(_word(k) for k in conflict)
        repair_words = tuple(_word(k) for k in repair)
        text = (
            f"These choices cannot all hold: {'; '.join(conflict_words)}. "
            f"Giving up {'; '.join(repair_words)} is the smallest change that makes the rest valid."
        )
        return Explanation(conflict_words, repair_words, text)

    def _conflict_error(self, keys: list[Key]) -> ConfigurationConflictError:
        explanation = self._explain(keys)
        return ConfigurationConflictError(explanation.text, choices=explanation.conflict)

    # ----------------------------------------------------------- count, sample
    def _dd(self) -> DecisionDiagram:
        if self._diagram is None:
            self._diagram = DecisionDiagram(self.model, self.names)
        return self._diagram

    def _enumerate(self, keys: list[Key]) -> list[dict[str, Value]]:
        """Every valid configuration keeping the choices, by CP-SAT enumeration (up to a limit)."""
        encoding = CpEncoding(self.model)
        for key in keys:
            encoding.cp.add_bool_and([encoding.is_value[key]])
        solver = cp_model.CpSolver()
        solver.parameters.enumerate_all_solutions = True
        solver.parameters.num_workers = 1
        found = _Collector(encoding, self._boolean)
        solve(solver, encoding.cp, found)
        if found.overflow:
            msg = (
                f"more than {ENUMERATION_LIMIT:,} valid configurations: a model with counted "
                "options or linear rules is counted by enumeration, up to that limit. Fix more "
                "choices first, or count the Boolean part of the model without its linear rules."
            )
            raise DataContractError(msg, column="choices", value=ENUMERATION_LIMIT)
        return found.solutions

    def count(self, choices: Choices | None = None) -> int:
        """Count the valid configurations (keeping the choices), exactly.

        The count is a Python integer, exact at any size (counts of real
        product lines run to dozens of digits, far past the 2**53 up to
        which a floating-point count is exact). Boolean models are counted
        on a decision diagram; models with counted options or linear rules by
        enumeration, up to 100,000 configurations.

        Parameters
        ----------
        choices
            Count only the configurations that keep these choices.

        Returns
        -------
        int
            The number of valid configurations.

        Raises
        ------
        DataContractError
            Unknown options or bad values in ``choices``; or, on a model with
            counted options or linear rules, more configurations than the
            enumeration limit.
        """
        keys = self._keys(choices or {})
        if self.arithmetic:
            return len(self._enumerate(keys))
        return self._dd().count({name: bool(value) for name, value in keys})

    def sample(
        self,
        n: int,
        choices: Choices | None = None,
        *,
        random_state: int | np.random.Generator | None = None,
    ) -> list[frozenset[str]]:
        """Draw ``n`` valid configurations uniformly at random (as sets of selected options).

        Each valid configuration keeping the choices is equally likely: a
        draw is a uniform integer below the exact count, turned into the
        configuration of that rank, so the odds stay exact beyond 2**53.

        Parameters
        ----------
        n
            Number of configurations to draw (>= 0), with replacement.
        choices
            Draw only among the configurations that keep these choices.
        random_state
            Seed or generator, for reproducible draws.

        Returns
        -------
        list of frozenset of str
            ``n`` configurations, each as the set of its selected options.

        Raises
        ------
        ConfigurationConflictError
            No valid configuration keeps the choices (a minimal conflict is named).
        DataContractError
            A bad ``n``, ``random_state`` or choice.
        """
        require_number(n, name="n", low=0, integer=True)
        keys = self._keys(choices or {})
        rng = as_generator(random_state)
        if not self._oracle.consistent(keys):
            raise self._conflict_error(keys)
        if self.arithmetic:
            every = self._enumerate(keys)
            picks = rng.integers(0, len(every), int(n)).tolist()
            return [frozenset(k for k, v in every[i].items() if v) for i in picks]
        fixed = {name: bool(value) for name, value in keys}
        return self._dd().sample(fixed, rng, int(n))

    def __enter__(self) -> Self:
        """Return the engine itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Free the solver."""
        self.close()


class _Collector(cp_model.CpSolverSolutionCallback):
    """Collect enumerated configurations; stop past the limit."""

    def __init__(self, encoding: CpEncoding, boolean: set[str]) -> None:
        super().__init__()
        self.encoding = encoding
        self.boolean = boolean
        self.solutions: list[dict[str, Value]] = []
        self.overflow = False

    def on_solution_callback(self) -> None:
        if len(self.solutions) >= ENUMERATION_LIMIT:
            self.overflow = True
            self.stop_search()
            return
        self.solutions.append(
            {
                name: bool(self.boolean_value(self.encoding.selected[name]))
                if name in self.boolean
                else int(self.value(self.encoding.amount[name]))
                for name in self.encoding.names
            }
        )
