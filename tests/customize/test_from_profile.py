"""Needs from a learned profile: a profile row from interact drives recommend."""

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.customize import Needs, PriceList, ProductModel, recommend
from one2one.datasets import load_product_model
from one2one.errors import DataContractError
from one2one.interact import Interaction, InteractionLog, ProfileStore

MODEL = ProductModel.from_dict(load_product_model())
PRICES = PriceList(MODEL)
AT = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def _profiles():
    """Two customers whose viewing says speed or comfort, and which parts they looked at."""
    log = InteractionLog()
    seen = {
        "racer": [("speed", "carbon"), ("speed", "derailleur_11"), ("speed", "road")],
        "tourer": [("comfort", "hub_8"), ("comfort", "mudguards"), ("comfort", "touring")],
    }
    log.append(
        [
            Interaction(
                customer_id=customer,
                occurred_at=AT + dt.timedelta(hours=i),
                channel="web",
                kind="view",
                payload={"style": style, "option": option},
            )
            for customer, views in seen.items()
            for i, (style, option) in enumerate(views)
        ]
    )
    return ProfileStore.from_log(log, attributes=("style", "option")).to_frame()


PROFILES = _profiles()
STYLE = {"style_speed": "speed", "style_comfort": "comfort"}


def _total(recommendation, attribute):
    return sum(
        MODEL.option(name).attributes.get(attribute, 0.0) * recommendation.quantities.get(name, 1)
        for name in recommendation.selected
    )


def test_a_profile_row_drives_the_recommendation():
    best = {}
    for customer in PROFILES.index:
        needs = Needs.from_profile(
            PROFILES.loc[customer], model=MODEL, weights=STYLE, likes="option", budget=2_000.0
        )
        best[customer] = recommend(PRICES, needs, alternatives=0)[0]
    assert _total(best["racer"], "speed") > _total(best["tourer"], "speed")
    assert _total(best["tourer"], "comfort") > _total(best["racer"], "comfort")
    assert {"carbon", "derailleur_11", "road"} <= best["racer"].selected
    assert {"hub_8", "mudguards"} <= best["tourer"].selected


def test_the_weights_are_the_profile_values_times_the_scale():
    row = PROFILES.loc["racer"]
    needs = Needs.from_profile(row, model=MODEL, weights=STYLE, likes="option", scale=10.0)
    assert needs.weights == pytest.approx({"speed": 10.0 * row["style_speed"], "comfort": 0.0})
    liked = {c.removeprefix("option_"): 10.0 * row[c] for c in row.index if c.startswith("option_")}
    assert needs.likes == pytest.approx(liked)
    assert needs.budget is None


def test_a_feature_can_weigh_against_an_attribute_and_budget_can_come_from_the_profile():
    row = pd.Series({"likes_light": 0.8, "spend": 1_200.0})
    needs = Needs.from_profile(
        row, model=MODEL, weights={"likes_light": ("weight", -2.0)}, budget="spend"
    )
    assert needs.weights == pytest.approx({"weight": -1.6})
    assert needs.budget == 1_200.0


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["f1", "f2", "f3"]),
        st.floats(-5, 5, allow_nan=False),
        min_size=1,
    ),
    st.dictionaries(st.sampled_from(["f1", "f2", "f3"]), st.sampled_from(["speed", "weight"])),
    st.floats(0.1, 10),
)
def test_features_on_the_same_attribute_add_up(profile, mapping, scale):
    mapping = {f: a for f, a in mapping.items() if f in profile}
    needs = Needs.from_profile(profile, model=MODEL, weights=mapping, scale=scale)
    for attribute in set(mapping.values()):
        expected = scale * math.fsum(profile[f] for f, a in mapping.items() if a == attribute)
        assert needs.weights[attribute] == pytest.approx(expected)


def test_options_of_other_products_in_the_profile_are_left_out():
    row = pd.Series({"option_carbon": 0.5, "option_surfboard": 0.5})
    assert Needs.from_profile(row, model=MODEL, likes="option").likes == {"carbon": 0.5}
    assert Needs.from_profile(row, likes="option").likes == {"carbon": 0.5, "surfboard": 0.5}


def test_a_misspelt_feature_is_refused_with_the_features_listed():
    with pytest.raises(DataContractError, match="'style_sped'") as error:
        Needs.from_profile(PROFILES.loc["racer"], weights={"style_sped": "speed"})
    assert "did you mean 'style_speed'" in str(error.value)
    assert error.value.column == "style_sped"


def test_a_misspelt_attribute_is_refused_when_the_model_is_given():
    with pytest.raises(DataContractError, match="'sped'"):
        Needs.from_profile(PROFILES.loc["racer"], model=MODEL, weights={"style_speed": "sped"})


@pytest.mark.parametrize(
    ("profile", "options", "match"),
    [
        (PROFILES, {"weights": STYLE}, "one customer's row"),
        (pd.Series({"style_speed": math.nan}), {"weights": STYLE}, "style_speed"),
        (pd.Series({"style_speed": "fast"}), {"weights": {"style_speed": "speed"}}, "number"),
        (pd.Series({"x": 1.0}), {"likes": "option"}, "option_"),
        (pd.Series({"x": 1.0}), {"budget": "spend"}, "'spend'"),
        (pd.Series({"x": 1.0}), {"weights": {"x": ("speed",)}}, "attribute"),
        (pd.Series({"x": 1.0}), {"scale": math.inf}, "scale"),
    ],
)
def test_bad_input_is_refused(profile, options, match):
    with pytest.raises(DataContractError, match=match):
        Needs.from_profile(profile, **options)
