"""Diagnostic plots for fitted transaction models, and the tables behind them.

Each figure has a ``*_table`` function that computes its numbers as a
DataFrame (for reports and tests) and a ``plot_*`` function that draws them:

* :func:`plot_calibration_vs_holdout`: mean holdout purchases, actual and
  predicted, by calibration frequency (Fader, Hardie & Lee 2005, figure 3);
* :func:`plot_frequency_histogram`: customers by calibration frequency,
  actual and simulated from the model;
* :func:`plot_tracking`: the cohort's repeat purchases over calendar time,
  actual and expected, cumulative or per period (FHL 2005, figures 1 and 2);
* :func:`plot_p_alive_matrix` and :func:`plot_expected_purchases_matrix`:
  heat maps of a prediction over (frequency, recency).

matplotlib is optional (``pip install 'one2one-marketing[plot]'``): it is imported by
the ``plot_*`` functions only, and the tables work without it. The plots draw
into ``ax`` when given (else into a new figure), return the Axes and never
call ``show``.
"""

from __future__ import annotations

import math
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._charts import count_ticks, number_label
from .._deprecation import renamed_parameters
from .._validation import (
    Column,
    FrameContract,
    as_generator,
    optional_import,
    require_frame,
    require_number,
)
from ..errors import DataContractError, DataWarning
from ._periods import (
    PERIODS_PER_YEAR,
    Freq,
    agreed_period,
    period_name,
    period_ordinals,
    require_freq,
    timestamp_ordinal,
)
from ._summary import _amounts, _Occasions, validated_log
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
    "plot_tracking",
    "tracking_table",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_FREQS: tuple[Freq, ...] = ("D", "W", "M", "Q", "Y")
_PANDAS_PERIOD: dict[Freq, str] = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}
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


# --- calibration vs holdout ----------------------------------------------------------------
def calibration_vs_holdout_table(
    model: TransactionModel, summary: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Compute mean holdout purchases, actual and predicted, by calibration frequency.

    Customers are grouped by their number of repeat purchases in the
    calibration period (0, 1, ..., ``max_frequency - 1`` and a last group
    ``"max_frequency+"``). For each group the table gives the mean of the
    actual ``frequency_holdout`` and the mean of the model's conditional
    expectation over each customer's own ``duration_holdout``.

    Parameters
    ----------
    model
        A fitted transaction model (e.g. :class:`~one2one.clv.BetaGeoModel`),
        fitted on the calibration columns.
    summary
        A summary with holdout columns: ``frequency``, ``recency``, ``T``,
        ``frequency_holdout`` and ``duration_holdout``, as made by
        :func:`~one2one.clv.rfm_summary` with ``calibration_end``, all in the
        model's period.
    max_frequency
        The last group collects customers with at least this many repeat
        purchases.

    Returns
    -------
    pandas.DataFrame
        Indexed by the frequency group (``"0"``, ..., ``"7+"``), with columns
        ``n_customers``, ``actual`` and ``predicted`` (NaN for empty groups).
        ``attrs["period"]`` is the period of the durations, if known.

    Raises
    ------
    DataContractError
        If a column is missing (the holdout columns: build the summary with
        ``calibration_end``) or breaks its contract, or the summary's
        ``attrs["period"]`` differs from the model's ``period_``.
    NotFittedError
        If the model is not fitted.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
       customers" the easy way: an alternative to the Pareto/NBD model.
       Marketing Science 24(2), 275-284 (figure 3).

    Examples
    --------
    >>> import warnings
    >>> from one2one.clv import BetaGeoModel, calibration_vs_holdout_table, rfm_summary
    >>> from one2one.datasets import load_cdnow_transactions
    >>> summary = rfm_summary(
    ...     load_cdnow_transactions("sample"), freq="W", calibration_end="1997-09-30"
    ... )
    >>> table = calibration_vs_holdout_table(BetaGeoModel().fit(summary), summary)
    >>> table["n_customers"].tolist()
    [1422, 443, 221, 98, 56, 35, 37, 45]
    """
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
    period = _summary_period(model, frame)

    duration = frame["duration_holdout"].to_numpy(dtype=np.float64)
    predicted = np.empty(len(frame))
    for horizon in np.unique(duration):  # one prediction per distinct holdout length
        rows = duration == horizon
        predicted[rows] = model.predict_purchases(frame.loc[rows], t=float(horizon)).to_numpy()
    groups = pd.DataFrame(
        {
            "group": _binned(frame["frequency"], top),
            "actual": frame["frequency_holdout"].to_numpy(dtype=np.float64),
            "predicted": predicted,
        }
    ).groupby("group")
    table = pd.DataFrame(
        {
            "n_customers": groups.size(),
            "actual": groups["actual"].mean(),
            "predicted": groups["predicted"].mean(),
        }
    ).reindex(range(top + 1))
    table["n_customers"] = table["n_customers"].fillna(0).astype(np.int64)
    table.index = _bin_labels(top)
    table.attrs["period"] = period
    return table


def plot_calibration_vs_holdout(
    model: TransactionModel,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Plot mean holdout purchases, actual and predicted, by calibration frequency.

    The standard validation figure of Fader, Hardie & Lee (2005, figure 3):
    a model that describes the customers well predicts each group's mean.
    The numbers are those of :func:`calibration_vs_holdout_table`.

    Parameters
    ----------
    model
        A fitted transaction model.
    summary
        A summary with holdout columns (see :func:`calibration_vs_holdout_table`).
    max_frequency
        The last group collects customers with at least this many repeat purchases.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one line for the actual means, one for the model.

    Raises
    ------
    DataContractError
        If the holdout columns are missing or a column breaks its contract.
    MissingDependencyError
        If matplotlib is not installed.
    """
    table = calibration_vs_holdout_table(model, summary, max_frequency=max_frequency)
    plt = _pyplot("plot_calibration_vs_holdout")
    axes = _target_axes(plt, ax)
    unit = _unit(table.attrs["period"])
    durations = np.unique(summary["duration_holdout"].to_numpy(dtype=np.float64))
    holdout = f"{number_label(durations[0])} {unit}" if durations.size == 1 else unit
    x = np.arange(len(table))
    axes.plot(x, table["actual"], marker="o", label="Actual")
    axes.plot(x, table["predicted"], marker="s", linestyle="--", label=type(model).__name__)
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


# --- tracking ------------------------------------------------------------------------------
def _period_starts(ordinals: IntArray, freq: Freq) -> NDArray[np.datetime64]:
    """Naive local start of each period ordinal (inverse of ``period_ordinals``)."""
    if freq == "D":
        starts = ordinals.astype("datetime64[D]")
    elif freq == "W":
        starts = (ordinals * 7 - 3).astype("datetime64[D]")  # Monday of the week
    elif freq == "M":
        starts = ordinals.astype("datetime64[M]")
    elif freq == "Q":
        starts = (ordinals * 3).astype("datetime64[M]")
    else:
        starts = ordinals.astype("datetime64[Y]")
    return starts.astype("datetime64[ns]")


def _naive_ordinals(moments: NDArray[np.datetime64], freq: Freq) -> IntArray:
    """Period ordinals of naive local datetimes (no time zone arithmetic)."""
    series = pd.Series(moments.astype("datetime64[ns]"))
    return period_ordinals(series, freq=freq, tz="UTC", name="period", assume_tz="UTC")


def _tracking(
    model: TransactionModel,
    transactions: pd.DataFrame,
    *,
    customer_id: str,
    datetime: str,
    monetary: str | None,
    freq: Freq,
    occasion_freq: Freq | None,
    period: Freq | None,
    observation_end: object,
    tz: str,
    assume_tz: str | None,
) -> tuple[pd.DataFrame, NDArray[np.datetime64]]:
    """Return the tracking table, and the naive local end of what each row counts."""
    freq = require_freq(freq)
    fitted = _known_period(getattr(model, "period_", None))
    counted = _known_period(getattr(model, "occasion_period_", None)) or fitted
    occasion = require_freq(occasion_freq) if occasion_freq is not None else counted or freq
    unit = agreed_period(fitted=fitted, summary=None, given=period) or freq
    if counted is not None and occasion != counted:
        msg = (
            f"the model was fitted on purchase occasions per {period_name(counted)[:-1]}, but "
            f"occasion_freq={occasion!r} counts them per {period_name(occasion)[:-1]}; actual "
            "and expected counts will not be comparable."
        )
        warnings.warn(msg, DataWarning, stacklevel=3)
    frame = validated_log(
        transactions, customer_id=customer_id, datetime=datetime, monetary=monetary, use="tracking"
    )

    ordinal = period_ordinals(
        frame[datetime], freq=occasion, tz=tz, name=datetime, assume_tz=assume_tz
    )
    end = (
        int(ordinal.max())
        if observation_end is None
        else timestamp_ordinal(observation_end, freq=occasion, tz=tz, name="observation_end")
    )
    amount, is_return = _amounts(frame, monetary, "net")
    keep = ordinal <= end
    codes, _ = pd.factorize(frame[customer_id].to_numpy()[keep])
    occasions = _Occasions.build(
        codes.astype(np.int64), ordinal[keep], amount[keep], is_return[keep], end
    )
    if occasions.customer.size == 0:
        msg = f"no purchases (rows with a non-negative amount) on or before {end=}."
        raise DataContractError(msg, column=datetime, value=observation_end)
    is_first = np.concatenate([[True], occasions.customer[1:] != occasions.customer[:-1]])
    first = np.sort(occasions.period[is_first])
    repeat = np.sort(occasions.period[~is_first])

    # Grid periods, and for each the last occasion period it counts (capped at the end).
    low = int(_naive_ordinals(_period_starts(first[:1], occasion), freq)[0])
    high = int(_naive_ordinals(_period_starts(np.array([end]), occasion), freq)[0])
    grid = np.arange(low, high + 1, dtype=np.int64)
    next_starts = _period_starts(grid + 1, freq)
    last = _naive_ordinals(next_starts - np.timedelta64(1, "ns"), occasion)
    last = np.minimum(last, end)

    # Expected: each customer contributes E[X(t)] from their first occasion on.
    starts_at, n_first = np.unique(first, return_counts=True)
    elapsed = last[:, None] - starts_at[None, :]
    started = elapsed >= 0
    scale = PERIODS_PER_YEAR[unit] / PERIODS_PER_YEAR[occasion]  # occasion periods -> unit
    horizons, inverse = np.unique(np.where(started, elapsed, 0) * scale, return_inverse=True)
    expected = model.expected_purchases(horizons)[inverse].reshape(elapsed.shape)
    predicted_cumulative = (np.where(started, expected, 0.0) * n_first).sum(axis=1)
    actual_cumulative = np.searchsorted(repeat, last, side="right").astype(np.int64)

    index = pd.DatetimeIndex(_period_starts(grid, freq)).to_period(_PANDAS_PERIOD[freq])
    table = pd.DataFrame(
        {
            "actual": np.diff(actual_cumulative, prepend=0),
            "predicted": np.diff(predicted_cumulative, prepend=0.0),
            "actual_cumulative": actual_cumulative,
            "predicted_cumulative": predicted_cumulative,
            "n_customers": np.searchsorted(first, last, side="right").astype(np.int64),
        },
        index=index.rename("period"),
    )
    table.attrs.update({"period": unit, "freq": freq, "occasion_freq": occasion})
    return table, _period_starts(last + 1, occasion)


def tracking_table(
    model: TransactionModel,
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str | None = None,
    freq: Freq = "W",
    occasion_freq: Freq | None = None,
    period: Freq | None = None,
    observation_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
) -> pd.DataFrame:
    """Compute a cohort's repeat purchases per calendar period, actual and expected.

    Purchases are counted as :func:`~one2one.clv.rfm_summary` counts them:
    several purchases of one customer in one period of ``occasion_freq`` are
    one occasion, and a customer's first occasion is not a repeat purchase.
    The expectation is sum_i E[X(t - s_i)], with s_i customer i's first
    occasion and E[X(t)] the model's unconditional expectation
    (:meth:`~one2one.clv.TransactionModel.expected_purchases`), each customer
    contributing from their first purchase on. Elapsed time is counted in
    whole occasion periods, as ``T`` is in a summary, and converted to the
    model's period.

    Parameters
    ----------
    model
        A fitted transaction model.
    transactions
        One row per transaction (the cohort the model describes).
    customer_id, datetime
        Column names; ``datetime`` must be time-zone aware (or pass ``assume_tz``).
    monetary
        Optional amount column: periods with only returns (negative amounts)
        are then no purchase occasion, as in ``rfm_summary``. By default every
        row is a purchase.
    freq
        The period of the table's rows: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.
    occasion_freq
        The period of a purchase occasion. Defaults to the model's period
        (``period_``), else ``freq``. Pass ``"D"`` for a model fitted on the
        published CDNOW summary, whose purchases are counted by day and whose
        time is in weeks.
    period
        The model's time unit: the period its rates are per. Defaults to the
        model's ``period_`` (recorded when it was fitted on an ``rfm_summary``),
        else ``freq``; pass it for a model fitted on a summary without one
        (e.g. ``period="W"`` with ``freq="D"`` for the published CDNOW summary).
        A period that contradicts the model's ``period_`` is refused.
    observation_end
        End of observation (default: the last transaction).
    tz, assume_tz
        Time zone whose calendar defines the periods, and that of naive timestamps.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (a :class:`pandas.PeriodIndex` of ``freq``), with
        columns ``actual`` and ``predicted`` (repeat purchases in the period),
        ``actual_cumulative``, ``predicted_cumulative`` and ``n_customers``
        (customers who have made their first purchase). The last row counts
        only up to ``observation_end``. ``attrs`` records ``period`` (the
        model's unit), ``freq`` and ``occasion_freq``.

    Raises
    ------
    DataContractError
        On missing columns or values, naive timestamps without ``assume_tz``,
        no purchase before ``observation_end``, or a ``period`` that
        contradicts the model's ``period_``.
    NotFittedError
        If the model is not fitted.

    Warns
    -----
    DataWarning
        If ``occasion_freq`` differs from the period the model was fitted in.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
       customers" the easy way: an alternative to the Pareto/NBD model.
       Marketing Science 24(2), 275-284 (figures 1 and 2).

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, tracking_table
    >>> from one2one.datasets import load_cdnow_summary, load_cdnow_transactions
    >>> model = BetaGeoModel().fit(load_cdnow_summary())
    >>> table = tracking_table(model, load_cdnow_transactions("sample"), occasion_freq="D")
    >>> int(table["actual_cumulative"].iloc[-1])
    4339
    """
    table, _ = _tracking(
        model,
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        occasion_freq=occasion_freq,
        period=period,
        observation_end=observation_end,
        tz=tz,
        assume_tz=assume_tz,
    )
    return table


def plot_tracking(
    model: TransactionModel,
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str | None = None,
    freq: Freq = "W",
    occasion_freq: Freq | None = None,
    period: Freq | None = None,
    observation_end: object = None,
    calibration_end: object = None,
    cumulative: bool = True,
    tz: str = "UTC",
    assume_tz: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot a cohort's repeat purchases over calendar time, actual and expected.

    Cumulative totals (Fader, Hardie & Lee 2005, figure 2) are drawn at the
    end of what each period counts; purchases per period (figure 1) at the
    start of the period. The numbers are those of :func:`tracking_table`.

    Parameters
    ----------
    model
        A fitted transaction model.
    transactions
        One row per transaction (the cohort the model describes).
    customer_id, datetime, monetary, freq, occasion_freq, period, observation_end, tz, assume_tz
        As for :func:`tracking_table`.
    calibration_end
        If given, a vertical line marks the end of the calibration period: the
        end of the occasion period holding ``calibration_end``, as in
        :func:`~one2one.clv.rfm_summary` (naive values are taken in ``tz``).
    cumulative
        Cumulative repeat purchases (default) or repeat purchases per period.
    ax
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: a line for the actual and one for the expected
        purchases, and a vertical line at ``calibration_end`` if given.

    Raises
    ------
    DataContractError
        As :func:`tracking_table`, or if ``calibration_end`` is not a time.
    MissingDependencyError
        If matplotlib is not installed.
    """
    table, ends = _tracking(
        model,
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        occasion_freq=occasion_freq,
        period=period,
        observation_end=observation_end,
        tz=tz,
        assume_tz=assume_tz,
    )
    marker = (
        None
        if calibration_end is None
        else _calibration_boundary(calibration_end, table.attrs["occasion_freq"], tz)
    )
    plt = _pyplot("plot_tracking")
    dates = optional_import("matplotlib.dates", extra="plot", feature="plot_tracking")
    axes = _target_axes(plt, ax)
    step = _unit(table.attrs["freq"])[:-1]
    if cumulative:
        x = pd.DatetimeIndex(ends)
        actual, predicted = table["actual_cumulative"], table["predicted_cumulative"]
        what, where = "Cumulative repeat purchases", f"end of {step}"
    else:
        x = cast("pd.PeriodIndex", table.index).to_timestamp(how="start")
        actual, predicted = table["actual"], table["predicted"]
        what, where = f"Repeat purchases per {step}", f"{step} starting"
    axes.plot(x, actual.to_numpy(), label="Actual")
    axes.plot(x, predicted.to_numpy(), linestyle="--", label=type(model).__name__)
    if marker is not None:
        axes.axvline(dates.date2num(marker), color="grey", linestyle=":", label="Calibration end")
    locator = dates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    count_ticks(axes.yaxis)
    axes.set_xlabel(f"Date ({where}, {tz})")
    axes.set_ylabel(what)
    axes.set_title(f"Tracking: {what.lower()} (model time in {_unit(table.attrs['period'])})")
    axes.legend()
    return axes


def _calibration_boundary(moment: object, occasion: Freq, tz: str) -> pd.Timestamp:
    """Return the naive local end of the occasion period holding ``moment``.

    ``rfm_summary`` puts that whole period in the calibration period.
    """
    try:
        ordinal = timestamp_ordinal(moment, freq=occasion, tz=tz, name="calibration_end")
    except (TypeError, ValueError) as exc:
        msg = f"'calibration_end' must be a date or time (got {moment!r})."
        raise DataContractError(msg, column="calibration_end", value=moment) from exc
    return pd.Timestamp(_period_starts(np.array([ordinal + 1]), occasion)[0])


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
