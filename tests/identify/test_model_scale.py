"""The matching model learns the same thing from a small and a large file of one population.

Fitted on candidate pairs alone, the model's classes drift with size: blocking
gathers more namesakes and neighbours per record as a file grows, the related
classes follow them, and a household that was kept apart at 20k customers is
merged at 100k. Fitted over all pairs (``pairs_total``, the random pairs
standing in for those blocking left out) each class means the same at any size.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from one2one.datasets import CUSTOMER_BASE_PARAMS, IDENTITY_FIELDS, simulate_identities
from one2one.errors import DataContractError, DataWarning
from one2one.identify import Comparison, FellegiSunter, RecordMatcher, RecordSchema

SCHEMA = RecordSchema(
    record_id="record_id",
    **{field: field for field in IDENTITY_FIELDS},
    phone_country_code="61",
    email_provider_rules=True,
)

# Pairs whose verdict must not depend on the file's size (level per field; -1 missing).
PROBES = {
    "household members": {  # shared landline and address, different given name
        "given_name": "different",
        "surname": "exact",
        "phone": "exact",
        "street": "exact",
        "postcode": "exact",
        "city": "exact",
    },
    "a customer who moved": {
        "given_name": "exact",
        "surname": "exact",
        "email": "exact",
        "street": "different",
        "postcode": "different",
        "city": "different",
        "date_of_birth": "exact",
    },
    "namesakes in one city": {
        "given_name": "exact",
        "surname": "exact",
        "phone": "different",
        "street": "different",
        "postcode": "different",
        "city": "exact",
        "date_of_birth": "different",
    },
    "parent and child of one name": {
        "given_name": "exact",
        "surname": "exact",
        "phone": "exact",
        "street": "exact",
        "postcode": "exact",
        "city": "exact",
        "date_of_birth": "different",
    },
}
SMALL, LARGE = 4_000, 32_000


def _fit(n_records: int, *, over_all_pairs: bool) -> FellegiSunter:
    """The matcher's model refitted on its own candidate and random pairs, seeded."""
    sim = simulate_identities(n_records, **CUSTOMER_BASE_PARAMS, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the simulator's unreadable dates
        matcher = RecordMatcher(SCHEMA, progress=False, random_state=0).fit(sim.records)
        prepared = matcher._prepare(sim.records, None)
    n = len(prepared.left)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, n, size=(2, 200_000))
    a, b = np.minimum(a, b), np.maximum(a, b)
    candidate = np.asarray(prepared.i, dtype=np.int64) * n + np.asarray(prepared.j)
    keep = (a != b) & ~np.isin(a * n + b, candidate)  # pairs outside the candidates
    random_levels = pd.DataFrame(
        {
            c.field: c.compare_codes(
                prepared.encoded[c.field].left[a[keep]],
                prepared.encoded[c.field].left[b[keep]],
                prepared.encoded[c.field].uniques,
            )
            for c in matcher.comparisons_
        }
    )
    model = matcher.model_
    return FellegiSunter(
        model.comparisons, related_groups=model.related_groups, person_fields=model.person_fields
    ).fit(
        prepared.levels,
        random_levels,
        known_matches=prepared.matched_by != "model",
        pairs_total=n * (n - 1) / 2 if over_all_pairs else None,
    )


def _levels(model: FellegiSunter, probe: dict[str, str]) -> pd.DataFrame:
    row = {
        c.field: c.levels.index(probe[c.field]) if c.field in probe else -1
        for c in model.comparisons
    }
    return pd.DataFrame([row])


@pytest.fixture(scope="module")
def small_and_large() -> tuple[FellegiSunter, FellegiSunter]:
    return _fit(SMALL, over_all_pairs=True), _fit(LARGE, over_all_pairs=True)


@pytest.mark.slow
def test_m_of_every_level_agrees_within_005_across_sizes(small_and_large):
    small, large = small_and_large
    for field in small.fields:
        np.testing.assert_allclose(small.m_[field], large.m_[field], atol=0.05, err_msg=field)


@pytest.mark.slow
def test_a_pair_gets_the_same_verdict_in_a_small_and_a_large_file(small_and_large):
    small, large = small_and_large
    for name, probe in PROBES.items():
        p_small = float(small.predict_proba(_levels(small, probe))[0])
        p_large = float(large.predict_proba(_levels(large, probe))[0])
        # on candidate pairs alone the household pair went from 0.07 to 0.23
        assert abs(p_small - p_large) < 0.05, (name, p_small, p_large)
        assert (p_small > 0.5) == (name == "a customer who moved"), (name, p_small)


@pytest.mark.slow
def test_over_all_pairs_the_prior_is_the_share_of_matches_among_all_pairs(small_and_large):
    small, large = small_and_large
    # eight times the records: an eighth of the share, the same matches per record
    per_record_small = small.prior_ * (SMALL - 1) / 2
    per_record_large = large.prior_ * (LARGE - 1) / 2
    assert per_record_large == pytest.approx(per_record_small, rel=0.25)


def test_pairs_total_below_the_candidates_or_without_random_pairs_is_refused():
    comparisons = [Comparison("surname"), Comparison("date_of_birth")]
    levels = pd.DataFrame({"surname": [0, 1, 0, 1], "date_of_birth": [0, 1, 1, 0]})
    with pytest.raises(DataContractError, match="pairs_total") as error:
        FellegiSunter(comparisons).fit(levels, levels, pairs_total=3)
    assert error.value.column == "pairs_total"
    with pytest.raises(DataContractError, match="random_levels"):
        FellegiSunter(comparisons).fit(levels, pairs_total=100)


def test_when_blocking_kept_every_pair_there_is_nothing_outside_to_weigh():
    comparisons = [Comparison("surname"), Comparison("date_of_birth")]
    levels = pd.DataFrame({"surname": [0, 0, 0, 1, 1, 1], "date_of_birth": [0, 0, 1, 1, 1, 0]})
    alone = FellegiSunter(comparisons).fit(levels)
    nothing_outside = FellegiSunter(comparisons).fit(levels, levels.iloc[:0], pairs_total=6)
    assert nothing_outside.prior_ == pytest.approx(alone.prior_)
    for field in alone.fields:
        np.testing.assert_allclose(nothing_outside.m_[field], alone.m_[field])
