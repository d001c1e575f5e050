"""Review of the time-varying Pareto/NBD: weekly occasions, hostile covariates, numerics.

Each test here failed before its fix (#16): a weekly occasion charged to the week before
it, a customer's likelihood moved by another customer's exposure, a scenario silently
ignored, a forecast read in the wrong time unit, and messages naming the wrong day.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import gammaln

from one2one.clv import (
    TimeVaryingParetoNBDModel,
    TimeVaryingSummary,
    calendar_covariates,
    time_varying_summary,
)
from one2one.clv._dyncov import Pieces, dyncov_loglik, dyncov_p_alive
from one2one.datasets import simulate_seasonal_transactions
from one2one.errors import DataContractError

from .test_dyncov import _log, _weekly


def _set_model(
    params: dict[str, float],
    *,
    purchase: tuple[str, ...] = (),
    dropout: tuple[str, ...] = (),
    period: str = "W",
) -> TimeVaryingParetoNBDModel:
    """A model with chosen parameters, as ``from_dict`` would restore it."""
    model = TimeVaryingParetoNBDModel(purchase_covariates=purchase, dropout_covariates=dropout)
    names = ["r", "alpha", "s", "beta", *(f"purchase:{c}" for c in purchase)]
    names += [f"dropout:{c}" for c in dropout]
    k = len(names)
    return TimeVaryingParetoNBDModel.from_dict(
        {
            "format": "one2one.clv",
            "version": 1,
            "model": "TimeVaryingParetoNBDModel",
            "config": model.get_params(),
            "params": {name: params[name] for name in names},
            "covariance": [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)],
            "log_likelihood": -1.0,
            "n_obs": 10.0,
            "period": period,
            "occasion_period": period,
            "diagnostics": None,
        }
    )


# --- weekly purchase occasions ----------------------------------------------------------

WEEKS = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]  # a distinct value per week


def _weekly_data(**kwargs: object) -> TimeVaryingSummary:
    log = _log([(1, "2024-01-03"), (1, "2024-01-19"), (2, "2024-01-08")])
    covariates = _weekly([1, 2], "2024-01-01", 10, promo=WEEKS)
    return time_varying_summary(
        log,
        covariates,
        freq="W",
        calibration_end="2024-02-01",
        observation_end="2024-02-20",
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_weekly_occasion_is_exposed_to_its_own_week() -> None:
    """Counted per Monday week, each week's exposure carries that week's covariates.

    Customer 1 bought in the weeks of Jan 1 and Jan 15, and is watched to the week of
    Jan 29: the weeks after the first purchase are Jan 8, 15 (the repeat), 22 and 29.
    Before the fix the exposure ran Tuesday to Monday, six days of it in the week before.
    """
    data = _weekly_data()
    pieces = data.pieces(["promo"], [])
    one = pieces.owner == 0
    np.testing.assert_allclose(pieces.length[one], [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(pieces.purchase[one, 0], [2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(pieces.after[one], [False, False, True, True])
    np.testing.assert_allclose(pieces.purchase_sum[:, 0], [3.0, 0.0])  # the week of Jan 15
    two = pieces.owner == 1
    np.testing.assert_allclose(pieces.purchase[two, 0], [3.0, 4.0, 5.0])


def test_a_sale_week_lifts_its_own_weekly_forecast_period() -> None:
    data = _weekly_data()
    model = _set_model(
        {"r": 0.8, "alpha": 5.0, "s": 0.7, "beta": 9.0, "purchase:promo": 0.5},
        purchase=("promo",),
    )
    future = _weekly([1, 2], "2024-02-05", 6, promo=[0.0] * 6)
    sale = future.assign(promo=(future["period_start"] == "2024-02-19").astype(float))
    base = model.predict_purchases_by_period(data, 4, future_covariates=future)
    lifted = model.predict_purchases_by_period(data, 4, future_covariates=sale)
    # The weeks after the calibration week (Jan 29) start on the Mondays from Feb 5.
    assert list(base.columns) == list(pd.date_range("2024-02-05", periods=4, freq="7D"))
    ratio = (lifted / base).to_numpy()
    np.testing.assert_allclose(ratio[:, 2], np.exp(0.5), rtol=1e-12)
    np.testing.assert_allclose(ratio[:, [0, 1, 3]], 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    ("shift", "step", "message"),
    [(-1, 7, "Mondays"), (0, 1, "whole weeks")],
)
def test_weekly_occasions_refuse_covariates_off_the_monday_weeks(
    shift: int, step: int, message: str
) -> None:
    """A Sunday-week (CLVTools') or daily grid cannot say which covariates a week's purchase saw."""
    log = _log([(1, "2024-01-03"), (1, "2024-01-19"), (2, "2024-01-10")])
    first = pd.Timestamp("2024-01-01") + pd.Timedelta(days=shift)
    starts = pd.date_range(first, "2024-03-10", freq=f"{step}D")
    covariates = pd.DataFrame(
        {
            "customer_id": np.repeat([1, 2], len(starts)),
            "period_start": np.tile(starts, 2),
            "promo": 1.0,
        }
    )
    window = {"calibration_end": "2024-02-01", "observation_end": "2024-03-01"}
    with pytest.raises(DataContractError, match=message) as caught:
        time_varying_summary(log, covariates, freq="W", **window)
    assert caught.value.column == "period_start"
    # Counted per day, the same covariates are fine.
    time_varying_summary(log, covariates, freq="D", **window)


# --- alignment messages and silent mismatches -------------------------------------------


LOG = _log([(1, "2024-01-03"), (1, "2024-01-20"), (1, "2024-02-07"), (2, "2024-01-10")])
PROMO = [0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]


def test_covariates_that_start_late_name_their_first_period() -> None:
    covariates = _weekly([1, 2], "2024-01-08", 7, promo=PROMO[1:])
    with pytest.raises(DataContractError, match="first period on 2024-01-08") as caught:
        time_varying_summary(LOG, covariates, observation_end="2024-02-20")
    assert caught.value.value == "2024-01-08"


def test_customer_ids_of_another_type_are_named() -> None:
    """Ids as text against numbers in the log match no customer: say so, not 'a gap'."""
    covariates = _weekly([1, 2], "2024-01-01", 8, promo=PROMO)
    covariates["customer_id"] = covariates["customer_id"].astype(str)
    with pytest.raises(DataContractError, match=r"customer ids.*'1'.*str.*int") as caught:
        time_varying_summary(LOG, covariates, observation_end="2024-02-20")
    assert caught.value.column == "customer_id"


def test_a_scenario_for_no_known_customer_is_refused() -> None:
    """A scenario whose ids match no customer changed nothing, silently."""
    covariates = _weekly([1, 2], "2024-01-01", 12, promo=[*PROMO, 0.0, 0.0, 0.0, 0.0])
    data = time_varying_summary(
        LOG, covariates, calibration_end="2024-02-07", observation_end="2024-02-20"
    )
    scenario = _weekly([1, 2], "2024-02-12", 4, promo=[1.0] * 4)
    scenario["customer_id"] = scenario["customer_id"].astype(str)
    with pytest.raises(DataContractError, match="customer ids"):
        data.with_future_covariates(scenario)
    # Some unknown customers among known ones are fine, as for the fitted covariates.
    mixed = pd.concat([_weekly([1, 9], "2024-02-12", 4, promo=[1.0] * 4)], ignore_index=True)
    data.with_future_covariates(mixed)


@pytest.mark.parametrize(
    "months",
    [
        pd.date_range("2023-07-01", periods=3, freq="MS"),  # 31, 31 days: looked regular
        pd.date_range("2023-12-01", periods=6, freq="MS"),
    ],
)
def test_monthly_covariates_are_refused_with_the_fix(months: pd.DatetimeIndex) -> None:
    log = _log([(1, "2023-07-05"), (1, "2023-08-20"), (2, "2023-08-10")])
    covariates = pd.DataFrame(
        {
            "customer_id": np.repeat([1, 2], len(months)),
            "period_start": np.tile(months, 2),
            "promo": 1.0,
        }
    )
    with pytest.raises(DataContractError, match=r"month.*every week") as caught:
        time_varying_summary(log, covariates, observation_end="2023-08-30")
    assert caught.value.column == "period_start"


def test_period_starts_at_midnight_elsewhere_name_the_time_zone() -> None:
    covariates = _weekly([1, 2], "2024-01-01", 8, promo=PROMO)
    covariates["period_start"] = covariates["period_start"].dt.tz_localize("America/New_York")
    with pytest.raises(DataContractError, match=r"tz='UTC'.*America/New_York"):
        time_varying_summary(LOG, covariates, observation_end="2024-02-20")
    # Read in their own zone they are midnights, and align.
    data = time_varying_summary(
        LOG, covariates, observation_end="2024-02-20", tz="America/New_York"
    )
    assert len(data.summary) == 2


def test_repeated_rows_name_the_customer_plainly() -> None:
    covariates = _weekly([1, 2], "2024-01-01", 8, promo=PROMO)
    repeated = pd.concat([covariates, covariates.iloc[[2]].assign(promo=5.0)], ignore_index=True)
    with pytest.raises(DataContractError, match=r"got customer 1 twice") as caught:
        time_varying_summary(LOG, repeated, observation_end="2024-02-20")
    assert "np.int64" not in str(caught.value)


# --- the model's API ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seasonal() -> tuple[TimeVaryingSummary, pd.DataFrame, pd.DataFrame]:
    sim = simulate_seasonal_transactions(300, random_state=3)
    data = time_varying_summary(sim.transactions, sim.covariates, calibration_end="2024-12-31")
    return data, sim.transactions, sim.covariates


@pytest.fixture(scope="module")
def fitted(
    seasonal: tuple[TimeVaryingSummary, pd.DataFrame, pd.DataFrame],
) -> TimeVaryingParetoNBDModel:
    data, _, _ = seasonal
    return TimeVaryingParetoNBDModel(
        purchase_covariates=["holiday"], dropout_covariates=["season_cos"]
    ).fit(data)


def test_a_summary_in_another_time_unit_is_refused(
    seasonal: tuple[TimeVaryingSummary, pd.DataFrame, pd.DataFrame],
    fitted: TimeVaryingParetoNBDModel,
) -> None:
    """Weekly rates read against days: P(alive) 0.07 instead of 0.40, silently."""
    _, log, covariates = seasonal
    daily = time_varying_summary(log, covariates, calibration_end="2024-12-31", time_unit="D")
    with pytest.raises(DataContractError, match="period") as caught:
        fitted.predict_proba_alive(daily)
    assert caught.value.column == "period"
    with pytest.raises(DataContractError, match="period"):
        fitted.predict_purchases(daily, "4W")
    with pytest.raises(DataContractError, match="period"):
        fitted.predict_purchases_by_period(daily, 3)


def test_save_and_load_keep_every_fitted_attribute(
    fitted: TimeVaryingParetoNBDModel, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model.json")
    loaded = TimeVaryingParetoNBDModel.load(tmp_path / "model.json")
    fitted_names = {a for a in vars(fitted) if a.endswith("_") and not a.startswith("_")}
    loaded_names = {a for a in vars(loaded) if a.endswith("_") and not a.startswith("_")}
    assert fitted_names <= loaded_names
    assert loaded.covariate_step_days_ == 7


def test_cumulative_purchases_take_horizons_in_any_order(
    seasonal: tuple[TimeVaryingSummary, pd.DataFrame, pd.DataFrame],
    fitted: TimeVaryingParetoNBDModel,
) -> None:
    data, _, _ = seasonal
    ordered = fitted.cumulative_purchases(data, [1.0, 2.0, 5.5])
    shuffled = fitted.cumulative_purchases(data, [5.5, 1.0, 2.0])
    np.testing.assert_allclose(shuffled, ordered[[2, 0, 1]], rtol=1e-12)
    np.testing.assert_allclose(fitted.cumulative_purchases(data, [0.0, 1.0])[0], 0.0)
    for bad in ([-1.0], [1.0, float("nan")], []):
        with pytest.raises(DataContractError, match="horizons"):
            fitted.cumulative_purchases(data, bad)


# --- numerics ----------------------------------------------------------------------------


def _two_customers(z_first: float) -> Pieces:
    """Customer 0: one piece under covariate value ``z_first``; customer 1: an ordinary one."""
    return Pieces(
        x=np.array([0.0, 2.0]),
        purchase_sum=np.array([[0.0], [1.0]]),
        owner=np.array([0, 1, 1, 1], dtype=np.intp),
        length=np.array([5.0, 3.0, 2.0, 4.0]),
        after=np.array([True, False, False, True]),
        purchase=np.array([[z_first], [0.0], [1.0], [0.0]]),
        dropout=np.array([[z_first], [0.0], [1.0], [0.0]]),
    )


def _alone() -> Pieces:
    both = _two_customers(0.0)
    return Pieces(
        x=both.x[1:],
        purchase_sum=both.purchase_sum[1:],
        owner=np.zeros(3, dtype=np.intp),
        length=both.length[1:],
        after=both.after[1:],
        purchase=both.purchase[1:],
        dropout=both.dropout[1:],
    )


@settings(max_examples=30, deadline=None)
@given(z=st.floats(0.0, 90.0), g=st.floats(0.2, 0.5))
def test_a_customers_likelihood_ignores_other_customers(z: float, g: float) -> None:
    """Exposures were summed across customers: a huge one swamped the next (80: LL off by 3.7)."""
    theta = np.array([0.7, 5.0, 0.8, 9.0, g, 0.3])
    ll, grad = dyncov_loglik(theta, _two_customers(z))
    alive = dyncov_p_alive(theta, _two_customers(z))
    expected, expected_grad = dyncov_loglik(theta, _alone())
    assert ll[1] == pytest.approx(expected[0], rel=1e-13, abs=1e-13)
    np.testing.assert_allclose(grad[1], expected_grad[0], rtol=1e-12, atol=1e-13)
    assert alive[1] == pytest.approx(dyncov_p_alive(theta, _alone())[0], rel=1e-13)


POSITIVE = [np.exp(-23.0), 0.5, 5.0, np.exp(23.0)]


@settings(max_examples=40, deadline=None)
@given(
    positive=st.tuples(
        st.sampled_from(POSITIVE),  # r
        st.sampled_from(POSITIVE),  # alpha
        st.sampled_from([np.exp(-23.0), 0.999999, 1.0, 1.000001, 3.0, np.exp(23.0)]),  # s
        st.sampled_from(POSITIVE),  # beta
    ),
    g=st.sampled_from([-50.0, -5.0, 0.0, 5.0, 50.0]),
)
def test_forecasts_stay_finite_and_ordered_at_extreme_parameters(
    seasonal: tuple[TimeVaryingSummary, pd.DataFrame, pd.DataFrame],
    positive: tuple[float, float, float, float],
    g: float,
) -> None:
    """Any parameters a saved model may hold give finite likelihoods and forecasts."""
    data, _, _ = seasonal
    r, alpha, s, beta = positive
    model = _set_model(
        {
            "r": r,
            "alpha": alpha,
            "s": s,
            "beta": beta,
            "purchase:holiday": g,
            "purchase:season_cos": -g,
            "dropout:holiday": g,
            "dropout:season_sin": -g / 2,
        },
        purchase=("holiday", "season_cos"),
        dropout=("holiday", "season_sin"),
    )
    values = model.cumulative_purchases(data, [1.0, 10.0, 50.0])  # no RuntimeWarning either
    alive = model.predict_proba_alive(data).to_numpy()
    pieces = data.pieces(["holiday", "season_cos"], ["holiday", "season_sin"])
    ll, grad = dyncov_loglik(model.params_.to_numpy(), pieces)
    # A dropout exposure far above the purchase one cancelled to 0 inside a log (NaN).
    assert np.isfinite(ll).all()
    assert np.isfinite(grad).all()
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (np.diff(values, axis=0) >= -1e-12 * values[1:]).all()
    assert np.isfinite(alive).all()


def test_calendar_holidays_take_a_single_date() -> None:
    one = calendar_covariates("2024-12-01", 6, holidays={"xmas": "2024-12-25"})
    listed = calendar_covariates("2024-12-01", 6, holidays={"xmas": ["2024-12-25"]})
    stamp = calendar_covariates("2024-12-01", 6, holidays={"xmas": pd.Timestamp("2024-12-25")})
    pd.testing.assert_frame_equal(one, listed)
    pd.testing.assert_frame_equal(stamp, listed)
    assert one["xmas"].tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def test_effects_do_not_depend_on_the_covariates_units(
    seasonal: tuple[TimeVaryingSummary, pd.DataFrame, pd.DataFrame],
) -> None:
    """A holiday flag given as 0/1000 (say, spend) is the same model, effects / 1000.

    Before, the search on the large covariate overflowed (numpy warnings out of
    ``fit``) and stopped short of the optimum (ConvergenceError).
    """
    _, log, covariates = seasonal
    table = covariates.assign(spend=covariates["holiday"] * 1000.0)
    data = time_varying_summary(log, table, calibration_end="2024-12-31")
    flag = TimeVaryingParetoNBDModel(
        purchase_covariates=["holiday"], dropout_covariates=["holiday"]
    ).fit(data)
    spend = TimeVaryingParetoNBDModel(
        purchase_covariates=["spend"], dropout_covariates=["spend"]
    ).fit(data)
    assert spend.log_likelihood_ == pytest.approx(flag.log_likelihood_, rel=1e-9)
    units = np.array([1.0, 1.0, 1.0, 1.0, 1000.0, 1000.0])
    np.testing.assert_allclose(spend.params_.to_numpy() * units, flag.params_, rtol=1e-5)
    np.testing.assert_allclose(
        spend.standard_errors_.to_numpy() * units, flag.standard_errors_, rtol=1e-3
    )


# --- brute force: the model's definition, integrated numerically --------------------------


def _brute_force(
    theta: np.ndarray,
    calendar: pd.DataFrame,
    days: list[str],
    calibration_end: str,
    horizon_days: int,
) -> tuple[float, float, float]:
    """Log-likelihood, P(alive) and expected purchases over the next days, by quadrature.

    Straight from the definition, with nothing from one2one: on the day after
    day k the rates are lambda exp(g_p promo) and mu exp(g_d (promo, season)) of
    day k + 1's calendar week (a purchase on day d closes the exposure of day
    d); time in weeks from the first purchase. The posterior over (lambda, mu)
    is integrated by nested ``quad``.
    """
    r, alpha, s, beta, g_p, g_d1, g_d2 = theta
    stamps = sorted(pd.Timestamp(d) for d in days)
    first, end = stamps[0], pd.Timestamp(calibration_end)
    x = len(stamps) - 1

    def rates(day: pd.Timestamp) -> tuple[float, float]:
        row = calendar[calendar["period_start"] <= day].iloc[-1]
        return (
            float(np.exp(g_p * row["promo"])),
            float(np.exp(g_d1 * row["promo"] + g_d2 * row["season"])),
        )

    n_days = (end - first).days
    daily = [rates(first + pd.Timedelta(days=k)) for k in range(1, n_days + horizon_days + 1)]
    a_day = np.array([a for a, _ in daily]) / 7.0  # exposure per day, in weeks
    c_day = np.array([c for _, c in daily]) / 7.0
    b_cum = np.concatenate([[0.0], np.cumsum(a_day)])
    d_cum = np.concatenate([[0.0], np.cumsum(c_day)])
    last = (stamps[-1] - first).days
    log_a = sum(np.log(rates(d)[0]) for d in stamps[1:])

    def alive(lam: float, mu: float) -> float:
        return float(np.exp(-lam * b_cum[n_days] - mu * d_cum[n_days]))

    def dead(lam: float, mu: float) -> float:
        """P(no purchase after t_x and gone by T | lambda, mu), day by day."""
        total = 0.0
        for k in range(last, n_days):
            rate = lam * a_day[k] + mu * c_day[k]
            start = np.exp(-lam * b_cum[k] - mu * d_cum[k])
            total += mu * c_day[k] * start * -np.expm1(-rate) / rate
        return total

    def future(lam: float, mu: float) -> float:
        """E[purchases in the horizon | alive at T, lambda, mu]."""
        total = 0.0
        for k in range(n_days, n_days + horizon_days):
            kept = np.exp(-mu * (d_cum[k] - d_cum[n_days]))
            total += lam * a_day[k] * kept * -np.expm1(-mu * c_day[k]) / (mu * c_day[k])
        return total

    def prior(lam: float, mu: float) -> float:
        log_p = r * np.log(alpha) + (r - 1) * np.log(lam) - alpha * lam - gammaln(r)
        log_p += s * np.log(beta) + (s - 1) * np.log(mu) - beta * mu - gammaln(s)
        return float(lam**x * np.exp(log_p + log_a))

    def both(f: Callable[[float, float], float]) -> float:
        def inner(mu: float) -> float:
            return float(quad(lambda lam: prior(lam, mu) * f(lam, mu), 0, np.inf, epsrel=1e-11)[0])

        return float(quad(inner, 0, np.inf, epsrel=1e-11)[0])

    z_alive = both(alive)
    z = z_alive + both(dead)
    expected = both(lambda lam, mu: alive(lam, mu) * future(lam, mu))
    return float(np.log(z)), z_alive / z, expected / z


@pytest.mark.parametrize(
    "theta",
    [
        np.array([0.7, 3.0, 0.9, 5.0, 0.8, 1.2, -0.7]),
        np.array([1.3, 8.0, 0.4, 2.0, -0.5, -0.9, 0.6]),
    ],
)
def test_likelihood_alive_and_forecast_match_quadrature(theta: np.ndarray) -> None:
    """Dropout covariates, a covariate in both processes, t_x == T, x = 0, a Monday start."""
    customers = {
        1: ["2024-01-03", "2024-01-20", "2024-02-11"],  # last purchase on the calibration end
        2: ["2024-01-10"],  # no repeat
        3: ["2024-01-08", "2024-01-29"],  # first purchase on a period boundary
    }
    log = _log([(c, d) for c, ds in customers.items() for d in ds])
    calendar = pd.DataFrame(
        {
            "period_start": pd.date_range("2024-01-01", periods=12, freq="7D"),
            "promo": [0.3, -1.1, 0.8, 0.0, 1.4, -0.2, 0.5, -0.9, 1.0, 0.1, -0.4, 0.7],
            "season": [1.0, 0.6, -0.3, 0.2, -1.2, 0.9, 0.4, -0.6, 0.0, 1.1, -0.8, 0.3],
        }
    )
    data = time_varying_summary(
        log, calendar, calibration_end="2024-02-11", observation_end="2024-03-20"
    )
    purchase, dropout = ["promo"], ["promo", "season"]
    model = _set_model(
        dict(zip(["r", "alpha", "s", "beta", "purchase:promo"], theta[:5], strict=True))
        | {"dropout:promo": theta[5], "dropout:season": theta[6]},
        purchase=("promo",),
        dropout=("promo", "season"),
    )
    ll, _ = dyncov_loglik(theta, data.pieces(purchase, dropout))
    alive = model.predict_proba_alive(data)
    expected = model.predict_purchases(data, "17D")  # two weeks and a half, across weeks
    for i, (customer, days) in enumerate(customers.items()):
        want = _brute_force(theta, calendar, days, "2024-02-11", 17)
        assert ll[i] == pytest.approx(want[0], abs=1e-8)
        assert alive[customer] == pytest.approx(want[1], rel=1e-8)
        assert expected[customer] == pytest.approx(want[2], rel=1e-8)


def _split_piece(pieces: Pieces, row: int, fraction: float) -> Pieces:
    """The same pieces with ``row`` cut in two at ``fraction``, and an empty piece after it."""
    parts = [pieces.length[row] * fraction, pieces.length[row] * (1 - fraction), 0.0]
    index = np.concatenate([np.arange(row + 1), [row, row], np.arange(row + 1, pieces.owner.size)])
    length = pieces.length[index].copy()
    length[row : row + 3] = parts
    return Pieces(
        x=pieces.x,
        purchase_sum=pieces.purchase_sum,
        owner=pieces.owner[index],
        length=length,
        after=pieces.after[index],
        purchase=pieces.purchase[index],
        dropout=pieces.dropout[index],
    )


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    fraction=st.floats(0.01, 0.99),
    g=st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3),
)
def test_cutting_a_piece_or_adding_an_empty_one_changes_nothing(
    seed: int, fraction: float, g: list[float]
) -> None:
    """The likelihood is an integral over time: how the window is cut cannot matter."""
    rng = np.random.default_rng(seed)
    n = 6
    counts = rng.integers(1, 6, n)
    owner = np.repeat(np.arange(n), counts).astype(np.intp)
    after = np.concatenate([np.arange(c) >= rng.integers(0, c + 1) for c in counts])
    x = np.array(
        [
            float(rng.integers(1, 5)) if not a[0] else 0.0
            for a in np.split(after, np.cumsum(counts)[:-1])
        ]
    )
    pieces = Pieces(
        x=x,
        purchase_sum=rng.normal(size=(n, 2)),
        owner=owner,
        length=rng.uniform(0.1, 3.0, owner.size),
        after=after,
        purchase=rng.normal(size=(owner.size, 2)),
        dropout=rng.normal(size=(owner.size, 1)),
    )
    theta = np.array([0.7, 6.0, 0.9, 11.0, *g])
    ll, grad = dyncov_loglik(theta, pieces)
    cut = _split_piece(pieces, int(rng.integers(0, owner.size)), fraction)
    ll_cut, grad_cut = dyncov_loglik(theta, cut)
    np.testing.assert_allclose(ll_cut, ll, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_cut, grad, rtol=1e-8, atol=1e-9)
