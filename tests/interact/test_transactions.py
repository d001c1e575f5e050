"""log.transactions() meets contracts.TRANSACTIONS: order ids and currency from the payload."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.contracts import TRANSACTIONS
from one2one.errors import DataContractError
from one2one.interact import Interaction, InteractionLog

AT = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def money(customer, hours, value, kind="purchase", **payload):
    return Interaction(
        customer_id=customer,
        occurred_at=AT + dt.timedelta(hours=hours),
        channel="web",
        kind=kind,
        value=value,
        payload=payload,
    )


def test_order_and_currency_come_from_the_payload():
    log = InteractionLog()
    log.append(
        [
            money("c1", 0, 100.0, order_id="o-1", currency="EUR"),
            money("c1", 48, -100.0, kind="return", order_id="o-1", currency="EUR"),
            money("c2", 5, 50.0, order_id="o-2", currency="EUR"),
            Interaction(customer_id="c2", occurred_at=AT, channel="web", kind="visit"),
        ]
    )
    out = log.transactions()
    TRANSACTIONS.validate(out)
    assert list(out.columns) == ["customer_id", "occurred_at", "value", "order_id", "currency"]
    assert out["order_id"].tolist() == ["o-1", "o-1", "o-2"]
    assert set(out["currency"]) == {"EUR"}
    assert out["value"].sum() == pytest.approx(50.0)


def test_without_them_the_table_is_the_three_columns():
    log = InteractionLog()
    log.append([money("c1", 0, 10.0), money("c2", 1, 20.0)])
    out = log.transactions()
    TRANSACTIONS.validate(out)
    assert list(out.columns) == ["customer_id", "occurred_at", "value"]


def test_sales_without_an_order_id_get_none():
    log = InteractionLog()
    log.append([money("c1", 0, 10.0, order_id="o-1"), money("c1", 1, 20.0)])
    out = log.transactions()
    TRANSACTIONS.validate(out)
    assert out["order_id"].tolist() == ["o-1", None]


def test_a_currency_on_some_events_only_is_refused_unless_a_default_is_given():
    log = InteractionLog()
    log.append([money("c1", 0, 10.0, currency="EUR"), money("c2", 1, 20.0)])
    with pytest.raises(DataContractError, match="1 of 2") as error:
        log.transactions()
    assert error.value.column == "currency"
    out = log.transactions(currency="EUR")
    TRANSACTIONS.validate(out)
    assert out["currency"].tolist() == ["EUR", "EUR"]


def test_several_currencies_are_returned_as_they_are():
    """The consumer decides what to do with several (clv refuses to add them up)."""
    log = InteractionLog()
    log.append([money("c1", 0, 10.0, currency="EUR"), money("c2", 1, 20.0, currency="GBP")])
    assert log.transactions()["currency"].tolist() == ["EUR", "GBP"]


@pytest.mark.parametrize("bad", [978, "", ["EUR"]])
def test_a_currency_that_is_not_a_code_is_refused(bad):
    log = InteractionLog()
    log.append([money("c1", 0, 10.0, currency=bad)])
    with pytest.raises(DataContractError, match="currency") as error:
        log.transactions()
    assert error.value.column == "currency"


@pytest.mark.parametrize("bad", [{"n": 1}, ["o-1"], 1.5])
def test_an_order_id_that_is_not_an_id_is_refused(bad):
    log = InteractionLog()
    log.append([money("c1", 0, 10.0, order_id=bad)])
    with pytest.raises(DataContractError, match="order_id") as error:
        log.transactions()
    assert error.value.column == "order_id"


def test_an_erased_customers_money_keeps_its_currency_not_its_order():
    log = InteractionLog()
    log.append(
        [
            money("alice", 0, 30.0, order_id="order-alice-1", currency="EUR"),
            money("bob", 1, 20.0, order_id="order-bob-1", currency="EUR"),
        ]
    )
    log.forget("alice")
    out = log.transactions()
    TRANSACTIONS.validate(out)
    assert out["currency"].tolist() == ["EUR", "EUR"]  # totals stay right, in their currency
    assert out["order_id"].tolist() == [None, "order-bob-1"]
    assert "order-alice-1" not in out.to_csv()


payloads = st.fixed_dictionaries(
    {},
    optional={
        "order_id": st.sampled_from(["o-1", "o-2", "o-3"]),
        "category": st.sampled_from(["shoes", "hats"]),
    },
)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.integers(0, 500),
            st.integers(-50, 200).map(float),
            payloads,
        ),
        max_size=12,
    )
)
def test_every_money_event_is_one_row_with_its_order(events):
    log = InteractionLog()
    log.append(
        [
            money(c, h, v, kind="return" if v < 0 else "purchase", currency="EUR", **p)
            for c, h, v, p in events
        ]
    )
    out = log.transactions()
    TRANSACTIONS.validate(out)
    assert len(out) == len(events)
    assert out["value"].sum() == pytest.approx(sum(v for _, _, v, _ in events))
    if any("order_id" in p for *_, p in events):
        assert out["order_id"].tolist() == [p.get("order_id") for *_, p in events]
    else:
        assert "order_id" not in out.columns
    assert isinstance(out["occurred_at"].dtype, pd.DatetimeTZDtype)
