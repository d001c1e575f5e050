"""Uplift: known effects recovered, curves order-free and right by hand, a guarded policy."""

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from one2one.datasets import simulate_campaign
from one2one.differentiate import (
    ClassTransformationUplift,
    TwoModelUplift,
    auuc_score,
    check_assignment,
    qini_curve,
    targeting_policy,
    uplift_at_k,
    uplift_curve,
)
from one2one.errors import (
    DataContractError,
    NonRandomAssignmentError,
    NonRandomAssignmentWarning,
    NotFittedError,
)

LEARNERS = [TwoModelUplift, ClassTransformationUplift]


@pytest.fixture(scope="module")
def campaigns():
    return simulate_campaign(30_000, random_state=11), simulate_campaign(30_000, random_state=12)


@pytest.mark.parametrize("learner", LEARNERS)
def test_known_heterogeneous_effects_are_recovered(campaigns, learner):
    train, test = campaigns
    model = learner().fit(train.features, train.response, train.treatment)
    predicted = model.predict(test.features)
    assert spearmanr(predicted, test.true_uplift).statistic > 0.5
    oracle = auuc_score(test.response, test.treatment, test.true_uplift)
    shuffled = np.random.default_rng(0).permutation(predicted)
    assert oracle > 0.03
    assert auuc_score(test.response, test.treatment, predicted) > 0.5 * oracle
    assert abs(auuc_score(test.response, test.treatment, shuffled)) < 0.3 * oracle
    assert uplift_at_k(test.response, test.treatment, predicted, k=0.2) > test.true_uplift.mean()


def test_two_model_takes_any_estimator_and_amounts(campaigns):
    train, test = campaigns
    logistic = TwoModelUplift(LogisticRegression(max_iter=1000)).fit(
        train.features, train.response, train.treatment
    )
    assert np.all(np.abs(logistic.predict(test.features)) <= 1)
    revenue = train.response * train.features["monetary"]
    amounts = TwoModelUplift(LinearRegression()).fit(train.features, revenue, train.treatment)
    assert amounts.predict(test.features).shape == (len(test.features),)
    with pytest.raises(DataContractError, match="0/1 outcome"):
        TwoModelUplift(LogisticRegression()).fit(train.features, revenue, train.treatment)


def test_class_transformation_balances_unequal_groups():
    train = simulate_campaign(30_000, treated_share=0.8, random_state=3)
    test = simulate_campaign(20_000, random_state=4)
    model = ClassTransformationUplift().fit(train.features, train.response, train.treatment)
    assert model.treated_share_ == pytest.approx(0.8, abs=0.01)
    predicted = model.predict(test.features)
    # Unweighted, the label would be dominated by the treated group and the level off by ~0.3.
    assert abs(predicted.mean() - test.true_uplift.mean()) < 0.03
    with pytest.raises(DataContractError, match="sample_weight"):
        ClassTransformationUplift(KNeighborsClassifier()).fit(
            train.features, train.response, train.treatment
        )


def test_a_targeted_log_is_refused_or_warned_about():
    log = simulate_campaign(20_000, assignment="targeted", random_state=5)
    with pytest.raises(NonRandomAssignmentError, match="frequency") as error:
        TwoModelUplift().fit(log.features, log.response, log.treatment)
    assert error.value.auc > 0.7
    with pytest.warns(NonRandomAssignmentWarning):
        ClassTransformationUplift(assignment_check="warn").fit(
            log.features, log.response, log.treatment
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TwoModelUplift(assignment_check="ignore").fit(log.features, log.response, log.treatment)
    verdict = check_assignment(log.features, log.treatment)
    assert not verdict.random
    assert verdict.balance.index[0] == "frequency"


# A statistical check has false alarms by design (about 0.1% per example), so the examples
# are fixed: a run cannot fail by the luck of the draw.
@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.integers(0, 2**31 - 1), st.integers(200, 3000), st.floats(0.2, 0.8))
def test_a_coin_toss_passes_the_check(seed, n, share):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    flags = rng.random(n) < share
    if min(flags.sum(), (~flags).sum()) < 5:
        return
    # 3 null standard deviations: a false alarm rate near 0.1%; the seed is fixed per example.
    assert check_assignment(X, flags).auc <= check_assignment(X, flags).threshold + 0.02


def test_scikit_learn_conventions(campaigns):
    train, _ = campaigns
    for learner in LEARNERS:
        model = learner(LogisticRegression(), assignment_check="warn")
        assert clone(model).get_params()["assignment_check"] == "warn"
        with pytest.raises(NotFittedError):
            model.predict(train.features)
        assert model.fit(train.features, train.response, train.treatment) is model
        assert model.n_features_in_ == 6
        assert list(model.feature_names_in_) == list(train.features.columns)
        with pytest.raises(ValueError, match="feature names"):
            model.predict(train.features.iloc[:, :5])


def test_curves_by_hand():
    y = [1, 0, 0, 1, 0, 0]
    t = [1, 1, 0, 0, 1, 0]
    score = [0.9, 0.5, 0.4, 0.0, 0.3, 0.2]
    # Ranked: treated buyer, treated, control, treated, control, control buyer.
    assert qini_curve(y, t, score)["gain"].tolist() == [0, 1, 1, 1, 1, 1, 0]
    assert uplift_curve(y, t, score)["gain"].tolist() == pytest.approx(
        [0, 1, 1, 1.5, 4 / 3, 5 / 3, 0]
    )
    assert uplift_at_k(y, t, score, k=0.5) == pytest.approx(0.5)
    assert auuc_score(y, t, [1.0, 0, 0, -1, 0, 0]) == pytest.approx(1.0)


campaign_rows = st.lists(
    st.tuples(st.integers(0, 1), st.booleans(), st.integers(-3, 3)), min_size=10, max_size=60
)


@settings(max_examples=60)
@given(campaign_rows, st.randoms(use_true_random=False), st.sampled_from(["qini", "uplift"]))
def test_curves_are_order_free_and_end_at_the_total_effect(rows, random, curve):
    frame = pd.DataFrame(rows, columns=["y", "t", "score"])
    if frame["t"].sum() < 5 or (~frame["t"]).sum() < 5:
        return
    shuffled = frame.sample(frac=1.0, random_state=random.randint(0, 10**6))
    draw = qini_curve if curve == "qini" else uplift_curve
    a = draw(frame["y"], frame["t"], frame["score"])
    b = draw(shuffled["y"], shuffled["t"], shuffled["score"])
    pd.testing.assert_frame_equal(a, b)
    treated, control = frame[frame["t"]], frame[~frame["t"]]
    lift = treated["y"].mean() - control["y"].mean()
    total = lift * len(treated) if curve == "qini" else lift * len(frame)
    assert a["gain"].iloc[-1] == pytest.approx(total)
    constant = pd.Series(0.0, index=frame.index)
    area = None
    with contextlib.suppress(DataContractError):  # raised when no ranking can beat random
        area = auuc_score(frame["y"], frame["t"], constant, curve=curve)
    if area is not None:
        assert area == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=60)
@given(
    st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=40),
    st.floats(0, 100),
    st.floats(0, 5),
    st.none() | st.integers(0, 40),
)
def test_the_policy_contacts_only_customers_worth_the_cost(uplift, value, cost, budget):
    policy = targeting_policy(pd.Series(uplift), value=value, cost=cost, budget=budget)
    contacted = policy[policy["contact"]]
    assert (contacted["expected_net"] > 0).all()
    if budget is not None:
        assert len(contacted) <= budget
        left_out = policy[~policy["contact"] & (policy["expected_net"] > 0)]
        if len(left_out) and budget > 0:
            assert len(contacted) == budget
            assert contacted["expected_net"].min() >= left_out["expected_net"].max()
    np.testing.assert_allclose(policy["expected_net"], np.array(uplift) * value - cost)


def test_bad_input_is_refused(campaigns):
    train, _ = campaigns
    X, y, t = train.features.iloc[:500], train.response.iloc[:500], train.treatment.iloc[:500]
    with pytest.raises(DataContractError, match="treatment") as error:
        TwoModelUplift().fit(X, y, t.astype(int).replace({1: 2}))
    assert error.value.column == "treatment"
    with pytest.raises(DataContractError, match="at least 5"):
        TwoModelUplift().fit(X, y, pd.Series(data=True, index=X.index))
    with pytest.raises(DataContractError, match="finite number"):
        TwoModelUplift().fit(X, y.astype(float).where(y.index != 7), t)
    with pytest.raises(DataContractError, match="recency_days"):
        TwoModelUplift().fit(X.assign(recency_days=np.inf), y, t)
    with pytest.raises(DataContractError, match="0/1"):
        ClassTransformationUplift().fit(X, y * 3, t)
    with pytest.raises(DataContractError, match="missing for customer"):
        targeting_policy(pd.Series([0.1, 0.2], index=["a", "b"]), value=pd.Series({"a": 1.0}))
    with pytest.raises(DataContractError, match="alike"):
        auuc_score([0] * 10, [0, 1] * 5, range(10))
