"""Fit to one customer: the optimum by brute force, within budget and rules, diverse, explained."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.customize import (
    Group,
    LinearRule,
    Needs,
    Option,
    PriceList,
    ProductModel,
    Rule,
    recommend,
)
from one2one.customize._check import broken_rules, quantities
from one2one.errors import ConfigurationConflictError, DataContractError

PARTS = {
    "alu": {"price": 300.0, "weight": 2.0, "comfort": 1.0},
    "carbon": {"price": 900.0, "weight": 1.0, "comfort": 2.0},
    "steel": {"price": 200.0, "weight": 3.5, "comfort": 2.0},
    "gears": {"price": 150.0, "weight": 1.0, "comfort": 2.0},
    "carrier": {"price": 60.0, "weight": 1.5, "comfort": 0.0},
    "suspension": {"price": 250.0, "weight": 2.5, "comfort": 4.0},
    "light": {"price": 40.0, "weight": 0.5, "comfort": 0.0},
}
MODEL = ProductModel(
    "bike",
    [
        Option("bike"),
        Option("frame", abstract=True),
        *(Option(n, attributes=a) for n, a in PARTS.items()),
    ],
    [
        Group("bike", "mandatory", ["frame"]),
        Group("frame", "alternative", ["alu", "carbon", "steel"]),
        Group("bike", "optional", ["gears", "carrier", "suspension", "light"]),
    ],
    [Rule.requires("carrier", "light"), Rule.excludes("carbon", "carrier")],
    [LinearRule("light enough", "weight", "<=", 7.0)],
)
PRICES = PriceList(MODEL, base_price=100.0)


def _valid():
    names = [o.name for o in MODEL.options]
    for bits in itertools.product([False, True], repeat=len(names)):
        selected = {n for n, b in zip(names, bits, strict=True) if b}
        if not broken_rules(MODEL, quantities(MODEL, selected)):
            yield frozenset(selected)


VALID = list(_valid())


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["weight", "comfort", "price"]), st.floats(-3, 3), max_size=3),
    st.dictionaries(st.sampled_from(list(PARTS)), st.floats(-5, 5), max_size=3),
    st.none() | st.floats(300, 2000),
)
def test_the_recommendation_is_the_best_affordable_valid_configuration(weights, likes, budget):
    needs = Needs(weights=weights, likes=likes, budget=budget)

    def value(selected):
        return sum(
            likes.get(n, 0.0) + sum(w * PARTS.get(n, {}).get(a, 0.0) for a, w in weights.items())
            for n in selected
        )

    affordable = [v for v in VALID if budget is None or PRICES.quote(v).list_price <= budget]
    try:
        found = recommend(PRICES, needs, alternatives=2)
    except ConfigurationConflictError:
        assert not affordable
        return
    best = max(value(v) for v in affordable)
    assert found[0].utility == pytest.approx(best, abs=1e-2)  # thousandths in the solver
    for rec in found:
        assert rec.selected in VALID
        assert budget is None or rec.quote.list_price <= budget
        assert rec.utility <= found[0].utility + 1e-2
    for a, b in itertools.combinations(found, 2):
        assert len(a.selected ^ b.selected) >= 2


def test_two_customers_get_different_bikes_with_reasons():
    commuter = recommend(
        PRICES, Needs(weights={"comfort": 1.0}, likes={"light": 3.0}, budget=900.0)
    )
    racer = recommend(PRICES, Needs(weights={"weight": -2.0}, budget=1500.0))
    assert "carbon" in racer[0].selected
    assert "carbon" not in commuter[0].selected
    assert "light" in commuter[0].selected
    assert any("within the budget" in r for r in commuter[0].reasons)
    assert any(r.startswith("light adds") for r in commuter[0].reasons)
    fixed = recommend(
        PRICES, Needs(weights={"comfort": 1.0}), choices={"steel": True}, alternatives=0
    )
    assert "steel" in fixed[0].selected
    with pytest.raises(ConfigurationConflictError, match="budget"):
        recommend(PRICES, Needs(budget=50.0))
    with pytest.raises(DataContractError, match="unknown option 'horn'"):
        recommend(PRICES, Needs(likes={"horn": 1.0}))
