"""One purchase occasion for the library: refunds net against sales, money is exact."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one._transactions import (
    MINOR_UNITS,
    SUBUNITS,
    money_decimals,
    purchase_occasions,
    read_transactions,
    round_units,
    to_money,
    to_units,
)
from one2one.errors import DataContractError, DataWarning

# --- the shared rule, on arrays ----------------------------------------------------------------


@st.composite
def ledgers(draw, *, with_orders=None):
    """Rows (customer, time, period, units, order): sales >= 0, refunds < 0, in minor units."""
    n = draw(st.integers(1, 30))
    customer = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    time = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(-5_000, 10_000), min_size=n, max_size=n))
    orders = draw(st.booleans()) if with_orders is None else with_orders
    order = draw(st.lists(st.integers(-1, 4), min_size=n, max_size=n)) if orders else None
    width = draw(st.sampled_from([1, 3, 7]))  # periods of 1, 3 or 7 time steps
    return {
        "customer": np.array(customer, dtype=np.int64),
        "time": np.array(time, dtype=np.int64),
        "period": np.array(time, dtype=np.int64) // width,
        "units": np.array(cents, dtype=np.int64) * SUBUNITS,
        "order": None if order is None else np.array(order, dtype=np.int64),
    }


def _take(ledger, rows):
    return {k: None if v is None else v[rows] for k, v in ledger.items()}


def _keys(occasions):
    return set(zip(occasions.customer.tolist(), occasions.period.tolist(), strict=True))


@settings(max_examples=150)
@given(ledgers())
def test_netting_never_creates_money(ledger):
    occ = purchase_occasions(**ledger)
    units = ledger["units"]
    sold, refunded = units[units >= 0].sum(), -units[units < 0].sum()
    assert (occ.sold, occ.refunded) == (sold, refunded)
    assert 0 <= occ.unnetted <= refunded
    # every unit sold is either still there, or was taken by a refund that was netted
    assert occ.units.sum() + occ.dropped == sold - (refunded - occ.unnetted)
    assert (occ.units >= 0).all()
    assert (occ.unnetted == 0) == (occ.unnetted_refunds == 0)


@settings(max_examples=150)
@given(ledgers(), st.randoms(use_true_random=False))
def test_occasions_do_not_depend_on_row_order(ledger, random):
    order = list(range(len(ledger["units"])))
    random.shuffle(order)
    first = purchase_occasions(**ledger)
    again = purchase_occasions(**_take(ledger, np.array(order)))
    for field in ("customer", "period", "units", "last_time"):
        np.testing.assert_array_equal(getattr(first, field), getattr(again, field))
    assert (first.unnetted, first.unnetted_refunds) == (again.unnetted, again.unnetted_refunds)


@settings(max_examples=150)
@given(
    ledgers(),
    st.sampled_from([1, 3, 7]),
    st.integers(0, 3),
    st.integers(0, 40),
    st.integers(1, 10_000),
)
def test_a_refund_never_makes_an_occasion(ledger, width, customer, time, cents):
    ledger["period"] = ledger["time"] // width
    before = purchase_occasions(**ledger)
    with_refund = {
        "customer": np.append(ledger["customer"], customer),
        "time": np.append(ledger["time"], time),
        "period": np.append(ledger["period"], time // width),
        "units": np.append(ledger["units"], -cents * SUBUNITS),
        "order": None if ledger["order"] is None else np.append(ledger["order"], -1),
    }
    after = purchase_occasions(**with_refund)
    assert _keys(after) <= _keys(before)
    assert after.units.sum() <= before.units.sum()
    # every occasion holds a sale of its own
    sales = set(
        zip(
            ledger["customer"][ledger["units"] >= 0].tolist(),
            ledger["period"][ledger["units"] >= 0].tolist(),
            strict=True,
        )
    )
    assert _keys(after) <= sales


def test_a_refund_cancels_its_sale_even_in_a_later_period():
    # The example: a first purchase, 100 bought, refunded two days later, 50 bought.
    occ = purchase_occasions(
        customer=np.zeros(4, dtype=np.int64),
        time=np.array([0, 10, 12, 13]),  # the 50 comes after the refund, in its period
        period=np.array([0, 10, 12, 12]),
        units=to_units(np.array([20.0, 100.0, -100.0, 50.0]), 2),
    )
    assert occ.period.tolist() == [0, 12]
    assert to_money(occ.units, 2).tolist() == [20.0, 50.0]
    assert occ.dropped == 0
    assert occ.unnetted_refunds == 0


def test_the_latest_earlier_purchases_are_netted_first():
    occ = purchase_occasions(
        customer=np.zeros(4, dtype=np.int64),
        time=np.array([0, 5, 6, 9]),
        period=np.array([0, 5, 6, 9]),
        units=to_units(np.array([30.0, 40.0, -50.0, 10.0]), 2),
    )
    # -50 at t=6 takes the 40 of t=5, then 10 of the 30 at t=0; the later 10 is untouched
    assert occ.period.tolist() == [0, 9]
    assert to_money(occ.units, 2).tolist() == [20.0, 10.0]


def test_an_order_reference_decides_what_a_refund_nets_against():
    base = {
        "customer": np.zeros(4, dtype=np.int64),
        "time": np.array([0, 5, 6, 9]),
        "period": np.array([0, 5, 6, 9]),
        "units": to_units(np.array([30.0, 40.0, -30.0, 10.0]), 2),
    }
    by_time = purchase_occasions(**base)
    assert to_money(by_time.units, 2).tolist() == [30.0, 10.0, 10.0]
    by_order = purchase_occasions(**base, order=np.array([7, 8, 7, -1]))
    assert by_order.period.tolist() == [5, 9]  # order 7 was refunded in full
    assert to_money(by_order.units, 2).tolist() == [40.0, 10.0]


def test_what_cannot_be_netted_is_counted():
    occ = purchase_occasions(
        customer=np.array([0, 0, 1]),
        time=np.array([3, 4, 1]),
        period=np.array([3, 4, 1]),
        units=to_units(np.array([-5.0, 20.0, -7.5]), 2),
    )
    # the -5 came before any purchase, the -7.5 is a customer with no purchase at all
    assert (occ.unnetted_refunds, to_money(np.array([occ.unnetted]), 2)[0]) == (2, 12.5)
    assert occ.customer.tolist() == [0]


def test_a_free_item_is_a_purchase_but_a_refunded_sale_is_not():
    occ = purchase_occasions(
        customer=np.zeros(3, dtype=np.int64),
        time=np.array([0, 5, 6]),
        period=np.array([0, 5, 6]),
        units=to_units(np.array([0.0, 10.0, -10.0]), 2),
    )
    assert occ.period.tolist() == [0]  # CDNOW keeps 0.00 purchases as recorded


def test_last_time_is_the_latest_sale_left():
    occ = purchase_occasions(
        customer=np.zeros(3, dtype=np.int64),
        time=np.array([9, 18, 20]),
        period=np.zeros(3, dtype=np.int64),
        units=to_units(np.array([10.0, 5.0, -5.0]), 2),
    )
    assert occ.last_time.tolist() == [9]


# --- exact money ---------------------------------------------------------------------------


def test_minor_units_follow_iso_4217():
    assert money_decimals(None, None) == 2
    assert money_decimals("EUR", None) == 2
    assert money_decimals("JPY", None) == 0
    assert money_decimals("KWD", None) == 3
    assert money_decimals("JPY", 2) == 2  # an explicit choice wins
    assert MINOR_UNITS["BHD"] == 3
    with pytest.raises(DataContractError, match="decimals") as error:
        money_decimals(None, -1)
    assert error.value.column == "decimals"


@given(st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=50))
def test_sums_are_exact_in_any_order(cents):
    amounts = np.array(cents, dtype=np.int64) / 100.0
    units = to_units(amounts, 2)
    total = to_money(np.array([units.sum()]), 2)[0]
    assert total == sum(cents) / 100  # the float nearest the exact decimal
    assert to_money(np.array([units[::-1].sum()]), 2)[0] == total


def test_float_residue_is_no_money():
    units = to_units(np.array([0.1, 0.2, -0.3]), 2)
    assert units.sum() == 0
    assert to_money(np.array([units.sum()]), 2)[0] == 0.0
    # half a minor unit rounds to even, below it is zero
    assert round_units(np.array([4_999, 5_000, 15_000, -5_000, -15_000])).tolist() == [
        0,
        0,
        2,
        0,
        -2,
    ]


# --- reading a transaction table -----------------------------------------------------------


def _frame(**extra):
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"], utc=True),
            "value": [10.0, -10.0, 5.0],
            **extra,
        }
    )


def _read(frame, **kwargs):
    options = {
        "customer_id": "customer_id",
        "datetime": "occurred_at",
        "monetary": "value",
        "order_id": "order_id",
        "currency": "currency",
        "assume_tz": None,
        "decimals": None,
        "use": "a test",
        "arguments": None,
    }
    return read_transactions(frame, **{**options, **kwargs})


def test_several_currencies_are_refused_by_name():
    with pytest.raises(DataContractError, match=r"'EUR'.*'USD'") as error:
        _read(_frame(currency=["USD", "EUR", "USD"]))
    assert error.value.column == "currency"
    one = _read(_frame(currency=["JPY"] * 3))
    assert (one.currency, one.decimals) == ("JPY", 0)


def test_a_named_order_column_must_exist_but_the_default_is_optional():
    assert _read(_frame()).order is None
    assert _read(_frame(order_id=["o1", "o1", None])).order.tolist() == [0, 0, -1]
    with pytest.raises(DataContractError, match="ref") as error:
        _read(_frame(), order_id="ref")
    assert error.value.column == "ref"


def test_naive_times_are_refused_unless_a_zone_is_given():
    naive = _frame().assign(occurred_at=lambda f: f["occurred_at"].dt.tz_localize(None))
    with pytest.raises(DataContractError, match="assume_tz") as error:
        _read(naive)
    assert error.value.column == "occurred_at"
    berlin = _read(naive, assume_tz="Europe/Berlin")
    assert berlin.utc.iloc[0] == pd.Timestamp("2023-12-31 23:00", tz="UTC")


def test_the_contract_checks_the_columns_under_their_own_names():
    frame = _frame().rename(columns={"value": "amount"})
    with pytest.raises(DataContractError, match="monetary=") as error:
        _read(frame, arguments="monetary=")
    assert error.value.column == "value"
    with pytest.raises(DataContractError, match="finite") as error:
        _read(frame.assign(amount=[1.0, np.inf, 2.0]), monetary="amount")
    assert error.value.column == "amount"


# --- both rooms read the one definition -------------------------------------------------------


@st.composite
def shop_logs(draw):
    n = draw(st.integers(1, 30))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b", "c"]),
                st.integers(0, 24 * 40),
                st.integers(-3_000, 20_000),
                st.sampled_from([None, "o1", "o2", "o3"]),
            ),
            min_size=n,
            max_size=n,
        )
    )
    who, hours, cents, orders = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            "customer_id": who,
            "occurred_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(hours, unit="h"),
            "value": [c / 100 for c in cents],
        }
    )
    if draw(st.booleans()):
        frame["order_id"] = list(orders)
    return frame


@settings(max_examples=50, deadline=None)
@given(shop_logs(), st.sampled_from(["UTC", "Asia/Tokyo"]))
def test_rfm_table_and_rfm_summary_count_the_same_occasions(tx, tz):
    # Issue #15: the same rows gave frequency {1: 1, 2: 0} in clv and {1: 2, 2: 1} here.
    from one2one.clv import rfm_summary  # noqa: PLC0415 - a test may join the rooms
    from one2one.differentiate import rfm_table  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            summary = rfm_summary(tx, freq="D", tz=tz)
        except DataContractError:
            with pytest.raises(DataContractError, match="no purchase"):
                rfm_table(tx, tz=tz)
            return
        table = rfm_table(tx, tz=tz)
    assert table.index.equals(summary.index)
    np.testing.assert_array_equal(table["purchases"], summary["frequency"] + 1)
    assert (table["monetary"] >= 0).all()
    # what the table holds is what was sold, less what refunds took back
    cents = np.round(table["monetary"] * 100).sum()
    sold = np.round(tx["value"].clip(lower=0) * 100).sum()
    assert cents <= sold
