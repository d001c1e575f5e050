"""Differentiate's charts: the drawn numbers are the tables', and the tiers can be told apart."""

import itertools
import sys

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from one2one.differentiate import TIERS, lorenz_curve, plot_qini, plot_value_curve, qini_curve
from one2one.errors import DataContractError, MissingDependencyError

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import to_rgb

# Machado, Oliveira & Fernandes (2009): full dichromacy, applied to linear RGB.
VISION = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.01182, 0.04294, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}
SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
WHITE = np.array([0.95047, 1.0, 1.08883])


def _lab(rgb, vision):
    """CIELAB of an sRGB colour as seen with ``vision``."""
    channels = np.asarray(rgb, dtype=float)
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    xyz = SRGB_TO_XYZ @ np.clip(VISION[vision] @ linear, 0, 1) / WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def tiers():
    rng = np.random.default_rng(0)
    net = np.concatenate([rng.pareto(1.2, 400) * 100, -rng.uniform(1, 50, 20)])
    order = np.argsort(-net)
    tier = np.empty(len(net), dtype=object)
    tier[order[:80]] = "most valuable"
    tier[order[80:]] = "migrators"
    growable = order[80:400][rng.random(320) < 0.25]  # scattered among the migrators
    tier[growable] = "most growable"
    tier[net < 0] = "below zero"
    return pd.DataFrame({"net_value": net, "tier": tier}, index=[f"c{i}" for i in range(len(net))])


def _fills(ax):
    return {c.get_label(): c for c in ax.collections}


def test_the_value_curve_is_the_lorenz_curve_of_positive_net_value(tiers):
    ax = plot_value_curve(tiers)
    curve = lorenz_curve(tiers["net_value"].clip(lower=0))
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), curve["customer_share"])
    np.testing.assert_allclose(line.get_ydata(), curve["value_share"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(TIERS)


def _area(collection):
    """Area of a filled band (shoelace formula over its outline)."""
    total = 0.0
    for path in collection.get_paths():
        x, y = path.vertices[:, 0], path.vertices[:, 1]
        total += 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return total


def test_the_bands_split_the_area_under_the_curve_by_each_percent_of_customers(tiers):
    fills = _fills(plot_value_curve(tiers))
    ranked = tiers.sort_values("net_value", ascending=False, kind="stable")
    curve = lorenz_curve(tiers["net_value"].clip(lower=0))["value_share"].to_numpy()
    n = len(ranked)
    segment = (curve[:-1] + curve[1:]) / 2 / n  # the area above each customer
    percent = np.arange(n) * 100 // n
    frame = pd.DataFrame({"percent": percent, "tier": ranked["tier"].to_numpy(), "area": segment})
    bin_area = frame.groupby("percent")["area"].sum()
    shares = pd.crosstab(frame["percent"], frame["tier"], normalize="index")
    for tier in TIERS:
        expected = float((shares[tier] * bin_area).sum())
        assert _area(fills[tier]) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert sum(_area(f) for f in fills.values()) == pytest.approx(np.trapezoid(curve, dx=1 / n))
    # Most growable customers, one in four among the migrators, make a visible band.
    assert _area(fills["most growable"]) > 0.05


def test_the_value_curve_refuses_an_unknown_tier(tiers):
    with pytest.raises(DataContractError, match="most valuable") as info:
        plot_value_curve(tiers.assign(tier="gold"))
    assert info.value.column == "tier"


def test_every_tier_has_its_own_colour_for_every_reader(tiers):
    fills = _fills(plot_value_curve(tiers))
    colours = {tier: fills[tier].get_facecolor()[0] for tier in TIERS}
    assert all(colour[3] == 1 for colour in colours.values())  # opaque: thin slivers keep it
    for vision in VISION:
        for a, b in itertools.combinations(TIERS, 2):
            distance = np.linalg.norm(_lab(colours[a][:3], vision) - _lab(colours[b][:3], vision))
            assert distance >= 20, f"{a} and {b} look alike with {vision} ({distance:.1f})"


def test_the_old_greens_fail_the_colour_check():
    """The check can fail: the two greens the chart used to draw are too close."""
    faded = [0.6 * np.array(to_rgb(c)) + 0.4 for c in ("#1b7837", "#5aae61")]
    assert np.linalg.norm(_lab(faded[0], "deuteranopia") - _lab(faded[1], "deuteranopia")) < 20


def test_the_value_curve_refuses_a_frame_without_tiers(tiers):
    with pytest.raises(DataContractError) as info:
        plot_value_curve(tiers.drop(columns="tier"))
    assert info.value.column == "tier"


def test_the_qini_plot_draws_the_qini_curve_and_random_once():
    rng = np.random.default_rng(1)
    n = 400
    treatment = rng.integers(0, 2, n)
    uplift = rng.normal(size=n)
    y = (rng.random(n) < 0.1 + 0.1 * treatment * (uplift > 0)).astype(int)
    ax = plot_qini(y, treatment, uplift, label="model")
    plot_qini(y, treatment, -uplift, ax=ax, label="reversed")
    curve = qini_curve(y, treatment, uplift)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["random", "model", "reversed"]
    np.testing.assert_allclose(lines["model"].get_ydata(), curve["gain"])
    np.testing.assert_allclose(lines["random"].get_ydata(), [0, curve["gain"].iloc[-1]])


def test_plots_name_the_extra_when_matplotlib_is_missing(tiers, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]"):
        plot_value_curve(tiers)
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]"):
        plot_qini([1, 0], [1, 0], [0.5, 0.1])
