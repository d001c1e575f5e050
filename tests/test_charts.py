"""The drawing conventions every room's charts share: numbers in labels, colours."""

import math

import matplotlib as mpl
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one._charts import PALETTE, money_label, number_label

mpl.use("Agg")
from matplotlib.colors import to_rgb


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (39.0, "39"),
        (39, "39"),
        (25.857142857, "25.9"),  # the "(25.8571 weeks)" of a holdout of 181 days in weeks
        (1234.5, "1,234.5"),
        (52_000.04, "52,000"),
        (0.0341, "0.034"),
        (0.0, "0"),
        (-2.25, "-2.2"),
        (float("nan"), "nan"),
    ],
)
def test_number_label(value, label):
    assert number_label(value) == label


@given(st.floats(min_value=1, max_value=1e12) | st.floats(min_value=-1e12, max_value=-1))
def test_a_number_label_is_short_and_reads_back_within_rounding(value):
    label = number_label(value)
    assert float(label.replace(",", "")) == pytest.approx(value, abs=0.05 + 1e-9 * abs(value))
    assert len(label.split(".")[-1]) <= 1 or "." not in label


@pytest.mark.parametrize(
    ("value", "sign", "label"),
    [
        (390.0, False, "390"),
        (45.5, False, "45.50"),
        (-30.0, True, "-30"),
        (60, True, "+60"),
        (874.0, False, "874"),
        (1234.567, True, "+1,234.57"),
    ],
)
def test_money_label(value, sign, label):
    assert money_label(value, sign=sign) == label


def _relative_luminance(colour):
    channels = np.array(to_rgb(colour))
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def test_the_palette_is_eight_distinct_colours():
    assert len(set(PALETTE)) == len(PALETTE) == 8
    assert not math.isclose(_relative_luminance(PALETTE[0]), _relative_luminance(PALETTE[1]))
