"""The matching model learns the same thing from a small and a large file of one population.

Fitted on candidate pairs alone, the model's classes drift with size: blocking
gathers more namesakes and neighbours per record as a file grows, the related
classes follow them, and a household that was kept apart at 20k customers is
merged at 100k. Fitted over all pairs (``pairs_total``, the random pairs
standing in for those blocking left out) each class means the same at any size.
"""

from __future__ import annotations

import json
import warnings

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import (
    CUSTOMER_BASE_PARAMS,
    IDENTITY_FIELDS,
    load_febrl,
    simulate_identities,
)
from one2one.errors import DataContractError, DataWarning
from one2one.identify import Comparison, FellegiSunter, RecordMatcher, RecordSchema
from one2one.identify._matcher import _members
from tests.identify.schemas import FEBRL

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


@attrs.frozen
class _Pairs:
    """What the matcher's model is fitted on: candidate and random pairs' levels."""

    model: FellegiSunter  # the matcher's own fit (its comparisons, groups, person fields)
    levels: pd.DataFrame
    random_levels: pd.DataFrame  # outside the candidates
    known: np.ndarray
    pairs_total: float

    def fit(self, *, over_all_pairs: bool = True, conditional: object = None) -> FellegiSunter:
        return FellegiSunter(
            self.model.comparisons,
            related_groups=self.model.related_groups,
            person_fields=self.model.person_fields,
            conditional=conditional,  # type: ignore[arg-type]
        ).fit(
            self.levels,
            self.random_levels,
            known_matches=self.known,
            pairs_total=self.pairs_total if over_all_pairs else None,
        )


def _pairs(n_records: int, seed: int = 7) -> _Pairs:
    """The matcher's candidate pairs on the customer base, and random pairs outside them."""
    sim = simulate_identities(n_records, **CUSTOMER_BASE_PARAMS, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the simulator's unreadable dates
        matcher = RecordMatcher(SCHEMA, progress=False, random_state=0).fit(sim.records)
        prepared = matcher._prepare(sim.records, None, fitting=True)  # the pairs it scored
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
    return _Pairs(
        model=matcher.model_,
        levels=prepared.levels,
        random_levels=random_levels,
        known=np.asarray(prepared.matched_by != "model"),
        pairs_total=n * (n - 1) / 2,
    )


def _fit(n_records: int, *, over_all_pairs: bool) -> FellegiSunter:
    """The matcher's model refitted on its own candidate and random pairs, seeded."""
    return _pairs(n_records).fit(over_all_pairs=over_all_pairs)


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


# --- dependent fields: a city given its postcode -------------------------------------------
@pytest.fixture(scope="module")
def dependent() -> tuple[FellegiSunter, FellegiSunter]:
    """Fitted with the city given the postcode (detected) and with every field alone."""
    pairs = _pairs(3_000, seed=11)
    return pairs.fit(conditional="auto"), pairs.fit(conditional=None)


def test_a_city_decided_by_its_postcode_is_scored_given_the_postcode(dependent):
    model, _ = dependent
    assert model.conditional_ == {"city": "postcode"}
    table = model.conditional_table().set_index(["given_level", "level"])["match_weight"]
    # given the same postcode the same city says nothing new; given another postcode the
    # same city is often a neighbour's: weaker evidence than after a typo in the postcode
    # or with no postcode to go by
    assert abs(table["exact", "exact"]) < 1.0
    assert table["different", "exact"] < table["<= 1 edits", "exact"]
    assert table["different", "exact"] < table["missing", "exact"] - 1.0
    # a move costs the postcode once, not the city again
    assert abs(table["different", "different"]) < 1.0


def test_a_move_costs_less_when_the_city_is_scored_given_the_postcode(dependent):
    model, alone = dependent
    assert alone.conditional_ == {}
    moved = _levels(model, PROBES["a customer who moved"])
    assert model.match_weight(moved)[0] > alone.match_weight(moved)[0] + 2.0


def test_febrl_has_no_dependent_fields():
    records = load_febrl("dataset1").records.reset_index()
    matcher = RecordMatcher(FEBRL, progress=False).fit(records)
    prepared = matcher._prepare(records, None, fitting=True)
    model = FellegiSunter(
        matcher.comparisons_, person_fields=matcher.model_.person_fields, conditional="auto"
    ).fit(prepared.levels, matcher._random_levels(prepared))
    assert model.conditional_ == {}  # suburb and postcode drawn apart: both count
    assert model.conditional_table().empty


def test_a_conditional_model_round_trips_through_json(dependent):
    model, _ = dependent
    back = FellegiSunter.from_dict(json.loads(json.dumps(model.to_dict())))
    assert back.conditional_ == {"city": "postcode"}
    probes = pd.concat([_levels(model, p) for p in PROBES.values()], ignore_index=True)
    np.testing.assert_allclose(back.match_weight(probes), model.match_weight(probes))
    pd.testing.assert_frame_equal(back.conditional_table(), model.conditional_table())


def test_a_conditional_field_must_be_compared_and_its_parent_not_conditional():
    comparisons = [Comparison("postcode"), Comparison("city"), Comparison("street")]
    levels = pd.DataFrame({"postcode": [0, 1, 0, 1], "city": [0, 1, 1, 0], "street": [1, 1, 0, 0]})
    with pytest.raises(DataContractError, match="suburb") as error:
        FellegiSunter(comparisons, conditional={"suburb": "postcode"}).fit(levels, levels)
    assert error.value.column == "conditional"
    with pytest.raises(DataContractError, match="no chains"):
        FellegiSunter(comparisons, conditional={"city": "postcode", "postcode": "street"}).fit(
            levels, levels
        )


def test_field_weights_add_up_to_the_match_weight(dependent):
    model, _ = dependent
    probes = pd.concat([_levels(model, p) for p in PROBES.values()], ignore_index=True)
    parts = model.field_weights(probes)
    assert list(parts.columns) == model.fields
    values = probes[model.fields].to_numpy()
    total = parts.sum(axis=1).to_numpy() - model._related_correction(values)
    np.testing.assert_allclose(total, model.match_weight(probes))
    # the city's part given a different postcode is not its marginal weight
    moved = _levels(model, PROBES["a customer who moved"])
    marginal = model.weights_table().set_index(["field", "level"])["match_weight"]
    assert model.field_weights(moved)["city"].iloc[0] > marginal["city", "different"] + 1.0


@settings(max_examples=50, deadline=None)
@given(
    keys=st.lists(st.integers(0, 50), max_size=30),
    table=st.lists(st.integers(0, 50), max_size=30),
    presorted=st.booleans(),
)
def test_members_agrees_with_isin_sorted_or_not(keys, table, presorted):
    values = np.asarray(sorted(table) if presorted else table, dtype=np.int64)
    asked = np.asarray(keys, dtype=np.int64)
    np.testing.assert_array_equal(_members(asked, values), np.isin(asked, values))
