import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one.clv import discrete_summary, rfm_summary
from one2one.datasets import load_cdnow_summary, load_cdnow_transactions, load_donations
from one2one.errors import DataContractError, DataWarning

START = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday


@st.composite
def transaction_logs(draw, *, allow_returns=False, allow_orders=False):
    n = draw(st.integers(1, 40))
    customers = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 24 * 200), min_size=n, max_size=n))
    low = -5_000 if allow_returns else 0
    cents = draw(st.lists(st.integers(low, 50_000), min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "customer_id": customers,
            "occurred_at": START + pd.to_timedelta(hours, unit="h"),
            "value": [c / 100 for c in cents],
        }
    )
    if allow_orders and draw(st.booleans()):
        orders = draw(st.lists(st.sampled_from([None, "o1", "o2", "o3"]), min_size=n, max_size=n))
        frame["order_id"] = orders
    return frame


def net_rows(tx):
    """A slow, obvious netting: each refund, oldest first, undoes the latest sales before it.

    A refund with an order reference undoes that order's sales instead. Returns the
    amount (in cents) left of each row and whether a refund touched it.
    """
    cents = (tx["value"] * 100).round().astype(int).tolist()
    left = [max(c, 0) for c in cents]
    touched = [False] * len(tx)
    orders = [None if pd.isna(o) else o for o in tx.get("order_id", [None] * len(tx))]
    when = tx["occurred_at"].tolist()
    who = tx["customer_id"].tolist()
    refunds = sorted((i for i, c in enumerate(cents) if c < 0), key=lambda i: (when[i], cents[i]))
    for r in refunds:
        need = -cents[r]
        sales = [
            i
            for i, c in enumerate(cents)
            if c >= 0
            and who[i] == who[r]
            and (orders[i] == orders[r] if orders[r] is not None else when[i] <= when[r])
        ]
        for i in sorted(sales, key=lambda i: when[i], reverse=True):
            take = min(left[i], need)
            left[i] -= take
            need -= take
            touched[i] = touched[i] or take > 0
    return left, touched


def naive_summary(tx, freq, end, cutoff=None):
    """A slow, obvious reference: one customer at a time, with pandas Periods."""
    cutoff = end if cutoff is None else cutoff
    rows = {}
    period = tx["occurred_at"].dt.tz_localize(None).dt.to_period(freq)
    end_p = end.tz_localize(None).to_period(freq)
    cut_p = cutoff.tz_localize(None).to_period(freq)
    window = tx[period <= end_p].reset_index(drop=True)
    left, touched = net_rows(window)
    window = window.assign(period=period[period <= end_p].to_numpy(), left=left, touched=touched)
    for cid, group in window.groupby("customer_id"):
        buys = group[group["value"] >= 0]
        net = buys.groupby("period")["left"].sum()
        hit = buys.groupby("period")["touched"].any()
        occasions = sorted(p for p in net.index if net[p] > 0 or not hit[p])
        calib = [p for p in occasions if p <= cut_p]
        if not calib:
            continue
        repeat = [net[p] / 100 for p in calib[1:]]
        hold = [net[p] / 100 for p in occasions if p > cut_p]
        rows[cid] = {
            "frequency": len(calib) - 1,
            "recency": float((calib[-1] - calib[0]).n),
            "T": float((cut_p - calib[0]).n),
            "monetary_value": float(np.mean(repeat)) if repeat else 0.0,
            "frequency_holdout": len(hold),
            "monetary_value_holdout": float(np.mean(hold)) if hold else 0.0,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@given(transaction_logs(allow_returns=True, allow_orders=True), st.sampled_from(["D", "W", "M"]))
def test_matches_a_naive_reference(tx, freq):
    end = tx["occurred_at"].max()
    want = naive_summary(tx, freq, end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # refunds left over are reported
        if want.empty:
            with pytest.raises(DataContractError, match="no purchases"):
                rfm_summary(tx, freq=freq)
            return
        got = rfm_summary(tx, freq=freq)
    assert list(got.index) == sorted(want.index)
    for column in ["frequency", "recency", "T", "monetary_value"]:
        np.testing.assert_allclose(got[column], want.loc[got.index, column], atol=1e-9)


@given(transaction_logs(allow_returns=True), st.integers(1, 150))
def test_calibration_and_holdout_match_the_reference(tx, cut_days):
    end = START + pd.Timedelta(days=210)
    cutoff = START + pd.Timedelta(days=cut_days)
    want = naive_summary(tx, "D", end, cutoff)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        if want.empty:
            with pytest.raises(DataContractError, match="no purchases"):
                rfm_summary(tx, freq="D", observation_end=end, calibration_end=cutoff)
            return
        got = rfm_summary(tx, freq="D", observation_end=end, calibration_end=cutoff)
    assert list(got.index) == sorted(want.index)
    for column in want.columns:
        np.testing.assert_allclose(got[column], want.loc[got.index, column], atol=1e-9)
    assert (got["duration_holdout"] == 210 - cut_days).all()


@given(transaction_logs(allow_returns=True, allow_orders=True), st.randoms())
def test_row_order_does_not_matter(tx, random):
    order = list(range(len(tx)))
    random.shuffle(order)
    shuffled = tx.iloc[order].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            want = rfm_summary(tx, freq="D")
        except DataContractError:
            with pytest.raises(DataContractError, match="no purchases"):
                rfm_summary(shuffled, freq="D")
            return
        pd.testing.assert_frame_equal(want, rfm_summary(shuffled, freq="D"))


@given(transaction_logs())
def test_invariants(tx):
    s = rfm_summary(tx, freq="D")
    assert (s["frequency"] >= 0).all()
    assert (s["recency"] <= s["T"]).all()
    assert (s["recency"] >= s["frequency"]).all()  # one occasion per period at most
    assert ((s["frequency"] == 0) <= (s["recency"] == 0)).all()
    assert s.attrs["period"] == "D"


def test_reproduces_the_published_cdnow_summary():
    tx = load_cdnow_transactions("sample")
    s = rfm_summary(tx, freq="D", calibration_end="1997-09-30", observation_end="1998-06-30")
    published = load_cdnow_summary()
    assert len(s) == 2357
    assert (s["frequency"] == published["frequency"]).all()
    assert np.abs(s["recency"] / 7 - published["recency"]).max() < 0.006
    assert np.abs(s["T"] / 7 - published["T"]).max() < 0.006
    assert np.abs(s["monetary_value"] - published["monetary_value"]).max() < 0.006
    assert (s["duration_holdout"] == 273).all()  # 1 Oct 1997 .. 30 Jun 1998


def test_time_unit_converts_daily_occasions_to_weeks():
    tx = load_cdnow_transactions("sample")
    kwargs = {"calibration_end": "1997-09-30", "observation_end": "1998-06-30", "freq": "D"}
    days = rfm_summary(tx, **kwargs)
    weeks = rfm_summary(tx, **kwargs, time_unit="W")
    assert weeks.attrs["period"] == "W"
    assert days.attrs["period"] == "D"
    pd.testing.assert_series_equal(weeks["frequency"], days["frequency"])
    for column in ["recency", "T", "duration_holdout"]:
        np.testing.assert_allclose(weeks[column], days[column] / 7)
    published = load_cdnow_summary()
    assert np.abs(weeks["T"] - published["T"]).max() < 0.006


def test_same_day_purchases_are_one_occasion():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "occurred_at": pd.to_datetime(
                ["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-03 10:00"], utc=True
            ),
            "value": [10.0, 5.0, 7.0],
        }
    )
    s = rfm_summary(tx, freq="D")
    assert s.loc[1].to_dict() == {"frequency": 1, "recency": 2.0, "T": 2.0, "monetary_value": 7.0}
    w = rfm_summary(tx, freq="W")
    assert w.loc[1, "frequency"] == 0


def test_time_zone_decides_the_day():
    # 23:30 in New York on 1 Jan is 04:30 UTC on 2 Jan.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "occurred_at": pd.to_datetime(["2024-01-01 12:00", "2024-01-01 23:30"]).tz_localize(
                "America/New_York"
            ),
            "value": [1.0, 1.0],
        }
    )
    assert rfm_summary(tx, freq="D")["frequency"].iloc[0] == 1  # UTC calendar
    assert rfm_summary(tx, freq="D", tz="America/New_York")["frequency"].iloc[0] == 0


def test_naive_timestamps_need_assume_tz():
    tx = pd.DataFrame(
        {"customer_id": [1], "occurred_at": pd.to_datetime(["2024-01-01"]), "value": [1.0]}
    )
    with pytest.raises(DataContractError, match="assume_tz") as info:
        rfm_summary(tx)
    assert info.value.column == "occurred_at"
    assert len(rfm_summary(tx, assume_tz="Europe/Berlin")) == 1


def test_returns_policies():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1],
            "occurred_at": pd.to_datetime(
                ["2024-01-01", "2024-01-05", "2024-01-05", "2024-01-09"], utc=True
            ),
            "value": [10.0, 30.0, -10.0, -5.0],
        }
    )
    net = rfm_summary(tx, freq="D")
    assert net.loc[1, "frequency"] == 1  # the refund-only day is no occasion
    assert net.loc[1, "monetary_value"] == 15.0  # both refunds undo the 30 bought on the 5th
    ignore = rfm_summary(tx, freq="D", returns="ignore")
    assert ignore.loc[1, "monetary_value"] == 30.0
    with pytest.raises(DataContractError, match="returns") as info:
        rfm_summary(tx, returns="error")
    assert (info.value.row, info.value.value) == (2, -10.0)


def _shop(days, values, **columns):
    return pd.DataFrame(
        {
            "customer_id": [1] * len(days),
            "occurred_at": pd.to_datetime(days, utc=True),
            "value": values,
            **columns,
        }
    )


def test_a_refunded_sale_is_no_purchase_occasion():
    # Issue #15: a first purchase, 100 bought on a Saturday, refunded on Monday (the next
    # week), 50 bought on Wednesday. Netting by period gave monetary 75 daily and 25 weekly.
    tx = _shop(
        ["2024-01-01", "2024-01-13", "2024-01-15", "2024-01-17"], [20.0, 100.0, -100.0, 50.0]
    )
    daily = rfm_summary(tx, freq="D")
    assert daily.loc[1, ["frequency", "recency", "monetary_value"]].tolist() == [1, 16.0, 50.0]
    weekly = rfm_summary(tx, freq="W")
    assert weekly.loc[1, ["frequency", "recency", "monetary_value"]].tolist() == [1, 2.0, 50.0]


def test_a_week_whose_sales_were_refunded_is_no_occasion():
    tx = _shop(["2024-01-01", "2024-01-08", "2024-01-10"], [20.0, 100.0, -100.0])
    weekly = rfm_summary(tx, freq="W")
    assert weekly.loc[1, ["frequency", "recency", "T", "monetary_value"]].tolist() == [
        0,
        0.0,
        1.0,
        0.0,
    ]


def test_an_order_reference_nets_a_refund_against_its_own_sale():
    days = ["2024-01-01", "2024-01-13", "2024-01-14", "2024-01-15"]
    tx = _shop(days, [20.0, 100.0, 60.0, -100.0], order_id=["o1", "o2", "o3", "o2"])
    by_order = rfm_summary(tx, freq="D")
    assert by_order.loc[1, ["frequency", "recency", "monetary_value"]].tolist() == [1, 13.0, 60.0]
    # without the reference, the refund undoes the latest purchases: the 60, then 40 of the 100
    by_time = rfm_summary(tx.drop(columns="order_id"), freq="D")
    assert by_time.loc[1, ["frequency", "recency", "monetary_value"]].tolist() == [1, 12.0, 60.0]
    named = rfm_summary(tx.rename(columns={"order_id": "ref"}), freq="D", order_id="ref")
    pd.testing.assert_frame_equal(named, by_order)
    with pytest.raises(DataContractError, match="'ref'") as info:
        rfm_summary(tx, order_id="ref")
    assert info.value.column == "ref"


def test_refunds_with_nothing_to_net_are_reported():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"], utc=True),
            "value": [-5.0, 20.0, -7.5],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = rfm_summary(tx)
    messages = sorted(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    assert len(messages) == 2
    assert messages[0].startswith("1 customer(s)")
    assert "only returns" in messages[0]
    assert messages[1].startswith("2 refund(s) totalling 12.50")
    assert list(s.index) == [1]
    assert s.loc[1, "monetary_value"] == 0.0


def test_amounts_are_never_added_across_currencies():
    tx = _shop(["2024-01-01", "2024-01-02"], [1.0, 2.0], currency=["USD", "EUR"])
    with pytest.raises(DataContractError, match=r"2 currencies \('EUR', 'USD'\)") as info:
        rfm_summary(tx)
    assert info.value.column == "currency"


def test_money_is_counted_in_the_currencys_minor_unit():
    days = ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"]
    tx = _shop(days, [500.0, 0.1, 0.2, 1234.6], currency="JPY")
    yen = rfm_summary(tx, freq="D")
    assert yen.attrs["currency"] == "JPY"
    assert yen.loc[1, "monetary_value"] == (0 + 1235) / 2  # 0.3 yen is no yen, 1234.6 is 1235
    cents = rfm_summary(tx.drop(columns="currency"), freq="D")
    assert cents.loc[1, "monetary_value"] == 617.45  # 1234.90 / 2, not 617.4499999999999
    assert cents.attrs["currency"] is None
    assert rfm_summary(tx, freq="D", decimals=1).loc[1, "monetary_value"] == 617.45


def test_float_residue_never_makes_a_purchase():
    days = ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-02"]
    tx = _shop(days, [5.0, 0.1, 0.2, -0.3])  # 0.1 + 0.2 - 0.3 is 5.5e-17 in floats
    s = rfm_summary(tx, freq="D")
    assert s.loc[1, ["frequency", "monetary_value"]].tolist() == [0, 0.0]


def test_late_customers_are_reported_not_silently_dropped():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "occurred_at": pd.to_datetime(["2024-01-01", "2024-03-01"], utc=True),
            "value": [1.0, 1.0],
        }
    )
    with pytest.warns(DataWarning, match="1 customer"):
        s = rfm_summary(tx, calibration_end="2024-02-01", observation_end="2024-04-01")
    assert list(s.index) == [1]


def test_transactions_after_observation_end_are_outside_the_window():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "occurred_at": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-06-01"], utc=True),
            "value": [1.0, 1.0, 1.0],
        }
    )
    s = rfm_summary(tx, freq="D", observation_end="2024-02-01")
    assert list(s.index) == [1]
    assert s.loc[1, "T"] == 31


@pytest.mark.parametrize(
    ("change", "match", "column"),
    [
        (lambda tx: tx.drop(columns="value"), "missing required column", "value"),
        (lambda tx: tx.assign(value=[1.0, np.nan]), "missing value", "value"),
        (lambda tx: tx.assign(value=[1.0, np.inf]), "finite", "value"),
        (lambda tx: tx.assign(value=["1", "2"]), "numeric", "value"),
        (lambda tx: tx.assign(customer_id=[None, 1]), "missing value", "customer_id"),
        (lambda tx: tx.assign(occurred_at=["2024-01-01", "x"]), "datetimes", "occurred_at"),
        (lambda tx: tx.iloc[0:0], "empty", "occurred_at"),
    ],
)
def test_bad_input_names_the_column(change, match, column):
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True),
            "value": [1.0, 2.0],
        }
    )
    with pytest.raises(DataContractError, match=match) as info:
        rfm_summary(change(tx))
    assert info.value.column == column


def test_bad_arguments():
    tx = load_cdnow_transactions("sample")
    with pytest.raises(DataContractError, match="'freq'"):
        rfm_summary(tx, freq="H")
    with pytest.raises(DataContractError, match="earlier"):
        rfm_summary(tx, calibration_end="1998-07-01", observation_end="1998-06-30")
    with pytest.raises(DataContractError, match="'returns'"):
        rfm_summary(tx, returns="keep")
    with pytest.raises(DataContractError, match="must be a pandas DataFrame"):
        rfm_summary(tx.to_dict())


def test_counts_only_summary():
    s = rfm_summary(load_cdnow_transactions("sample"), monetary=None)
    assert list(s.columns) == ["frequency", "recency", "T"]


def test_discrete_summary_compresses_patterns():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3],
            "occurred_at": pd.to_datetime(
                [
                    "2019-02-01",
                    "2019-11-01",
                    "2021-03-01",
                    "2019-05-05",
                    "2019-01-01",
                    "2020-01-01",
                ],
                utc=True,
            ),
        }
    )
    d = discrete_summary(tx, observation_end="2024-12-31")
    assert d.to_dict("records") == [
        {"frequency": 0, "recency": 0, "n_periods": 5, "weight": 1},
        {"frequency": 1, "recency": 1, "n_periods": 5, "weight": 1},
        {"frequency": 1, "recency": 2, "n_periods": 5, "weight": 1},
    ]
    assert d.attrs["period"] == "Y"
    donations = load_donations()
    assert list(d.columns) == list(donations.columns)


def test_discrete_summary_nets_refunds_when_given_amounts():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "occurred_at": pd.to_datetime(["2019-02-01", "2020-03-01", "2021-01-05"], utc=True),
            "value": [50.0, 80.0, -80.0],  # the 2020 gift was refunded the next year
        }
    )
    counted = discrete_summary(tx, observation_end="2022-12-31")
    assert counted.to_dict("records") == [
        {"frequency": 2, "recency": 2, "n_periods": 3, "weight": 1}
    ]  # without amounts every row is a purchase, the refund too
    netted = discrete_summary(tx, observation_end="2022-12-31", monetary="value")
    assert netted.to_dict("records") == [
        {"frequency": 0, "recency": 0, "n_periods": 3, "weight": 1}
    ]


def test_a_log_of_refunds_only_is_refused_not_warned_about():
    tx = _shop(["2024-01-01", "2024-01-02"], [-1.0, -2.0])
    with pytest.raises(DataContractError, match="no purchases"):
        rfm_summary(tx)  # filterwarnings=error: a warning first would fail this
