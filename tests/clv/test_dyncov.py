"""Pareto/NBD with time-varying covariates: likelihood, alignment, recovery, forecasts."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    TimeVaryingParetoNBDModel,
    TimeVaryingSummary,
    calendar_covariates,
    customer_lifetime_value,
    rfm_summary,
    time_varying_summary,
)
from one2one.clv._dyncov import Pieces, _exposure, dyncov_loglik
from one2one.clv._paretonbd import pareto_loglik, pareto_p_alive
from one2one.datasets import seasonal_calendar, simulate_seasonal_transactions
from one2one.errors import DataContractError


def _random_pieces(
    seed: int, n: int = 30, p: int = 2, q: int = 1
) -> tuple[Pieces, np.ndarray, np.ndarray, np.ndarray]:
    """Customers with windows cut on a weekly grid at a random offset, and at t_x."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 9, n).astype(float)
    T = rng.uniform(3.0, 60.0, n)
    tx = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    owner, length, after, zp, zd = [], [], [], [], []
    for i in range(n):
        offset = rng.uniform(0.0, 1.0)
        grid = [offset + k for k in range(int(T[i]) + 2) if 0.0 < offset + k < T[i]]
        cuts = sorted({0.0, float(tx[i]), float(T[i]), *grid})
        for lo, hi in itertools.pairwise(cuts):
            owner.append(i)
            length.append(hi - lo)
            after.append(lo >= tx[i])
            zp.append(rng.normal(size=p))
            zd.append(rng.normal(size=q))
    pieces = Pieces(
        x=x,
        purchase_sum=rng.normal(size=(n, p)) * x[:, None],
        owner=np.array(owner, dtype=np.intp),
        length=np.array(length),
        after=np.array(after),
        purchase=np.array(zp).reshape(-1, p),
        dropout=np.array(zd).reshape(-1, q),
    )
    return pieces, x, tx, T


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    r=st.floats(0.1, 5.0),
    alpha=st.floats(0.5, 50.0),
    s=st.floats(0.1, 5.0),
    beta=st.floats(0.5, 50.0),
)
def test_zero_effects_give_the_plain_pareto_nbd(
    seed: int, r: float, alpha: float, s: float, beta: float
) -> None:
    pieces, x, tx, T = _random_pieces(seed)
    theta = np.array([r, alpha, s, beta, 0.0, 0.0, 0.0])
    ll, grad = dyncov_loglik(theta, pieces)
    plain, plain_grad = pareto_loglik(theta[:4], (x, tx, T))
    np.testing.assert_allclose(ll, plain, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad[:, :4], plain_grad, rtol=1e-8, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), g=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_gradient_matches_finite_differences(seed: int, g: list[float]) -> None:
    pieces, *_ = _random_pieces(seed, n=12)
    theta = np.array([0.7, 9.0, 0.8, 14.0, *g])
    _, grad = dyncov_loglik(theta, pieces)
    step = 1e-6
    for j in range(theta.size):
        shift = np.zeros(theta.size)
        shift[j] = step * max(1.0, abs(theta[j]))
        numeric = (
            dyncov_loglik(theta + shift, pieces)[0] - dyncov_loglik(theta - shift, pieces)[0]
        ) / (2 * shift[j])
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-5, atol=1e-6)


def test_covariates_constant_per_customer_give_the_static_model() -> None:
    pieces, x, tx, T = _random_pieces(3, n=40, p=1, q=1)
    z = np.random.default_rng(4).normal(size=x.size)
    static = Pieces(
        x=x,
        purchase_sum=(z * x)[:, None],
        owner=pieces.owner,
        length=pieces.length,
        after=pieces.after,
        purchase=z[pieces.owner][:, None],
        dropout=z[pieces.owner][:, None],
    )
    r, alpha, s, beta, g_p, g_d = 0.6, 8.0, 0.7, 12.0, 0.3, -0.4
    ll, _ = dyncov_loglik(np.array([r, alpha, s, beta, g_p, g_d]), static)
    # The static model scales alpha by exp(-g_p z) and beta by exp(-g_d z) (CLVTools).
    for i in range(x.size):
        params = np.array([r, alpha * np.exp(-g_p * z[i]), s, beta * np.exp(-g_d * z[i])])
        expected, _ = pareto_loglik(params, (x[i : i + 1], tx[i : i + 1], T[i : i + 1]))
        assert ll[i] == pytest.approx(expected[0], rel=1e-11, abs=1e-11)


def _clvtools_pieces(real: list[float], aux: list[float], first: float, tx: float) -> Pieces:
    """One customer: 'real' lifetime periods, then aux periods (t_x in the first aux one)."""
    lengths = [first, *[1.0] * (len(real) - 1)] if real else []
    aux_start = sum(lengths)
    first_aux = first if not real else 1.0
    bounds = [
        aux_start,
        tx,
        aux_start + first_aux,
        *[aux_start + first_aux + k for k in range(1, len(aux))],
    ]
    pieces_len = [*lengths, *(b - a for a, b in itertools.pairwise(bounds))]
    rates = [*real, aux[0], aux[0], *aux[1:]]
    after = [False] * (len(real) + 1) + [True] * len(aux)
    log_rates = np.log(np.array(rates))[:, None]
    return Pieces(
        x=np.array([1.0]),
        purchase_sum=np.zeros((1, 1)),
        owner=np.zeros(len(rates), dtype=np.intp),
        length=np.array(pieces_len),
        after=np.array(after),
        purchase=log_rates,
        dropout=log_rates,
    )


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        ([], [0.0, -0.094794, -0.300588, -0.617382]),
        ([1.987], [1.591856, 1.386062, 1.069268, 0.641474]),
        ([1.987, 1.876], [3.344856, 3.028062, 2.600268, 2.061474]),
    ],
)
def test_cumulated_dropout_exposure_matches_clvtools_unit_values(
    real: list[float], expected: list[float]
) -> None:
    """CLVTools' Di(i): D(t) = Di + C_i t in the i-th aux period (src/test-cpp.cpp)."""
    d_omega = 0.854
    aux = [0.123, 0.234, 0.345, 0.456]
    aux_start = d_omega + max(len(real) - 1, 0) if real else 0.0
    tx = aux_start + 0.5 * (d_omega if not real else 1.0)
    pieces = _clvtools_pieces(real, aux, d_omega, tx)
    exposure = _exposure(pieces, np.array([1.0]), np.array([1.0]))
    start = np.concatenate([[0.0], np.cumsum(pieces.length)[:-1]])
    aux_rows = [len(real), *range(len(real) + 2, len(real) + 1 + len(aux))]
    intercepts = [exposure.d_lo[k] - exposure.C[k] * start[k] for k in aux_rows]
    np.testing.assert_allclose(intercepts, expected, atol=1e-5)


def test_cumulated_purchase_exposure_matches_clvtools_unit_values() -> None:
    """CLVTools' Bi(i): B(t) = B(t_x) + Bi + A_i t in aux period i (t_x = 35.11, d1 = 0.854)."""
    tx, d1 = 35.11, 0.854
    aux = [0.123, 0.234, 0.345, 0.456, 0.567, 0.678]
    lengths = [tx, d1, 1.0, 1.0, 1.0, 1.0, 1.0]
    rates = [1.0, *aux]
    log_rates = np.log(np.array(rates))[:, None]
    pieces = Pieces(
        x=np.array([1.0]),
        purchase_sum=np.zeros((1, 1)),
        owner=np.zeros(len(rates), dtype=np.intp),
        length=np.array(lengths),
        after=np.array([False] + [True] * len(aux)),
        purchase=log_rates,
        dropout=np.zeros((len(rates), 1)),
    )
    exposure = _exposure(pieces, np.array([1.0]), np.array([0.0]))
    start = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    b_tx = exposure.b_lo[1]
    intercepts = exposure.b_lo[1:] - b_tx - exposure.A[1:] * start[1:]
    expected = [-4.31853, -8.310534, -12.413538, -16.627542, -20.952546, -25.388550]
    np.testing.assert_allclose(intercepts, expected, atol=1e-5)


# --- alignment -----------------------------------------------------------------------


def _log(rows: list[tuple[int, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "occurred_at": pd.to_datetime([d for _, d in rows]).tz_localize("UTC"),
            "value": 10.0,
        }
    )


def _weekly(customers: list[int], start: str, weeks: int, **values: list[float]) -> pd.DataFrame:
    starts = pd.date_range(start, periods=weeks, freq="7D")
    frame = pd.DataFrame(
        {
            "customer_id": np.repeat(customers, weeks),
            "period_start": np.tile(starts, len(customers)),
        }
    )
    for name, column in values.items():
        frame[name] = np.tile(np.asarray(column, dtype=float), len(customers))
    return frame


LOG = _log([(1, "2024-01-03"), (1, "2024-01-20"), (1, "2024-02-07"), (2, "2024-01-10")])


def test_summary_equals_rfm_summary_and_pieces_cover_each_window() -> None:
    covariates = _weekly([1, 2], "2024-01-01", 8, promo=[0, 1, 0, 0, 1, 1, 0, 0])
    data = time_varying_summary(LOG, covariates, observation_end="2024-02-20")
    expected = rfm_summary(LOG, freq="D", time_unit="W", observation_end="2024-02-20")
    pd.testing.assert_frame_equal(data.summary, expected)
    pieces = data.pieces(["promo"], ["promo"])
    total = np.bincount(pieces.owner, weights=pieces.length)
    after = np.bincount(pieces.owner, weights=pieces.length * pieces.after)
    np.testing.assert_allclose(total, data.summary["T"])
    np.testing.assert_allclose(after, data.summary["T"] - data.summary["recency"])
    # Customer 1 bought again on 2024-01-20 (week of 01-15: promo 0)
    # and on 2024-02-07 (week of 02-05: promo 1).
    np.testing.assert_allclose(pieces.purchase_sum[:, 0], [1.0, 0.0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("gap", "got none for customer 1, period starting 2024-01-22"),
        ("repeat", "twice for the period starting"),
        ("off_grid", "must start periods on the grid"),
        ("late", "must start on or before each customer's window"),
        ("irregular", "must start periods at a regular step"),
        ("missing", "must not have missing values|missing"),
    ],
)
def test_misaligned_covariates_are_typed_errors(change: str, message: str) -> None:
    covariates = _weekly([1, 2], "2024-01-01", 8, promo=[0, 1, 0, 0, 1, 1, 0, 0])
    if change == "gap":
        covariates = covariates.drop(covariates.index[3])
    elif change == "repeat":
        covariates = pd.concat([covariates, covariates.iloc[[2]]], ignore_index=True)
    elif change == "off_grid":
        covariates.loc[5, "period_start"] = pd.Timestamp("2024-02-07")
    elif change == "late":
        covariates = covariates[covariates["period_start"] >= "2024-01-08"]
    elif change == "irregular":
        covariates = covariates[covariates["period_start"] != "2024-01-15"]
    else:
        covariates.loc[4, "promo"] = np.nan
    with pytest.raises(DataContractError, match=message):
        time_varying_summary(LOG, covariates, observation_end="2024-02-20")


def test_unknown_covariate_and_wrong_data_are_refused() -> None:
    covariates = _weekly([1, 2], "2024-01-01", 8, promo=[0, 1, 0, 0, 1, 1, 0, 0])
    data = time_varying_summary(LOG, covariates, observation_end="2024-02-20")
    with pytest.raises(DataContractError, match=r"did you mean|must be one of"):
        TimeVaryingParetoNBDModel(purchase_covariates=["promotion"]).fit(data)
    with pytest.raises(DataContractError, match="TimeVaryingSummary"):
        TimeVaryingParetoNBDModel().fit(data.summary)  # type: ignore[arg-type]


# --- fitting on simulated and seasonal data -------------------------------------------


@pytest.fixture(scope="module")
def seasonal() -> tuple[TimeVaryingSummary, object]:
    sim = simulate_seasonal_transactions(1500, random_state=7)
    data = time_varying_summary(
        sim.transactions, sim.covariates, calibration_end="2024-12-31", observation_end="2025-12-28"
    )
    return data, sim


def test_seasonal_simulator_is_a_valid_log() -> None:
    sim = simulate_seasonal_transactions(300, random_state=1)
    log = sim.transactions
    assert (
        log.groupby("customer_id")["occurred_at"].apply(lambda t: t.is_monotonic_increasing).all()
    )
    first = log.groupby("customer_id")["occurred_at"].min()
    pd.testing.assert_series_equal(
        first, sim.customers["first_purchase_at"].rename("occurred_at"), check_freq=False
    )
    assert (log["occurred_at"] <= sim.observation_end).all()
    dropped = sim.customers["dropout_at"].dropna()
    last = log.groupby("customer_id")["occurred_at"].max()
    assert (last.loc[dropped.index] <= dropped).all()
    calendar = seasonal_calendar("2024-01-01", 104)
    assert calendar["holiday"].sum() == 10  # 5 gift-season weeks a year
    assert set(sim.covariates["customer_id"]) == set(range(300))


def test_recovers_the_true_effects_across_seeds() -> None:
    """95% intervals cover the true effects at about the nominal rate (5 seeds x 3 effects).

    The summary counts one purchase occasion per day, so a heavy buyer's
    same-day purchases in a peak week merge, which biases strong effects
    slightly down (the model's, and CLVTools', view of a purchase); with
    fewer purchases (alpha = 20) a one-year window leaves the dropout
    heterogeneity unidentified in some seeds (s runs off to infinity).
    """
    covered, total = 0, 0
    for seed in range(5):
        sim = simulate_seasonal_transactions(1500, random_state=seed)
        data = time_varying_summary(sim.transactions, sim.covariates, calibration_end="2024-12-31")
        model = TimeVaryingParetoNBDModel(
            purchase_covariates=["season_cos", "season_sin", "holiday"]
        ).fit(data)
        assert model.fit_diagnostics_.converged
        table = model.summary()
        for name, truth in sim.purchase_effects.items():
            row = table.loc[f"purchase:{name}"]
            covered += int(row["lower"] <= truth <= row["upper"])
            total += 1
    assert covered >= 13, f"{covered} of {total} intervals cover the truth"


def test_covariate_model_forecasts_the_holdout_season_better_than_bgnbd(
    seasonal: tuple[TimeVaryingSummary, object],
) -> None:
    data, _ = seasonal
    summary = data.summary
    horizon = float(summary["duration_holdout"].iloc[0])
    model = TimeVaryingParetoNBDModel(
        purchase_covariates=["season_cos", "season_sin", "holiday"]
    ).fit(data)
    ours = model.predict_purchases(data, horizon)
    bg = BetaGeoModel().fit(summary).predict_purchases(summary, horizon)
    actual = summary["frequency_holdout"]
    our_error = abs(ours.sum() - actual.sum())
    bg_error = abs(bg.sum() - actual.sum())
    assert our_error <= 0.7 * bg_error, (ours.sum(), bg.sum(), actual.sum())
    # Per customer too, the covariate model is no worse.
    assert (ours - actual).abs().mean() <= (bg - actual).abs().mean()


def test_future_covariates_move_the_forecast(seasonal: tuple[TimeVaryingSummary, object]) -> None:
    data, sim = seasonal
    model = TimeVaryingParetoNBDModel(purchase_covariates=["holiday"]).fit(data)
    covariates = sim.covariates  # type: ignore[attr-defined]
    future = covariates[covariates["period_start"] >= "2024-12-30"].copy()
    planned = future.assign(holiday=1.0)
    base = model.predict_purchases(data, 8)
    boosted = model.predict_purchases(data, 8, future_covariates=planned)
    effect = model.params_["purchase:holiday"]
    assert effect > 0
    assert (boosted > base).all()
    # Every week under holiday = 1: each customer's rate is exp(effect) times the all-zero calendar.
    quiet = model.predict_purchases(data, 8, future_covariates=future.assign(holiday=0.0))
    np.testing.assert_allclose(boosted / quiet, np.exp(effect), rtol=1e-9)


def test_zero_effect_forecast_equals_the_plain_model(
    seasonal: tuple[TimeVaryingSummary, object],
) -> None:
    data, _ = seasonal
    model = TimeVaryingParetoNBDModel(purchase_covariates=["holiday"]).fit(data)
    plain = ParetoNBDModel().fit(data.summary[["frequency", "recency", "T"]])
    model.params_ = pd.Series(
        [*plain.params_.to_numpy(), 0.0], index=model.params_.index, name="estimate"
    )
    ours = model.predict_purchases(data, 20)
    theirs = plain.predict_purchases(data.summary, 20)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    x, tx, T = (data.summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        model.predict_proba_alive(data),
        pareto_p_alive(plain.params_.to_numpy(), x, tx, T),
        rtol=1e-9,
    )


@pytest.fixture(scope="module")
def holiday_model(
    seasonal: tuple[TimeVaryingSummary, object],
) -> TimeVaryingParetoNBDModel:
    data, _ = seasonal
    return TimeVaryingParetoNBDModel(purchase_covariates=["holiday", "season_cos"]).fit(data)


def test_purchases_by_period_add_up_to_the_horizon(
    seasonal: tuple[TimeVaryingSummary, object], holiday_model: TimeVaryingParetoNBDModel
) -> None:
    data, _ = seasonal
    weekly = holiday_model.predict_purchases_by_period(data, 10)
    assert weekly.shape == (len(data.summary), 10)
    assert (weekly.to_numpy() >= 0).all()
    np.testing.assert_allclose(
        weekly.sum(axis=1), holiday_model.predict_purchases(data, 10), rtol=1e-10
    )
    np.testing.assert_allclose(
        weekly.iloc[:, :4].sum(axis=1), holiday_model.predict_purchases(data, 4), rtol=1e-10
    )
    assert weekly.columns[0] == pd.Timestamp("2025-01-01")  # the day after calibration ends
    assert (np.diff(weekly.columns.to_numpy()) == np.timedelta64(7, "D")).all()


def test_weekly_holdout_tracking_beats_bgnbd(
    seasonal: tuple[TimeVaryingSummary, object], holiday_model: TimeVaryingParetoNBDModel
) -> None:
    """Per holdout week, the base's expected purchases follow the season; BG/NBD's cannot."""
    data, sim = seasonal
    log = sim.transactions  # type: ignore[attr-defined]
    weeks = 50
    ours = holiday_model.predict_purchases_by_period(data, weeks).sum()
    summary = data.summary
    bg = BetaGeoModel().fit(summary)
    edges = np.arange(0.0, weeks + 1.0)
    bg_weekly = np.diff([bg.predict_purchases(summary, t).sum() if t else 0.0 for t in edges])
    # Actual repeat occasions (one per customer and day) in each holdout week.
    days = log["occurred_at"].dt.tz_convert("UTC").dt.normalize().dt.tz_localize(None)
    first = days.groupby(log["customer_id"]).transform("min")
    occasions = pd.DataFrame({"c": log["customer_id"], "d": days})[days > first].drop_duplicates()
    week = (occasions["d"] - pd.Timestamp("2025-01-01")).dt.days // 7  # 12-31 is calibration
    actual = week[(week >= 0) & (week < weeks)].value_counts().reindex(range(weeks), fill_value=0)
    our_mae = np.abs(ours.to_numpy() - actual.to_numpy()).mean()
    bg_mae = np.abs(bg_weekly - actual.to_numpy()).mean()
    assert our_mae <= 0.7 * bg_mae, (our_mae, bg_mae)


def test_lifetime_value_follows_the_calendar(
    seasonal: tuple[TimeVaryingSummary, object], holiday_model: TimeVaryingParetoNBDModel
) -> None:
    data, sim = seasonal
    summary = data.summary
    spend = GammaGammaModel().fit(summary[summary["frequency"] > 0])
    value = customer_lifetime_value(holiday_model, spend, data, horizon=12, discount_rate=0.0)
    np.testing.assert_allclose(
        value["expected_purchases"], holiday_model.predict_purchases(data, 12), rtol=1e-10
    )
    weekly = holiday_model.predict_purchases_by_period(data, 12)
    rate = (1.0 + 0.1) ** (7 / 365.25) - 1.0  # a yearly 10% per week
    discounted = customer_lifetime_value(holiday_model, spend, data, horizon=12, discount_rate=0.1)
    expected = (weekly.to_numpy() * (1.0 + rate) ** -np.arange(1.0, 13.0)).sum(axis=1)
    np.testing.assert_allclose(
        discounted["clv"], expected * discounted["expected_spend"], rtol=1e-9
    )
    covariates = sim.covariates  # type: ignore[attr-defined]
    campaign = covariates[covariates["period_start"] >= "2024-12-30"].assign(holiday=1.0)
    planned = customer_lifetime_value(
        holiday_model, spend, data.with_future_covariates(campaign), horizon=12
    )
    assert (planned["clv"] > discounted["clv"]).all()
    with_interval = customer_lifetime_value(
        holiday_model, spend, data, horizon=12, interval="delta"
    )
    assert (with_interval["clv_lower"] <= with_interval["clv"]).all()
    assert (with_interval["clv"] <= with_interval["clv_upper"]).all()
    with pytest.raises(DataContractError, match="bootstrap"):
        customer_lifetime_value(holiday_model, spend, data, horizon=12, interval="bootstrap")
    with pytest.raises(DataContractError, match="TimeVaryingSummary"):
        customer_lifetime_value(holiday_model, spend, summary, horizon=12)


def test_saved_model_predicts_the_same(
    seasonal: tuple[TimeVaryingSummary, object],
    holiday_model: TimeVaryingParetoNBDModel,
    tmp_path: Path,
) -> None:
    data, _ = seasonal
    holiday_model.save(tmp_path / "model.json")
    loaded = TimeVaryingParetoNBDModel.load(tmp_path / "model.json")
    assert loaded.purchase_covariates == ["holiday", "season_cos"]
    pd.testing.assert_series_equal(loaded.params_, holiday_model.params_)
    pd.testing.assert_series_equal(
        loaded.predict_purchases(data, 6), holiday_model.predict_purchases(data, 6)
    )


def test_calendar_covariates_describe_each_week() -> None:
    table = calendar_covariates(
        "2024-01-03", 60, fourier=2, months=True, holidays={"black_friday": ["2024-11-29"]}
    )
    assert table["period_start"].iloc[0] == pd.Timestamp("2024-01-01")  # the Monday
    assert (table["period_start"].dt.day_of_week == 0).all()
    np.testing.assert_allclose(table["season_sin"] ** 2 + table["season_cos"] ** 2, 1.0)
    months = table[[f"month_{m}" for m in range(2, 13)]].sum(axis=1)
    assert set(months) <= {0.0, 1.0}
    assert months.iloc[0] == 0.0  # January is the baseline
    marked = table.loc[table["black_friday"] == 1.0, "period_start"]
    assert list(marked) == [pd.Timestamp("2024-11-25")]
    assert table.columns.tolist()[:5] == [
        "period_start",
        "season_sin",
        "season_cos",
        "season_sin2",
        "season_cos2",
    ]
    with pytest.raises(DataContractError, match="periods"):
        calendar_covariates("2024-01-01", 0)


def test_a_calendar_serves_every_customer() -> None:
    """A table without customer_id is the same calendar for all: same fit as the long table."""
    sim = simulate_seasonal_transactions(400, random_state=3)
    calendar = sim.covariates[sim.covariates["customer_id"] == 0].drop(columns="customer_id")
    shared = time_varying_summary(sim.transactions, calendar, calibration_end="2024-12-31")
    long = time_varying_summary(sim.transactions, sim.covariates, calibration_end="2024-12-31")
    a = TimeVaryingParetoNBDModel(purchase_covariates=["holiday"]).fit(shared)
    b = TimeVaryingParetoNBDModel(purchase_covariates=["holiday"]).fit(long)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-12)
    pd.testing.assert_series_equal(a.predict_purchases(shared, 8), b.predict_purchases(long, 8))
    with pytest.raises(DataContractError, match="future_covariates"):
        a.predict_purchases(shared, 200)  # beyond the calendar
    # A per-customer scenario on top of a calendar: the calendar is copied out to each.
    scenario = sim.covariates[sim.covariates["period_start"] >= "2025-01-06"].assign(holiday=1.0)
    scenario = scenario[scenario["customer_id"] < 200]
    on_calendar = a.predict_purchases(shared.with_future_covariates(scenario), 8)
    on_long = a.predict_purchases(long.with_future_covariates(scenario), 8)
    pd.testing.assert_series_equal(on_calendar, on_long)
    assert (on_calendar.iloc[:200] > a.predict_purchases(shared, 8).iloc[:200]).all()
    repeated = pd.concat([calendar, calendar.iloc[[3]]], ignore_index=True)
    with pytest.raises(DataContractError, match="a calendar twice"):
        time_varying_summary(sim.transactions, repeated, calibration_end="2024-12-31")


def test_a_sale_week_lifts_exactly_its_own_forecast_week() -> None:
    """Purchases of day d are charged to day d's covariates, in the forecast as in the fit."""
    sim = simulate_seasonal_transactions(600, random_state=5)
    # Calibration ends on a Sunday, so forecast weeks are the calendar's Monday weeks.
    data = time_varying_summary(sim.transactions, sim.covariates, calibration_end="2024-12-29")
    model = TimeVaryingParetoNBDModel(purchase_covariates=["holiday"]).fit(data)
    future = sim.covariates[sim.covariates["period_start"] >= "2024-12-30"]
    quiet = future.assign(holiday=0.0)
    sale = quiet.assign(holiday=(quiet["period_start"] == "2025-01-13").astype(float))
    base = model.predict_purchases_by_period(data, 4, future_covariates=quiet)
    lifted = model.predict_purchases_by_period(data, 4, future_covariates=sale)
    assert list(base.columns) == list(pd.date_range("2024-12-30", periods=4, freq="7D"))
    ratio = (lifted / base).to_numpy()
    effect = np.exp(model.params_["purchase:holiday"])
    np.testing.assert_allclose(ratio[:, 2], effect, rtol=1e-9)
    np.testing.assert_allclose(ratio[:, [0, 1, 3]], 1.0, rtol=1e-9)
