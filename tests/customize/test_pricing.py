"""Pricing: totals by hand, bundles, lead time and BOM, and the fair-pricing guard."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one.customize import Adjustment, Group, Option, PriceList, PriceRule, ProductModel, Rule
from one2one.errors import ConfigurationConflictError, DataContractError, UnfairPriceError

BIKE = ProductModel(
    "bike",
    [
        Option("bike", abstract=True),
        Option("frame", attributes={"price": 300.0, "cost": 180.0, "lead_time": 10.0}),
        Option("bell", attributes={"price": 12.0, "cost": 3.0, "lead_time": 1.0}),
        Option("light", attributes={"price": 30.0, "cost": 11.0, "lead_time": 4.0}),
        Option("carrier", attributes={"price": 45.0, "cost": 20.0, "lead_time": 14.0}),
    ],
    [
        Group("bike", "mandatory", ["frame"]),
        Group("bike", "optional", ["bell", "light", "carrier"]),
    ],
    [Rule.requires("carrier", "light")],
)
PRICES = PriceList(
    BIKE,
    base_price=100.0,
    rules=[
        PriceRule("safety bundle", "bell & light", amount=-7.0),
        PriceRule("touring surcharge", "carrier", percent=0.02),
    ],
)


def test_a_quote_adds_up_by_hand():
    quote = PRICES.quote({"bike", "frame", "bell", "light", "carrier"})
    subtotal = 100 + 300 + 12 + 30 + 45
    assert quote.list_price == pytest.approx(subtotal - 7 + 0.02 * subtotal)
    assert quote.price == quote.list_price
    assert quote.cost == pytest.approx(180 + 3 + 11 + 20)
    assert quote.margin == pytest.approx(quote.price - quote.cost)
    assert quote.lead_time == 14.0
    assert list(quote.bill_of_materials["option"]) == ["frame", "bell", "light", "carrier"]
    assert quote.lines["amount"].sum() == pytest.approx(quote.price)
    summed = PriceList(BIKE, lead_time_mode="sum").quote({"bike", "frame", "bell"})
    assert summed.lead_time == 11.0


@given(st.floats(0, 0.5), st.floats(0.01, 100))
def test_loyalty_may_lower_a_price_never_raise_it(discount, fee):
    configuration = {"bike", "frame", "light"}
    new = PRICES.quote(configuration)
    loyal = PRICES.quote(configuration, personal=[Adjustment("gold tier", percent=-discount)])
    assert loyal.price <= new.price
    assert loyal.list_price == new.list_price
    if fee > 0:
        with pytest.raises(UnfairPriceError, match="more than") as error:
            PRICES.quote(configuration, personal=[Adjustment("inertia fee", amount=fee)])
        assert error.value.rules == ("inertia fee",)


def test_invalid_configurations_have_no_price():
    with pytest.raises(ConfigurationConflictError, match="carrier requires light"):
        PRICES.quote({"bike", "frame", "carrier"})
    with pytest.raises(DataContractError, match="unknown option 'horn'"):
        PRICES.quote({"bike", "frame", "horn"})
    with pytest.raises(DataContractError, match="price rule 'x' names unknown option 'horn'"):
        PriceList(BIKE, rules=[PriceRule("x", "horn")])
