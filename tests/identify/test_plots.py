"""Charts of a fitted matcher and its scored pairs: the numbers behind each; the drawing."""

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
    RecordSchema,
    cluster_sizes_table,
    evaluate_links,
    match_weights_table,
    parameters_table,
    plot_cluster_sizes,
    plot_match_weights,
    plot_parameters,
    plot_threshold,
    threshold_table,
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
        with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]"):
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


# -- the threshold chart ----------------------------------------------------
NAMES_AND_POSTCODE = RecordSchema(
    record_id="rec_id", given_name="given_name", surname="surname", postcode="postcode"
)
GRID = np.round(np.linspace(0.0, 1.0, 21), 2)


@pytest.fixture(scope="module")
def weak_pairs():
    """Febrl 1 scored on names and postcode only: precision and recall move with the threshold."""
    data = load_febrl("dataset1")
    records = data.records.reset_index()
    pairs = RecordMatcher(NAMES_AND_POSTCODE).fit(records).predict_pairs(records)
    return pairs, data.true_links


def test_threshold_table_on_febrl_recall_falls_and_f1_is_evaluate_links(weak_pairs):
    pairs, truth = weak_pairs
    table = threshold_table(pairs, truth, thresholds=GRID)
    assert list(table["threshold"]) == list(GRID)
    assert {"pairs", "precision", "recall", "f1"} <= set(table.columns)
    # Fewer pairs, fewer true ones among them: recall never rises with the threshold.
    assert table["pairs"].is_monotonic_decreasing
    assert table["recall"].is_monotonic_decreasing
    assert table["recall"].iloc[0] > table["recall"].iloc[-2] > 0  # the curve moves
    # Precision is not monotone in general; here, the low-probability pairs are the wrong ones.
    assert table["precision"].iloc[0] < 0.5 < table["precision"].iloc[-2]
    # At 0.9, the numbers of evaluate_links on the pairs scored at least 0.9.
    above = pairs.loc[pairs["match_probability"] >= 0.9, ["left", "right"]]
    expected = evaluate_links(above, truth)
    row = table.set_index("threshold").loc[0.9]
    assert row["pairs"] == len(above)
    for name in ("precision", "recall", "f1"):
        assert row[name] == pytest.approx(expected[name])
    assert 0.5 < expected["f1"] < 1  # not a trivial case


def test_threshold_table_without_labels_estimates_counts_from_probabilities(weak_pairs):
    pairs, _ = weak_pairs
    table = threshold_table(pairs, thresholds=GRID)
    assert "precision" not in table.columns
    p = pairs["match_probability"].to_numpy()
    for _, row in table.iterrows():
        above = p[p >= row["threshold"]]
        assert row["pairs"] == len(above)
        assert row["expected_matches"] == pytest.approx(above.sum())
        assert row["expected_matches"] + row["expected_non_matches"] == pytest.approx(len(above))
        if len(above):
            assert row["expected_precision"] == pytest.approx(above.mean())
        assert row["expected_recall"] == pytest.approx(above.sum() / p.sum())
    first = table.iloc[0]  # threshold 0: every scored pair
    assert first["expected_recall"] == pytest.approx(1.0)
    assert table["expected_matches"].is_monotonic_decreasing


def test_expected_matches_are_close_to_the_true_number_on_febrl(fitted):
    """The default model is calibrated on Febrl 1: it expects about its 500 true pairs."""
    matcher, _ = fitted
    data = load_febrl("dataset1")
    pairs = matcher.predict_pairs(data.records.reset_index())
    table = threshold_table(pairs, data.true_links)
    estimated = table.set_index("threshold").loc[0.5, "expected_matches"]
    assert estimated == pytest.approx(len(data.true_links), rel=0.01)
    # With labels, the estimated columns are there too, to compare with the true ones.
    assert {"expected_precision", "precision"} <= set(table.columns)


@st.composite
def scored_pairs_with_truth(draw):
    """Random scored pairs (distinct ids), with a random subset of them and a few others true."""
    n = draw(st.integers(0, 40))
    probability = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    pairs = pd.DataFrame(
        {
            "left": [f"a{k}" for k in range(n)],
            "right": [f"b{k}" for k in range(n)],
            "match_probability": np.array(probability, dtype=float),
        }
    )
    true = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    lost = draw(st.integers(0, 3))  # true pairs blocking never scored
    truth = pd.DataFrame(
        {
            "rec_id_1": [*pairs["left"][true], *[f"x{k}" for k in range(lost)]],
            "rec_id_2": [*pairs["right"][true], *[f"y{k}" for k in range(lost)]],
        }
    )
    thresholds = draw(st.lists(st.floats(0, 1), min_size=1, max_size=8))
    return pairs, truth, thresholds


@given(scored_pairs_with_truth())
@settings(max_examples=60, deadline=None)
def test_recall_and_counts_never_rise_with_the_threshold(case):
    pairs, truth, thresholds = case
    table = threshold_table(pairs, truth, thresholds=thresholds)
    assert list(table["threshold"]) == sorted(set(thresholds))
    p = pairs["match_probability"].to_numpy()
    assert list(table["pairs"]) == [int((p >= t).sum()) for t in table["threshold"]]
    for column in ("pairs", "recall", "expected_matches", "expected_recall"):
        assert table[column].is_monotonic_decreasing, column
    assert np.allclose(table["expected_matches"] + table["expected_non_matches"], table["pairs"])
    assert (table["expected_non_matches"] >= -1e-9).all()
    shares = table[["precision", "recall", "f1", "expected_precision", "expected_recall"]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    true_scored = sum(left.startswith("a") for left in truth["rec_id_1"])
    assert (table["recall"] * len(truth) <= true_scored + 1e-9).all()  # lost pairs stay lost


def test_threshold_table_refuses_bad_input_naming_the_argument(weak_pairs):
    pairs, truth = weak_pairs
    for bad in ([1.5], [-0.1], [float("nan")], []):
        with pytest.raises(DataContractError, match="thresholds") as info:
            threshold_table(pairs, truth, thresholds=bad)
        assert info.value.column == "thresholds"
    with pytest.raises(DataContractError, match=r"scored_pairs.*'match_probability'") as info:
        threshold_table(pairs.drop(columns="match_probability"))
    assert info.value.column == "match_probability"
    with pytest.raises(DataContractError, match="scored_pairs"):
        threshold_table(pairs["match_probability"])
    out_of_range = pairs.copy()
    out_of_range.loc[3, "match_probability"] = 1.2
    with pytest.raises(DataContractError, match=r"match_probability.*\[0, 1\]") as info:
        threshold_table(out_of_range)
    assert info.value.column == "match_probability"
    assert info.value.value == pytest.approx(1.2)
    missing = pairs.copy()
    missing.loc[3, "match_probability"] = np.nan
    with pytest.raises(DataContractError, match="missing") as info:
        threshold_table(missing)
    assert info.value.column == "match_probability"
    with pytest.raises(DataContractError, match="true_links") as info:
        threshold_table(pairs, truth[["rec_id_1"]])
    assert info.value.column == "true_links"


def test_plot_threshold_draws_the_tables_curves(weak_pairs):
    pairs, truth = weak_pairs
    table = threshold_table(pairs, truth, thresholds=GRID)
    _, given_ax = plt.subplots()
    ax = plot_threshold(pairs, truth, thresholds=GRID, ax=given_ax)
    assert ax is given_ax
    lines = {line.get_label(): line for line in ax.get_lines()}
    for column in ("precision", "recall", "f1"):
        np.testing.assert_allclose(lines[column].get_ydata(), table[column])
        np.testing.assert_allclose(lines[column].get_xdata(), table["threshold"])
        estimated = lines[f"expected {column}"]
        np.testing.assert_allclose(estimated.get_ydata(), table[f"expected_{column}"])
        assert estimated.get_linestyle() == "--"
    assert ax.get_xscale() == "linear"  # 0 and 1 are among the thresholds


def test_plot_threshold_spreads_probabilities_near_one_on_a_logit_axis(weak_pairs):
    pairs, truth = weak_pairs
    ax = plot_threshold(pairs, truth)  # default thresholds, 0.05 to 0.999
    assert ax.get_xscale() == "logit"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.5", "0.9", "0.99", "0.999"]
    top = max(max(line.get_ydata()) for line in ax.get_lines())
    assert ax.get_ylim()[1] >= top  # every point visible


def test_plot_threshold_without_labels_draws_the_estimates_only(weak_pairs):
    pairs, _ = weak_pairs
    ax = plot_threshold(pairs)
    labels = sorted(line.get_label() for line in ax.get_lines())
    assert labels == ["expected f1", "expected precision", "expected recall"]


def test_plot_threshold_names_the_extra_when_matplotlib_is_missing(weak_pairs, monkeypatch):
    pairs, truth = weak_pairs
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]"):
        plot_threshold(pairs, truth)
    assert len(threshold_table(pairs, truth)) > 0  # the table needs no matplotlib
