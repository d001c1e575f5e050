"""Charts of a fitted matcher: the numbers behind each, checked against the model; the drawing."""

import sys

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, MissingDependencyError, NotFittedError
from one2one.identify import (
    RecordMatcher,
    cluster_sizes_table,
    match_weights_table,
    parameters_table,
    plot_cluster_sizes,
    plot_match_weights,
    plot_parameters,
)
from tests.identify.schemas import FEBRL

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    """Febrl 1 (1,000 records), fitted unsupervised with defaults, and its customer ids."""
    records = load_febrl("dataset1").records.reset_index()
    matcher = RecordMatcher(FEBRL)
    customer_id = matcher.fit_predict(records)
    return matcher, customer_id


def _expected_levels(matcher):
    """(field, level, m, u) per level, read straight from the model's own attributes."""
    model = matcher.model_
    return [
        (c.field, level, model.m_[c.field][k], model.u_[c.field][k])
        for c in model.comparisons
        for k, level in enumerate(c.levels)
    ]


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_parameters_table_holds_the_models_m_and_u(fitted):
    matcher, _ = fitted
    table = parameters_table(matcher)
    expected = _expected_levels(matcher)
    assert list(table.columns) == ["field", "level", "m", "u"]
    assert list(zip(table["field"], table["level"], strict=True)) == [e[:2] for e in expected]
    np.testing.assert_allclose(table["m"], [e[2] for e in expected])
    np.testing.assert_allclose(table["u"], [e[3] for e in expected])
    # Each field's m and u are distributions over its levels.
    sums = table.groupby("field", sort=False)[["m", "u"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-6)


def test_plot_parameters_draws_an_m_bar_and_a_u_bar_per_level(fitted):
    matcher, _ = fitted
    ax = plot_parameters(matcher)
    table = parameters_table(matcher)
    bars = _bars(ax)
    assert len(bars) == 2 * len(table)
    widths = sorted(b.get_width() for b in bars)
    np.testing.assert_allclose(widths, sorted([*table["m"], *table["u"]]))


def test_match_weights_table_is_log2_m_over_u_never_above_a_better_level(fitted):
    matcher, _ = fitted
    table = match_weights_table(matcher)
    assert list(table.columns) == ["field", "level", "match_weight"]
    model = matcher.model_
    expected = np.concatenate(
        [
            np.minimum.accumulate(np.log2(model.m_[c.field] / model.u_[c.field]))
            for c in model.comparisons
        ]
    )
    np.testing.assert_allclose(table["match_weight"], expected)
    # Where the cap does not bite, it is the plain log2(m / u).
    e = _expected_levels(matcher)
    assert table["match_weight"].iloc[0] == pytest.approx(np.log2(e[0][2] / e[0][3]))


def test_plot_match_weights_draws_one_horizontal_bar_per_level(fitted):
    matcher, _ = fitted
    ax = plot_match_weights(matcher)
    table = match_weights_table(matcher)
    bars = _bars(ax)
    assert len(bars) == len(table)
    np.testing.assert_allclose([b.get_width() for b in bars], table["match_weight"])
    colours = {b.get_facecolor() for b in bars}
    assert len(colours) == 2  # evidence for, evidence against


def test_cluster_sizes_table_counts_customers_by_records_on_febrl(fitted):
    _, customer_id = fitted
    table = cluster_sizes_table(customer_id)
    sizes = customer_id.value_counts()
    assert list(table.columns) == ["n_customers", "n_records"]
    assert int(table["n_customers"].sum()) == customer_id.nunique()
    assert int(table["n_records"].sum()) == len(customer_id)
    assert dict(table["n_customers"]) == dict(sizes.value_counts())


@given(st.lists(st.integers(0, 30), min_size=1, max_size=200))
@settings(max_examples=50, deadline=None)
def test_cluster_sizes_add_up_to_the_records(labels):
    ids = pd.Series([f"c{k}" for k in labels], dtype="string", name="customer_id")
    table = cluster_sizes_table(ids)
    assert int(table["n_records"].sum()) == len(ids)
    assert int(table["n_customers"].sum()) == len(set(labels))
    assert (table["n_records"] == table.index * table["n_customers"]).all()
    assert table.index.is_monotonic_increasing


def test_plot_cluster_sizes_draws_one_bar_per_size_into_the_given_axes(fitted):
    _, customer_id = fitted
    ids = customer_id.copy()
    ids.iloc[:3] = "one big customer"  # a size other than 2
    _, given = plt.subplots()
    ax = plot_cluster_sizes(ids, ax=given)
    assert ax is given
    table = cluster_sizes_table(ids)
    bars = _bars(ax)
    assert len(bars) == len(table) >= 2
    assert [b.get_height() for b in bars] == list(table["n_customers"])


def test_an_unfitted_matcher_is_refused():
    for function in (parameters_table, match_weights_table, plot_parameters, plot_match_weights):
        with pytest.raises(NotFittedError):
            function(RecordMatcher(FEBRL))


def test_a_wrong_type_is_refused_naming_the_argument(fitted):
    _, customer_id = fitted
    for function in (parameters_table, plot_match_weights):
        with pytest.raises(DataContractError, match="matcher") as info:
            function(customer_id)
        assert info.value.column == "matcher"
    with pytest.raises(DataContractError, match="customer_ids"):
        cluster_sizes_table(customer_id.to_frame())
    missing = customer_id.copy()
    missing.iloc[5] = pd.NA
    with pytest.raises(DataContractError, match="1 missing") as info:
        cluster_sizes_table(missing)
    assert info.value.column == "customer_id"
    with pytest.raises(DataContractError, match="empty"):
        cluster_sizes_table(customer_id.iloc[:0])


def test_plots_name_the_extra_when_matplotlib_is_missing(fitted, monkeypatch):
    matcher, customer_id = fitted
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    for call in (
        lambda: plot_parameters(matcher),
        lambda: plot_match_weights(matcher),
        lambda: plot_cluster_sizes(customer_id),
    ):
        with pytest.raises(MissingDependencyError, match=r"one2one\[plot\]"):
            call()
    # The tables need no matplotlib.
    assert len(match_weights_table(matcher)) == len(parameters_table(matcher))


def test_the_explanation_waterfall_writes_each_weight_on_its_bar(fitted):
    matcher, _ = fitted
    records = load_febrl("dataset1").records.reset_index()
    explanation = matcher.explain(records.iloc[0].to_dict(), records.iloc[1].to_dict())
    ax = explanation.plot()
    table = explanation.to_frame()
    labels = [float(t.get_text()) for t in ax.texts]
    assert len(labels) == len(table) == len(_bars(ax))
    np.testing.assert_allclose(labels, table["match_weight"], atol=0.05)
