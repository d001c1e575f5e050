"""A cohort's repeat purchases over calendar time, actual against one model or several.

* :func:`tracking_table`: per calendar period, the actual repeat purchases and
  each model's expectation, per period and cumulative, and (given a
  calibration end) whether the period is in the holdout;
* :func:`tracking_errors`: each model's error over the calibration and the
  holdout periods of such a table (mean absolute error per period, total bias);
* :func:`plot_tracking`: the table drawn cumulative (Fader, Hardie & Lee 2005,
  figure 2), per period (figure 1) or both, one line per model.

A model that fits the calibration periods and then drifts in the holdout is
the warning these give: the cumulative view shows how far the total has
strayed, the per-period view when it started.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal, NamedTuple, cast, get_args, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._charts import GREY, axes_for, count_ticks, date_ticks, pyplot
from .._deprecation import renamed_parameters
from .._validation import optional_import, require_frame
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
from ._plots import (
    ACTUAL_COLOUR,
    _known_period,
    _unit,
    model_colour,
    named_models,
    require_distinct_columns,
)
from ._summary import _amounts, _Occasions, validated_log
from ._transaction_models import TransactionModel

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_tracking", "tracking_errors", "tracking_table"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Moments = NDArray[np.datetime64]

TrackingKind = Literal["cumulative", "incremental", "both"]
"""What :func:`plot_tracking` draws: running totals, counts per period, or both stacked."""

_PANDAS_PERIOD: dict[Freq, str] = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}
_PARTS = ("calibration", "holdout")
_BOTH_SIZE = (7.0, 7.0)


# --- calendar helpers ----------------------------------------------------------------------
def _period_starts(ordinals: IntArray, freq: Freq) -> Moments:
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


def _naive_ordinals(moments: Moments, freq: Freq) -> IntArray:
    """Period ordinals of naive local datetimes (no time zone arithmetic)."""
    series = pd.Series(moments.astype("datetime64[ns]"))
    return period_ordinals(series, freq=freq, tz="UTC", name="period", assume_tz="UTC")


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


# --- the cohort, counted once for every model ----------------------------------------------
class _Cohort(NamedTuple):
    """The actual side of a tracking table, shared by every model's expectation."""

    periods: pd.PeriodIndex  # the rows, periods of ``freq``
    starts: Moments  # naive local start of each row
    ends: Moments  # naive local end of what each row counts
    last: IntArray  # the last occasion period each row counts (capped at the end)
    first_periods: IntArray  # distinct first-occasion periods ...
    first_counts: IntArray  # ... and how many customers started in each
    actual_cumulative: IntArray
    n_customers: IntArray


def _cohort(
    transactions: pd.DataFrame,
    *,
    customer_id: str,
    datetime: str,
    monetary: str | None,
    freq: Freq,
    occasion: Freq,
    observation_end: object,
    tz: str,
    assume_tz: str | None,
) -> _Cohort:
    """Count the cohort's first and repeat purchase occasions on the grid of ``freq``."""
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
    starts = _period_starts(grid, freq)
    next_starts = _period_starts(grid + 1, freq)
    last = _naive_ordinals(next_starts - np.timedelta64(1, "ns"), occasion)
    last = np.minimum(last, end)
    first_periods, first_counts = np.unique(first, return_counts=True)
    return _Cohort(
        periods=pd.DatetimeIndex(starts).to_period(_PANDAS_PERIOD[freq]).rename("period"),
        starts=starts,
        ends=_period_starts(last + 1, occasion),
        last=last,
        first_periods=first_periods,
        first_counts=first_counts.astype(np.int64),
        actual_cumulative=np.searchsorted(repeat, last, side="right").astype(np.int64),
        n_customers=np.searchsorted(first, last, side="right").astype(np.int64),
    )


def _expected_cumulative(
    model: TransactionModel, cohort: _Cohort, occasion: Freq, unit: Freq
) -> FloatArray:
    """Return sum_i E[X(t - s_i)] at each row's end: a customer counts from their first occasion."""
    elapsed = cohort.last[:, None] - cohort.first_periods[None, :]
    started = elapsed >= 0
    scale = PERIODS_PER_YEAR[unit] / PERIODS_PER_YEAR[occasion]  # occasion periods -> unit
    horizons, inverse = np.unique(np.where(started, elapsed, 0) * scale, return_inverse=True)
    expected = model.expected_purchases(horizons)[inverse].reshape(elapsed.shape)
    total: FloatArray = (np.where(started, expected, 0.0) * cohort.first_counts).sum(axis=1)
    return total


def _occasion(
    named: Mapping[str, TransactionModel], occasion_freq: Freq | None, freq: Freq, *, several: bool
) -> Freq:
    """Return the period of a purchase occasion: given, else the one the models were fitted on.

    Warns for each model fitted on occasions of another period: its expected
    counts and the actual ones would not be comparable.
    """
    counted = {
        name: _known_period(getattr(model, "occasion_period_", None))
        or _known_period(getattr(model, "period_", None))
        for name, model in named.items()
    }
    if occasion_freq is not None:
        occasion = require_freq(occasion_freq)
    else:
        known = {name: code for name, code in counted.items() if code is not None}
        if len(set(known.values())) > 1:
            got = ", ".join(
                f"{name!r} per {period_name(code)[:-1]}" for name, code in known.items()
            )
            msg = (
                "occasion_freq must be given when the models count purchase occasions per "
                f"different periods (got {got}); pass the period the actual purchases are "
                "to be counted in, e.g. occasion_freq='D'."
            )
            raise DataContractError(msg, column="occasion_freq", value=None)
        occasion = next(iter(known.values())) if known else freq
    for name, code in counted.items():
        if code is not None and code != occasion:
            which = f"the model {name!r}" if several else "the model"
            msg = (
                f"{which} was fitted on purchase occasions per {period_name(code)[:-1]}, but "
                f"occasion_freq={occasion!r} counts them per {period_name(occasion)[:-1]}; "
                "actual and expected counts will not be comparable."
            )
            warnings.warn(msg, DataWarning, stacklevel=5)
    return occasion


def _tracking(
    models: TransactionModel | Mapping[str, TransactionModel],
    transactions: pd.DataFrame,
    *,
    customer_id: str,
    datetime: str,
    monetary: str | None,
    freq: Freq,
    occasion_freq: Freq | None,
    period: Freq | None,
    observation_end: object,
    calibration_end: object,
    tz: str,
    assume_tz: str | None,
) -> tuple[pd.DataFrame, Moments, dict[str, str]]:
    """Return the tracking table, the end of what each row counts, and ``{label: column}``."""
    named, several = named_models(models, needs="expected_purchases")
    columns = dict(zip(named, named if several else ["predicted"], strict=True))
    require_distinct_columns(
        [
            "actual",
            *columns.values(),
            "actual_cumulative",
            *(f"{column}_cumulative" for column in columns.values()),
            "n_customers",
            "holdout",
        ]
    )
    freq = require_freq(freq)
    occasion = _occasion(named, occasion_freq, freq, several=several)
    units = {
        name: agreed_period(
            fitted=_known_period(getattr(model, "period_", None)), summary=None, given=period
        )
        or freq
        for name, model in named.items()
    }
    boundary = (
        None
        if calibration_end is None
        else _calibration_boundary(calibration_end, occasion, tz).to_datetime64()
    )
    cohort = _cohort(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        occasion=occasion,
        observation_end=observation_end,
        tz=tz,
        assume_tz=assume_tz,
    )
    cumulative = {
        columns[name]: _expected_cumulative(model, cohort, occasion, units[name])
        for name, model in named.items()
    }
    data: dict[str, object] = {"actual": np.diff(cohort.actual_cumulative, prepend=0)}
    data |= {column: np.diff(total, prepend=0.0) for column, total in cumulative.items()}
    data["actual_cumulative"] = cohort.actual_cumulative
    data |= {f"{column}_cumulative": total for column, total in cumulative.items()}
    data["n_customers"] = cohort.n_customers
    if boundary is not None:
        data["holdout"] = cohort.starts >= boundary
    table = pd.DataFrame(data, index=cohort.periods)
    distinct_units = set(units.values())
    unit = distinct_units.pop() if len(distinct_units) == 1 else None
    table.attrs.update({"period": unit, "freq": freq, "occasion_freq": occasion})
    return table, cohort.ends, columns


# --- the table -----------------------------------------------------------------------------
@renamed_parameters(model="models")
def tracking_table(
    models: TransactionModel | Mapping[str, TransactionModel],
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
    tz: str = "UTC",
    assume_tz: str | None = None,
) -> pd.DataFrame:
    """Compute a cohort's repeat purchases per calendar period, actual and expected by each model.

    Purchases are counted as :func:`~one2one.clv.rfm_summary` counts them:
    several purchases of one customer in one period of ``occasion_freq`` are
    one occasion, and a customer's first occasion is not a repeat purchase.
    A model's expectation is sum_i E[X(t - s_i)], with s_i customer i's first
    occasion and E[X(t)] the model's unconditional expectation
    (:meth:`~one2one.clv.TransactionModel.expected_purchases`), each customer
    contributing from their first purchase on. Elapsed time is counted in
    whole occasion periods, as ``T`` is in a summary, and converted to each
    model's period.

    Parameters
    ----------
    models
        A fitted transaction model, or a mapping ``{name: model}`` of several
        to compare period by period (``model=`` is read as ``models=`` with a
        ``DeprecationWarning`` until one2one 0.2).
    transactions
        One row per transaction (the cohort the models describe).
    customer_id, datetime
        Column names; ``datetime`` must be time-zone aware (or pass ``assume_tz``).
    monetary
        Optional amount column: periods with only returns (negative amounts)
        are then no purchase occasion, as in ``rfm_summary``. By default every
        row is a purchase.
    freq
        The period of the table's rows: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.
    occasion_freq
        The period of a purchase occasion. Defaults to the period the models
        were fitted on (their ``occasion_period_``, else ``period_``), else
        ``freq``; models fitted on different ones need it stated. Pass ``"D"``
        for a model fitted on the published CDNOW summary, whose purchases are
        counted by day and whose time is in weeks.
    period
        The models' time unit: the period their rates are per. Defaults to each
        model's ``period_`` (recorded when it was fitted on an ``rfm_summary``),
        else ``freq``; pass it for a model fitted on a summary without one
        (e.g. ``period="W"`` with ``freq="D"`` for the published CDNOW summary).
        A period that contradicts a model's ``period_`` is refused.
    observation_end
        End of observation (default: the last transaction).
    calibration_end
        If given, the column ``holdout`` marks the periods that start after
        the calibration period: after the end of the occasion period holding
        ``calibration_end``, as :func:`~one2one.clv.rfm_summary` splits
        (naive values are taken in ``tz``). A row holding the calibration end
        counts as calibration; rows of ``freq="D"``, or a calibration end on
        the last day of a row, split the purchases exactly as the summary does.
    tz, assume_tz
        Time zone whose calendar defines the periods, and that of naive timestamps.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (a :class:`pandas.PeriodIndex` of ``freq``). For
        one model, the columns ``actual`` and ``predicted`` (repeat purchases
        in the period), ``actual_cumulative``, ``predicted_cumulative`` and
        ``n_customers`` (customers who have made their first purchase). For a
        mapping, ``predicted`` becomes one column per model name and
        ``predicted_cumulative`` one ``<name>_cumulative`` per model, in the
        mapping's order. With ``calibration_end``, a last boolean column
        ``holdout``. The last row counts only up to ``observation_end``.
        ``attrs`` records ``period`` (the models' unit; None when they differ),
        ``freq`` and ``occasion_freq``.

    Raises
    ------
    DataContractError
        On missing columns or values, naive timestamps without ``assume_tz``,
        no purchase before ``observation_end``, a ``period`` that contradicts
        a model's ``period_``, models fitted on occasions of different periods
        without ``occasion_freq``, a model name that clashes with a column,
        or a ``calibration_end`` that is no time.
    NotFittedError
        If a model is not fitted.

    Warns
    -----
    DataWarning
        If ``occasion_freq`` differs from the period a model was fitted in.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
       customers" the easy way: an alternative to the Pareto/NBD model.
       Marketing Science 24(2), 275-284 (figures 1 and 2).

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, ParetoNBDModel, tracking_table
    >>> from one2one.datasets import load_cdnow_summary, load_cdnow_transactions
    >>> model = BetaGeoModel().fit(load_cdnow_summary())
    >>> tx = load_cdnow_transactions("sample")
    >>> table = tracking_table(model, tx, occasion_freq="D")
    >>> int(table["actual_cumulative"].iloc[-1])
    4339
    >>> models = {"BG/NBD": model, "Pareto/NBD": ParetoNBDModel().fit(load_cdnow_summary())}
    >>> table = tracking_table(models, tx, occasion_freq="D", calibration_end="1997-09-30")
    >>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['actual', 'BG/NBD', 'Pareto/NBD', 'actual_cumulative', 'BG/NBD_cumulative',
     'Pareto/NBD_cumulative', 'n_customers', 'holdout']
    """
    table, _, _ = _tracking(
        models,
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        occasion_freq=occasion_freq,
        period=period,
        observation_end=observation_end,
        calibration_end=calibration_end,
        tz=tz,
        assume_tz=assume_tz,
    )
    return table


# --- errors per part -----------------------------------------------------------------------
def tracking_errors(table: pd.DataFrame) -> pd.DataFrame:
    """Summarise each model's tracking error over the calibration and the holdout periods.

    A model can track the calibration periods closely (it was fitted there)
    and drift in the holdout: the per-part totals say by how much, and the
    mean absolute error per period says how closely it follows the ups and
    downs within each part.

    Parameters
    ----------
    table
        A table of :func:`tracking_table` made with ``calibration_end`` (its
        ``holdout`` column splits the rows). Its model columns are those with
        a ``<name>_cumulative`` twin: ``predicted`` for one model, each
        model's name for a mapping.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``model``, ``part``), ``part`` being ``"calibration"``
        then ``"holdout"`` for each model in the table's order, with columns
        ``n_periods``, ``actual`` and ``predicted`` (the part's total repeat
        purchases), ``bias`` (predicted minus actual: positive when the model
        over-forecasts), ``relative_bias`` (``bias / actual``, NaN when the
        part has no purchase) and ``mae`` (mean absolute error per period, NaN
        for a part without periods).

    Raises
    ------
    DataContractError
        If ``table`` is no DataFrame, has no ``actual`` column, no boolean
        ``holdout`` column (make it with ``calibration_end``) or no model
        column.

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, tracking_errors, tracking_table
    >>> from one2one.datasets import load_cdnow_summary, load_cdnow_transactions
    >>> model = BetaGeoModel().fit(load_cdnow_summary())
    >>> table = tracking_table(
    ...     model, load_cdnow_transactions("sample"), freq="D", occasion_freq="D",
    ...     period="W", observation_end="1998-06-30", calibration_end="1997-09-30",
    ... )
    >>> errors = tracking_errors(table)
    >>> int(errors.loc[("predicted", "holdout"), "actual"])  # rfm_summary's frequency_holdout
    1882
    """
    frame = require_frame(table, name="table")
    if "holdout" not in frame.columns:
        msg = (
            "table must have the 'holdout' column (got none); make it with "
            "tracking_table(..., calibration_end=...)."
        )
        raise DataContractError(msg, column="holdout")
    if not pd.api.types.is_bool_dtype(frame["holdout"]):
        msg = f"table's 'holdout' column must be bool (got {frame['holdout'].dtype})."
        raise DataContractError(msg, column="holdout", value=str(frame["holdout"].dtype))
    if "actual" not in frame.columns:
        msg = "table must have the 'actual' column (got none); make it with tracking_table."
        raise DataContractError(msg, column="actual")
    names = [c for c in frame.columns if c != "actual" and f"{c}_cumulative" in frame.columns]
    if not names:
        msg = (
            "table must have a model column with its '<name>_cumulative' twin (got "
            f"{list(map(str, frame.columns))}); make it with tracking_table."
        )
        raise DataContractError(msg, column="predicted")
    holdout = frame["holdout"].to_numpy(dtype=bool)
    actual = frame["actual"].to_numpy()
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for name in names:
        predicted = frame[name].to_numpy(dtype=np.float64)
        for part, in_part in zip(_PARTS, (~holdout, holdout), strict=True):
            total = actual[in_part].sum()
            error = predicted[in_part] - actual[in_part]
            bias = float(error.sum())
            rows[(str(name), part)] = {
                "n_periods": int(in_part.sum()),
                "actual": total,
                "predicted": float(predicted[in_part].sum()),
                "bias": bias,
                "relative_bias": bias / total if total else np.nan,
                "mae": float(np.abs(error).mean()) if error.size else np.nan,
            }
    errors = pd.DataFrame.from_dict(rows, orient="index")
    errors.index = pd.MultiIndex.from_tuples(list(rows), names=["model", "part"])
    errors["n_periods"] = errors["n_periods"].astype(np.int64)
    errors["actual"] = errors["actual"].astype(frame["actual"].dtype)
    return errors


# --- the plot ------------------------------------------------------------------------------
def _kind(kind: object, cumulative: bool | None) -> TrackingKind:
    """Resolve ``kind`` and the older ``cumulative`` flag, refusing a contradiction."""
    if kind is None:
        return "incremental" if cumulative is False else "cumulative"
    for option in get_args(TrackingKind):
        if kind == option:
            chosen: TrackingKind = option
            break
    else:
        msg = f"kind must be 'cumulative', 'incremental' or 'both' (got {kind!r})."
        raise DataContractError(msg, column="kind", value=kind)
    if cumulative is not None and chosen != ("cumulative" if cumulative else "incremental"):
        msg = (
            f"cumulative must agree with kind or be left out (got cumulative={cumulative!r} "
            f"with kind={chosen!r}); pass kind= only."
        )
        raise DataContractError(msg, column="cumulative", value=cumulative)
    return chosen


def _panels(ax: Axes | Iterable[Axes] | None, kind: TrackingKind) -> list[Axes]:
    """Return the Axes to draw into: one, or a pair sharing the time axis for "both"."""
    if kind != "both":
        if ax is not None and not hasattr(ax, "plot"):
            msg = f"ax must be one matplotlib Axes for kind={kind!r} (got {type(ax).__name__})."
            raise DataContractError(msg, column="ax", value=type(ax).__name__)
        return [axes_for(cast("Axes | None", ax), feature="plot_tracking")]
    plt = pyplot("plot_tracking")
    if ax is None:
        _, pair = plt.subplots(2, 1, sharex=True, figsize=_BOTH_SIZE, layout="constrained")
        return list(pair)
    given = [] if hasattr(ax, "plot") else list(np.ravel(np.asarray(ax, dtype=object)))
    if len(given) != 2:  # noqa: PLR2004 - cumulative above, per period below
        got = "one Axes" if hasattr(ax, "plot") else f"{len(given)} Axes"
        msg = f"ax must be two matplotlib Axes for kind='both' (got {got}); or leave it out."
        raise DataContractError(msg, column="ax", value=got)
    return given


def _draw(
    axes: Axes,
    table: pd.DataFrame,
    ends: Moments,
    columns: Mapping[str, str],
    *,
    cumulative: bool,
    marker: pd.Timestamp | None,
) -> str:
    """Draw actual, each model and the calibration end; return what the y axis counts."""
    dates = optional_import("matplotlib.dates", extra="plot", feature="plot_tracking")
    step = _unit(table.attrs["freq"])[:-1]
    if cumulative:
        x = pd.DatetimeIndex(ends)
        suffix, what = "_cumulative", "Cumulative repeat purchases"
    else:
        x = cast("pd.PeriodIndex", table.index).to_timestamp(how="start")
        suffix, what = "", f"Repeat purchases per {step}"
    axes.plot(x, table["actual" + suffix].to_numpy(), color=ACTUAL_COLOUR, label="Actual")
    for position, (label, column) in enumerate(columns.items()):
        axes.plot(
            x,
            table[column + suffix].to_numpy(),
            linestyle="--",
            color=model_colour(position),
            label=label,
        )
    if marker is not None:
        axes.axvline(dates.date2num(marker), color=GREY, linestyle=":", label="Calibration end")
    date_ticks(axes)
    count_ticks(axes.yaxis)
    axes.set_ylabel(what)
    return what


@overload
def plot_tracking(
    models: TransactionModel | Mapping[str, TransactionModel],
    transactions: pd.DataFrame,
    *,
    customer_id: str = ...,
    datetime: str = ...,
    monetary: str | None = ...,
    freq: Freq = ...,
    occasion_freq: Freq | None = ...,
    period: Freq | None = ...,
    observation_end: object = ...,
    calibration_end: object = ...,
    cumulative: bool | None = ...,
    kind: Literal["both"],
    tz: str = ...,
    assume_tz: str | None = ...,
    ax: Iterable[Axes] | None = ...,
) -> NDArray[np.object_]: ...


@overload
def plot_tracking(
    models: TransactionModel | Mapping[str, TransactionModel],
    transactions: pd.DataFrame,
    *,
    customer_id: str = ...,
    datetime: str = ...,
    monetary: str | None = ...,
    freq: Freq = ...,
    occasion_freq: Freq | None = ...,
    period: Freq | None = ...,
    observation_end: object = ...,
    calibration_end: object = ...,
    cumulative: bool | None = ...,
    kind: Literal["cumulative", "incremental"] | None = ...,
    tz: str = ...,
    assume_tz: str | None = ...,
    ax: Axes | None = ...,
) -> Axes: ...


@renamed_parameters(model="models")
def plot_tracking(
    models: TransactionModel | Mapping[str, TransactionModel],
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
    cumulative: bool | None = None,
    kind: TrackingKind | None = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    ax: Axes | Iterable[Axes] | None = None,
) -> Axes | NDArray[np.object_]:
    """Plot a cohort's repeat purchases over calendar time, actual and expected by each model.

    Cumulative totals (Fader, Hardie & Lee 2005, figure 2) are drawn at the
    end of what each period counts; purchases per period (figure 1) at the
    start of the period. The actual purchases are black, each model a dashed
    line of its own colour. The numbers are those of :func:`tracking_table`.

    Parameters
    ----------
    models
        A fitted transaction model, or a mapping ``{name: model}`` of several,
        one line each (``model=`` is read as ``models=`` with a
        ``DeprecationWarning`` until one2one 0.2).
    transactions
        One row per transaction (the cohort the models describe).
    customer_id, datetime, monetary, freq, occasion_freq, period, observation_end, tz, assume_tz
        As for :func:`tracking_table`.
    calibration_end
        If given, a vertical line marks the end of the calibration period: the
        end of the occasion period holding ``calibration_end``, as in
        :func:`~one2one.clv.rfm_summary` (naive values are taken in ``tz``).
    cumulative
        The older switch between the two views: ``True`` is
        ``kind="cumulative"``, ``False`` ``kind="incremental"``. Kept working;
        given with a ``kind`` it contradicts, it is refused.
    kind
        ``"cumulative"`` (the default): running totals, where a drift shows
        as a widening gap; ``"incremental"``: repeat purchases per period,
        where it shows when the gap opened; ``"both"``: the two stacked,
        sharing the time axis.
    ax
        Axes to draw into; by default a new figure. For ``kind="both"``, two
        Axes (e.g. the array of ``plt.subplots(2, 1, sharex=True)``): the
        cumulative view is drawn into the first.

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray of Axes
        For one view, the Axes drawn into: a line for the actual purchases,
        one per model (labelled by the model's class for one model, by its
        name for a mapping) and a vertical line at ``calibration_end`` if
        given. For ``kind="both"``, an array of the two Axes, cumulative
        first, the legend on the first.

    Raises
    ------
    DataContractError
        As :func:`tracking_table`; if ``calibration_end`` is not a time,
        ``kind`` is unknown or contradicts ``cumulative``, or ``ax`` is not one
        Axes (two for ``kind="both"``).
    MissingDependencyError
        If matplotlib is not installed.
    """
    view = _kind(kind, cumulative)
    table, ends, columns = _tracking(
        models,
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        occasion_freq=occasion_freq,
        period=period,
        observation_end=observation_end,
        calibration_end=None,
        tz=tz,
        assume_tz=assume_tz,
    )
    marker = (
        None
        if calibration_end is None
        else _calibration_boundary(calibration_end, table.attrs["occasion_freq"], tz)
    )
    panels = _panels(ax, view)
    period_of = table.attrs["period"]
    model_time = "" if period_of is None else f" (model time in {_unit(period_of)})"
    step = _unit(table.attrs["freq"])[:-1]
    if view != "both":
        axes = panels[0]
        what = _draw(axes, table, ends, columns, cumulative=view == "cumulative", marker=marker)
        where = f"end of {step}" if view == "cumulative" else f"{step} starting"
        axes.set_xlabel(f"Date ({where}, {tz})")
        axes.set_title(f"Tracking: {what.lower()}{model_time}")
        axes.legend()
        return axes
    top, bottom = panels
    _draw(top, table, ends, columns, cumulative=True, marker=marker)
    _draw(bottom, table, ends, columns, cumulative=False, marker=marker)
    bottom.set_xlabel(f"Date ({tz}; totals at the end of each {step}, counts at its start)")
    top.set_title(f"Tracking: repeat purchases{model_time}")
    top.legend()
    pair = np.empty(2, dtype=object)
    pair[0], pair[1] = top, bottom
    return pair
