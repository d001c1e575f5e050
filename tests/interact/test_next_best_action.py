"""Next-best-action: rules first, learners that converge, offers logged for evaluation."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from one2one.errors import DataContractError, MissingDependencyError
from one2one.interact import (
    BetaThompson,
    ContactPolicy,
    FrequencyCap,
    Interaction,
    InteractionLog,
    LinearThompson,
    NextBestAction,
    Offer,
    logged_decisions,
    off_policy_value,
)

AT = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def _regret_halves(rates_for, choose, update, steps, rng):
    regret = []
    for _ in range(steps):
        rates, x = rates_for(rng)
        j = choose(x)
        update(j, x, float(rng.random() < rates[j]))
        regret.append(rates.max() - rates[j])
    regret = np.array(regret)
    return regret[: steps // 2].sum(), regret[steps // 2 :].sum(), regret


def test_thompson_finds_the_best_offer_and_regret_grows_sublinearly():
    offers = ["a", "b", "c"]
    true = np.array([0.04, 0.08, 0.12])
    learner = BetaThompson(random_state=1)
    rng = np.random.default_rng(2)
    first, second, regret = _regret_halves(
        lambda _: (true, None),
        lambda _: learner.choose(offers)[0],
        lambda j, _, r: learner.update(offers[j], None, r),
        4_000,
        rng,
    )
    assert second < 0.5 * first
    assert regret[-1_000:].mean() < 0.2 * regret[:200].mean() + 1e-9
    assert np.argmax(learner.expected(offers)) == 2


def test_linear_thompson_learns_which_customer_wants_which_offer():
    offers = ["a", "b", "c"]
    weights = np.array([[1.5, 0.0], [0.0, 1.5], [-1.0, -1.0]])
    learner = LinearThompson(2, random_state=3)
    rng = np.random.default_rng(4)

    def rates_for(rng):
        x = rng.normal(size=2)
        return 1 / (1 + np.exp(-(weights @ x - 1.0))), x

    first, second, regret = _regret_halves(
        rates_for,
        lambda x: learner.choose(offers, x)[0],
        lambda j, x, r: learner.update(offers[j], x, r),
        3_000,
        rng,
    )
    assert second < 0.6 * first
    assert regret[-500:].mean() < 0.5 * regret[:500].mean()
    saved = LinearThompson.from_dict(json.loads(json.dumps(learner.to_dict())))
    x = np.array([2.0, -1.0])
    np.testing.assert_allclose(saved.expected(offers, x), learner.expected(offers, x))
    assert np.argmax(learner.expected(offers, x)) == 0


def test_propensities_are_the_probabilities_of_choosing():
    learner = BetaThompson(random_state=5)
    for _ in range(30):
        learner.update("a", None, 1.0)
        learner.update("b", None, 0.0)
    picks = [learner.choose(["a", "b"]) for _ in range(2_000)]
    share_a = np.mean([j == 0 for j, _ in picks])
    reported = np.mean([p for j, p in picks if j == 0])
    assert reported == pytest.approx(share_a, abs=0.03)


def _shop():
    log = InteractionLog()
    for customer in ("c1", "c2", "c3"):
        log.consent.grant(customer, "marketing", channel="email", at=AT - dt.timedelta(days=1))
    log.append(
        Interaction(customer_id="c1", occurred_at=AT, channel="web", kind="purchase", value=500.0)
    )
    offers = [
        Offer("vip", "email", eligible=lambda p: p is not None and p.value > 100),
        Offer("welcome", "email"),
        Offer("text", "sms"),
    ]
    return log, offers


def test_rules_consent_and_policy_come_before_learning():
    log, offers = _shop()
    nba = NextBestAction(
        log,
        offers,
        policy=ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=7))]),
        random_state=0,
    )
    action = nba.choose("c2", AT)
    assert action.offer.offer_id == "welcome"
    assert dict(action.excluded) == {"vip": "not eligible", "text": "no marketing consent for sms"}
    assert action.propensity == 1.0
    nba.record(action)
    blocked = nba.choose("c2", AT + dt.timedelta(days=1))
    assert blocked.offer is None
    assert "at most 1" in dict(blocked.excluded)["welcome"]
    vip = nba.choose("c1", AT + dt.timedelta(hours=1))
    assert vip.offer.offer_id in {"vip", "welcome"}
    with pytest.raises(DataContractError, match="distinct"):
        NextBestAction(log, [Offer("x", "email"), Offer("x", "email")])


def test_responses_in_the_log_teach_the_learner():
    log, offers = _shop()
    nba = NextBestAction(log, offers[1:2], random_state=0)
    action = nba.choose("c3", AT)
    made = nba.record(action)
    assert made.propensity == action.propensity
    log.append(
        Interaction(
            customer_id="c3",
            occurred_at=AT + dt.timedelta(hours=2),
            channel="email",
            kind="offer_accepted",
            offer_id="welcome",
        )
    )
    assert nba.learner.counts["welcome"] == [1.0, 0.0]
    fresh = NextBestAction(log, offers[1:2], random_state=0)
    assert fresh.learn_from_log() == 1
    assert fresh.learner.counts == nba.learner.counts
    decisions = logged_decisions(log)
    assert decisions[["offer_id", "reward"]].to_numpy().tolist() == [["welcome", 1.0]]


def test_off_policy_estimates_recover_a_known_policy_value():
    rng = np.random.default_rng(7)
    n = 30_000
    x = rng.normal(size=(n, 2))
    rates = np.column_stack(
        [0.1 + 0.08 * (x[:, 0] > 0), 0.1 + 0.08 * (x[:, 1] > 0), np.full(n, 0.12)]
    )
    logged = rng.integers(0, 3, n)
    reward = (rng.random(n) < rates[np.arange(n), logged]).astype(float)
    decisions = pd.DataFrame(
        {
            "offer_id": np.array(["a", "b", "c"])[logged],
            "propensity": 1 / 3,
            "features": [tuple(row) for row in x],
            "reward": reward,
        }
    )

    def target(features):
        return "a" if features[0] > 0 else ("b" if features[1] > 0 else "c")

    choice = np.where(x[:, 0] > 0, 0, np.where(x[:, 1] > 0, 1, 2))
    truth = rates[np.arange(n), choice].mean()
    estimate = off_policy_value(decisions, target)
    assert estimate.logged == pytest.approx(rates.mean(), abs=0.01)
    assert abs(estimate.dr - truth) < 3 * estimate.dr_standard_error + 0.002
    assert estimate.ips == pytest.approx(truth, abs=0.015)
    assert estimate.snips == pytest.approx(truth, abs=0.015)
    assert estimate.effective_sample_size == pytest.approx(n / 3, rel=0.1)
    with pytest.raises(DataContractError, match="unknown offer"):
        off_policy_value(decisions, lambda _: "zzz")


def test_append_and_learn_from_log_show_progress_when_asked(monkeypatch):
    from tests.progress_fakes import record_bars, without_tqdm  # noqa: PLC0415

    bars = record_bars(monkeypatch)
    log = InteractionLog()
    log.append(
        [
            Interaction(
                customer_id=f"c{k}",
                occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                channel="web",
                kind="view",
            )
            for k in range(5)
        ],
        progress=True,
    )
    nba = NextBestAction(log, [Offer("a", "web")], random_state=0)
    assert nba.learn_from_log(progress=True) == 0
    assert [(b.desc, b.steps, b.closed) for b in bars] == [
        ("append", ["stored", "subscribers told"], True),
        ("learning from the log", [], True),
    ]
    log.append(
        [
            {
                "customer_id": "c9",
                "occurred_at": "2026-01-02T00:00:00Z",
                "channel": "web",
                "kind": "view",
            }
        ]
    )  # "auto": one event is not worth a bar
    assert len(bars) == 2
    with pytest.raises(DataContractError):
        log.append([], progress="always")
    without_tqdm(monkeypatch)
    with pytest.raises(MissingDependencyError):
        nba.learn_from_log(progress=True)
