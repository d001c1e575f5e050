"""Identify: recognise the same customer across records and channels.

The pipeline: a :class:`RecordSchema` says which column holds which
identity field; normalisers make one person's records comparable; blocking
rules (:class:`BlockingRule`, :class:`SortedNeighbourhood`) choose candidate
pairs, counted before any is built; :class:`Comparison` levels say how alike
two records are field by field; a :class:`FellegiSunter` model learnt
without labels turns levels into match weights; :func:`cluster_pairs` turns
scored pairs into one ``customer_id`` per record. :class:`RecordMatcher`
runs all of it in one call and explains any pair (:class:`MatchExplanation`);
:class:`IdentityResolver` keeps the customers, resolves one new record in
milliseconds and records merges and splits as :class:`IdentityEvent`; its
``remove`` and ``forget`` erase records and customers for deletion requests,
leaving no personal data behind (:class:`IdentityErasure` is the receipt);
``golden_record`` keeps one value per field and customer, chosen by declared
survivorship rules (:class:`GoldenRecordPolicy`), each with its :class:`Provenance`.
:func:`plot_parameters`, :func:`plot_match_weights`, :func:`plot_cluster_sizes` and
:func:`plot_threshold` draw the model, its customers and the choice of threshold (each
with a ``*_table`` of its numbers).
"""

from .._exports import public_api
from ._blocking import (
    BlockingRule,
    SortedNeighbourhood,
    blocking_quality,
    candidate_pairs,
    count_candidate_pairs,
)
from ._cluster import cluster_pairs, link_one_to_one
from ._compare import MISSING, Comparison, compare_pairs, default_comparisons
from ._evaluate import evaluate_links, linked_pairs, threshold_curve
from ._explain import FieldEvidence, MatchExplanation
from ._fellegi_sunter import FellegiSunter
from ._golden import (
    Custom,
    GoldenRecord,
    GoldenRecordPolicy,
    Longest,
    MostFrequent,
    MostRecent,
    MostTrusted,
    Provenance,
    SurvivorshipRule,
)
from ._matcher import MatchRule, RecordMatcher, default_blocking
from ._normalise import (
    LEGAL_FORMS,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_organisation,
    normalise_phone,
    normalise_postcode,
)
from ._plots import (
    cluster_sizes_table,
    match_weights_table,
    parameters_table,
    plot_cluster_sizes,
    plot_match_weights,
    plot_parameters,
    plot_threshold,
    threshold_table,
)
from ._resolver import IdentityErasure, IdentityEvent, IdentityResolver, Resolution
from ._schema import ROLES, RecordSchema

__all__ = [
    "LEGAL_FORMS",
    "MISSING",
    "ROLES",
    "BlockingRule",
    "Comparison",
    "Custom",
    "FellegiSunter",
    "FieldEvidence",
    "GoldenRecord",
    "GoldenRecordPolicy",
    "IdentityErasure",
    "IdentityEvent",
    "IdentityResolver",
    "Longest",
    "MatchExplanation",
    "MatchRule",
    "MostFrequent",
    "MostRecent",
    "MostTrusted",
    "Provenance",
    "RecordMatcher",
    "RecordSchema",
    "Resolution",
    "SortedNeighbourhood",
    "SurvivorshipRule",
    "blocking_quality",
    "candidate_pairs",
    "cluster_pairs",
    "cluster_sizes_table",
    "compare_pairs",
    "count_candidate_pairs",
    "default_blocking",
    "default_comparisons",
    "evaluate_links",
    "link_one_to_one",
    "linked_pairs",
    "match_weights_table",
    "normalise_date",
    "normalise_email",
    "normalise_name",
    "normalise_organisation",
    "normalise_phone",
    "normalise_postcode",
    "parameters_table",
    "plot_cluster_sizes",
    "plot_match_weights",
    "plot_parameters",
    "plot_threshold",
    "threshold_curve",
    "threshold_table",
]

__dir__ = public_api(globals(), __all__)
