"""One transaction table for every room: what a purchase occasion is, and exact money.

``clv.rfm_summary`` and ``differentiate.rfm_table`` read the same table (the
:data:`one2one.contracts.TRANSACTIONS` contract) and must agree on what it
says, so the rules live here, below the rooms:

* **Timestamps** are time-zone aware; naive ones are refused unless the
  caller names the zone they were recorded in (``assume_tz``).
* **Currencies** are never mixed: a ``currency`` column with more than one
  value is refused. Money is counted exactly, in integers of
  1/:data:`SUBUNITS` of the currency's minor unit (cents for USD, yen for
  JPY, fils for KWD), and every total is rounded to the minor unit once, so
  sums never leave float residue such as ``-1.4e-14``.
* **Refunds** (negative amounts) net against the sale they undo: the sale
  with the same order reference when the refund carries one, otherwise the
  customer's most recent purchases at or before the refund, latest first.
  What cannot be netted (a refund with nothing left to undo) is counted, so
  callers can report it.
* **A purchase occasion** is a customer's sales in one calendar period
  (the caller chooses the period). It counts unless refunds took its whole
  amount: a refunded sale is no purchase, a refund is never one, and a sale
  of 0.00 that nothing refunded (a free item) still is.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd
from attrs import frozen
from numpy.typing import NDArray

from ._validation import FrameContract, as_utc, require_columns, require_frame, require_number
from .contracts import TRANSACTIONS
from .errors import DataContractError, DataWarning

__all__ = [
    "MINOR_UNITS",
    "SUBUNITS",
    "Occasions",
    "Transactions",
    "local_days",
    "money_decimals",
    "purchase_occasions",
    "read_transactions",
    "round_money",
    "round_units",
    "to_money",
    "to_units",
    "warn_unnetted",
    "warn_unnetted_totals",
]

IntArray = NDArray[np.int64]

SUBUNITS = 10_000
"""Internal money units per minor unit: amounts finer than a cent are kept until totals round."""

DEFAULT_DECIMALS = 2
"""Decimals of a currency's minor unit when nothing says otherwise (cents)."""

MINOR_UNITS: Mapping[str, int] = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
"""ISO 4217 currencies whose minor unit is not 2 decimals; every other code has 2."""

_MAX_DECIMALS = 6
_LIMIT = 2**62  # internal units beyond this could overflow int64 when summed


def money_decimals(currency: str | None, decimals: int | None) -> int:
    """Decimals of the minor unit: ``decimals`` if given, else the currency's, else 2.

    Raises
    ------
    DataContractError
        If ``decimals`` is not a whole number from 0 to 6.
    """
    if decimals is not None:
        require_number(decimals, name="decimals", low=0, high=_MAX_DECIMALS, integer=True)
        return int(decimals)
    if currency is None:
        return DEFAULT_DECIMALS
    return MINOR_UNITS.get(currency.upper(), DEFAULT_DECIMALS)


def to_units(amounts: NDArray[np.float64], decimals: int, *, column: str = "value") -> IntArray:
    """Return amounts as exact integers of 1/SUBUNITS minor unit (sums of these are exact).

    ``column`` names where the amounts came from, for the message on an amount
    too large (or infinite) to count.
    """
    scaled = np.asarray(amounts, dtype=np.float64) * float(10 ** (decimals + 4))
    if scaled.size and not np.abs(scaled).max() < _LIMIT:  # also catches inf and NaN
        big = float(np.abs(np.asarray(amounts, dtype=np.float64)).max())
        msg = (
            f"an amount of {big:g} is too large to count exactly with {decimals} decimals; "
            "express amounts in a larger unit (thousands) or pass fewer decimals."
        )
        raise DataContractError(msg, column=column, value=big)
    return np.rint(scaled).astype(np.int64)


def round_units(units: IntArray) -> IntArray:
    """Round internal units to whole minor units, half to even (as Python's ``round``)."""
    whole, rest = np.divmod(np.asarray(units, dtype=np.int64), SUBUNITS)
    half = SUBUNITS // 2
    up = (rest > half) | ((rest == half) & (whole % 2 == 1))
    rounded: IntArray = (whole + up).astype(np.int64)
    return rounded


def to_money(units: IntArray, decimals: int) -> NDArray[np.float64]:
    """Return internal units as amounts rounded to the minor unit (nearest float to the sum)."""
    return round_units(units) / float(10**decimals)


def round_money(amounts: object, decimals: int, *, column: str = "value") -> NDArray[np.float64]:
    """Return amounts rounded to the minor unit (half to even), so residue such as 7e-15 is 0.

    Less than half a minor unit is no money: ``-1.4e-14`` becomes ``0.0``.
    """
    values = np.asarray(amounts, dtype=np.float64)
    return to_money(to_units(values, decimals, column=column), decimals)


@frozen(kw_only=True)
class Transactions:
    """A checked transaction table as arrays, one entry per row.

    ``customer`` codes index ``ids`` (sorted when the ids can be ordered);
    ``order`` codes are -1 where a row has no order reference, and ``order``
    is ``None`` when the table has no order column.
    """

    ids: NDArray[np.object_]
    customer: IntArray
    utc: pd.Series
    time: IntArray
    units: IntArray
    order: IntArray | None
    currency: str | None
    decimals: int
    rows: pd.Index

    def money(self, units: IntArray) -> NDArray[np.float64]:
        """Return internal units as amounts in this table's currency, rounded to its minor unit."""
        return to_money(units, self.decimals)


def _contract_for(
    *, customer_id: str, datetime: str, monetary: str | None, order_id: str | None, currency: str
) -> FrameContract:
    """Return the TRANSACTIONS contract under the caller's column names (times: see as_utc)."""
    names: dict[str, str | None] = {
        "customer_id": customer_id,
        "occurred_at": datetime,
        "value": monetary,
        "order_id": order_id,
        "currency": currency,
    }
    columns = [
        attrs.evolve(column, name=name, tz="any")
        for column in TRANSACTIONS.columns
        if (name := names[column.name]) is not None
    ]
    return attrs.evolve(TRANSACTIONS, columns=columns)


def _codes(values: NDArray[np.object_] | pd.Series) -> tuple[IntArray, NDArray[np.object_]]:
    """Integer codes of ``values`` in sorted order of the values where they can be ordered."""
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # unorderable mixed types keep first-seen order
        codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def read_transactions(
    transactions: object,
    *,
    customer_id: str,
    datetime: str,
    monetary: str | None,
    order_id: str | None,
    currency: str | None,
    assume_tz: str | None,
    decimals: int | None,
    use: str,
    arguments: str | None,
) -> Transactions:
    """Check a transaction table against the contract and return it as arrays.

    ``order_id`` and ``currency`` name optional columns: the default names
    (``"order_id"``, ``"currency"``) are used when present, any other name
    must exist. ``use`` says what needs the table, for the empty-table
    message; ``arguments`` names the caller's column-name parameters, for the
    missing-column message.

    Raises
    ------
    DataContractError
        On a missing column, an empty table, missing values, non-finite
        amounts, naive timestamps without ``assume_tz``, or a currency
        column with more than one currency.
    """
    frame = require_frame(transactions, name="transactions")
    required = [customer_id, datetime] + ([monetary] if monetary is not None else [])
    named = [c for c, d in ((order_id, "order_id"), (currency, "currency")) if c and c != d]
    require_columns(frame, required + named, name="transactions", arguments=arguments)
    if frame.empty:
        msg = f"transactions is empty; {use} needs at least one purchase."
        raise DataContractError(msg, column=datetime)
    order = order_id if order_id is not None and order_id in frame.columns else None
    money_column = currency if currency is not None and currency in frame.columns else None
    contract = _contract_for(
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        order_id=order,
        currency=money_column or "currency",
    )
    contract.validate(frame)
    utc = as_utc(frame[datetime], name=datetime, assume_tz=assume_tz)
    code = _one_currency(frame, money_column)
    places = money_decimals(code, decimals)
    customer, ids = _codes(frame[customer_id].to_numpy())
    amounts = frame[monetary].to_numpy(dtype=np.float64) if monetary else np.zeros(len(frame))
    order_codes = None
    if order is not None:
        known = frame[order].notna().to_numpy()
        order_codes = np.full(len(frame), -1, dtype=np.int64)
        if known.any():
            order_codes[known] = _codes(frame[order].to_numpy()[known])[0]
    return Transactions(
        ids=ids,
        customer=customer,
        utc=utc,
        time=utc.to_numpy(dtype="datetime64[ns]").astype(np.int64),
        units=to_units(amounts, places, column=monetary or "value"),
        order=order_codes,
        currency=code,
        decimals=places,
        rows=frame.index,
    )


def _one_currency(frame: pd.DataFrame, column: str | None) -> str | None:
    """Return the table's one currency (``None`` without a currency column); refuse several."""
    if column is None:
        return None
    found = sorted(map(str, pd.unique(frame[column])))
    if len(found) > 1:
        msg = (
            f"transactions column {column!r} holds {len(found)} currencies "
            f"({', '.join(map(repr, found))}); amounts are never added across currencies: "
            "convert them to one currency first, or summarise each currency on its own."
        )
        raise DataContractError(msg, column=column, value=found)
    return found[0] if found else None


def local_days(utc: pd.Series, tz: str) -> IntArray:
    """Return the calendar day (days since 1970-01-01) of each UTC time, in the zone ``tz``.

    The same ordinals as ``one2one.clv``'s ``freq="D"`` periods, so a daily
    occasion is the same day in every room.
    """
    try:
        local = utc.dt.tz_convert(tz).dt.tz_localize(None)
    except (ValueError, KeyError) as exc:  # zoneinfo's "not found" is a KeyError
        msg = f"'tz' must be a known time zone such as 'UTC' or 'Europe/Paris' (got {tz!r})."
        raise DataContractError(msg, column="tz", value=tz) from exc
    days: IntArray = local.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    return days


@frozen(kw_only=True)
class Occasions:
    """Purchase occasions, one per (customer, period), sorted, and what netting did.

    ``units`` is each occasion's net amount and ``last_time`` the time of its
    latest sale that refunds left standing. The totals count the input:
    ``sold`` (all sales), ``refunded`` (all refunds, as a positive amount),
    ``unnetted`` and ``unnetted_refunds`` (what refunds found nothing to
    undo), ``dropped`` (less than half a minor unit per occasion, left in
    occasions that refunds cancelled). All amounts are internal units.
    """

    customer: IntArray
    period: IntArray
    units: IntArray
    last_time: IntArray
    sold: int
    refunded: int
    unnetted: int
    unnetted_refunds: int
    dropped: int


def purchase_occasions(
    customer: IntArray,
    time: IntArray,
    period: IntArray,
    units: IntArray,
    order: IntArray | None = None,
) -> Occasions:
    """Net refunds against their sales and group what is left into purchase occasions.

    Parameters
    ----------
    customer, time, period
        Per row: customer code, time (any increasing integer, e.g. ns) and
        the calendar period the row falls in.
    units
        Per row: the amount in internal units (:func:`to_units`); a negative
        amount is a refund.
    order
        Per row: order code, -1 where unknown; ``None`` when there are none.

    Returns
    -------
    Occasions
        The occasions that are purchases, by customer then period. The
        result does not depend on row order.
    """
    customer = np.asarray(customer, dtype=np.int64)
    time = np.asarray(time, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    units = np.asarray(units, dtype=np.int64)
    orders = np.full(units.size, -1, dtype=np.int64) if order is None else np.asarray(order)
    remaining, touched, unnetted, count = _net(customer, time, units, orders)
    sale = units >= 0
    rows = np.flatnonzero(sale)
    rows = rows[np.lexsort((time[rows], period[rows], customer[rows]))]
    c, p = customer[rows], period[rows]
    new = np.ones(rows.size, dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (p[1:] != p[:-1])
    starts = np.flatnonzero(new)
    empty = np.zeros(0, dtype=np.int64)
    if rows.size == 0:
        net, hit, last = empty, np.zeros(0, dtype=bool), empty
    else:
        net = np.add.reduceat(remaining[rows], starts)
        hit = np.logical_or.reduceat(touched[rows], starts)
        standing = (remaining[rows] > 0) | (units[rows] == 0)
        last = np.maximum.reduceat(np.where(standing, time[rows], np.iinfo(np.int64).min), starts)
    purchase = (round_units(net) > 0) | ~hit
    return Occasions(
        customer=c[starts][purchase],
        period=p[starts][purchase],
        units=net[purchase],
        last_time=last[purchase],
        sold=int(units[sale].sum()),
        refunded=int(-units[~sale].sum()),
        unnetted=unnetted,
        unnetted_refunds=count,
        dropped=int(net[~purchase].sum()),
    )


def _net(
    customer: IntArray, time: IntArray, units: IntArray, order: IntArray
) -> tuple[IntArray, NDArray[np.bool_], int, int]:
    """Apply every refund to the sales it undoes; return what is left of each row.

    Returns the remaining amount per row (0 for refunds), which sales a
    refund touched, and the amount and number of refunds left over.
    Refunds are applied per customer in the order of (time, amount, order),
    all values, so the outcome never depends on row order.
    """
    remaining = np.where(units >= 0, units, 0)
    touched = np.zeros(units.size, dtype=bool)
    refund = units < 0
    if not refund.any():
        return remaining, touched, 0, 0
    ordered = np.lexsort((order, units, time, customer))
    sorted_customer = customer[ordered]
    who = np.unique(customer[refund])
    starts = np.searchsorted(sorted_customer, who, side="left")
    ends = np.searchsorted(sorted_customer, who, side="right")
    unnetted = count = 0
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        rows = ordered[start:end]
        t, u, o = time[rows], units[rows], order[rows]
        sale = u >= 0
        left = remaining[rows]
        hit = np.zeros(rows.size, dtype=bool)
        for j in np.flatnonzero(~sale).tolist():
            # order reference first; without one, the purchases at or before the refund
            match = sale & (o == o[j]) if o[j] >= 0 else sale & (t <= t[j])
            candidates = np.flatnonzero(match)[::-1]  # latest first
            have = left[candidates]
            take = np.clip(-u[j] - (np.cumsum(have) - have), 0, have)
            left[candidates] -= take
            hit[candidates] |= take > 0
            rest = int(-u[j] - take.sum())
            if rest > 0:
                unnetted += rest
                count += 1
        remaining[rows] = left
        touched[rows] = hit
    return remaining, touched, unnetted, count


def warn_unnetted(table: Transactions, occasions: Occasions, *, stacklevel: int) -> None:
    """Report refunds that found no purchase to undo: their number and amount."""
    warn_unnetted_totals(
        occasions.unnetted_refunds,
        occasions.unnetted,
        currency=table.currency,
        decimals=table.decimals,
        stacklevel=stacklevel + 1,  # one frame deeper
    )


def warn_unnetted_totals(
    refunds: int, units: int, *, currency: str | None, decimals: int, stacklevel: int
) -> None:
    """Report ``refunds`` refunds of ``units`` internal units that found nothing to net.

    From totals alone, so the Spark paths give the pandas warning from the
    counts their groups of customers summed.
    """
    if refunds == 0:
        return
    amount = f"{to_money(np.array([units]), decimals)[0]:,.{decimals}f}"  # e.g. "12.50 EUR"
    total = f"{amount} {currency}" if currency else amount
    msg = (
        f"{refunds} refund(s) totalling {total} "
        "found no earlier purchase to net against (none of the customer's, or none left in "
        "their order); they are left out of every amount."
    )
    warnings.warn(msg, DataWarning, stacklevel=stacklevel + 1)
