"""The holdout, period by period: each model's forecast from every customer's history.

:func:`tracking_table` asks how a cohort's purchases unfold from each
customer's first purchase on, with every model's *unconditional* expectation.
A forecast is made differently: at the calibration end, for the customers
known then, *conditional* on what each of them did. These functions check
that forecast week by week:

* :func:`holdout_tracking_table`: per period after the calibration end, the
  base's actual repeat purchase occasions (counted as the summary counted
  them, only its customers) and each model's expected purchases: any
  transaction model, and the Pareto/NBD with time-varying covariates, whose
  forecast follows the calendar;
* :func:`plot_holdout_tracking`: the same drawn cumulative, per period or both.

A total that comes out right can hide a forecast that is wrong every week
(too high in summer, too low at Christmas): the per-period view shows whether
a gap is a level (every week off by a share), a season (off in the same
weeks each year) or a trend (a gap that widens).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal, NamedTuple, cast, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._charts import count_ticks, date_ticks, pyplot
from .._validation import require_columns, require_number
from ..errors import DataContractError, DataWarning
from ._dyncov_data import TimeVaryingSummary
from ._dyncov_model import TimeVaryingParetoNBDModel
from ._periods import DAYS_PER_PERIOD, Freq, agreed_period, period_name, timestamp_ordinal
from ._plots import ACTUAL_COLOUR, _known_period, model_colour, named_models
from ._plots import require_distinct_columns as _distinct
from ._summary import Returns, summary_with_occasions
from ._tracking import TrackingKind, _kind, _panels, _period_starts
from ._transaction_models import TransactionModel

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["holdout_tracking_table", "plot_holdout_tracking"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

HoldoutModel = TransactionModel | TimeVaryingParetoNBDModel
"""A model whose conditional forecast a holdout can be tracked against."""

_HOLDOUT = ("frequency_holdout", "duration_holdout")
_EPS = 1e-9  # whole periods: 52.0000000001 weeks of float arithmetic are 52


class _Holdout(NamedTuple):
    """A holdout tracking table and the end of what each row counts (for the cumulative view)."""

    table: pd.DataFrame
    ends: NDArray[np.datetime64]
    columns: dict[str, str]  # legend label -> column


class _Window(NamedTuple):
    """The summary's calendar: occasion and model periods, calibration and observation ends."""

    occasion: Freq
    unit: Freq
    cutoff: int  # occasion-period ordinal of the calibration end
    end: int  # ... and of the observation end
    whole: int  # whole model periods in the holdout
    tz: str


def _as_models(
    models: HoldoutModel | Mapping[str, HoldoutModel],
) -> tuple[dict[str, HoldoutModel], dict[str, str]]:
    """Return ``{name: model}`` and ``{name: column}`` (``predicted`` for one bare model)."""
    given, several = named_models(
        cast("TransactionModel | Mapping[str, TransactionModel]", models), needs="predict_purchases"
    )
    named: dict[str, HoldoutModel] = {}
    for name, candidate in given.items():
        model: object = candidate
        if not isinstance(model, TransactionModel | TimeVaryingParetoNBDModel):
            where = f"models[{name!r}]" if several else "models"
            msg = (
                f"{where} must be a fitted TransactionModel or TimeVaryingParetoNBDModel "
                f"(got {type(model).__name__})."
            )
            raise DataContractError(msg, column="models", value=type(model).__name__)
        named[name] = model
    columns = {name: name if several else "predicted" for name in named}
    _distinct(
        [
            "actual",
            *columns.values(),
            "actual_cumulative",
            *(f"{c}_cumulative" for c in columns.values()),
            "holdout",
        ]
    )
    return named, columns


def _summary_of(data: object) -> tuple[pd.DataFrame, TimeVaryingSummary | None]:
    if isinstance(data, TimeVaryingSummary):
        return data.summary, data
    if isinstance(data, pd.DataFrame):
        return data, None
    msg = (
        "data must be a TimeVaryingSummary or an rfm_summary DataFrame with holdout columns "
        f"(got {type(data).__name__}); make it with time_varying_summary(...) or "
        "rfm_summary(..., calibration_end=...)."
    )
    raise DataContractError(msg, column="data", value=type(data).__name__)


def _recorded(
    summary: pd.DataFrame, models: Mapping[str, HoldoutModel], key: str, attribute: str
) -> Freq | None:
    """Return a period the summary records (``attrs[key]``), else the one the models agree on."""
    code = _known_period(summary.attrs.get(key))
    if code is not None:
        return code
    fitted = {_known_period(getattr(m, attribute, None)) for m in models.values()} - {None}
    return fitted.pop() if len(fitted) == 1 else None


def _window(
    summary: pd.DataFrame,
    found: TimeVaryingSummary | None,
    models: Mapping[str, HoldoutModel],
    *,
    calibration_end: object,
    tz: str | None,
) -> _Window:
    """Read the summary's calendar, refusing what contradicts it."""
    missing = [c for c in _HOLDOUT if c not in summary.columns]
    if missing:
        msg = (
            f"data must have the holdout columns {list(_HOLDOUT)!r} (got no {missing[0]!r}); "
            "build the summary with calibration_end= and an observation_end after it."
        )
        raise DataContractError(msg, column=missing[0])
    require_columns(summary, ["frequency"], name="data")
    unit = _recorded(summary, models, "period", "period_")
    for model in models.values():
        unit = agreed_period(fitted=getattr(model, "period_", None), summary=unit)
    occasion = _recorded(summary, models, "occasion_period", "occasion_period_")
    if unit is None or occasion is None:
        msg = (
            "data must record its periods in attrs['period'] and attrs['occasion_period'] "
            f"(got {summary.attrs.get('period')!r} and {summary.attrs.get('occasion_period')!r}); "
            "make it with rfm_summary or time_varying_summary (a join drops pandas attrs)."
        )
        raise DataContractError(msg, column="period", value=summary.attrs.get("period"))
    if DAYS_PER_PERIOD[unit] < DAYS_PER_PERIOD[occasion]:
        msg = (
            f"data's time unit must be no shorter than its purchase occasion (got occasions "
            f"per {period_name(occasion)[:-1]}, time in {period_name(unit)}); a period would "
            "count a whole occasion or none. Summarise with time_unit=freq or longer."
        )
        raise DataContractError(msg, column="period", value=unit)
    zone = _zone(found, tz)
    cutoff = _cutoff(found, occasion, calibration_end, zone)
    durations = np.unique(summary["duration_holdout"].to_numpy(dtype=np.float64))
    if durations.size != 1 or not durations[0] >= 0:
        msg = (
            "data's 'duration_holdout' must be one number for every customer (got "
            f"{durations[:3].tolist()}); track customers of one summary together."
        )
        raise DataContractError(msg, column="duration_holdout", value=durations[:3].tolist())
    duration = float(durations[0])
    whole = math.floor(duration + _EPS)
    if whole < 1:
        msg = (
            f"data's holdout must last at least one whole {period_name(unit)[:-1]} (got "
            f"duration_holdout={duration:g}); observe longer after the calibration end."
        )
        raise DataContractError(msg, column="duration_holdout", value=duration)
    steps = round(duration * DAYS_PER_PERIOD[unit] / DAYS_PER_PERIOD[occasion])
    return _Window(occasion, unit, cutoff, cutoff + steps, whole, zone)


def _zone(found: TimeVaryingSummary | None, tz: str | None) -> str:
    if found is None:
        return "UTC" if tz is None else tz
    if tz is not None and tz != found.tz:
        msg = (
            f"tz must be the time zone the summary was made in, {found.tz!r} (got {tz!r}); "
            "leave it out to use the summary's."
        )
        raise DataContractError(msg, column="tz", value=tz)
    return found.tz


def _cutoff(found: TimeVaryingSummary | None, occasion: Freq, moment: object, tz: str) -> int:
    """Return the calibration end's occasion-period ordinal: the data's, or ``calibration_end``."""
    given = (
        None
        if moment is None
        else timestamp_ordinal(moment, freq=occasion, tz=tz, name="calibration_end")
    )
    if found is None:
        if given is None:
            msg = (
                "calibration_end must be given with an rfm_summary (got None); pass the "
                "calibration_end the summary was made with (a TimeVaryingSummary records it)."
            )
            raise DataContractError(msg, column="calibration_end")
        return given
    day = int(found.end_day)
    known = day if occasion == "D" else (day + 3) // 7  # weeks start on Monday
    if given is not None and given != known:
        start = pd.Timestamp(_period_starts(np.array([known]), occasion)[0]).date()
        msg = (
            f"calibration_end must fall in the summary's calibration end period, the "
            f"{period_name(occasion)[:-1]} of {start} (got {moment!r}); leave it out to use "
            "the summary's."
        )
        raise DataContractError(msg, column="calibration_end", value=moment)
    return known


def _periods(periods: object, window: _Window) -> int:
    if periods is None:
        return window.whole
    n = int(require_number(periods, name="periods", low=1, integer=True))
    if n > window.whole:
        msg = (
            f"periods must be at most {window.whole}, the whole {period_name(window.unit)} "
            f"the holdout observed (got {n}); leave it out to track them all."
        )
        raise DataContractError(msg, column="periods", value=periods)
    return n


def _moment(ordinal: int, occasion: Freq) -> pd.Timestamp:
    """Return the naive start of an occasion period (read in the summary's time zone)."""
    return pd.Timestamp(_period_starts(np.array([ordinal]), occasion)[0])


def _actual(
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    window: _Window,
    n: int,
    **log: object,
) -> IntArray:
    """Repeat occasions per holdout period of the summary's customers, as it counted them.

    The log is summarised again over the summary's own window, and the counts
    per customer must match the summary's: another log, or other settings
    (refunds, currency, time zone), would count other purchases.
    """
    with warnings.catch_warnings():
        # What the summary left out (late customers, unmatched refunds) was reported when it
        # was made; saying it again for the same log would only repeat it.
        warnings.simplefilter("ignore", DataWarning)
        found = summary_with_occasions(
            transactions,
            freq=window.occasion,
            time_unit=window.unit,
            calibration_end=_moment(window.cutoff, window.occasion),
            observation_end=_moment(window.end, window.occasion),
            tz=window.tz,
            stacklevel=4,
            **log,  # type: ignore[arg-type]
        )
    recount = found.summary
    rows = recount.index.get_indexer(summary.index)
    if np.any(rows < 0):
        who = summary.index[np.flatnonzero(rows < 0)[0]]
        msg = (
            f"transactions must hold every customer of data (got none for {who!r}); pass "
            "the log the summary was made from."
        )
        raise DataContractError(msg, column="customer_id", value=who)
    for column in ("frequency", "frequency_holdout"):
        ours = recount[column].to_numpy()[rows]
        theirs = summary[column].to_numpy()
        differ = np.flatnonzero(ours != theirs)
        if differ.size:
            who = summary.index[differ[0]]
            msg = (
                f"transactions must be the log data was summarised from, counted the same "
                f"way (got {differ.size} customer(s) whose {column!r} differs, first {who!r}: "
                f"{theirs[differ[0]]} in data, {ours[differ[0]]} here); pass the log and the "
                "monetary=, returns=, order_id=, currency= the summary was made with."
            )
            raise DataContractError(msg, column=column, value=who)
    # Occasion -> row of the recount -> row of data (-1: not one of data's customers).
    position = np.full(int(found.occasion_customer.max()) + 1, -1, dtype=np.int64)
    position[found.customer] = np.arange(found.customer.size)
    in_data = np.full(len(recount), -1, dtype=np.int64)
    in_data[rows] = np.arange(len(summary))
    row = position[found.occasion_customer]
    owner = np.where(row >= 0, in_data[np.maximum(row, 0)], -1)
    later = found.occasion_period > window.cutoff
    offset = found.occasion_period[later & (owner >= 0)] - window.cutoff
    elapsed = offset * DAYS_PER_PERIOD[window.occasion] / DAYS_PER_PERIOD[window.unit]
    period = np.ceil(elapsed - _EPS).astype(np.int64)  # period k holds (k - 1, k]
    counted = period[(period >= 1) & (period <= n)]
    return np.bincount(counted - 1, minlength=n).astype(np.int64)


def _expected(
    model: HoldoutModel, summary: pd.DataFrame, found: TimeVaryingSummary | None, n: int
) -> FloatArray:
    """Return the base's expected purchases in each of the next ``n`` periods, given histories."""
    if isinstance(model, TimeVaryingParetoNBDModel):
        if found is None:
            msg = (
                "data must be a TimeVaryingSummary for a TimeVaryingParetoNBDModel (got a "
                "DataFrame): its forecast needs each customer's covariates; make data with "
                "time_varying_summary(...)."
            )
            raise DataContractError(msg, column="data", value="DataFrame")
        weekly = model.predict_purchases_by_period(found, n)
        return np.asarray(weekly.to_numpy().sum(axis=0), dtype=np.float64)
    cumulative = np.array(
        [float(model.predict_purchases(summary, float(t)).sum()) for t in range(1, n + 1)]
    )
    return np.diff(cumulative, prepend=0.0)


def _holdout(
    models: HoldoutModel | Mapping[str, HoldoutModel],
    data: TimeVaryingSummary | pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    periods: int | None,
    calibration_end: object,
    tz: str | None,
    **log: object,
) -> _Holdout:
    named, columns = _as_models(models)
    summary, found = _summary_of(data)
    window = _window(summary, found, named, calibration_end=calibration_end, tz=tz)
    n = _periods(periods, window)
    expected = {columns[name]: _expected(model, summary, found, n) for name, model in named.items()}
    actual = _actual(transactions, summary, window, n, **log)
    # Period k counts occasions (k - 1, k] model periods after the calibration end: it starts
    # with the first occasion period after (k - 1) periods.
    per_period = DAYS_PER_PERIOD[window.unit] / DAYS_PER_PERIOD[window.occasion]
    first = window.cutoff + 1 + np.floor(np.arange(n + 1) * per_period + _EPS).astype(np.int64)
    bounds = _period_starts(first, window.occasion)
    data_columns: dict[str, object] = {"actual": actual}
    data_columns |= expected
    data_columns["actual_cumulative"] = np.cumsum(actual)
    data_columns |= {f"{column}_cumulative": np.cumsum(v) for column, v in expected.items()}
    data_columns["holdout"] = np.ones(n, dtype=bool)
    index = pd.DatetimeIndex(bounds[:-1], name="period_start")
    table = pd.DataFrame(data_columns, index=index)
    table.attrs.update(
        {
            "period": window.unit,
            "occasion_freq": window.occasion,
            "calibration_end": _moment(window.cutoff, window.occasion),
            "n_customers": len(summary),
            "tz": window.tz,
        }
    )
    labels = {name: columns[name] for name in named}
    return _Holdout(table, bounds[1:], labels)


def holdout_tracking_table(
    models: HoldoutModel | Mapping[str, HoldoutModel],
    data: TimeVaryingSummary | pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    periods: int | None = None,
    calibration_end: object = None,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str | None = "value",
    tz: str | None = None,
    assume_tz: str | None = None,
    returns: Returns = "net",
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    decimals: int | None = None,
) -> pd.DataFrame:
    """Compare, period by period after the calibration end, actual and forecast purchases.

    The forecast is the one a model makes at the calibration end: each
    customer's expected purchases given their own history (for a
    :class:`~one2one.clv.TransactionModel`, the differences of
    ``predict_purchases(summary, t)`` at ``t = 1, 2, ...``; for a
    :class:`~one2one.clv.TimeVaryingParetoNBDModel`,
    ``predict_purchases_by_period``, which follows the covariates of each
    week), summed over the summary's customers. The actual purchases are
    those customers' repeat purchase occasions, counted as the summary
    counted them (one per customer per occasion period, refunds netted), so
    the rows of a holdout of whole periods add up to the summary's
    ``frequency_holdout``. A subset of a summary (a segment) is tracked on
    its own customers.

    Parameters
    ----------
    models
        A fitted model, or a mapping ``{name: model}`` of several, one
        column each.
    data
        What the models forecast from: a :class:`~one2one.clv.TimeVaryingSummary`
        (any model), or a summary made by :func:`~one2one.clv.rfm_summary`
        with ``calibration_end`` (transaction models only), or a subset of
        either's rows (a segment).
    transactions
        The log ``data`` was summarised from.
    periods
        Number of periods (the summary's time unit, e.g. weeks) to track;
        by default every whole period of ``duration_holdout``. A last,
        partial period is left out: it would compare a few days of
        purchases with a week's forecast.
    calibration_end
        The calibration end the summary was made with: needed for an
        ``rfm_summary`` (it does not record the date); a
        ``TimeVaryingSummary`` records it, and a value that falls in another
        period is refused.
    customer_id, datetime, monetary, assume_tz, returns, order_id, currency, decimals
        As for :func:`~one2one.clv.rfm_summary`: give what the summary was
        made with, so purchases are counted the same way.
    tz
        The time zone whose calendar the summary counts in: by default a
        ``TimeVaryingSummary``'s own, else UTC.

    Returns
    -------
    pandas.DataFrame
        One row per period, indexed by ``period_start`` (the naive first
        day the row counts: the day, or week, after the calibration end for
        the first row), with columns ``actual`` (int), one per model
        (``predicted`` for one model given alone), the running totals
        ``actual_cumulative`` and ``<column>_cumulative``, and ``holdout``
        (all ``True``, so :func:`~one2one.clv.tracking_errors` sums the
        table). ``attrs`` records ``period``, ``occasion_freq``,
        ``calibration_end`` (the start of its occasion period), ``tz`` and
        ``n_customers``.

    Raises
    ------
    DataContractError
        If ``models`` is not a fitted model or a mapping of them (or a name
        clashes with a column); ``data`` is neither kind of summary, has no
        holdout columns or records no periods, or is a DataFrame for a
        time-varying model; its time unit is shorter than its occasions;
        ``calibration_end`` is missing for an ``rfm_summary`` or contradicts
        a ``TimeVaryingSummary``; ``tz`` differs from the summary's;
        ``periods`` is not a whole number from 1 to the holdout's whole
        periods; a model's period differs from the summary's; or the log
        does not give each customer the summary's counts.
    NotFittedError
        If a model is not fitted.

    See Also
    --------
    tracking_table : a cohort's purchases from each first purchase on, unconditional.
    plot_holdout_tracking : this table drawn.

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, holdout_tracking_table, rfm_summary
    >>> from one2one.datasets import load_cdnow_transactions
    >>> tx = load_cdnow_transactions("sample")
    >>> summary = rfm_summary(tx, freq="D", time_unit="W", calibration_end="1997-09-30",
    ...                       observation_end="1998-06-30")
    >>> table = holdout_tracking_table(
    ...     {"BG/NBD": BetaGeoModel().fit(summary)}, summary, tx, calibration_end="1997-09-30"
    ... )
    >>> len(table), int(table["actual"].sum()), str(table.index[0].date())
    (39, 1882, '1997-10-01')
    """
    return _holdout(
        models,
        data,
        transactions,
        periods=periods,
        calibration_end=calibration_end,
        tz=tz,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        assume_tz=assume_tz,
        returns=returns,
        order_id=order_id,
        currency=currency,
        decimals=decimals,
    ).table


# --- the plot ------------------------------------------------------------------------------
def _draw(axes: Axes, result: _Holdout, *, cumulative: bool) -> str:
    """Draw actual and each model's line; return what the y axis counts."""
    table = result.table
    step = period_name(table.attrs["period"])[:-1]
    if cumulative:
        x = pd.DatetimeIndex(result.ends)
        suffix, what = "_cumulative", "Cumulative repeat purchases"
    else:
        x = pd.DatetimeIndex(table.index)
        suffix, what = "", f"Repeat purchases per {step}"
    axes.plot(x, table["actual" + suffix].to_numpy(), color=ACTUAL_COLOUR, label="Actual")
    for position, (label, column) in enumerate(result.columns.items()):
        axes.plot(
            x,
            table[column + suffix].to_numpy(),
            linestyle="--",
            color=model_colour(position),
            label=label,
        )
    date_ticks(axes)
    count_ticks(axes.yaxis)
    axes.set_ylabel(what)
    return what


@overload
def plot_holdout_tracking(
    models: HoldoutModel | Mapping[str, HoldoutModel],
    data: TimeVaryingSummary | pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    periods: int | None = ...,
    calibration_end: object = ...,
    kind: Literal["both"],
    customer_id: str = ...,
    datetime: str = ...,
    monetary: str | None = ...,
    tz: str | None = ...,
    assume_tz: str | None = ...,
    returns: Returns = ...,
    order_id: str | None = ...,
    currency: str | None = ...,
    decimals: int | None = ...,
    ax: Iterable[Axes] | None = ...,
) -> NDArray[np.object_]: ...


@overload
def plot_holdout_tracking(
    models: HoldoutModel | Mapping[str, HoldoutModel],
    data: TimeVaryingSummary | pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    periods: int | None = ...,
    calibration_end: object = ...,
    kind: Literal["cumulative", "incremental"] = ...,
    customer_id: str = ...,
    datetime: str = ...,
    monetary: str | None = ...,
    tz: str | None = ...,
    assume_tz: str | None = ...,
    returns: Returns = ...,
    order_id: str | None = ...,
    currency: str | None = ...,
    decimals: int | None = ...,
    ax: Axes | None = ...,
) -> Axes: ...


def plot_holdout_tracking(
    models: HoldoutModel | Mapping[str, HoldoutModel],
    data: TimeVaryingSummary | pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    periods: int | None = None,
    calibration_end: object = None,
    kind: TrackingKind = "cumulative",
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str | None = "value",
    tz: str | None = None,
    assume_tz: str | None = None,
    returns: Returns = "net",
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    decimals: int | None = None,
    ax: Axes | Iterable[Axes] | None = None,
) -> Axes | NDArray[np.object_]:
    """Plot actual and forecast purchases period by period after the calibration end.

    The numbers of :func:`holdout_tracking_table`: the actual purchases in
    black, each model a dashed line of its own colour. Running totals are
    drawn at the end of each period, counts per period at its start.

    Parameters
    ----------
    models, data, transactions, periods, calibration_end
        As for :func:`holdout_tracking_table`.
    kind
        ``"cumulative"`` (the default): running totals, where a wrong level
        shows as a widening gap; ``"incremental"``: purchases per period,
        where a missed season shows as peaks the forecast does not have;
        ``"both"``: the two stacked, sharing the time axis.
    customer_id, datetime, monetary, tz, assume_tz, returns, order_id, currency, decimals
        As for :func:`holdout_tracking_table`.
    ax
        Axes to draw into; by default a new figure. For ``kind="both"``, two
        Axes (e.g. the array of ``plt.subplots(2, 1, sharex=True)``): the
        cumulative view is drawn into the first.

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray of Axes
        For one view, the Axes drawn into (a line for the actual purchases,
        one per model labelled by its name, or its class for one model);
        for ``kind="both"``, an array of the two Axes, cumulative first, the
        legend on the first.

    Raises
    ------
    DataContractError
        As :func:`holdout_tracking_table`; if ``kind`` is unknown, or ``ax``
        is not one Axes (two for ``kind="both"``).
    MissingDependencyError
        If matplotlib is not installed.
    """
    view = _kind(kind, None)
    pyplot("plot_holdout_tracking")  # name this function if matplotlib is missing
    result = _holdout(
        models,
        data,
        transactions,
        periods=periods,
        calibration_end=calibration_end,
        tz=tz,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        assume_tz=assume_tz,
        returns=returns,
        order_id=order_id,
        currency=currency,
        decimals=decimals,
    )
    panels = _panels(ax, view)
    table = result.table
    step = period_name(table.attrs["period"])[:-1]
    zone = table.attrs["tz"]
    since = f"after {table.attrs['calibration_end'].date()}"
    if view != "both":
        axes = panels[0]
        what = _draw(axes, result, cumulative=view == "cumulative")
        where = f"end of {step}" if view == "cumulative" else f"{step} starting"
        axes.set_xlabel(f"Date ({where}, {zone})")
        axes.set_title(f"Holdout tracking: {what.lower()} {since}")
        axes.legend()
        return axes
    top, bottom = panels
    _draw(top, result, cumulative=True)
    _draw(bottom, result, cumulative=False)
    bottom.set_xlabel(f"Date ({zone}; totals at the end of each {step}, counts at its start)")
    top.set_title(f"Holdout tracking: repeat purchases {since}")
    top.legend()
    pair = np.empty(2, dtype=object)
    pair[0], pair[1] = top, bottom
    return pair
