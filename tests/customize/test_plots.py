"""Customize's charts: the numbers behind each, checked independently, and the drawing."""

import itertools
import sys
from collections import Counter

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.customize import (
    Adjustment,
    ConfigurationSession,
    Configurator,
    Group,
    Needs,
    Option,
    PriceList,
    PriceRule,
    ProductModel,
    Rule,
    configuration_space_table,
    option_popularity_table,
    plot_configuration_space,
    plot_option_popularity,
    plot_price_waterfall,
    price_waterfall_table,
    recommend,
)
from one2one.datasets import load_product_model
from one2one.errors import ConfigurationConflictError, DataContractError, MissingDependencyError

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

BICYCLE = ProductModel.from_dict(load_product_model("bicycle"))
ENGINE = Configurator(BICYCLE)
PRICES = PriceList(
    BICYCLE,
    base_price=390.0,
    rules=[
        PriceRule("commuter bundle", "carrier & mudguards & dynamo_lights", amount=-30.0),
        PriceRule("e-assist fitting", "e_assist", amount=60.0),
    ],
)
COMMUTER = ENGINE.complete(
    {"city": True, "hub_8": True, "carrier": True, "mudguards": True, "dynamo_lights": True}
)

# A small Boolean model whose configurations can be listed by brute force.
TOY = ProductModel(
    "toy",
    [
        Option("bike", abstract=True),
        Option("frame", abstract=True),
        Option("road"),
        Option("city"),
        Option("bell"),
        Option("light"),
        Option("rack"),
        Option("dynamo"),
    ],
    [
        Group("bike", "mandatory", ["frame"]),
        Group("frame", "alternative", ["road", "city"]),
        Group("bike", "optional", ["bell", "light", "rack", "dynamo"]),
    ],
    [Rule.excludes("road", "rack"), Rule.requires("dynamo", "light")],
)
TOY_ENGINE = Configurator(TOY)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


# --- price waterfall -----------------------------------------------------------------------
def test_the_waterfall_walks_from_the_base_price_to_what_the_customer_pays():
    quote = PRICES.quote(COMMUTER, personal=[Adjustment("loyalty", percent=-0.05)])
    table = price_waterfall_table(quote)
    lines = quote.lines
    steps = table[~table["kind"].isin(["list price", "price"])]
    assert steps["item"].tolist() == lines["item"].tolist()
    assert steps["amount"].tolist() == lines["amount"].tolist()
    np.testing.assert_allclose(steps["end"], np.cumsum(lines["amount"]))
    np.testing.assert_allclose(steps["start"], np.cumsum(lines["amount"]) - lines["amount"])
    totals = table.set_index("kind").loc[["list price", "price"], "end"]
    assert totals.tolist() == pytest.approx([quote.list_price, quote.price])
    # The list price comes just before the first personal term; the price is last.
    assert table["kind"].tolist()[-3:] == ["list price", "personal", "price"]


TOY_PRICES = PriceList(
    ProductModel(
        "priced toy",
        [
            Option(o.name, abstract=o.abstract, attributes={} if o.abstract else {"price": p})
            for o, p in zip(TOY.options, [0, 0, 400, 350, 12, 30, 45, 60], strict=True)
        ],
        TOY.groups,
        TOY.rules,
    ),
    base_price=100.0,
    rules=[
        PriceRule("safety bundle", "bell & light", amount=-7.0),
        PriceRule("touring surcharge", "rack", percent=0.02),
    ],
)


@given(
    frame=st.sampled_from(["road", "city"]),
    extras=st.sets(st.sampled_from(["bell", "light", "rack", "dynamo"])),
    percent=st.floats(0, 0.3),
)
@settings(max_examples=40)
def test_every_quote_ends_at_its_price(frame, extras, percent):
    if frame == "road":
        extras.discard("rack")  # a road bike takes no rack
    if "dynamo" in extras:
        extras.add("light")  # a dynamo needs a light
    configuration = {"bike", "frame", frame, *extras}
    assert not TOY_ENGINE.check(configuration)
    quote = TOY_PRICES.quote(configuration, personal=[Adjustment("tier", percent=-percent)])
    table = price_waterfall_table(quote)
    assert table["end"].iloc[-1] == pytest.approx(quote.price)
    steps = table[~table["kind"].isin(["list price", "price"])]
    np.testing.assert_allclose(steps["start"].to_numpy()[1:], steps["end"].to_numpy()[:-1])
    assert steps["amount"].sum() == pytest.approx(quote.price)


def test_plot_price_waterfall_draws_each_step_from_its_start_to_its_end():
    quote = PRICES.quote(COMMUTER, personal=[Adjustment("loyalty", percent=-0.05)])
    ax = plot_price_waterfall(quote)
    table = price_waterfall_table(quote)
    bars = _bars(ax)
    assert len(bars) == len(table)
    lefts = [b.get_x() for b in bars]
    rights = [b.get_x() + b.get_width() for b in bars]
    np.testing.assert_allclose(np.minimum(lefts, rights), np.minimum(table["start"], table["end"]))
    np.testing.assert_allclose(np.maximum(lefts, rights), np.maximum(table["start"], table["end"]))
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == "390"  # the base price, whole: no cents
    assert "-30" in labels  # the bundle discount, signed
    assert labels[-1] == f"{quote.price:,.0f}"
    assert [t.get_text() for t in ax.get_yticklabels()] == table["item"].tolist()


def test_a_recommendation_draws_its_quote():
    best = recommend(PRICES, Needs(weights={"comfort": 10.0}, budget=2000.0), alternatives=0)[0]
    pd.testing.assert_frame_equal(price_waterfall_table(best), price_waterfall_table(best.quote))


def test_the_waterfall_refuses_what_is_not_a_quote():
    with pytest.raises(DataContractError, match="Quote") as info:
        price_waterfall_table(COMMUTER)
    assert info.value.column == "quote"


# --- option popularity ---------------------------------------------------------------------
def test_popularity_counts_each_option_over_uniform_samples():
    samples = ENGINE.sample(400, random_state=1)
    table = option_popularity_table(samples, model=BICYCLE)
    counted = Counter(name for sample in samples for name in sample)
    concrete = [o.name for o in BICYCLE.options if not o.abstract]
    assert sorted(table.index) == sorted(concrete)
    for option in concrete:
        assert table.loc[option, "configurations"] == counted[option]
    np.testing.assert_allclose(table["share"], table["configurations"] / 400)
    assert table["configurations"].is_monotonic_decreasing
    # Uniform samples: each share estimates the exact share of valid configurations.
    total = ENGINE.count()
    exact = ENGINE.count({"e_assist": True}) / total
    error = np.sqrt(exact * (1 - exact) / 400)
    assert abs(table.loc["e_assist", "share"] - exact) < 4 * error


def test_a_session_counts_what_the_customer_chose_not_what_was_forced():
    session = ConfigurationSession(ENGINE, customer_id="anna")
    session.choose("touring")
    session.choose("e_assist")
    other = ConfigurationSession(ENGINE, customer_id="ben")
    other.choose("road")
    table = option_popularity_table([session, other], model=BICYCLE)
    assert table.loc[["touring", "e_assist", "road"], "configurations"].tolist() == [1, 1, 1]
    forced = [name for name, value in ENGINE.propagate({"touring": True}).forced.items() if value]
    assert all(
        table.loc[name, "configurations"] == 0
        for name in forced
        if not BICYCLE.option(name).abstract
    )
    assert table.attrs["n_configurations"] == 2


def test_quantities_count_when_positive_and_unknown_options_are_named():
    table = option_popularity_table([{"bottle_cage": 2}, {"bottle_cage": 0, "carrier": True}])
    assert table["configurations"].to_dict() == {"bottle_cage": 1, "carrier": 1}
    with pytest.raises(DataContractError, match="bell_x") as info:
        option_popularity_table([{"bell_x"}], model=BICYCLE)
    assert info.value.column == "option"
    assert "carrier" in str(info.value)  # the known options are listed


@pytest.mark.parametrize("bad", [[], "carrier", [42], None])
def test_popularity_refuses_what_is_not_configurations(bad):
    with pytest.raises(DataContractError) as info:
        option_popularity_table(bad)
    assert info.value.column == "configurations"


def test_plot_option_popularity_draws_the_shares_most_chosen_first():
    samples = ENGINE.sample(200, random_state=2)
    ax = plot_option_popularity(samples, model=BICYCLE, top=6)
    table = option_popularity_table(samples, model=BICYCLE).head(6)
    bars = _bars(ax)
    np.testing.assert_allclose([b.get_width() for b in bars], table["share"])
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table.index)
    assert [t.get_text() for t in ax.texts] == [f"{n:,}" for n in table["configurations"]]


# --- configuration space -------------------------------------------------------------------
def _brute_force_count(model, fixed):
    """Count valid configurations by checking every subset of the concrete options."""
    names = [o.name for o in model.options if not o.abstract]
    count = 0
    for values in itertools.product([False, True], repeat=len(names)):
        chosen = dict(zip(names, values, strict=True))
        if any(chosen[k] != v for k, v in fixed.items()):
            continue
        selected = {n for n, v in chosen.items() if v}
        # Abstract parents are selected with any child (bike and frame are always in).
        selected |= {"bike", "frame"}
        if not TOY_ENGINE.check(selected):
            count += 1
    return count


def test_the_configuration_space_shrinks_by_the_brute_force_counts():
    choices = {"light": True, "city": True, "dynamo": False}
    table = configuration_space_table(TOY_ENGINE, choices)
    expected = [
        _brute_force_count(TOY, dict(list(choices.items())[:k])) for k in range(len(choices) + 1)
    ]
    assert table["configurations"].tolist() == expected
    assert table["choice"].tolist() == ["no choice", "light", "city", "no dynamo"]
    np.testing.assert_allclose(table["share"], np.array(expected) / expected[0])
    assert table["open_options"].tolist() == [
        len(TOY_ENGINE.propagate(dict(list(choices.items())[:k])).open())
        for k in range(len(choices) + 1)
    ]


def test_a_session_and_pairs_give_the_steps_in_the_order_chosen():
    session = ConfigurationSession(ENGINE, customer_id="anna")
    session.choose("touring")
    session.choose("e_assist")
    session.choose("bottle_cage", 2)
    table = configuration_space_table(ENGINE, session)
    assert table["choice"].tolist() == ["no choice", "touring", "e_assist", "bottle_cage = 2"]
    assert table["configurations"].iloc[0] == ENGINE.count()
    assert table["configurations"].iloc[-1] == ENGINE.count(
        {"touring": True, "e_assist": True, "bottle_cage": 2}
    )
    assert table["configurations"].is_monotonic_decreasing
    pairs = [("touring", True), ("e_assist", True), ("bottle_cage", 2)]
    pd.testing.assert_frame_equal(configuration_space_table(ENGINE, pairs), table)


def test_plot_configuration_space_draws_the_counts():
    choices = {"city": True, "hub_8": True}
    ax = plot_configuration_space(ENGINE, choices)
    table = configuration_space_table(ENGINE, choices)
    assert [b.get_height() for b in _bars(ax)] == table["configurations"].tolist()
    assert [t.get_text() for t in ax.texts] == [f"{n:,}" for n in table["configurations"]]
    assert ax.get_yscale() == "linear"  # 1,684 to 269: no hundredfold spread
    ticks = ax.get_yticks()
    assert np.allclose(ticks, np.round(ticks))


def test_a_hundredfold_spread_gets_a_log_axis():
    choices = {"touring": True, "e_assist": True}  # 1,684 to 15
    ax = plot_configuration_space(ENGINE, choices)
    counts = configuration_space_table(ENGINE, choices)["configurations"]
    assert counts.iloc[0] > 100 * counts.iloc[-1]
    assert ax.get_yscale() == "log"


def test_the_configuration_space_refuses_bad_input():
    with pytest.raises(DataContractError) as info:
        configuration_space_table(BICYCLE, {"touring": True})
    assert info.value.column == "engine"
    with pytest.raises(DataContractError) as info:
        configuration_space_table(ENGINE, "touring")
    assert info.value.column == "choices"
    with pytest.raises(DataContractError) as info:
        configuration_space_table(ENGINE, {"tandem": True})
    assert info.value.column == "option"
    with pytest.raises(ConfigurationConflictError):
        configuration_space_table(ENGINE, {"carbon": True, "touring": True, "hub_8": True})


# --- the optional dependency ---------------------------------------------------------------
def test_plots_name_the_extra_when_matplotlib_is_missing(monkeypatch):
    quote = PRICES.quote(COMMUTER)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    calls = [
        lambda: plot_price_waterfall(quote),
        lambda: plot_option_popularity([COMMUTER]),
        lambda: plot_configuration_space(ENGINE, {"touring": True}),
    ]
    for call in calls:
        with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]"):
            call()
    assert not price_waterfall_table(quote).empty  # the tables need no matplotlib
