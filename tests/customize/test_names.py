"""Misspelt attribute names are refused where the model is known, with the known names listed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.customize import (
    Configurator,
    Group,
    LinearRule,
    Needs,
    Option,
    PriceList,
    ProductModel,
    optimise,
    recommend,
)
from one2one.datasets import load_product_model
from one2one.errors import DataContractError

BICYCLE = load_product_model()
MODEL = ProductModel.from_dict(BICYCLE)
NUMERIC = ["comfort", "cost", "durability", "lead_time", "price", "speed", "weight"]


def test_a_linear_rule_on_an_attribute_no_option_has_is_refused():
    data = BICYCLE | {
        "linear_rules": [r | {"attribute": "weigth"} for r in BICYCLE["linear_rules"]]
    }
    with pytest.raises(DataContractError, match="'weigth'") as error:
        ProductModel.from_dict(data)
    message = str(error.value)
    assert "did you mean 'weight'" in message
    assert all(repr(name) in message for name in NUMERIC)
    assert error.value.column == "attribute"
    assert Configurator(MODEL).count() == 1684  # the rule as spelt: 2208 if it were ignored


def test_a_linear_rule_on_a_text_attribute_is_refused():
    options = [Option("r"), Option("a", attributes={"maker": "Acme", "weight": 1.0})]
    with pytest.raises(DataContractError, match=r"'maker'.*no option has as a number"):
        ProductModel(
            "m",
            options,
            [Group("r", "optional", ["a"])],
            linear_rules=[LinearRule("x", "maker", "<=", 1.0)],
        )


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10))
def test_only_attributes_an_option_has_can_be_bounded(name):
    build = lambda: ProductModel(  # noqa: E731
        "m",
        [Option("r"), Option("a", attributes={"weight": 1.0, "speed": 2.0})],
        [Group("r", "optional", ["a"])],
        linear_rules=[LinearRule("x", name, "<=", 1.0)],
    )
    if name in {"weight", "speed"}:
        assert build().linear_rules[0].attribute == name
    else:
        with pytest.raises(DataContractError, match=repr(name)):
            build()


def test_needs_weighting_an_attribute_no_option_has_are_refused():
    prices = PriceList(MODEL)
    needs = Needs(weights={"sped": 100.0}, budget=2_000.0)
    with pytest.raises(DataContractError, match="'sped'") as error:
        recommend(prices, needs)
    assert "did you mean 'speed'" in str(error.value)
    assert error.value.column == "weights"
    best = recommend(prices, Needs(weights={"speed": 100.0}, budget=2_000.0), alternatives=0)
    assert "carbon" in best[0].selected


def test_likes_of_an_unknown_option_list_the_close_ones():
    with pytest.raises(DataContractError, match=r"'carbn'.*did you mean 'carbon'"):
        recommend(PriceList(MODEL), Needs(likes={"carbn": 5.0}))


@pytest.mark.parametrize("field", ["price", "cost", "lead_time"])
def test_a_price_list_reading_an_attribute_no_option_has_is_refused(field):
    with pytest.raises(DataContractError, match="'prise'") as error:
        PriceList(MODEL, **{field: "prise"})
    assert "'price'" in str(error.value)
    assert error.value.column == field


def test_a_default_attribute_no_option_has_still_counts_as_zero():
    model = ProductModel(
        "m", [Option("r"), Option("a", attributes={"price": 5.0})], [Group("r", "optional", ["a"])]
    )  # no cost, no lead time
    prices = PriceList(model)
    assert prices.quote({"r", "a"}).cost == 0.0
    assert optimise(prices).price == 0.0


def test_a_default_name_close_to_one_the_options_have_is_refused():
    model = ProductModel(
        "m", [Option("r"), Option("a", attributes={"Price": 5.0})], [Group("r", "optional", ["a"])]
    )  # e.g. read from UVL
    with pytest.raises(DataContractError, match="did you mean 'Price'"):
        PriceList(model)
    assert PriceList(model, price="Price").quote({"r", "a"}).price == 5.0
