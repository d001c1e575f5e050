import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one import _validation as v
from one2one.errors import DataContractError, MissingDependencyError
from tests import strategies

CONTRACT = v.FrameContract(
    "orders",
    columns=[
        v.Column("customer_id", "integer"),
        v.Column("amount", "number", non_negative=True),
        v.Column("count", "integer", non_negative=True),
    ],
    unique=["customer_id"],
)


@given(strategies.numeric_frames())
def test_a_valid_frame_passes_unchanged(frame):
    assert CONTRACT.validate(frame) is frame


@given(strategies.numeric_frames(), st.data())
def test_a_missing_value_is_reported_with_its_row(frame, data):
    position = data.draw(st.integers(0, len(frame) - 1))
    frame.loc[frame.index[position], "amount"] = np.nan
    with pytest.raises(DataContractError, match="missing") as info:
        CONTRACT.validate(frame)
    assert info.value.column == "amount"
    assert info.value.row == frame.index[position]


@given(strategies.numeric_frames(), st.data())
def test_a_negative_value_is_reported_with_row_and_value(frame, data):
    position = data.draw(st.integers(0, len(frame) - 1))
    bad = data.draw(st.floats(-1e6, -1e-9))
    frame.loc[frame.index[position], "amount"] = bad
    with pytest.raises(DataContractError, match=">= 0") as info:
        CONTRACT.validate(frame)
    assert (info.value.column, info.value.row, info.value.value) == (
        "amount",
        frame.index[position],
        bad,
    )


@given(strategies.numeric_frames(min_rows=2), st.data())
def test_a_repeated_key_is_reported(frame, data):
    i, j = data.draw(st.lists(st.integers(0, len(frame) - 1), min_size=2, max_size=2, unique=True))
    frame.loc[frame.index[j], "customer_id"] = frame.loc[frame.index[i], "customer_id"]
    with pytest.raises(DataContractError, match="one row per 'customer_id'") as info:
        CONTRACT.validate(frame)
    assert info.value.row == frame.index[max(i, j)]


def test_missing_columns_are_all_named():
    with pytest.raises(DataContractError, match="'amount', 'count'") as info:
        CONTRACT.validate(pd.DataFrame({"customer_id": [1]}))
    assert info.value.column == "amount"


def test_not_a_frame():
    with pytest.raises(DataContractError, match="must be a pandas DataFrame"):
        CONTRACT.validate([1, 2, 3])


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (["a", "b"], "must be numeric"),
        ([True, False], "must be numeric"),
        ([1.0, np.inf], "must be finite"),
        ([1.5, 2.0], "whole numbers"),
    ],
)
def test_integer_column_checks(values, match):
    frame = pd.DataFrame({"customer_id": values, "amount": [1.0, 2.0], "count": [1, 2]})
    with pytest.raises(DataContractError, match=match) as info:
        CONTRACT.validate(frame)
    assert info.value.column == "customer_id"


def test_string_and_bool_kinds():
    contract = v.FrameContract("t", columns=[v.Column("name", "string"), v.Column("ok", "bool")])
    contract.validate(pd.DataFrame({"name": ["x", "y"], "ok": [True, False]}))
    with pytest.raises(DataContractError, match="must hold text") as info:
        contract.validate(pd.DataFrame({"name": ["x", 3], "ok": [True, False]}))
    assert (info.value.row, info.value.value) == (1, 3)
    with pytest.raises(DataContractError, match="must be boolean"):
        contract.validate(pd.DataFrame({"name": ["x"], "ok": [1]}))


def test_nullable_columns_accept_missing_values():
    contract = v.FrameContract("t", columns=[v.Column("x", "number", nullable=True)])
    contract.validate(pd.DataFrame({"x": [1.0, np.nan]}))


def test_datetime_time_zone_rules():
    naive = pd.DataFrame({"at": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    aware = naive.assign(at=naive["at"].dt.tz_localize("Europe/Paris"))
    v.require_datetime(naive, "at", name="t", tz="naive")
    v.require_datetime(aware, "at", name="t", tz="aware")
    with pytest.raises(DataContractError, match="time-zone aware"):
        v.require_datetime(naive, "at", name="t", tz="aware")
    with pytest.raises(DataContractError, match="time-zone naive"):
        v.require_datetime(aware, "at", name="t", tz="naive")
    with pytest.raises(DataContractError, match="must hold datetimes"):
        v.require_datetime(pd.DataFrame({"at": ["2024-01-01"]}), "at", name="t")


def test_as_utc_converts_aware_and_refuses_to_guess():
    paris = pd.Series(pd.to_datetime(["2024-07-01 12:00"]).tz_localize("Europe/Paris"))
    assert v.as_utc(paris, name="at").iloc[0] == pd.Timestamp("2024-07-01 10:00", tz="UTC")
    naive = pd.Series(pd.to_datetime(["2024-07-01 12:00"]))
    with pytest.raises(DataContractError, match="assume_tz"):
        v.as_utc(naive, name="at")
    assert v.as_utc(naive, name="at", assume_tz="UTC").iloc[0] == pd.Timestamp(
        "2024-07-01 12:00", tz="UTC"
    )


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(0, 10), st.floats(0, 10))
def test_require_number_accepts_exactly_the_interval(x, a, b):
    low, high = min(a, b), max(a, b)
    inside = low <= x <= high
    if inside:
        assert v.require_number(x, name="x", low=low, high=high) == x
    else:
        with pytest.raises(DataContractError, match=r"must lie in \["):
            v.require_number(x, name="x", low=low, high=high)


@pytest.mark.parametrize("bad", ["3", None, True, float("nan"), float("inf"), 1 + 2j])
def test_require_number_rejects_non_numbers(bad):
    with pytest.raises(DataContractError) as info:
        v.require_number(bad, name="penalizer")
    assert info.value.column == "penalizer"


def test_require_number_bounds_and_integers():
    with pytest.raises(DataContractError, match=r"\(0, inf\)"):
        v.require_number(0, name="x", low=0, low_inclusive=False)
    with pytest.raises(DataContractError, match="whole number"):
        v.require_number(2.5, name="n", integer=True)
    assert v.require_number(3, name="n", integer=True) == 3.0


def test_require_one_of():
    assert v.require_one_of("W", ("D", "W"), name="freq") == "W"
    with pytest.raises(DataContractError, match="'D', 'W'"):
        v.require_one_of("Y", ("W", "D"), name="freq")


def test_as_generator():
    g = np.random.default_rng(1)
    assert v.as_generator(g) is g
    assert v.as_generator(5).integers(1000) == np.random.default_rng(5).integers(1000)
    with pytest.raises(DataContractError, match="random_state"):
        v.as_generator("seed")  # type: ignore[arg-type]


def test_optional_import_names_the_extra():
    assert v.optional_import("math", extra="x", feature="maths").sqrt(4) == 2
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]") as info:
        v.optional_import("no_such_module_xyz", extra="plot", feature="Plotting")
    assert info.value.extra == "plot"


def test_mixed_naive_and_aware_timestamps_name_the_first_switch():
    frame = pd.DataFrame(
        {"at": [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-02")]},
        index=["a", "b"],
    )
    with pytest.raises(DataContractError, match="mixes time-zone aware and naive") as info:
        v.require_datetime(frame, "at", name="transactions")
    assert (info.value.column, info.value.row) == ("at", "b")


def test_a_missing_column_message_offers_only_the_fix_there_is():
    from one2one.clv import rfm_summary  # noqa: PLC0415
    from one2one.differentiate import value_tiers  # noqa: PLC0415

    with pytest.raises(DataContractError) as error:
        value_tiers(pd.DataFrame({"clv_value": [1.0]}, index=pd.Index(["a"], name="customer_id")))
    assert "explicitly" not in str(error.value)  # value_tiers takes no column names
    assert "rename" in str(error.value)
    with pytest.raises(DataContractError, match="customer_id=, datetime=") as error:
        rfm_summary(pd.DataFrame({"who": ["a"]}))
    assert error.value.column == "customer_id"
