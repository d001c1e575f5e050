"""Pictures of the relationship as the log holds it, and the tables behind them.

Each chart has a ``*_table`` function that computes its numbers as a
DataFrame (for reports and tests) and a ``plot_*`` function that draws them:

* :func:`plot_contact_pressure`: contacts per contacted customer in each
  period, by channel, against the frequency caps (is the company wearing its
  customers out, and do the caps hold?);
* :func:`plot_consent`: the share of customers whose consent for a purpose is
  granted, expired, withdrawn, denied or never asked, period by period (the
  audience the company may address, and whether it is shrinking);
* :func:`plot_offer_learning`: a next-best-action's offers over time: the
  share each offer gets, the acceptance, or the cumulative reward (is the
  learner learning?);
* :func:`plot_off_policy`: off-policy estimates of several policies with
  their intervals, against what the logged policy earned (which policy to
  try next, and how sure the log is about it).

matplotlib is optional (``pip install 'one2one-marketing[plot]'``): it is
imported by the ``plot_*`` functions only, and the tables work without it.
The plots draw into ``ax`` when given (else into a new figure), return the
Axes and never call ``show``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from .._charts import GREY, PALETTE, axes_for, count_ticks, date_ticks, number_label
from .._validation import require_columns, require_datetime, require_number, require_one_of
from ..errors import DataContractError
from ._log import InteractionLog
from ._next_best_action import NextBestAction
from ._off_policy import OffPolicyEstimate, logged_decisions
from ._policy import ContactPolicy, FrequencyCap

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ALL_CHANNELS",
    "ALL_OFFERS",
    "CONSENT_STATUSES",
    "consent_table",
    "contact_pressure_table",
    "off_policy_table",
    "offer_learning_table",
    "plot_consent",
    "plot_contact_pressure",
    "plot_off_policy",
    "plot_offer_learning",
]

Freq = Literal["D", "W", "M"]
LearningValue = Literal["share", "acceptance", "cumulative_reward"]

ALL_CHANNELS = "all channels"
"""The ``channel`` of the contact-pressure rows that add up every channel."""
ALL_OFFERS = "all offers"
"""The ``offer_id`` of the offer-learning rows that add up every offer."""
CONSENT_STATUSES = ("granted", "expired", "withdrawn", "denied", "none")
"""The consent states :func:`consent_table` counts, in its column order."""

_FREQS: tuple[Freq, ...] = ("D", "W", "M")
_PANDAS_PERIOD: dict[str, str] = {"D": "D", "W": "W-SUN", "M": "M"}  # weeks run Monday-Sunday
_PERIOD_NAME: dict[str, str] = {"D": "day", "W": "week", "M": "month"}
_LONGEST_PERIOD: dict[str, dt.timedelta] = {
    "D": dt.timedelta(days=1),
    "W": dt.timedelta(days=7),
    "M": dt.timedelta(days=31),
}
_DEFAULT_CONTACT_KINDS = ("offer_made", "message")  # InteractionLog's default marketing kinds
_CONSENT_KINDS = {
    "consent_granted": "granted",
    "consent_denied": "denied",
    "consent_withdrawn": "withdrawn",
}
_EVENT_COLUMNS = ("customer_id", "occurred_at", "channel", "kind")
_DECISION_COLUMNS = ("offer_id", "occurred_at", "reward")
_STATUS_COLOURS = {
    "granted": PALETTE[2],
    "expired": PALETTE[6],
    "withdrawn": PALETTE[5],
    "denied": PALETTE[3],
    "none": GREY,
}


# --- shared helpers ------------------------------------------------------------------------
def _freq(freq: object) -> Freq:
    return require_one_of(freq, _FREQS, name="freq")


def _zone(tz: object) -> str:
    """Return ``tz`` if it names a time zone, else raise naming it."""
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"'tz' must be a known time zone such as 'UTC' or 'Europe/Paris' (got {tz!r})."
        raise DataContractError(msg, column="tz", value=tz) from exc
    return str(tz)


def _events(source: object, *, name: str = "log") -> pd.DataFrame:
    """Every event of an InteractionLog, or an exported events frame after checking it."""
    if isinstance(source, InteractionLog):
        return source.to_pandas().reset_index(drop=True)
    if isinstance(source, pd.DataFrame):
        require_columns(source, _EVENT_COLUMNS, name="events")
        require_datetime(source, "occurred_at", name="events", tz="aware")
        return source.reset_index(drop=True)
    msg = (
        f"{name} must be an InteractionLog or a frame of its events, log.to_pandas() "
        f"(got a {type(source).__name__})."
    )
    raise DataContractError(msg, column=name, value=type(source).__name__)


def _periods(times: pd.Series, freq: Freq, tz: str) -> pd.Series:
    """Return the calendar period (in ``tz``) of each aware timestamp, as pandas Periods."""
    local = times.dt.tz_convert(tz).dt.tz_localize(None)
    periods: pd.Series = local.dt.to_period(_PANDAS_PERIOD[freq])
    return periods


def _starts(periods: pd.Series | pd.Index) -> pd.DatetimeIndex:
    """Return the naive local start of each period, for a time axis."""
    return pd.PeriodIndex(periods).to_timestamp(how="start")


def _axis_label(freq: Freq, tz: str) -> str:
    return f"{_PERIOD_NAME[freq]} starting ({tz})"


def _words(window: dt.timedelta) -> str:
    """Write a duration in words: "7 days", "12 hours", else its str."""
    seconds = window.total_seconds()
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return str(window)


# --- contact pressure ----------------------------------------------------------------------
def contact_pressure_table(
    log: InteractionLog | pd.DataFrame,
    *,
    freq: Freq = "W",
    kinds: Iterable[str] | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Count marketing contacts per period and channel, in total and per contacted customer.

    Contact pressure is how hard the company presses each customer. Totals
    alone hide it (more customers, more contacts); the mean and the most any
    one customer received in a period show whether some are worn out, and
    whether the contact policy's caps hold.

    Parameters
    ----------
    log
        An :class:`InteractionLog`, or a frame of its events as
        ``log.to_pandas()`` returns them (``customer_id``, ``occurred_at``
        (aware), ``channel``, ``kind`` and ``direction``).
    freq
        The period: ``"D"`` (day), ``"W"`` (week, Monday to Sunday) or ``"M"``.
    kinds
        The kinds of outbound event that are contacts. Default: the log's
        ``marketing_kinds`` (``offer_made`` and ``message`` for a frame).
    tz
        The time zone whose calendar defines the periods.

    Returns
    -------
    pandas.DataFrame
        One row per period (from the first contact's to the last's, quiet
        periods included) and channel, plus a channel :data:`ALL_CHANNELS`
        adding them up, with columns ``period`` (a pandas Period),
        ``channel``, ``contacts``, ``customers`` (contacted at least once),
        ``per_customer`` (``contacts / customers``; NaN in a quiet period)
        and ``max_per_customer``. ``attrs`` records ``freq`` and ``tz``.

    Raises
    ------
    DataContractError
        If ``log`` is neither a log nor an events frame, a column is missing,
        ``freq`` or ``tz`` is unknown, or there is no contact to count.

    Examples
    --------
    >>> import datetime as dt
    >>> from one2one.interact import InteractionLog, contact_pressure_table
    >>> log = InteractionLog(require_consent=False)
    >>> monday = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    >>> _ = log.append([{"customer_id": c, "occurred_at": monday + dt.timedelta(days=d),
    ...                  "channel": "email", "kind": "offer_made", "direction": "outbound"}
    ...                 for c, d in [("a", 0), ("a", 2), ("b", 3), ("a", 8)]])
    >>> table = contact_pressure_table(log)
    >>> table[table["channel"] == "email"][["contacts", "customers", "max_per_customer"]]
       contacts  customers  max_per_customer
    0         3          2                 2
    2         1          1                 1
    """
    period_freq = _freq(freq)
    zone = _zone(tz)
    if kinds is None:
        chosen = sorted(log.marketing_kinds) if isinstance(log, InteractionLog) else None
        contact_kinds = list(_DEFAULT_CONTACT_KINDS) if chosen is None else chosen
    else:
        contact_kinds = [kinds] if isinstance(kinds, str) else [str(k) for k in kinds]
    events = _events(log)
    require_columns(events, ["direction"], name="events")
    contacts = events[events["kind"].isin(contact_kinds) & (events["direction"] == "outbound")]
    if contacts.empty:
        msg = (
            f"the log has no outbound contacts of kind {contact_kinds} to count; "
            "pass kinds= to count others."
        )
        raise DataContractError(msg, column="kinds", value=contact_kinds)
    frame = pd.DataFrame(
        {
            "period": _periods(contacts["occurred_at"], period_freq, zone).to_numpy(),
            "channel": contacts["channel"].astype(str).to_numpy(),
            "customer_id": contacts["customer_id"].astype(str).to_numpy(),
        }
    )
    every = frame.assign(channel=ALL_CHANNELS)
    per_customer = (
        pd.concat([frame, every], ignore_index=True)
        .groupby(["period", "channel", "customer_id"], sort=False)
        .size()
    )
    grouped = per_customer.groupby(level=["period", "channel"], sort=False)
    counted = pd.DataFrame(
        {
            "contacts": grouped.sum(),
            "customers": grouped.size(),
            "max_per_customer": grouped.max(),
        }
    )
    periods = pd.period_range(frame["period"].min(), frame["period"].max(), name="period")
    channels = [*sorted(frame["channel"].unique()), ALL_CHANNELS]
    grid = pd.MultiIndex.from_product([periods, channels], names=["period", "channel"])
    table = counted.reindex(grid, fill_value=0).astype(np.int64).reset_index()
    table["per_customer"] = table["contacts"] / table["customers"].where(table["customers"] > 0)
    table = table[
        ["period", "channel", "contacts", "customers", "per_customer", "max_per_customer"]
    ]
    table.attrs.update({"freq": period_freq, "tz": zone})
    return table


def _caps(caps: object) -> list[FrequencyCap]:
    """Return the frequency caps of a ContactPolicy, or of a sequence of caps, checked."""
    if isinstance(caps, ContactPolicy):
        return [rule for rule in caps.rules if isinstance(rule, FrequencyCap)]
    if isinstance(caps, FrequencyCap):
        return [caps]
    found: list[FrequencyCap] = []
    for position, rule in enumerate(caps if isinstance(caps, Iterable) else [caps]):
        if not isinstance(rule, FrequencyCap):
            msg = (
                f"caps must be a ContactPolicy or FrequencyCap rules (item {position} is a "
                f"{type(rule).__name__})."
            )
            raise DataContractError(msg, column="caps", value=type(rule).__name__, row=position)
        found.append(rule)
    return found


def _cap_per_period(cap: FrequencyCap, freq: Freq) -> int:
    """Return the most contacts ``cap`` allows one customer in one period of ``freq``.

    At most ``max_contacts`` in any ``window`` allows ``max_contacts`` in each
    of the ``ceil(period / window)`` windows that tile a period (months count
    as 31 days, their longest).
    """
    return cap.max_contacts * math.ceil(_LONGEST_PERIOD[freq] / cap.window)


def plot_contact_pressure(
    log: InteractionLog | pd.DataFrame,
    *,
    caps: ContactPolicy | FrequencyCap | Iterable[FrequencyCap] = (),
    freq: Freq = "W",
    kinds: Iterable[str] | None = None,
    tz: str = "UTC",
    ax: Axes | None = None,
) -> Axes:
    """Draw contacts per contacted customer by period and channel, against the caps.

    For each channel, a solid line is the mean per contacted customer and a
    dashed one the most any single customer received; a dotted line is each
    frequency cap, as the most it allows in one period. A dashed line on or
    above its cap means customers are contacted as often as the rules allow
    (or more, if contacts were logged without the policy). The numbers are
    those of :func:`contact_pressure_table`; the all-channels lines are drawn
    when there are several channels or a cap on all channels.

    Parameters
    ----------
    log, freq, kinds, tz
        As for :func:`contact_pressure_table`.
    caps
        A :class:`ContactPolicy` (its :class:`FrequencyCap` rules are drawn),
        or :class:`FrequencyCap` rules.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: two lines per channel shown, one per cap.

    Raises
    ------
    DataContractError
        As :func:`contact_pressure_table`, or if ``caps`` holds something
        other than frequency caps.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    table = contact_pressure_table(log, freq=freq, kinds=kinds, tz=tz)
    rules = _caps(caps)
    axes = axes_for(ax, feature="plot_contact_pressure")
    period_freq: Freq = table.attrs["freq"]
    channels = [c for c in table["channel"].unique() if c != ALL_CHANNELS]
    colours = {c: PALETTE[k % (len(PALETTE) - 1)] for k, c in enumerate(channels)}
    colours[ALL_CHANNELS] = PALETTE[-1]
    shown = list(channels)
    if len(channels) > 1 or any(rule.channel is None for rule in rules):
        shown.append(ALL_CHANNELS)
    for channel in shown:
        rows = table[table["channel"] == channel]
        x = _starts(rows["period"])
        colour = colours[channel]
        axes.plot(
            x, rows["per_customer"], marker="o", color=colour, label=f"{channel}: mean per customer"
        )
        axes.plot(
            x,
            rows["max_per_customer"],
            linestyle="--",
            color=colour,
            label=f"{channel}: most to one customer",
        )
    for rule in rules:
        scope = f"{rule.channel} " if rule.channel else ""
        axes.axhline(
            _cap_per_period(rule, period_freq),
            linestyle=":",
            linewidth=2,
            color=colours.get(rule.channel or ALL_CHANNELS, PALETTE[-1]),
            label=f"cap: {rule.max_contacts} {scope}contacts in {_words(rule.window)}",
        )
    axes.set_ylim(bottom=0)
    count_ticks(axes.yaxis)
    date_ticks(axes)
    unit = _PERIOD_NAME[period_freq]
    axes.set_xlabel(_axis_label(period_freq, table.attrs["tz"]))
    axes.set_ylabel(f"contacts per contacted customer per {unit}")
    axes.set_title(f"Contact pressure by {unit}")
    axes.legend(fontsize="small")
    return axes


# --- consent -------------------------------------------------------------------------------
def _name(log: object, value: object, *, field: str) -> str:
    """Return the canonical form of a purpose or channel name (checked against the log's names)."""
    if isinstance(log, InteractionLog):
        if field == "channel":
            return log.channel_name(value)
        return log.purpose_name(value)
    if not isinstance(value, str) or not value.strip():
        msg = f"{field!r} must be a non-empty name (got {value!r})."
        raise DataContractError(msg, column=field, value=value)
    return value.strip().lower()


def _payload_field(payload: object, key: str) -> Any:
    return payload.get(key) if isinstance(payload, Mapping) else None


def _canonical(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def consent_table(
    log: InteractionLog | pd.DataFrame,
    purpose: str = "marketing",
    *,
    channel: str | None = None,
    freq: Freq = "W",
    tz: str = "UTC",
    customers: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Share of customers by consent status for ``purpose``, at the end of each period.

    Each customer's status is that of the most recent decision covering the
    purpose (and ``channel``) at the period's end, exactly as
    :meth:`Consent.allows` decides: ``granted`` is a grant still live (what
    ``allows`` answers True for), ``expired`` a grant past its
    ``expires_at``, ``withdrawn`` and ``denied`` the other decisions, and
    ``none`` a customer never asked. The granted share is the audience the
    company may address; a falling one means customers are leaving it.

    Parameters
    ----------
    log
        An :class:`InteractionLog`, or a frame of its events as
        ``log.to_pandas()`` returns them (with ``payload``).
    purpose
        The consent purpose, e.g. ``"marketing"``.
    channel
        The channel asked about (decisions limited to another channel do not
        cover it); ``None`` asks about the purpose on any channel.
    freq
        The period: ``"D"``, ``"W"`` (Monday to Sunday) or ``"M"``.
    tz
        The time zone whose calendar defines the periods.
    customers
        The customers to count (canonical ids). Default: at each period's
        end, every customer with an event in the log by then.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (pandas Periods, from the first event's to the
        last's), with columns ``at`` (the moment the status is read: the
        period's last microsecond, UTC), ``customers`` (how many are counted) and one
        share per :data:`CONSENT_STATUSES`, summing to 1 (NaN when no
        customer is counted). ``attrs`` records ``purpose``, ``channel``,
        ``freq`` and ``tz``.

    Raises
    ------
    DataContractError
        If ``log`` is neither a log nor an events frame, a column is missing,
        the purpose, channel, ``freq`` or ``tz`` is unknown, or the log is empty.

    Examples
    --------
    >>> import datetime as dt
    >>> from one2one.interact import InteractionLog, consent_table
    >>> log = InteractionLog()
    >>> monday = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    >>> _ = log.consent.grant("a", "marketing", at=monday)
    >>> _ = log.consent.grant("b", "marketing", at=monday)
    >>> _ = log.consent.withdraw("b", "marketing", at=monday + dt.timedelta(days=8))
    >>> consent_table(log)[["customers", "granted", "withdrawn"]]
                           customers  granted  withdrawn
    period
    2026-11-02/2026-11-08          2      1.0        0.0
    2026-11-09/2026-11-15          2      0.5        0.5
    """
    period_freq = _freq(freq)
    zone = _zone(tz)
    wanted = _name(log, purpose, field="purpose")
    scope = None if channel is None else _name(log, channel, field="channel")
    events = _events(log)
    if events.empty:
        msg = "the log has no events, so no customers whose consent to count."
        raise DataContractError(msg, column="log")
    occurred = events["occurred_at"].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    periods = pd.period_range(
        _periods(occurred, period_freq, zone).min(),
        _periods(occurred, period_freq, zone).max(),
        name="period",
    )
    starts = (periods + 1).to_timestamp(how="start")
    local_ends = starts.tz_localize(
        zone, ambiguous=np.zeros(len(periods), dtype=bool), nonexistent="shift_forward"
    )
    # The period's last moment the log can record (it keeps microseconds).
    utc_ends = pd.DatetimeIndex(local_ends.tz_convert("UTC").astype("datetime64[ns, UTC]"))
    ends = utc_ends - pd.Timedelta(microseconds=1)

    # Who is counted at each period's end.
    ids = events["customer_id"].astype(str)
    if customers is None:
        first_seen = occurred.groupby(ids.to_numpy()).min()
        grid = pd.DataFrame(
            {
                "customer_id": np.repeat(np.asarray(first_seen.index), len(ends)),
                "at": np.tile(ends.to_numpy(), len(first_seen)),
                "seen": np.repeat(first_seen.to_numpy(), len(ends)),
            }
        )
        grid = grid[grid["seen"] <= grid["at"]].drop(columns="seen")
    else:
        chosen = [customers] if isinstance(customers, str) else list(customers)
        if isinstance(log, InteractionLog):
            chosen = [log.canonical_id(str(c)) for c in chosen]
        unique = pd.unique(pd.Series([str(c) for c in chosen], dtype=object))
        grid = pd.DataFrame(
            {
                "customer_id": np.repeat(np.asarray(unique), len(ends)),
                "at": np.tile(ends.to_numpy(), len(unique)),
            }
        )
    grid["at"] = grid["at"].astype("datetime64[ns, UTC]")

    # The decisions that cover the question, the latest of equal times last (log order).
    is_decision = events["kind"].isin(list(_CONSENT_KINDS))
    if is_decision.any():
        require_columns(events, ["payload"], name="events")
    payloads = events.loc[is_decision, "payload"]
    decided = pd.DataFrame(
        {
            "customer_id": ids[is_decision].to_numpy(),
            "occurred_at": occurred[is_decision].to_numpy(),
            "status": events.loc[is_decision, "kind"].map(_CONSENT_KINDS).to_numpy(),
            "purpose": [_canonical(_payload_field(p, "purpose")) for p in payloads],
            "scope": [_canonical(_payload_field(p, "channel")) for p in payloads],
            "expires_at": pd.to_datetime(
                [_payload_field(p, "expires_at") for p in payloads], utc=True
            ),
        }
    )
    covers = (decided["purpose"] == wanted) & (
        decided["scope"].isna() | (scope is None) | (decided["scope"] == scope)
    )
    decided = decided[covers].sort_values("occurred_at", kind="stable")
    decided = decided.drop_duplicates(["customer_id", "occurred_at"], keep="last")
    decided["occurred_at"] = decided["occurred_at"].astype("datetime64[ns, UTC]")
    decided["expires_at"] = decided["expires_at"].astype("datetime64[ns, UTC]")

    read = pd.merge_asof(
        grid.sort_values("at", kind="stable"),
        decided[["customer_id", "occurred_at", "status", "expires_at"]],
        left_on="at",
        right_on="occurred_at",
        by="customer_id",
        direction="backward",
    )
    status = read["status"].fillna("none").astype(object)
    lapsed = (status == "granted") & read["expires_at"].notna() & (read["expires_at"] <= read["at"])
    status[lapsed.to_numpy()] = "expired"
    counts = (
        pd.crosstab(read["at"], status)
        .reindex(index=ends, columns=list(CONSENT_STATUSES), fill_value=0)
        .astype(np.int64)
    )
    total = counts.sum(axis=1)
    shares = counts.div(total.where(total > 0), axis=0)
    table = pd.DataFrame({"at": ends, "customers": total.to_numpy()}, index=periods)
    for name in CONSENT_STATUSES:
        table[name] = shares[name].to_numpy()
    table.attrs.update({"purpose": wanted, "channel": scope, "freq": period_freq, "tz": zone})
    return table


def plot_consent(
    log: InteractionLog | pd.DataFrame,
    purpose: str = "marketing",
    *,
    channel: str | None = None,
    freq: Freq = "W",
    tz: str = "UTC",
    customers: Iterable[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw the consent status shares over time as stacked areas (granted at the bottom).

    The numbers are those of :func:`consent_table`: the height of the
    bottom band is the share of customers the company may contact for
    ``purpose``; the bands above it say why the others may not be.

    Parameters
    ----------
    log, purpose, channel, freq, tz, customers
        As for :func:`consent_table`.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one band per status that occurs.

    Raises
    ------
    DataContractError
        As :func:`consent_table`.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    table = consent_table(log, purpose, channel=channel, freq=freq, tz=tz, customers=customers)
    axes = axes_for(ax, feature="plot_consent")
    present = [s for s in CONSENT_STATUSES if table[s].fillna(0).gt(0).any()]
    x = _starts(table.index + 1)  # the status is read as each period ends
    axes.stackplot(
        x,
        *[table[s].fillna(0).to_numpy() for s in present],
        labels=present,
        colors=[_STATUS_COLOURS[s] for s in present],
    )
    percent = _percent_formatter()
    axes.yaxis.set_major_formatter(percent)
    axes.set_ylim(0, 1)
    date_ticks(axes)
    period_freq: Freq = table.attrs["freq"]
    on = f" on {table.attrs['channel']}" if table.attrs["channel"] else ""
    axes.set_xlabel(f"end of {_PERIOD_NAME[period_freq]} ({table.attrs['tz']})")
    axes.set_ylabel("share of customers")
    axes.set_title(f"Consent to {table.attrs['purpose']}{on}")
    axes.legend(loc="lower left", fontsize="small", reverse=True)
    return axes


def _percent_formatter() -> Any:
    from .._validation import optional_import  # noqa: PLC0415 (matplotlib is optional)

    ticker = optional_import("matplotlib.ticker", extra="plot", feature="Share axes")
    return ticker.PercentFormatter(xmax=1.0, decimals=0)


# --- offer learning ------------------------------------------------------------------------
def _decisions(source: object) -> pd.DataFrame:
    """Return the logged decisions of a log, a next-best-action's log, or a decisions frame."""
    if isinstance(source, NextBestAction):
        source = source.log
    if isinstance(source, InteractionLog):
        frame = logged_decisions(source)
    elif isinstance(source, pd.DataFrame):
        frame = source
        require_columns(frame, _DECISION_COLUMNS, name="decisions")
        require_datetime(frame, "occurred_at", name="decisions", tz="aware")
    else:
        msg = (
            "source must be an InteractionLog, a NextBestAction or a frame of "
            f"logged_decisions(log) (got a {type(source).__name__})."
        )
        raise DataContractError(msg, column="source", value=type(source).__name__)
    if frame.empty:
        msg = (
            "there are no logged offers with propensities "
            "(offer_made events from a NextBestAction)."
        )
        raise DataContractError(msg, column="offer_id")
    return frame


def offer_learning_table(
    source: InteractionLog | NextBestAction | pd.DataFrame,
    *,
    freq: Freq = "D",
    tz: str = "UTC",
) -> pd.DataFrame:
    """Count a next-best-action's offers and rewards per period and offer.

    A learner that learns moves its offers towards those that are accepted:
    the share of the better offers grows, and so do acceptance and the
    cumulative reward. Rewards are those of :func:`logged_decisions` (the
    first response to each offer; an unanswered offer earns 0), counted in
    the period the offer was made.

    Parameters
    ----------
    source
        An :class:`InteractionLog` or :class:`NextBestAction` (its log), or
        a frame of :func:`logged_decisions` (``offer_id``, ``occurred_at``
        (aware) and ``reward``).
    freq
        The period: ``"D"``, ``"W"`` (Monday to Sunday) or ``"M"``.
    tz
        The time zone whose calendar defines the periods.

    Returns
    -------
    pandas.DataFrame
        One row per period with offers and offer id, plus an offer
        :data:`ALL_OFFERS` adding them up, with columns ``period``,
        ``offer_id``, ``offers``, ``share`` (of the period's offers),
        ``reward`` (summed), ``acceptance`` (``reward / offers``; NaN if no
        offer), ``cumulative_offers`` and ``cumulative_reward``. Periods
        without an offer are left out. ``attrs`` records ``freq`` and ``tz``.

    Raises
    ------
    DataContractError
        If ``source`` is none of these, a column is missing, ``freq`` or
        ``tz`` is unknown, or nothing was offered with a propensity.
    """
    period_freq = _freq(freq)
    zone = _zone(tz)
    decisions = _decisions(source)
    rewards = pd.to_numeric(decisions["reward"], errors="coerce")
    if rewards.isna().any():
        row = decisions.index[rewards.isna().to_numpy()][0]
        msg = f"decisions column 'reward' must hold numbers (row {row!r} does not)."
        raise DataContractError(msg, column="reward", value=decisions.loc[row, "reward"], row=row)
    frame = pd.DataFrame(
        {
            "period": _periods(decisions["occurred_at"], period_freq, zone).to_numpy(),
            "offer_id": decisions["offer_id"].astype(str).to_numpy(),
            "reward": rewards.to_numpy(dtype=np.float64),
        }
    )
    both = pd.concat([frame, frame.assign(offer_id=ALL_OFFERS)], ignore_index=True)
    grouped = both.groupby(["period", "offer_id"]).agg(
        offers=("reward", "size"), reward=("reward", "sum")
    )
    periods = pd.PeriodIndex(sorted(frame["period"].unique()), name="period")
    offers = [*sorted(frame["offer_id"].unique()), ALL_OFFERS]
    grid = pd.MultiIndex.from_product([periods, offers], names=["period", "offer_id"])
    table = grouped.reindex(grid, fill_value=0).reset_index()
    table["offers"] = table["offers"].astype(np.int64)
    table["reward"] = table["reward"].astype(np.float64)
    in_period = table.groupby("period")["offers"].transform("max")  # the all-offers row
    table["share"] = table["offers"] / in_period
    table["acceptance"] = table["reward"] / table["offers"].where(table["offers"] > 0)
    by_offer = table.groupby("offer_id", sort=False)
    table["cumulative_offers"] = by_offer["offers"].cumsum().astype(np.int64)
    table["cumulative_reward"] = by_offer["reward"].cumsum()
    table = table[
        [
            "period",
            "offer_id",
            "offers",
            "share",
            "reward",
            "acceptance",
            "cumulative_offers",
            "cumulative_reward",
        ]
    ]
    table.attrs.update({"freq": period_freq, "tz": zone})
    return table


def plot_offer_learning(
    source: InteractionLog | NextBestAction | pd.DataFrame,
    *,
    value: LearningValue = "share",
    freq: Freq = "D",
    tz: str = "UTC",
    ax: Axes | None = None,
) -> Axes:
    """Draw a next-best-action's learning curve: one line per offer over time.

    ``value="share"`` shows how the learner divides its offers (learning
    moves the share to the offers customers accept); ``"acceptance"`` the
    reward per offer made, and ``"cumulative_reward"`` the reward so far,
    both with a black line for all offers together. The numbers are those
    of :func:`offer_learning_table`.

    Parameters
    ----------
    source, freq, tz
        As for :func:`offer_learning_table`.
    value
        ``"share"``, ``"acceptance"`` or ``"cumulative_reward"``.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one line per offer (and one for all offers,
        except for shares, which are 1 for all offers).

    Raises
    ------
    DataContractError
        As :func:`offer_learning_table`, or an unknown ``value``.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    what = require_one_of(value, ("share", "acceptance", "cumulative_reward"), name="value")
    table = offer_learning_table(source, freq=freq, tz=tz)
    axes = axes_for(ax, feature="plot_offer_learning")
    offers = [o for o in table["offer_id"].unique() if o != ALL_OFFERS]
    shown = offers if what == "share" else [*offers, ALL_OFFERS]
    for k, offer in enumerate(shown):
        rows = table[table["offer_id"] == offer]
        is_all = offer == ALL_OFFERS
        axes.plot(
            _starts(rows["period"]),
            rows[what].to_numpy(dtype=np.float64),
            marker="o",
            markersize=4,
            color=PALETTE[-1] if is_all else PALETTE[k % (len(PALETTE) - 1)],
            linewidth=2.5 if is_all else 1.2,
            label=offer,
        )
    period_freq: Freq = table.attrs["freq"]
    unit = _PERIOD_NAME[period_freq]
    if what == "cumulative_reward":
        axes.set_ylabel("cumulative reward (accepted offers)")
    else:
        axes.yaxis.set_major_formatter(_percent_formatter())
        axes.set_ylim(0, None)
        axes.set_ylabel(
            f"share of the {unit}'s offers" if what == "share" else "reward per offer made"
        )
    date_ticks(axes)
    axes.set_xlabel(_axis_label(period_freq, table.attrs["tz"]))
    titles = {
        "share": "Offers chosen by the learner",
        "acceptance": "Acceptance of the learner's offers",
        "cumulative_reward": "Reward earned by the learner",
    }
    axes.set_title(f"{titles[what]}, by {unit}")
    axes.legend(fontsize="small", ncols=2 if len(shown) > 4 else 1)  # noqa: PLR2004
    return axes


# --- off-policy comparison -----------------------------------------------------------------
def off_policy_table(
    estimates: Mapping[str, OffPolicyEstimate], *, level: float = 0.95
) -> pd.DataFrame:
    """Tabulate off-policy estimates of several policies with a normal interval for each.

    The interval is ``dr +- z * dr_standard_error`` (doubly robust estimate);
    IPS and self-normalised IPS are kept beside it, since a policy whose
    three estimates disagree, or whose effective sample size is small, is
    one the log says little about.

    Parameters
    ----------
    estimates
        Policy name -> :class:`OffPolicyEstimate` (from :func:`off_policy_value`
        on the same logged decisions).
    level
        Coverage of the interval, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``policy`` in the given order, with columns ``dr``,
        ``dr_low``, ``dr_high``, ``dr_standard_error``, ``ips``, ``snips``,
        ``logged``, ``n`` and ``effective_sample_size``. ``attrs["level"]``
        is the coverage.

    Raises
    ------
    DataContractError
        If ``estimates`` is empty or not a mapping of estimates, or ``level``
        is outside (0, 1).
    """
    coverage = require_number(
        level, name="level", low=0, high=1, low_inclusive=False, high_inclusive=False
    )
    if not isinstance(estimates, Mapping) or not estimates:
        msg = (
            "estimates must be a non-empty mapping of policy name -> OffPolicyEstimate "
            f"(got {estimates!r})."
        )
        raise DataContractError(msg, column="estimates", value=type(estimates).__name__)
    rows = []
    z = NormalDist().inv_cdf(0.5 + coverage / 2)
    given: list[tuple[object, object]] = list(estimates.items())
    for name, estimate in given:
        if not isinstance(estimate, OffPolicyEstimate):
            msg = (
                f"estimates[{name!r}] must be an OffPolicyEstimate from off_policy_value "
                f"(got a {type(estimate).__name__})."
            )
            raise DataContractError(msg, column=str(name), value=type(estimate).__name__)
        half = z * estimate.dr_standard_error
        rows.append(
            {
                "policy": str(name),
                "dr": estimate.dr,
                "dr_low": estimate.dr - half,
                "dr_high": estimate.dr + half,
                "dr_standard_error": estimate.dr_standard_error,
                "ips": estimate.ips,
                "snips": estimate.snips,
                "logged": estimate.logged,
                "n": estimate.n,
                "effective_sample_size": estimate.effective_sample_size,
            }
        )
    table = pd.DataFrame(rows).set_index("policy")
    table.attrs["level"] = coverage
    return table


def plot_off_policy(
    estimates: Mapping[str, OffPolicyEstimate],
    *,
    level: float = 0.95,
    ax: Axes | None = None,
) -> Axes:
    """Draw each policy's doubly robust estimate with its interval, against the logged policy.

    One row per policy: the doubly robust estimate with its ``level``
    interval, IPS and self-normalised IPS as small markers, and the
    effective sample size in the row's label. The dashed line is what the
    policy that made the log earned. The numbers are those of
    :func:`off_policy_table`.

    Parameters
    ----------
    estimates, level
        As for :func:`off_policy_table`.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Raises
    ------
    DataContractError
        As :func:`off_policy_table`.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    table = off_policy_table(estimates, level=level)
    axes = axes_for(ax, feature="plot_off_policy", size=(7.0, 1.0 + 0.6 * len(table)))
    y = np.arange(len(table), dtype=np.float64)
    dr = table["dr"].to_numpy(dtype=np.float64)
    half = dr - table["dr_low"].to_numpy(dtype=np.float64)
    axes.errorbar(
        dr,
        y,
        xerr=half,
        fmt="o",
        color=PALETTE[0],
        capsize=4,
        label=f"doubly robust, {number_label(100 * table.attrs['level'])}% interval",
    )
    axes.plot(table["ips"], y - 0.2, linestyle="none", marker="v", color=PALETTE[1], label="IPS")
    axes.plot(
        table["snips"], y + 0.2, linestyle="none", marker="^", color=PALETTE[2], label="SNIPS"
    )
    logged = table["logged"].unique()
    if len(logged) == 1:
        axes.axvline(float(logged[0]), linestyle="--", color=GREY, label="logged policy")
    labels = [
        f"{policy}\n(effective n {number_label(float(ess))} of {int(n):,})"
        for policy, ess, n in zip(
            table.index, table["effective_sample_size"], table["n"], strict=True
        )
    ]
    axes.set_yticks(y, labels)
    axes.invert_yaxis()
    axes.set_xlabel("estimated reward per decision")
    axes.set_title("Policies evaluated on the log")
    axes.legend(fontsize="small")
    return axes
