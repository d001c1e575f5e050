"""A configuration session: one customer's choices, step by step, and what each one ruled out.

The session is itself a learning interaction: every step says what the
customer chose, which values became impossible and which of their choices
rule each one out, and the steps export as interaction records
(``kind="configuration"``) for the interaction log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ..errors import ConfigurationConflictError, DataContractError
from ._engine import Configurator

__all__ = ["ConfigurationSession", "Step"]


@attrs.frozen
class Step:
    """One choice and its consequences.

    Attributes
    ----------
    option, value
        What the customer chose.
    at
        When.
    ruled_out
        Each value that became impossible, as ``(option, value, reason)``; the
        reason names the customer's choices that exclude it.
    forced
        Options decided by this choice, with their value.
    """

    option: str
    value: bool
    at: dt.datetime
    ruled_out: tuple[tuple[str, bool, str], ...]
    forced: tuple[tuple[str, bool], ...]


class ConfigurationSession:
    """Guide one customer through a configuration, backtrack-free.

    Examples
    --------
    >>> from one2one.customize import Configurator, Group, Option, ProductModel, Rule
    >>> model = ProductModel("bike", [Option(n) for n in ("bike", "road", "carrier")],
    ...                      [Group("bike", "optional", ["road", "carrier"])],
    ...                      [Rule.excludes("road", "carrier")])
    >>> session = ConfigurationSession(Configurator(model), customer_id="C1")
    >>> session.choose("road").ruled_out
    (('carrier', True, 'road selected'),)
    """

    def __init__(self, engine: Configurator, *, customer_id: str | None = None) -> None:
        self.engine = engine
        self.customer_id = customer_id
        self.choices: dict[str, bool] = {}
        self.steps: list[Step] = []
        self.possible = engine.propagate().possible

    def choose(self, option: str, value: bool = True, *, at: dt.datetime | None = None) -> Step:
        """Record a choice; refuse it (unrecorded) when no valid configuration keeps it."""
        if option not in self.possible:
            msg = f"unknown option {option!r}."
            raise DataContractError(msg, column="option", value=option)
        if value not in self.possible[option]:
            reason = self._why(option, value)
            msg = f"{option} cannot be {'selected' if value else 'left out'} now: {reason}."
            raise ConfigurationConflictError(msg, choices=[option])
        before = self.possible
        self.choices[option] = bool(value)
        propagation = self.engine.propagate(self.choices)
        self.possible = propagation.possible
        ruled_out = tuple(
            (name, lost, self._why(name, lost))
            for name, values in before.items()
            for lost in sorted(values - propagation.possible[name])
            if name != option
        )
        forced = tuple(
            (name, next(iter(values)))
            for name, values in propagation.possible.items()
            if len(values) == 1 and len(before[name]) == 2 and name != option  # noqa: PLR2004
        )
        step = Step(option, bool(value), at or dt.datetime.now(dt.UTC), ruled_out, forced)
        self.steps.append(step)
        return step

    def _why(self, option: str, value: bool) -> str:
        explanation = self.engine.explain({**self.choices, option: value})
        others = [c for c in explanation.conflict if not c.startswith(f"{option} ")]
        return ", ".join(others) if others else "the model's rules"

    def undo(self) -> Step:
        """Take back the last choice."""
        if not self.steps:
            msg = "there is no choice to undo."
            raise DataContractError(msg, column="steps")
        step = self.steps.pop()
        del self.choices[step.option]
        self.possible = self.engine.propagate(self.choices).possible
        return step

    def complete(self) -> dict[str, bool]:
        """Return a valid configuration that keeps every choice."""
        return self.engine.complete(self.choices)

    def to_interactions(self, *, channel: str = "web") -> list[dict[str, Any]]:
        """Return the steps as interaction records (``kind="configuration"``) for the log."""
        if self.customer_id is None:
            msg = "the session has no customer_id; pass one to ConfigurationSession."
            raise DataContractError(msg, column="customer_id")
        return [
            {
                "customer_id": self.customer_id,
                "occurred_at": step.at,
                "channel": channel,
                "kind": "configuration",
                "payload": {
                    "model": self.engine.model.name,
                    "option": step.option,
                    "value": step.value,
                    "ruled_out": [[n, v] for n, v, _ in step.ruled_out],
                },
            }
            for step in self.steps
        ]
