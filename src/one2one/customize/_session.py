"""A configuration session: one customer's choices, step by step, and what each one ruled out.

The session is itself a learning interaction: every step says what the
customer chose, which values became impossible and which of their choices
rule each one out, and the steps export as interaction records
(``kind="configuration"``) for the interaction log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import attrs

from ..errors import ConfigurationConflictError, DataContractError
from ._engine import Configurator, Value, choice_keys

__all__ = ["ConfigurationSession", "Step"]


@attrs.frozen
class Step:
    """One choice and its consequences.

    Attributes
    ----------
    option, value
        What the customer chose (a quantity for a counted option).
    at
        When.
    ruled_out
        Each value that became impossible, as ``(option, value, reason)``; the
        reason names the customer's choices that exclude it.
    forced
        Options decided by this choice, with their value.
    step_id
        Unique within the session and never reused (also after an undo): the
        event id of the step's interaction record, so exporting twice stores once.
    """

    option: str
    value: Value
    at: dt.datetime
    ruled_out: tuple[tuple[str, Value, str], ...]
    forced: tuple[tuple[str, Value], ...]
    step_id: str = ""


class ConfigurationSession:
    """Guide one customer through a configuration, backtrack-free.

    After each choice only values that some valid configuration still uses
    are offered, so the customer never walks into a dead end; each step says
    what the choice ruled out and why, which is what the customer learns and
    what the interaction log keeps.

    Parameters
    ----------
    engine
        The configurator of the product model being configured.
    customer_id
        Whose session this is; needed only to export the steps with
        :meth:`to_interactions`.

    Raises
    ------
    ConfigurationConflictError
        If the product model has no valid configuration at all.

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
        self.choices: dict[str, Value] = {}
        self.steps: list[Step] = []
        self.possible = engine.propagate().possible
        self.session_id = uuid.uuid4().hex
        self._made = 0

    def choose(self, option: str, value: Value = True, *, at: dt.datetime | None = None) -> Step:
        """Record a choice; refuse it (unrecorded) when no valid configuration keeps it.

        A refused choice leaves the session as it was, so the customer can try
        another value without undoing anything.

        Parameters
        ----------
        option
            The option's name.
        value
            ``True`` (selected) or ``False`` (left out); for a counted option
            a quantity in its domain, or 0 (or ``False``) for left out.
        at
            When the customer chose (timezone-aware); now, in UTC, by default.

        Returns
        -------
        Step
            The choice with the values it ruled out (each with the choices
            that exclude it) and the options it decided.

        Raises
        ------
        DataContractError
            If ``option`` is not in the model, or ``value`` is not a
            True/False (or a quantity in the domain, for a counted option).
        ConfigurationConflictError
            If no valid configuration keeps the earlier choices and this one;
            the message names the choices that exclude it.
        """
        if option not in self.possible:
            msg = f"unknown option {option!r}."
            raise DataContractError(msg, column="option", value=option)
        counted = self.engine.model.option(option).domain is not None
        if counted and value is False:
            value = 0
        choice_keys(self.engine.model, {option: value})  # the value's type and domain
        if value not in self.possible[option]:
            reason = self._why(option, value)
            wanted = f"= {value}" if counted and value else ("selected" if value else "left out")
            msg = f"{option} cannot be {wanted} now: {reason}."
            raise ConfigurationConflictError(msg, choices=[option])
        before = self.possible
        self.choices[option] = value
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
            if len(values) == 1 and len(before[name]) > 1 and name != option
        )
        self._made += 1
        step_id = f"configuration-{self.session_id}-{self._made}"
        step = Step(option, value, at or dt.datetime.now(dt.UTC), ruled_out, forced, step_id)
        self.steps.append(step)
        return step

    def _why(self, option: str, value: Value) -> str:
        explanation = self.engine.explain({**self.choices, option: value})
        others = [c for c in explanation.conflict if not c.startswith(f"{option} ")]
        return ", ".join(others) if others else "the model's rules"

    def undo(self) -> Step:
        """Take back the last choice.

        Returns
        -------
        Step
            The step taken back; what it ruled out is possible again.

        Raises
        ------
        DataContractError
            If there is no choice to undo.
        """
        if not self.steps:
            msg = "there is no choice to undo."
            raise DataContractError(msg, column="steps")
        step = self.steps.pop()
        del self.choices[step.option]
        self.possible = self.engine.propagate(self.choices).possible
        return step

    def complete(self) -> dict[str, Value]:
        """Return a valid configuration that keeps every choice.

        Options the customer left open are left out where the rules allow,
        so the configuration is the least one that honours the choices.

        Returns
        -------
        dict of str to bool or int
            Every option's value: True/False, or a quantity for a counted one.
        """
        return self.engine.complete(self.choices)

    def to_interactions(self, *, channel: str = "web") -> list[dict[str, Any]]:
        """Return the steps as interaction records (``kind="configuration"``) for the log.

        A configuration session is a conversation with the customer; logged,
        its choices feed the customer's profile like any other interaction.
        Each record's ``event_id`` is its step's id, so exporting twice stores
        each step once.

        Parameters
        ----------
        channel
            The channel of the session (``"web"``, ``"store"``, ...).

        Returns
        -------
        list of dict
            One record per step, in order, with ``event_id``, ``customer_id``,
            ``occurred_at``, ``channel``, ``kind`` and ``payload`` (``model``,
            ``option``, ``value`` and ``ruled_out`` as ``[option, value]`` pairs).

        Raises
        ------
        DataContractError
            If the session has no ``customer_id``.
        """
        if self.customer_id is None:
            msg = "the session has no customer_id; pass one to ConfigurationSession."
            raise DataContractError(msg, column="customer_id")
        return [
            {
                "event_id": step.step_id,
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
