"""Diagnostic plots for fitted transaction models, and the tables behind them.

Each figure has a ``*_table`` function that computes its numbers as a
DataFrame (for reports and tests) and a ``plot_*`` function that draws them:

* :func:`plot_calibration_vs_holdout`: mean holdout purchases, actual and
  predicted by one model or several, by calibration frequency (Fader, Hardie
  & Lee 2005, figure 3);
* :func:`plot_frequency_histogram`: customers by calibration frequency,
  actual and simulated from the model;
* :func:`plot_p_alive_matrix` and :func:`plot_expected_purchases_matrix`:
  heat maps of a prediction over (frequency, recency).

The tracking plot (the cohort's purchases over calendar time) lives in
``_tracking.py``.

matplotlib is optional (``pip install 'one2one-marketing[plot]'``): it is imported by
the ``plot_*`` functions only, and the tables work without it. The plots draw
into ``ax`` when given (else into a new figure), return the Axes and never
call ``show``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._charts import PALETTE, count_ticks, number_label
from .._deprecation import renamed_parameters
from .._validation import (
    Column,
    FrameContract,
    as_generator,
    optional_import,
    require_frame,
    require_number,
)
from ..errors import DataContractError
from ._periods import Freq, agreed_period, period_name
from ._transaction_models import TransactionModel

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "calibration_vs_holdout_table",
    "expected_purchases_matrix_table",
    "frequency_histogram_table",
    "p_alive_matrix_table",
    "plot_calibration_vs_holdout",
    "plot_expected_purchases_matrix",
    "plot_frequency_histogram",
    "plot_p_alive_matrix",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_FREQS: tuple[Freq, ...] = ("D", "W", "M", "Q", "Y")
_TINY_T = 1e-9  # observation length given to customers with T = 0 when simulating
_DEFAULT_T = 52.0
_HOLDOUT_COLUMNS = ("frequency_holdout", "duration_holdout")

_HOLDOUT_CONTRACT = FrameContract(
    "summary",
    columns=[
        Column("frequency_holdout", "integer", non_negative=True),
        Column("duration_holdout", "number", non_negative=True),
    ],
)
_HISTOGRAM_CONTRACT = FrameContract(
    "summary",
    columns=[
        Column("frequency", "integer", non_negative=True),
        Column("T", "number", non_negative=True),
    ],
)


# --- shared helpers ------------------------------------------------------------------------
def _known_period(period: object) -> Freq | None:
    """Return ``period`` if it is a period code one2one knows, else None."""
    for code in _FREQS:
        if period == code:
            return code
    return None


def _unit(period: Freq | None) -> str:
    """Plural name of a period for labels ("weeks"), or "periods" when unknown."""
    return "periods" if period is None else period_name(period)


def _summary_period(model: TransactionModel, summary: pd.DataFrame) -> Freq | None:
    """Return the period of predictions: the model's and the summary's, refused if they differ."""
    return agreed_period(
        fitted=_known_period(getattr(model, "period_", None)),
        summary=_known_period(summary.attrs.get("period")),
    )


def _max_frequency(value: object) -> int:
    return int(require_number(value, name="max_frequency", low=1, integer=True))


def _bin_labels(max_frequency: int) -> pd.Index:
    """Labels "0", "1", ..., "max+" of the frequency bins."""
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    return pd.Index(labels, name="frequency")


def _binned(frequency: pd.Series, max_frequency: int) -> IntArray:
    """Frequency bin of each customer: the frequency, capped at ``max_frequency``."""
    capped: IntArray = np.minimum(frequency.to_numpy(dtype=np.int64), max_frequency)
    return capped


def _pyplot(feature: str) -> ModuleType:
    return optional_import("matplotlib.pyplot", extra="plot", feature=feature)


def _target_axes(plt: ModuleType, ax: Axes | None) -> Axes:
    """Return ``ax``, or the Axes of a new figure."""
    if ax is not None:
        return ax
    _, new = plt.subplots()
    return cast("Axes", new)


ACTUAL_COLOUR = PALETTE[-1]
"""Black: the data a model is judged against."""
_MARKERS = ("s", "^", "D", "v", "P", "X", "*")


def model_colour(position: int) -> str:
    """Return the colour of the ``position``-th model's line (an Okabe-Ito colour, not black)."""
    return PALETTE[position % (len(PALETTE) - 1)]


def named_models(
    models: TransactionModel | Mapping[str, TransactionModel], *, needs: str
) -> tuple[dict[str, TransactionModel], bool]:
    """Return ``{name: model}`` and whether a mapping was given (one column per model).

    One model is named by its class (the legend label) and its table keeps the
    column ``predicted``; a mapping gives each model a column of its name.
    ``needs`` is the method a model must have for the caller.
    """
    if not isinstance(models, Mapping):
        if isinstance(models, list | tuple | set | frozenset):
            msg = (
                "models must be a fitted transaction model or a mapping of names to fitted "
                f"models (got a {type(models).__name__}); name them, e.g. "
                "{'BG/NBD': bgnbd, 'Pareto/NBD': pareto}."
            )
            raise DataContractError(msg, column="models", value=type(models).__name__)
        _require_model(models, "models", needs)
        return {type(models).__name__: models}, False
    if not models:
        msg = "models must name at least one fitted model (got an empty mapping)."
        raise DataContractError(msg, column="models", value={})
    named: dict[str, TransactionModel] = {}
    for name, model in models.items():
        if not isinstance(name, str) or not name:
            msg = f"each model's name must be a non-empty string (got {name!r})."
            raise DataContractError(msg, column="models", value=name)
        _require_model(model, f"models[{name!r}]", needs)
        named[name] = model
    return named, True


def _require_model(model: object, where: str, needs: str) -> None:
    if not callable(getattr(model, needs, None)):
        msg = (
            f"{where} must be a fitted transaction model with {needs}() "
            f"(got {type(model).__name__})."
        )
        raise DataContractError(msg, column="models", value=type(model).__name__)


def require_distinct_columns(columns: list[str]) -> None:
    """Refuse model names that would give the table a column twice."""
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            msg = (
                "model names must leave the table's columns distinct (got the column "
                f"{column!r} twice); rename the model."
            )
            raise DataContractError(msg, column="models", value=column)
        seen.add(column)


# --- calibration vs holdout ----------------------------------------------------------------
@renamed_parameters(model="models")
def calibration_vs_holdout_table(
    models: TransactionModel | Mapping[str, TransactionModel],
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
) -> pd.DataFrame:
    """Compute mean holdout purchases, actual and predicted, by calibration frequency.

    Customers are grouped by their number of repeat purchases in the
    calibration period (0, 1, ..., ``max_frequency - 1`` and a last group
    ``"max_frequency+"``). For each group the table gives the mean of the
    actual ``frequency_holdout`` and the mean of each model's conditional
    expectation over each customer's own ``duration_holdout``. A group where
    a model's mean strays from the actual one is where that model drifts.

    Parameters
    ----------
    models
        A fitted transaction model (e.g. :class:`~one2one.clv.BetaGeoModel`),
        or a mapping ``{name: model}`` of several to compare side by side,
        each fitted on the calibration columns. (``model=`` is read as
        ``models=`` with a ``DeprecationWarning`` until one2one 0.2.)
    summary
        A summary with holdout columns: ``frequency``, ``recency``, ``T``,
        ``frequency_holdout`` and ``duration_holdout``, as made by
        :func:`~one2one.clv.rfm_summary` with ``calibration_end``, all in the
        models' period.
    max_frequency
        The last group collects customers with at least this many repeat
        purchases.

    Returns
    -------
    pandas.DataFrame
        Indexed by the frequency group (``"0"``, ..., ``"7+"``), with columns
        ``n_customers``, ``actual`` and, for one model, ``predicted``; for a
        mapping, one column per model name instead, in the mapping's order.
        Means are NaN for empty groups. ``attrs["period"]`` is the period of
        the durations, if known.

    Raises
    ------
    DataContractError
        If a column is missing (the holdout columns: build the summary with
        ``calibration_end``) or breaks its contract, the summary's
        ``attrs["period"]`` differs from a model's ``period_``, the models
        were fitted in different periods, or a model's name clashes with
        ``n_customers`` or ``actual``.
    NotFittedError
        If a model is not fitted.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
       customers" the easy way: an alternative to the Pareto/NBD model.
       Marketing Science 24(2), 275-284 (figure 3).

    Examples
    --------
    >>> from one2one.clv import (
    ...     BetaGeoModel, ParetoNBDModel, calibration_vs_holdout_table, rfm_summary
    ... )
    >>> from one2one.datasets import load_cdnow_transactions
    >>> summary = rfm_summary(
    ...     load_cdnow_transactions("sample"), freq="W", calibration_end="1997-09-30"
    ... )
    >>> table = calibration_vs_holdout_table(BetaGeoModel().fit(summary), summary)
    >>> table["n_customers"].tolist()
    [1422, 443, 221, 98, 56, 35, 37, 45]
    >>> models = {"BG/NBD": BetaGeoModel(), "Pareto/NBD": ParetoNBDModel()}
    >>> fitted = {name: model.fit(summary) for name, model in models.items()}
    >>> list(calibration_vs_holdout_table(fitted, summary).columns)
    ['n_customers', 'actual', 'BG/NBD', 'Pareto/NBD']
    """
    named, several = named_models(models, needs="predict_purchases")
    columns = list(named) if several else ["predicted"]
    require_distinct_columns(["n_customers", "actual", *columns])
    frame = require_frame(summary, name="summary")
    missing = [c for c in _HOLDOUT_COLUMNS if c not in frame.columns]
    if missing:
        msg = (
            f"summary has no holdout column(s) {', '.join(map(repr, missing))}; build it with "
            "rfm_summary(..., calibration_end=...) to compare predictions with a holdout period."
        )
        raise DataContractError(msg, column=missing[0])
    _HOLDOUT_CONTRACT.validate(frame)
    top = _max_frequency(max_frequency)
    period = _one_period({name: _summary_period(model, frame) for name, model in named.items()})

    duration = frame["duration_holdout"].to_numpy(dtype=np.float64)
    data = {"actual": frame["frequency_holdout"].to_numpy(dtype=np.float64)}
    for column, model in zip(columns, named.values(), strict=True):
        data[column] = _holdout_predictions(model, frame, duration)
    groups = pd.DataFrame(data).groupby(_binned(frame["frequency"], top))
    table = pd.concat([groups.size().rename("n_customers"), groups.mean()], axis=1)
    table = table.reindex(range(top + 1))
    table["n_customers"] = table["n_customers"].fillna(0).astype(np.int64)
    table.index = _bin_labels(top)
    table.attrs["period"] = period
    return table


def _holdout_predictions(
    model: TransactionModel, frame: pd.DataFrame, duration: FloatArray
) -> FloatArray:
    """Each customer's expected holdout purchases, over their own holdout length."""
    predicted = np.empty(len(frame))
    for horizon in np.unique(duration):  # one prediction per distinct holdout length
        rows = duration == horizon
        predicted[rows] = model.predict_purchases(frame.loc[rows], t=float(horizon)).to_numpy()
    return predicted


def _one_period(periods: dict[str, Freq | None]) -> Freq | None:
    """Return the one period of several models' predictions of one summary, refusing a mix."""
    known = {name: period for name, period in periods.items() if period is not None}
    if len(set(known.values())) > 1:
        got = ", ".join(f"{name!r} in {period_name(period)}" for name, period in known.items())
        msg = (
            f"the models must be fitted in one period to predict one summary (got {got}); "
            "fit them on summaries with the same freq and time_unit."
        )
        raise DataContractError(msg, column="period", value=sorted(set(known.values())))
    return next(iter(known.values()), None)


@renamed_parameters(model="models")
def plot_calibration_vs_holdout(
    models: TransactionModel | Mapping[str, TransactionModel],
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Plot mean holdout purchases, actual and predicted, by calibration frequency.

    The standard validation figure of Fader, Hardie & Lee (2005, figure 3):
    a model that describes the customers well predicts each group's mean.
    With several models, each has its line, so the groups where one drifts
    stand out. The numbers are those of :func:`calibration_vs_holdout_table`.

    Parameters
    ----------
    models
        A fitted transaction model, or a mapping ``{name: model}`` of several
        (``model=`` is read as ``models=`` with a ``DeprecationWarning`` until
        one2one 0.2).
    summary
        A summary with holdout columns (see :func:`calibration_vs_holdout_table`).
    max_frequency
        The last group collects customers with at least this many repeat purchases.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one line for the actual means (black), then one
        per model, labelled by the model's class (one model) or its name.

    Raises
    ------
    DataContractError
        If the holdout columns are missing, a column breaks its contract, or
        the models cannot be compared (see :func:`calibration_vs_holdout_table`).
    MissingDependencyError
        If matplotlib is not installed.
    """
    table = calibration_vs_holdout_table(models, summary, max_frequency=max_frequency)
    named, several = named_models(models, needs="predict_purchases")
    plt = _pyplot("plot_calibration_vs_holdout")
    axes = _target_axes(plt, ax)
    unit = _unit(table.attrs["period"])
    durations = np.unique(summary["duration_holdout"].to_numpy(dtype=np.float64))
    holdout = f"{number_label(durations[0])} {unit}" if durations.size == 1 else unit
    x = np.arange(len(table))
    axes.plot(x, table["actual"], marker="o", color=ACTUAL_COLOUR, label="Actual")
    for position, name in enumerate(named):
        axes.plot(
            x,
            table[name if several else "predicted"],
            marker=_MARKERS[position % len(_MARKERS)],
            linestyle="--",
            color=model_colour(position),
            label=name,
        )
    axes.set_xticks(x, labels=list(table.index))
    axes.set_xlabel("Repeat purchases in the calibration period")
    axes.set_ylabel(f"Mean repeat purchases in the holdout ({holdout})")
    axes.set_title(f"Holdout purchases by calibration frequency ({unit})")
    axes.legend()
    return axes


# --- frequency histogram -------------------------------------------------------------------
@renamed_parameters(seed="random_state")
def frequency_histogram_table(
    model: TransactionModel,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    n_draws: int = 10,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Count customers by repeat purchases, actual and expected under the model.

    The expected counts are the mean over ``n_draws`` customer bases simulated
    from the fitted model, each with one simulated customer per real one,
    observed for the same ``T``.

    Parameters
    ----------
    model
        A fitted transaction model.
    summary
        The calibration summary: ``frequency`` and ``T`` (in the model's period).
    max_frequency
        The last bin collects customers with at least this many repeat purchases.
    n_draws
        Number of simulated customer bases to average.
    random_state
        Seed or generator for the simulations (``seed=`` is read as
        ``random_state=`` with a ``DeprecationWarning`` until one2one 0.2).

    Returns
    -------
    pandas.DataFrame
        Indexed by the frequency bin (``"0"``, ..., ``"7+"``), with columns
        ``actual`` (number of customers) and ``predicted`` (mean simulated
        number). Both columns sum to the number of customers.

    Raises
    ------
    DataContractError
        If ``summary`` lacks ``frequency`` or ``T``, is empty, an argument is
        invalid, or the summary's ``attrs["period"]`` differs from the model's.
    NotFittedError
        If the model is not fitted.

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, frequency_histogram_table
    >>> from one2one.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> table = frequency_histogram_table(BetaGeoModel().fit(summary), summary)
    >>> table["actual"].tolist()
    [1411, 439, 214, 100, 62, 38, 29, 64]
    """
    frame = _HISTOGRAM_CONTRACT.validate(summary)
    if frame.empty:
        msg = "summary is empty; the histogram needs at least one customer."
        raise DataContractError(msg, column="frequency")
    top = _max_frequency(max_frequency)
    draws = int(require_number(n_draws, name="n_draws", low=1, integer=True))
    rng = as_generator(random_state)
    lengths = np.clip(frame["T"].to_numpy(dtype=np.float64), _TINY_T, None)
    horizon = float(lengths.max())
    simulated = np.zeros(top + 1)
    for _ in range(draws):
        base = model.sample(len(frame), observation_periods=horizon, T=lengths, random_state=rng)
        simulated += np.bincount(_binned(base.customers["frequency"], top), minlength=top + 1)
    actual = np.bincount(_binned(frame["frequency"], top), minlength=top + 1)
    table = pd.DataFrame(
        {"actual": actual.astype(np.int64), "predicted": simulated / draws},
        index=_bin_labels(top),
    )
    table.attrs["period"] = _summary_period(model, frame)
    return table


@renamed_parameters(seed="random_state")
def plot_frequency_histogram(
    model: TransactionModel,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    n_draws: int = 10,
    random_state: int | np.random.Generator | None = 0,
    ax: Axes | None = None,
) -> Axes:
    """Plot customers by repeat purchases in calibration, actual and simulated, side by side.

    The numbers are those of :func:`frequency_histogram_table`.

    Parameters
    ----------
    model
        A fitted transaction model.
    summary
        The calibration summary: ``frequency`` and ``T``.
    max_frequency
        The last bin collects customers with at least this many repeat purchases.
    n_draws
        Number of simulated customer bases to average.
    random_state
        Seed or generator for the simulations (``seed=`` is read as
        ``random_state=`` with a ``DeprecationWarning`` until one2one 0.2).
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: two bar containers (actual, model).

    Raises
    ------
    DataContractError
        If ``summary`` lacks ``frequency`` or ``T``, or an argument is invalid.
    MissingDependencyError
        If matplotlib is not installed.
    """
    table = frequency_histogram_table(
        model, summary, max_frequency=max_frequency, n_draws=n_draws, random_state=random_state
    )
    plt = _pyplot("plot_frequency_histogram")
    axes = _target_axes(plt, ax)
    unit = _unit(table.attrs["period"])
    x = np.arange(len(table))
    width = 0.4
    axes.bar(x - width / 2, table["actual"], width=width, label="Actual")
    axes.bar(x + width / 2, table["predicted"], width=width, label=type(model).__name__)
    axes.set_xticks(x, labels=list(table.index))
    count_ticks(axes.yaxis)
    axes.set_xlabel("Repeat purchases in the calibration period")
    axes.set_ylabel("Customers")
    axes.set_title(f"Customers by repeat purchases (calibration, in {unit})")
    axes.legend()
    return axes


# --- (frequency, recency) matrices ---------------------------------------------------------
def _matrix(
    model: TransactionModel,
    predict: str,
    *,
    max_frequency: int | None,
    max_recency: float | None,
    T: float | None,
    t: float = 0.0,
) -> pd.DataFrame:
    """Predict every valid (recency, frequency) cell, for customers observed ``T``."""
    length = _DEFAULT_T if T is None else require_number(T, name="T", low=0, low_inclusive=False)
    top = (
        math.ceil(length)
        if max_frequency is None
        else int(require_number(max_frequency, name="max_frequency", low=0, integer=True))
    )
    reach = (
        length
        if max_recency is None
        else require_number(max_recency, name="max_recency", low=0, high=length)
    )
    frequencies = np.arange(top + 1, dtype=np.int64)
    recencies = np.arange(math.floor(reach) + 1, dtype=np.float64)
    f_grid, r_grid = np.meshgrid(frequencies, recencies)
    valid = (f_grid > 0) | (r_grid == 0)  # no repeat purchase means recency 0
    cells = pd.DataFrame({"frequency": f_grid[valid], "recency": r_grid[valid], "T": length})
    if predict == "p_alive":
        values = model.predict_proba_alive(cells).to_numpy()
    else:
        values = model.predict_purchases(cells, t=t).to_numpy()
    grid = np.full(f_grid.shape, np.nan)
    grid[valid] = values
    table = pd.DataFrame(
        grid,
        index=pd.Index(recencies, name="recency"),
        columns=pd.Index(frequencies, name="frequency"),
    )
    table.attrs.update({"T": length, "period": _known_period(getattr(model, "period_", None))})
    return table


def p_alive_matrix_table(
    model: TransactionModel,
    *,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    T: float | None = None,
) -> pd.DataFrame:
    """Compute P(alive) for each (recency, frequency) of customers observed for ``T`` periods.

    Parameters
    ----------
    model
        A fitted transaction model.
    max_frequency
        Largest frequency (repeat purchases) shown; default ``ceil(T)``, the
        most a customer can make with one occasion per period.
    max_recency
        Largest recency shown (at most ``T``); default ``T``. Recencies run
        over whole periods 0, 1, ....
    T
        How long the customers have been observed, in the model's period
        (default 52: a year of weeks). The model keeps no data, so pick the
        ``T`` of the customers of interest.

    Returns
    -------
    pandas.DataFrame
        Rows indexed by ``recency``, columns by ``frequency``; NaN where a
        customer cannot be (no repeat purchase but recency > 0).
        ``attrs`` records ``T`` and ``period``.

    Raises
    ------
    DataContractError
        If an argument is out of range.
    NotFittedError
        If the model is not fitted.

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, p_alive_matrix_table
    >>> from one2one.datasets import load_cdnow_summary
    >>> table = p_alive_matrix_table(BetaGeoModel().fit(load_cdnow_summary()), T=39)
    >>> table.shape
    (40, 40)
    """
    return _matrix(model, "p_alive", max_frequency=max_frequency, max_recency=max_recency, T=T)


def expected_purchases_matrix_table(
    model: TransactionModel,
    *,
    t: float = 1.0,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    T: float | None = None,
) -> pd.DataFrame:
    """Compute expected purchases in the next ``t`` periods for each (recency, frequency).

    Parameters
    ----------
    model
        A fitted transaction model.
    t
        Horizon of the prediction, in the model's period.
    max_frequency, max_recency, T
        As for :func:`p_alive_matrix_table`.

    Returns
    -------
    pandas.DataFrame
        Rows indexed by ``recency``, columns by ``frequency``; NaN where a
        customer cannot be. ``attrs`` records ``T``, ``t`` and ``period``.

    Raises
    ------
    DataContractError
        If an argument is out of range.
    NotFittedError
        If the model is not fitted.
    """
    horizon = require_number(t, name="t", low=0)
    table = _matrix(
        model,
        "purchases",
        max_frequency=max_frequency,
        max_recency=max_recency,
        T=T,
        t=horizon,
    )
    table.attrs["t"] = horizon
    return table


def _heat_map(
    table: pd.DataFrame, ax: Axes | None, *, title: str, label: str, feature: str
) -> Axes:
    """Draw a (recency, frequency) table as a heat map with a colour bar."""
    plt = _pyplot(feature)
    axes = _target_axes(plt, ax)
    frequencies = table.columns.to_numpy(dtype=np.float64)
    recencies = table.index.to_numpy(dtype=np.float64)
    image = axes.imshow(
        np.ma.masked_invalid(table.to_numpy(dtype=np.float64)),
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=(
            frequencies[0] - 0.5,
            frequencies[-1] + 0.5,
            recencies[0] - 0.5,
            recencies[-1] + 0.5,
        ),
    )
    axes.figure.colorbar(image, ax=axes, label=label)
    count_ticks(axes.xaxis)  # repeat purchases
    count_ticks(axes.yaxis)  # recency, in whole periods
    unit = _unit(table.attrs["period"])
    axes.set_xlabel("Repeat purchases (frequency)")
    axes.set_ylabel(f"Recency ({unit} from first to last purchase)")
    axes.set_title(title)
    return axes


def plot_p_alive_matrix(
    model: TransactionModel,
    *,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    T: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot P(alive) over (frequency, recency) as a heat map with a colour bar.

    The numbers are those of :func:`p_alive_matrix_table`.

    Parameters
    ----------
    model
        A fitted transaction model.
    max_frequency, max_recency, T
        As for :func:`p_alive_matrix_table` (``T`` defaults to 52 periods).
    ax
        Axes to draw into; by default a new figure (the colour bar takes
        room from ``ax``).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into (one image).

    Raises
    ------
    DataContractError
        If an argument is out of range.
    MissingDependencyError
        If matplotlib is not installed.
    """
    table = p_alive_matrix_table(model, max_frequency=max_frequency, max_recency=max_recency, T=T)
    unit = _unit(table.attrs["period"])
    title = f"P(alive) of customers observed for T = {number_label(table.attrs['T'])} {unit}"
    return _heat_map(table, ax, title=title, label="P(alive)", feature="plot_p_alive_matrix")


def plot_expected_purchases_matrix(
    model: TransactionModel,
    *,
    t: float = 1.0,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    T: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot expected purchases in the next ``t`` periods over (frequency, recency).

    The numbers are those of :func:`expected_purchases_matrix_table`.

    Parameters
    ----------
    model
        A fitted transaction model.
    t
        Horizon of the prediction, in the model's period.
    max_frequency, max_recency, T
        As for :func:`p_alive_matrix_table` (``T`` defaults to 52 periods).
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into (one image).

    Raises
    ------
    DataContractError
        If an argument is out of range.
    MissingDependencyError
        If matplotlib is not installed.
    """
    table = expected_purchases_matrix_table(
        model, t=t, max_frequency=max_frequency, max_recency=max_recency, T=T
    )
    unit = _unit(table.attrs["period"])
    title = (
        f"Expected purchases in the next {number_label(table.attrs['t'])} {unit}\n"
        f"(customers observed for T = {number_label(table.attrs['T'])} {unit})"
    )
    label = f"Expected purchases (next {number_label(table.attrs['t'])} {unit})"
    return _heat_map(table, ax, title=title, label=label, feature="plot_expected_purchases_matrix")
