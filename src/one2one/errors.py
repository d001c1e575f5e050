"""Every error and warning one2one raises, in one tree.

Each exception also subclasses the builtin (or scikit-learn) exception that
fits, so ``except ValueError`` keeps working for callers who do not know
one2one, while ``except One2OneError`` catches everything the library raises
on purpose::

    * One2OneError
      x DataContractError (ValueError)        bad input: column/field, value, row
        x NonRandomAssignmentError             treatment that looks self-selected
        x InvalidBatchError                    a batch of events with bad ones in it
        x EventConflictError                   an event id re-sent with other content
      x NotFittedError (sklearn NotFittedError) a model used before ``fit``
      x ConvergenceError (RuntimeError)        an optimiser that did not converge
      x ConsentError (PermissionError)         a contact the customer did not allow
        x ContactPolicyError                   a contact the contact rules do not allow
      x ConfigurationConflictError (ValueError) product choices that break rules
        x UnfairPriceError                     a personal price above the new-customer price
      x StorageError (OSError)                 a database or file that failed
        x DecryptionError                      a payload or key the keys given cannot open
      x MissingDependencyError (ImportError)   an optional extra not installed
    * One2OneWarning (UserWarning)
      x ConvergenceWarning                     a fit that converged doubtfully
      x DataWarning                            input accepted, but look at it
        x NonRandomAssignmentWarning           the same, when asked to warn only
      x StorageWarning                         stored, but a step after the commit failed

Messages say what was wrong, what was expected and, where it helps, how to fix
it; the context is also kept on the exception as attributes, so code can act on
it without parsing text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "ConfigurationConflictError",
    "ConsentError",
    "ContactPolicyError",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataContractError",
    "DataWarning",
    "DecryptionError",
    "EventConflictError",
    "InvalidBatchError",
    "MissingDependencyError",
    "NonRandomAssignmentError",
    "NonRandomAssignmentWarning",
    "NotFittedError",
    "One2OneError",
    "One2OneWarning",
    "StorageError",
    "StorageWarning",
    "UnfairPriceError",
]


class One2OneError(Exception):
    """Base class of every exception one2one raises on purpose."""


class DataContractError(One2OneError, ValueError):
    """Input that breaks a documented contract (a column, field or argument).

    Parameters
    ----------
    message
        What was wrong, what was expected and what was received.
    column
        The column, field or argument name at fault, if there is one.
    value
        The offending value (the first one, when there are several).
    row
        The index label of the first offending row, for tabular input.
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        value: object = None,
        row: object = None,
    ) -> None:
        super().__init__(message)
        self.column = column
        self.value = value
        self.row = row


class InvalidBatchError(DataContractError):
    """A batch of events was refused because some failed validation (none was stored).

    Every bad event is reported at once, so a sender fixes the batch in one
    round instead of one event per retry.

    Parameters
    ----------
    message
        How many events failed, and the first reasons.
    problems
        Every bad event as ``(position, event_id, reason)``; ``event_id`` is
        ``None`` when the event was too broken to have one. Kept as
        ``problems``; ``row`` and ``value`` hold the first one's position and
        reason.
    """

    def __init__(self, message: str, *, problems: Sequence[tuple[int, str | None, str]]) -> None:
        first = problems[0] if problems else (None, None, None)
        super().__init__(message, column=None, value=first[2], row=first[0])
        self.problems = tuple(problems)


class EventConflictError(DataContractError):
    """An event id already used by an event with different content (nothing was stored).

    Re-sending the same event is a silent no-op (that is what makes retries
    safe); re-using its id for something else is a bug in the sender that
    would otherwise lose the new event without a word.

    Parameters
    ----------
    message
        Which event ids conflict and what differs.
    conflicts
        Each as ``(position, event_id, fields)``, ``fields`` naming what
        differs; kept as ``conflicts``.
    """

    def __init__(
        self, message: str, *, conflicts: Sequence[tuple[int, str, tuple[str, ...]]]
    ) -> None:
        first = conflicts[0] if conflicts else (None, None, ())
        super().__init__(message, column="event_id", value=first[1], row=first[0])
        self.conflicts = tuple(conflicts)


class NonRandomAssignmentError(DataContractError):
    """Treatment can be predicted from the customers' features: it was not randomised.

    Uplift learned from such data mixes the effect of a contact with the reason
    the customer was contacted. ``auc`` is the cross-validated AUC of a model
    predicting treatment (0.5 for a fair coin); ``column`` is the feature
    most out of balance.

    Parameters
    ----------
    message
        The AUC against its threshold, the worst feature and what to do.
    auc
        The cross-validated AUC (also in ``value``).
    column
        The feature most out of balance, if any.
    """

    def __init__(self, message: str, *, auc: float, column: str | None = None) -> None:
        super().__init__(message, column=column, value=auc)
        self.auc = auc


_NOT_FITTED_DOC = """A model was asked for results before ``fit`` was called.

    It subclasses scikit-learn's ``NotFittedError`` so that code written for
    scikit-learn estimators catches it too.
    """

if TYPE_CHECKING:

    class NotFittedError(One2OneError, _SklearnNotFittedError):  # type: ignore[misc]
        """A model was asked for results before ``fit`` was called."""

else:

    def __getattr__(name: str) -> type:
        """Define ``NotFittedError`` when first asked for (PEP 562).

        Its base, scikit-learn's ``NotFittedError``, costs the import of
        scikit-learn (a second on this machine, most of ``import one2one.clv``),
        which code that never meets an unfitted model should not pay.
        """
        if name != "NotFittedError":
            msg = f"module {__name__!r} has no attribute {name!r}"
            raise AttributeError(msg)
        from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: PLC0415

        error = type(
            "NotFittedError",
            (One2OneError, SklearnNotFittedError),
            {"__doc__": _NOT_FITTED_DOC, "__module__": __name__},
        )
        globals()["NotFittedError"] = error
        return error


class ConvergenceError(One2OneError, RuntimeError):
    """An optimiser stopped without reaching a trustworthy optimum.

    Parameters
    ----------
    message
        What failed and what to try instead.
    result
        The optimiser's own result object (e.g. ``scipy.optimize.OptimizeResult``),
        kept for inspection.
    """

    def __init__(self, message: str, *, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class ConsentError(One2OneError, PermissionError):
    """A contact that the customer has not consented to (nothing was stored).

    Parameters
    ----------
    message
        Which consent was missing and how to obtain or check it.
    customer_id
        The customer who would have been contacted.
    purpose
        The consent purpose that was required (e.g. ``"marketing"``).
    channel
        The channel of the refused contact, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        customer_id: str | None = None,
        purpose: str | None = None,
        channel: str | None = None,
    ) -> None:
        super().__init__(message)
        self.customer_id = customer_id
        self.purpose = purpose
        self.channel = channel


class ContactPolicyError(ConsentError):
    """A contact refused by the contact policy, checked in the same transaction as the write.

    Nothing in the batch was stored. A subclass of :class:`ConsentError`, so
    code that handles refused contacts handles both.

    Parameters
    ----------
    message
        Why the contact was refused and when it would be allowed.
    customer_id
        The customer who would have been contacted.
    channel
        The channel of the refused contact.
    reasons
        One sentence per blocking rule.
    earliest_allowed_at
        The first moment the contact would be allowed (``None`` if waiting
        does not help).
    """

    def __init__(
        self,
        message: str,
        *,
        customer_id: str | None = None,
        channel: str | None = None,
        reasons: Sequence[str] = (),
        earliest_allowed_at: object = None,
    ) -> None:
        super().__init__(message, customer_id=customer_id, purpose=None, channel=channel)
        self.reasons = tuple(reasons)
        self.earliest_allowed_at = earliest_allowed_at


class ConfigurationConflictError(One2OneError, ValueError):
    """Product choices or a product model that break one or more rules.

    Parameters
    ----------
    message
        The conflict in words.
    rules
        Names of the rules involved.
    choices
        The user choices that take part in the conflict (a minimal set, where
        the engine computed one).
    """

    def __init__(
        self,
        message: str,
        *,
        rules: Sequence[str] = (),
        choices: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.rules = tuple(rules)
        self.choices = tuple(choices)


class UnfairPriceError(ConfigurationConflictError):
    """A quote for an existing customer above what a new customer would pay.

    Personal prices may reward loyalty, never exploit it.

    Parameters
    ----------
    message
        Both prices and the adjustments that raised the price.
    rules
        The personal adjustments that pushed the price up.
    choices
        The selected options of the quoted configuration.
    """


class StorageError(One2OneError, OSError):
    """A store (database file, saved model) could not be read or written.

    Parameters
    ----------
    message
        What failed and whether any data was changed (it never is, partially).
    path
        The file or database involved, if any.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class DecryptionError(StorageError):
    """Stored payloads or customer keys that the keys given cannot open: never shown as garbage.

    Raised for a wrong or missing master key (the interaction log's customer
    keys are wrapped under another one), and for a payload that fails
    authentication under its own key (the row was altered, or its ciphertext
    copied from another row). A payload whose customer key was destroyed by
    an erasure is not an error: it reads as erased.

    Parameters
    ----------
    message
        What could not be opened and what to do (the key itself is never named).
    path
        The database involved, if any.
    event_id
        The event whose payload failed authentication, if that is what failed.
    """

    def __init__(
        self, message: str, *, path: str | None = None, event_id: str | None = None
    ) -> None:
        super().__init__(message, path=path)
        self.event_id = event_id


class MissingDependencyError(One2OneError, ImportError):
    """An optional dependency is needed and not installed.

    Parameters
    ----------
    message
        Which feature needs it and the ``pip install`` line that adds it.
    extra
        The one2one extra that provides it (e.g. ``"plot"``).
    """

    def __init__(self, message: str, *, extra: str) -> None:
        super().__init__(message)
        self.extra = extra


class One2OneWarning(UserWarning):
    """Base class of every warning one2one emits."""


class ConvergenceWarning(One2OneWarning):
    """A fit finished, but its optimum is doubtful (e.g. a large gradient)."""


class DataWarning(One2OneWarning):
    """Input was accepted, but something about it deserves a look."""


class StorageWarning(One2OneWarning):
    """A write was committed, but a step that follows it did not complete.

    Examples: a subscriber that keeps derived state (profiles) failed on a
    stored batch, or the write-ahead log could not be cleared after an
    erasure because another process was reading. The stored data are safe;
    the message says what is stale and how to bring it up to date.
    """


class NonRandomAssignmentWarning(DataWarning):
    """Treatment looks non-random, and the caller asked for a warning, not an error."""
