"""Needs segments: a conforming scikit-learn clusterer that finds, names and re-finds segments."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from one2one.differentiate import NeedsSegmenter
from one2one.errors import DataContractError, NotFittedError


@parametrize_with_checks([NeedsSegmenter(), NeedsSegmenter(method="gmm", n_init=1)])
def test_scikit_learn_conformance(estimator, check):
    check(estimator)


def _blobs(n_per=200, seed=0):
    """Four needs groups: web shoppers, store shoppers, bargain hunters, e-mail readers."""
    rng = np.random.default_rng(seed)
    names = ["web_visits", "store_visits", "discount_share", "email_opens", "basket"]
    centres = np.array(
        [[8, 1, 0.1, 2, 50], [1, 6, 0.1, 1, 60], [3, 3, 0.8, 2, 20], [2, 2, 0.2, 12, 45]],
        dtype=float,
    )
    spread = np.array([1.0, 1.0, 0.05, 1.0, 5.0])
    rows = [c + rng.normal(size=(n_per, 5)) * spread for c in centres]
    truth = np.repeat(np.arange(4), n_per)
    return pd.DataFrame(np.vstack(rows), columns=names), truth


def test_auto_finds_the_four_groups_and_names_what_sets_them_apart():
    X, truth = _blobs()
    segmenter = NeedsSegmenter().fit(X)
    assert segmenter.n_segments_ == 4
    assert adjusted_rand_score(truth, segmenter.labels_) > 0.95
    # The e-mail readers' segment is described by e-mail opens first.
    readers = segmenter.predict(X.iloc[[-1]])[0]
    assert "high email_opens" in segmenter.describe(top=1)[readers]
    assert list(segmenter.profiles_["customers"]) == sorted(
        segmenter.profiles_["customers"], reverse=True
    )
    assert segmenter.profiles_["share"].sum() == pytest.approx(1.0)
    assert set(segmenter.selection_["k"]) == set(range(2, 11))


def test_gmm_chooses_by_bic_and_gives_probabilities():
    X, truth = _blobs(seed=1)
    segmenter = NeedsSegmenter(method="gmm").fit(X)
    assert segmenter.n_segments_ == 4
    assert adjusted_rand_score(truth, segmenter.labels_) > 0.95
    proba = segmenter.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), segmenter.labels_)
    assert not hasattr(NeedsSegmenter(), "predict_proba")


def test_real_segments_are_stable_and_noise_is_not():
    X, _ = _blobs(n_per=100)
    stable = NeedsSegmenter().fit(X).stability(X, n_resamples=8)
    assert stable.mean > 0.95
    assert stable.low <= stable.mean <= stable.high
    noise = pd.DataFrame(np.random.default_rng(0).uniform(size=(400, 5)))
    unstable = NeedsSegmenter(n_segments=6).fit(noise).stability(noise, n_resamples=8)
    assert unstable.mean < stable.mean - 0.2


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(6, 40), st.integers(1, 4)), elements=finite),
    st.integers(1, 4),
)
def test_a_training_customer_is_assigned_its_fitted_segment(X, k):
    X = X + np.arange(len(X))[:, None] * 1e-3  # no constant feature
    segmenter = NeedsSegmenter(n_segments=min(k, len(np.unique(X, axis=0))), n_init=1).fit(X)
    np.testing.assert_array_equal(segmenter.predict(X), segmenter.labels_)
    counts = np.bincount(segmenter.labels_)
    assert list(counts) == sorted(counts, reverse=True)


def test_bad_input_names_the_feature():
    X, _ = _blobs(n_per=10)
    with pytest.raises(DataContractError, match="email_opens") as error:
        NeedsSegmenter().fit(X.assign(email_opens=np.where(X.index == 3, np.nan, X["email_opens"])))
    assert error.value.column == "email_opens"
    assert error.value.row == 3
    with pytest.raises(DataContractError, match="same value"):
        NeedsSegmenter().fit(X.assign(store_visits=2.0))
    with pytest.raises(DataContractError, match="not numeric"):
        NeedsSegmenter().fit(X.assign(city="Leeds"))
    with pytest.raises(DataContractError, match="finite"):
        NeedsSegmenter().fit(X.assign(basket=np.where(X.index == 0, np.inf, X["basket"])))
    with pytest.raises(ValueError, match="1 sample"):
        NeedsSegmenter().fit(X.iloc[:1])
    with pytest.raises(DataContractError, match="n_segments"):
        NeedsSegmenter(n_segments=99).fit(X)
    with pytest.raises(NotFittedError):
        NeedsSegmenter().predict(X)
    with pytest.raises(ValueError, match="feature names"):
        NeedsSegmenter().fit(X).predict(X.rename(columns={"basket": "cart"}))
