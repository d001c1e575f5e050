"""The batch pipeline: records -> candidate pairs -> match probabilities -> customers."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, cast, get_args, overload

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from .._progress import Progress, check_progress, progress_bar
from .._spark import SparkFrame, is_spark_frame, pyspark_functions
from .._validation import as_generator, require_frame, require_number
from ..errors import DataContractError, NotFittedError
from . import _persist as persist
from ._blocking import (
    Blocker,
    BlockingPlan,
    BlockingRule,
    Phonetic,
    SortedNeighbourhood,
    default_pair_budget,
    plan_blocking,
)
from ._cluster import cluster_frame, cluster_positions, link_one_to_one, warn_giant_clusters
from ._compare import (
    Comparison,
    EncodedField,
    comparison_from_dict,
    comparison_to_dict,
    default_comparisons,
    encode_fields,
)
from ._explain import FieldEvidence, MatchExplanation
from ._fellegi_sunter import FellegiSunter
from ._schema import RecordSchema

__all__ = ["MatchRule", "RecordMatcher", "default_blocking"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_SAVED_KEYS = (
    "schema",
    "config",
    "blocking",
    "comparisons",
    "match_rules",
    "fields",
    "model",
    "term_frequencies",
    "tf_floor",
)
_CONFIG_KEYS = (
    "term_frequency",
    "threshold",
    "group_link",
    "one_to_one",
    "random_pairs",
    "max_pairs",
    "random_state",
    "estimate_u",
    "swapped_names",
    "related_classes",
)
_RULES = ("rule", "sorted")
_PHONETICS = get_args(Phonetic)
_TF_FIELDS = ("given_name", "surname", "full_name", "city", "organisation", "street")
_SECONDS_PER_RECORD = 3e-5
"""Expected seconds of a fit per record, for ``progress="auto"``.

Measured with ``fit_predict`` on Febrl (5,000 records; 10,000 linked) and
simulated customer bases of 20,000 and 60,000 records: 30-80 microseconds a
record on 2 shared cores, the lower figure for the larger bases (a fixed
0.2 s goes to the random pairs). So a bar from about 70,000 records.
"""
_STEPS = ("standardise", "block", "compare", "score")
_NAMES = frozenset({"given_name", "surname"})
_RELATED = (
    ("surname", "street", "postcode", "city", "phone", "email"),  # a household, its mailbox
    ("postcode", "city"),  # neighbours
    ("given_name", "surname", "full_name"),  # namesakes
    ("date_of_birth",),  # same birthday
)
_PERSON = ("given_name", "full_name", "date_of_birth", "email", "account_id", "tax_id")


def _names(fields: Sequence[str] | str) -> tuple[str, ...]:
    return (fields,) if isinstance(fields, str) else tuple(fields)


def _check_rule_fields(_: object, __: object, fields: tuple[str, ...]) -> None:
    if not fields or not all(isinstance(f, str) and f for f in fields):
        msg = (
            f"a MatchRule needs at least one field name, each a non-empty text (got "
            f"{list(fields)!r}); e.g. MatchRule('email') or MatchRule(['surname', "
            "'date_of_birth'])."
        )
        raise DataContractError(msg, column="fields", value=list(fields))


@attrs.frozen
class MatchRule:
    """A deterministic rule: records agreeing exactly on all these fields are one customer.

    Rules run before the model: their pairs are always candidates, count as
    matches (probability 1) and seed the model's estimate of ``m``. Use them
    for identifiers you trust, such as a verified e-mail or an account id.

    ``fields`` are the schema's field names (``"email"``, ``"account_id"``),
    like everything after the :class:`RecordSchema`, not your column names:
    the rule compares standardised values. :meth:`RecordMatcher.fit` refuses
    a column name, saying which field it belongs to.

    Parameters
    ----------
    fields
        One field name, or several that must all agree exactly (and be
        present) for the rule to fire.

    Raises
    ------
    DataContractError
        If ``fields`` is empty or holds something other than non-empty text.

    Examples
    --------
    >>> MatchRule("email").name
    'same email'
    """

    fields: tuple[str, ...] = attrs.field(converter=_names, validator=_check_rule_fields)

    @property
    def name(self) -> str:
        """A readable name, shown in ``matched_by``."""
        return "same " + " and ".join(self.fields)


def default_blocking(fields: Sequence[str]) -> list[Blocker]:
    """Blocking rules for the declared fields that keep typos in any one field findable.

    Strong identifiers (e-mail, phone, account and tax ids) block alone;
    names block by their phonetic codes (either order) and in sorted order;
    date of birth blocks with the first letters of each name, and the city
    (else the postcode) with each whole name, so a typo in the other name is
    still caught; addresses block with their postcode or city. Check the
    cost with :func:`count_candidate_pairs` on large files: about 22 million
    pairs for a million people-records with every field declared.

    Parameters
    ----------
    fields
        The standardised fields the records have.

    Returns
    -------
    list of BlockingRule or SortedNeighbourhood
        The rules, strongest identifiers first; a sorted neighbourhood over
        every field when none of the known fields is declared.
    """
    have = set(fields)
    rules: list[Blocker] = [
        BlockingRule(f) for f in ("email", "phone", "account_id", "tax_id") if f in have
    ]
    names = [f for f in ("given_name", "surname") if f in have]
    if len(names) == 2:  # noqa: PLR2004 - given name and surname
        rules.append(BlockingRule(names, phonetic="nysiis", unordered=True))
        rules.append(SortedNeighbourhood(["surname", "given_name"], window=4))
    elif "full_name" in have:
        rules.append(BlockingRule("full_name", phonetic="nysiis"))
        rules.append(SortedNeighbourhood("full_name", window=4))
    if "organisation" in have:
        rules.append(BlockingRule("organisation", phonetic="nysiis"))
    if "date_of_birth" in have:
        rules.extend(BlockingRule(["date_of_birth", n], prefix=(None, 2)) for n in names)
        if not names and "full_name" in have:
            rules.append(BlockingRule(["date_of_birth", "full_name"], prefix=(None, 2)))
    locality = next((f for f in ("city", "postcode") if f in have), None)
    if locality is not None:
        rules.extend(BlockingRule([locality, n]) for n in names)
    if "street" in have:
        rules.extend(BlockingRule(["street", a]) for a in ("postcode", "city") if a in have)
    if "date_of_birth" in have and "postcode" in have:
        rules.append(BlockingRule(["date_of_birth", "postcode"]))
    if not rules:
        rules = [SortedNeighbourhood(list(fields), window=10)]
    return rules


@attrs.define
class _Prepared:
    """Standardised records, their candidate pairs and the pairs' levels."""

    left: pd.DataFrame
    right: pd.DataFrame | None
    encoded: dict[str, EncodedField]
    i: IntArray
    j: IntArray
    levels: pd.DataFrame
    matched_by: NDArray[np.object_]
    swapped: NDArray[np.bool_]


class RecordMatcher(BaseEstimator):  # type: ignore[misc]
    """Find the records that belong to the same customer, unsupervised by default.

    Records are standardised by the schema, paired by blocking rules,
    compared field by field and scored by a Fellegi-Sunter model learnt from
    the data itself (``u`` from random pairs, ``m`` and the prior by EM), with
    matches on rare names counting more than on common ones. Pairs are then
    grouped into customers.

    Parameters
    ----------
    schema
        Which column holds which identity field.
    blocking
        Blocking rules; :func:`default_blocking` of the declared fields if ``None``.
    comparisons
        Field comparisons; :func:`default_comparisons` if ``None``.
    match_rules
        Deterministic rules applied first (e.g. ``[MatchRule("email")]``).
    term_frequency
        Fields whose exact matches are weighted by how rare the value is;
        ``None`` means the name, street, city and organisation fields declared.
    threshold
        Match probability from which two records are the same customer.
    group_link
        Groups of several records merge only if their compared pairs average
        at least this probability (``None``: plain connected components).
    one_to_one
        When linking two files, match each record at most once (both files
        already free of duplicates).
    classifier
        A scikit-learn classifier used instead of Fellegi-Sunter when labels
        are given to :meth:`fit` (features: one indicator per field level).
    random_pairs
        Random pairs drawn to learn ``u``; by default two per record, at
        least 200,000 and at most 1,000,000 (enough for levels as rare as
        one in 100,000 pairs; more only costs time).
    max_pairs
        The pair budget: most candidate pairs to build. Rules over their
        share are refined or dropped before any pair is built, with a
        ``DataWarning`` (see :meth:`blocking_report`). ``None``: the pairs
        that fit in a quarter of this machine's memory, at most 50 per
        record (at least 100,000); pass a number to get the same plan on
        every machine.
    random_state
        Seed for the random pairs.
    estimate_u
        Re-estimate ``u`` among candidate pairs by EM (see :class:`FellegiSunter`).
    related_classes
        Learn classes of different-but-alike people (households sharing an
        address and phone, neighbours, namesakes) besides unrelated pairs, so
        family members are not merged (see :class:`FellegiSunter`).
    conditional
        Score fields that nearly decide each other together: ``"auto"``
        finds them among random pairs (a postcode decides the city), ``None``
        scores every field on its own, ``{field: parent}`` names them (see
        :class:`FellegiSunter`). Counted on its own, a city repeats the
        postcode's evidence, and a customer who moved loses it twice over.
    swapped_names
        Compare given name with surname and surname with given name too, and
        keep the better reading: forms get the two the wrong way round.
    progress
        A progress bar over the steps (standardise, block, compare, score):
        ``"auto"`` shows it when the work is expected to take over 2 s (from
        about 70,000 records) and a terminal or notebook watches, ``True``
        always (raising :class:`~one2one.errors.MissingDependencyError` if
        tqdm, the ``progress`` extra, is missing), ``False`` never.
        ``None`` is read as ``"auto"`` with a ``DeprecationWarning``.

    Examples
    --------
    >>> from one2one.datasets import load_febrl
    >>> from one2one.identify import RecordMatcher, RecordSchema, evaluate_links
    >>> schema = RecordSchema(
    ...     record_id="rec_id", given_name="given_name", surname="surname",
    ...     street="address_1", postcode="postcode", city="suburb",
    ...     date_of_birth="date_of_birth", account_id="soc_sec_id",
    ... )
    >>> data = load_febrl("dataset1")  # 500 people, each with one damaged duplicate
    >>> customer_id = RecordMatcher(schema).fit_predict(data.records.reset_index())
    >>> scores = evaluate_links(customer_id, data.true_links)
    >>> round(scores["precision"], 3), round(scores["recall"], 3)
    (1.0, 1.0)
    """

    def __init__(
        self,
        schema: RecordSchema,
        *,
        blocking: Sequence[Blocker] | None = None,
        comparisons: Sequence[Comparison] | None = None,
        match_rules: Sequence[MatchRule] = (),
        term_frequency: Sequence[str] | None = None,
        threshold: float = 0.9,
        group_link: float | None = 0.5,
        one_to_one: bool = False,
        classifier: Any = None,
        random_pairs: int | None = None,
        max_pairs: int | None = None,
        random_state: int | None = 0,
        progress: Progress | None = "auto",
        estimate_u: bool = False,
        swapped_names: bool = True,
        related_classes: bool = True,
        conditional: Mapping[str, str] | Literal["auto"] | None = "auto",
    ) -> None:
        self.conditional = conditional
        self.related_classes = related_classes
        self.swapped_names = swapped_names
        self.estimate_u = estimate_u
        self.schema = schema
        self.blocking = blocking
        self.comparisons = comparisons
        self.match_rules = match_rules
        self.term_frequency = term_frequency
        self.threshold = threshold
        self.group_link = group_link
        self.one_to_one = one_to_one
        self.classifier = classifier
        self.random_pairs = random_pairs
        self.max_pairs = max_pairs
        self.random_state = random_state
        self.progress = progress

    # -- fitting ------------------------------------------------------------
    def fit(
        self,
        records: pd.DataFrame | SparkFrame,
        other: pd.DataFrame | SparkFrame | None = None,
        *,
        labels: pd.DataFrame | None = None,
    ) -> RecordMatcher:
        """Learn how much each field's agreement says about a match.

        ``records`` may be a Spark DataFrame (the ``spark`` extra): each step
        then runs in Spark, calling this path's own code on batches of rows,
        and only one row per distinct level pattern (and the term
        frequencies the model keeps) reaches the driver. Records are numbered
        in record id order, so the fit equals the pandas fit on the records
        sorted by id (the same random pairs for ``u``); rules over their
        share of the pair budget are refined as here, from counts made in
        Spark. Linking takes a Spark ``other`` (or a pandas one, sent to
        the records' session), each file numbered in its own id order. Not
        on Spark yet: ``labels`` and a ``classifier``. The default budget
        there is 50 pairs a record without this machine's memory cap, as the
        pairs live in Spark.

        Parameters
        ----------
        records
            The records to deduplicate, or the left file when linking.
        other
            The right file, when linking two files.
        labels
            Known matching pairs (two columns of record ids, left then right):
            a supervised fit. Candidate pairs not listed count as non-matches.

        Returns
        -------
        RecordMatcher
            The fitted matcher itself.

        Raises
        ------
        DataContractError
            If the records break the schema (see :meth:`RecordSchema.validate`),
            a match rule names no field of the schema, or a parameter is out
            of range.
        MissingDependencyError
            If ``progress=True`` and tqdm (the ``progress`` extra) is not
            installed.
        """
        if is_spark_frame(records) or is_spark_frame(other):
            spark = _spark_module(records, labels)
            spark.fit(self, spark.prepare(self, records, other, fitting=True))
            return self
        self._fit_prepared(
            self._prepare(_pandas(records), _pandas_other(other), fitting=True), labels
        )
        return self

    def _fit_prepared(self, prepared: _Prepared, labels: pd.DataFrame | None) -> None:
        self._validate_config()
        comparisons = self.comparisons_
        self.term_frequencies_ = {
            name: _shares(prepared.encoded[name]) for name in self._tf_fields(prepared.left)
        }
        self.tf_floor_ = {
            name: 1.0 / max(int(prepared.encoded[name].counts().sum()), 1)
            for name in self.term_frequencies_
        }
        if labels is not None:
            truth = self._label(prepared, labels)
            if self.classifier is not None:
                self.model_ = FellegiSunter(comparisons).fit(prepared.levels, labels=truth)
                self.classifier_ = clone(self.classifier).fit(
                    _one_hot(prepared.levels, comparisons), truth
                )
                return
            self.model_ = FellegiSunter(comparisons).fit(prepared.levels, labels=truth)
            return
        random_levels = self._random_levels(prepared)
        known = prepared.matched_by != "model"
        self.model_ = FellegiSunter(
            comparisons,
            estimate_u=self.estimate_u,
            related_groups=_RELATED if self.related_classes else (),
            person_fields=_PERSON,
            conditional=self.conditional,
        ).fit(
            prepared.levels, random_levels, known_matches=known, pairs_total=_pairs_total(prepared)
        )

    def _validate_config(self) -> None:
        require_number(self.threshold, name="threshold", low=0.0, high=1.0)
        if self.group_link is not None:
            require_number(self.group_link, name="group_link", low=0.0, high=1.0)
        if self.random_pairs is not None:
            require_number(self.random_pairs, name="random_pairs", low=1, integer=True)

    def _prepare(
        self, records: pd.DataFrame, other: pd.DataFrame | None, *, fitting: bool = False
    ) -> _Prepared:
        """Standardise, block and compare: the pairs a fit learns from or a prediction scores.

        Only a fit (``fitting=True``) sets the fitted attributes (``fields_``,
        ``comparisons_``, ``blocking_``, ``blocking_plan_``); a prediction
        plans its own blocking for the records it is given and leaves the
        fitted model as it was.
        """
        with self._steps(len(require_frame(records, name="records"))) as step:
            step("standardise")
            left = self.schema.standardise(records)
            right = None if other is None else self.schema.standardise(other)
            fields = list(left.columns)
            self._check_match_rules(fields)
            if fitting:
                self.fields_ = fields
                self.comparisons_ = list(
                    default_comparisons(fields) if self.comparisons is None else self.comparisons
                )
            else:
                self._check_same_fields(fields)
            step("block")
            plan = self._plan_blocking(left, right, fields)
            i, j = plan.build()
            plan.warn(stacklevel=4)
            if fitting:
                self.blocking_ = plan.rules
                self.blocking_plan_ = plan.report()
            step("compare")
            encoded = encode_fields(
                left,
                sorted({*fields, *(f for r in self.match_rules for f in r.fields)}),
                other=right,
            )
            levels = pd.DataFrame(
                {
                    c.field: c.compare_codes(
                        encoded[c.field].left[i],
                        encoded[c.field].right[j],
                        encoded[c.field].uniques,
                    )
                    for c in self.comparisons_
                }
            )
            swapped = np.zeros(len(i), dtype=bool)
            if self.swapped_names:
                swapped = _unswap_names(levels, encoded, i, j, self.comparisons_)
            matched_by = np.full(len(i), "model", dtype=object)
            for rule in reversed(self.match_rules):
                hit = np.ones(len(i), dtype=bool)
                for name in rule.fields:
                    a, b = encoded[name].left[i], encoded[name].right[j]
                    hit &= (a == b) & (a >= 0)
                matched_by[hit] = rule.name
            step("score")
        return _Prepared(left, right, encoded, i, j, levels, matched_by, swapped)

    def _check_same_fields(self, fields: Sequence[str]) -> None:
        """Refuse records whose standardised fields differ from those the model was fitted on."""
        if list(fields) != list(self.fields_):
            msg = (
                f"the records give the fields {list(fields)}, but this matcher was fitted on "
                f"{list(self.fields_)}: predict with records in the same schema."
            )
            raise DataContractError(msg, column="records", value=list(fields))

    def _check_match_rules(self, fields: Sequence[str]) -> None:
        """Refuse rules that are not :class:`MatchRule` or name no field of the schema."""
        column_of = self.schema.fields()
        field_of = {column: name for name, column in column_of.items()}
        rules: Sequence[object] = self.match_rules  # a user may pass anything
        for rule in rules:
            if not isinstance(rule, MatchRule):
                msg = (
                    f"match_rules must hold MatchRule objects (got {rule!r}); write "
                    f"match_rules=[MatchRule({rule!r})]."
                )
                raise DataContractError(msg, column="match_rules", value=rule)
            for name in rule.fields:
                if name in fields:
                    continue
                if name in field_of:
                    msg = (
                        f"MatchRule takes the schema's field names, not column names: "
                        f"{name!r} is the column of field {field_of[name]!r}; write "
                        f"MatchRule({field_of[name]!r})."
                    )
                else:
                    msg = (
                        f"MatchRule field {name!r} is not a field of the schema; expected "
                        f"field names among {list(fields)} (field: column {column_of})."
                    )
                raise DataContractError(msg, column=name, value=name)

    def _plan_blocking(
        self, left: pd.DataFrame, right: pd.DataFrame | None, fields: Sequence[str]
    ) -> BlockingPlan:
        """Fit the blocking rules (and the match rules' keys) into the pair budget."""
        if self.max_pairs is None:
            budget = default_pair_budget(len(left) + (0 if right is None else len(right)))
        else:
            budget = int(require_number(self.max_pairs, name="max_pairs", low=1, integer=True))
        rules = list(default_blocking(fields) if self.blocking is None else self.blocking)
        exact = [BlockingRule(rule.fields) for rule in self.match_rules]
        return plan_blocking(left, rules, other=right, budget=budget, fixed=exact, warn=False)

    def blocking_report(
        self, records: pd.DataFrame | None = None, other: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Return the blocking plan: each rule's pairs, what was done to it, and the budget.

        Read it before a long run: with ``records`` (and ``other`` when
        linking) it plans the blocking of those records as :meth:`fit` would,
        builds the pairs to count the overlaps (seconds), and compares none.
        Without records it returns the plan of the last :meth:`fit` or
        :meth:`predict`.

        Parameters
        ----------
        records
            Records to plan for (the left file when linking); ``None`` for
            the plan of the last fit.
        other
            The right file, when linking two files.

        Returns
        -------
        pandas.DataFrame
            One row per blocking rule, then one per match rule's key, indexed
            by the rule's name, and a ``total`` row: ``pairs`` (the rule as
            given), ``budget`` (its share of the pair budget; the whole budget
            on the total row), ``action`` (``kept``, ``refined``, ``dropped``
            or ``match rule``), ``reason``, ``planned_rule`` (the rule built),
            ``planned_pairs``, ``largest_block_pairs`` and ``new_pairs``
            (pairs that no rule above found; on the total row, the pairs
            built, which the sum of ``planned_pairs`` and the budget bound).

        Raises
        ------
        NotFittedError
            If called without records before :meth:`fit`.

        Examples
        --------
        >>> from one2one.datasets import load_febrl
        >>> from one2one.identify import RecordMatcher, RecordSchema
        >>> schema = RecordSchema(record_id="rec_id", given_name="given_name",
        ...     surname="surname", date_of_birth="date_of_birth", postcode="postcode")
        >>> records = load_febrl("dataset1").records.reset_index()
        >>> report = RecordMatcher(schema).blocking_report(records)
        >>> int(report.loc["total", "budget"])  # 1,000 records: the 100,000 floor
        100000
        >>> report["action"].drop("total").unique().tolist()
        ['kept']
        """
        if records is None:
            if not hasattr(self, "blocking_plan_"):
                msg = (
                    "this RecordMatcher has no blocking plan yet; call fit() first, or pass "
                    "the records: blocking_report(records)."
                )
                raise NotFittedError(msg)
            return self.blocking_plan_.copy()
        left = self.schema.standardise(records)
        right = None if other is None else self.schema.standardise(other)
        plan = self._plan_blocking(left, right, list(left.columns))
        plan.build()
        return plan.report()

    @contextlib.contextmanager
    def _steps(self, n_records: int) -> Iterator[Callable[[str], None]]:
        """Yield ``step(name)``, which advances the progress bar (if any) by one named step."""
        progress: object = self.progress
        if progress is None:
            msg = (
                "RecordMatcher(progress=None) is deprecated; use progress='auto' (the default, "
                "which None now means), True or False."
            )
            warnings.warn(msg, DeprecationWarning, stacklevel=5)
            progress = "auto"
        with progress_bar(
            progress=check_progress(progress),
            total=len(_STEPS),
            desc="matching",
            expected_seconds=n_records * _SECONDS_PER_RECORD,
        ) as bar:
            yield bar.step

    def _tf_fields(self, left: pd.DataFrame) -> list[str]:
        wanted = _TF_FIELDS if self.term_frequency is None else tuple(self.term_frequency)
        compared = {c.field: c for c in self.comparisons_}
        return [f for f in wanted if f in left.columns and f in compared]

    def _random_levels(self, prepared: _Prepared) -> pd.DataFrame:
        """Levels of random pairs outside the candidates, standing for the pairs blocking left out.

        Nearly all are non-matches, so their level shares are ``u``.
        """
        rng = as_generator(self.random_state)
        n_left = len(prepared.left)
        n_right = n_left if prepared.right is None else len(prepared.right)
        total = n_left * (n_left - 1) // 2 if prepared.right is None else n_left * n_right
        wanted = (
            min(1_000_000, max(200_000, 2 * max(n_left, n_right)))
            if self.random_pairs is None
            else self.random_pairs
        )
        draws = int(min(wanted, max(total, 1)))
        a = rng.integers(0, n_left, size=draws)
        b = rng.integers(0, n_right, size=draws)
        if prepared.right is None:
            keep = a != b
            a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
        candidates = prepared.i.astype(np.int64) * n_right + prepared.j
        outside = ~_members(a.astype(np.int64) * n_right + b, candidates)
        a, b = a[outside], b[outside]
        return pd.DataFrame(
            {
                c.field: c.compare_codes(
                    prepared.encoded[c.field].left[a],
                    prepared.encoded[c.field].right[b],
                    prepared.encoded[c.field].uniques,
                )
                for c in self.comparisons_
            }
        )

    def _label(self, prepared: _Prepared, labels: pd.DataFrame) -> NDArray[np.bool_]:
        frame = require_frame(labels, name="labels")
        if frame.shape[1] < 2:  # noqa: PLR2004 - two record ids per pair
            msg = "labels must have two columns of record ids (left, right)."
            raise DataContractError(msg, column="labels")
        right = prepared.left if prepared.right is None else prepared.right
        a = prepared.left.index.astype("string").get_indexer(
            pd.Index(frame.iloc[:, 0].astype("string"))
        )
        b = right.index.astype("string").get_indexer(pd.Index(frame.iloc[:, 1].astype("string")))
        if prepared.right is None:
            a, b = np.minimum(a, b), np.maximum(a, b)
        known = a * len(right) + b
        return np.isin(prepared.i * len(right) + prepared.j, known[(a >= 0) & (b >= 0)])

    # -- scoring ------------------------------------------------------------
    @overload
    def predict_pairs(
        self, records: pd.DataFrame, other: pd.DataFrame | None = None
    ) -> pd.DataFrame: ...

    @overload
    def predict_pairs(
        self, records: SparkFrame, other: pd.DataFrame | SparkFrame | None = None
    ) -> SparkFrame: ...

    def predict_pairs(
        self, records: pd.DataFrame | SparkFrame, other: pd.DataFrame | SparkFrame | None = None
    ) -> pd.DataFrame | SparkFrame:
        """Score every candidate pair.

        The pairs, not the customers: what to read when choosing a threshold
        (:func:`threshold_curve`) or reviewing borderline cases. Given a
        Spark DataFrame, returns a Spark DataFrame with the same columns, in
        no particular order (see :meth:`fit`).

        Parameters
        ----------
        records
            The records to deduplicate, or the left file when linking, in
            the schema's columns.
        other
            The right file, when linking two files.

        Returns
        -------
        pandas.DataFrame
            ``left``, ``right`` (record ids), ``match_weight`` (log2 Bayes
            factor, term frequencies included), ``match_probability`` and
            ``matched_by`` (the deterministic rule that fired, or ``"model"``).

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        DataContractError
            If the records break the schema, or give other fields than the
            records the matcher was fitted on.
        """
        self._check_fitted()
        if is_spark_frame(records) or is_spark_frame(other):
            spark = _spark_module(records, None)
            prepared = spark.prepare(self, records, other, fitting=False)
            scored: SparkFrame = spark.score(self, prepared)
            return scored.drop("i", "j")
        return self._score(self._prepare(_pandas(records), _pandas_other(other)))

    def _score(self, prepared: _Prepared) -> pd.DataFrame:
        weight, probability = self._probabilities(prepared)
        right = prepared.left if prepared.right is None else prepared.right
        return pd.DataFrame(
            {
                "left": prepared.left.index[prepared.i],
                "right": right.index[prepared.j],
                "match_weight": weight,
                "match_probability": probability,
                "matched_by": pd.array(prepared.matched_by, dtype="string"),
            }
        )

    def _probabilities(self, prepared: _Prepared) -> tuple[FloatArray, FloatArray]:
        """Match weight and probability of every candidate pair (rules give 1)."""
        boost = {name: self._tf_adjustment(prepared, name) for name in self.term_frequencies_}
        ruled = np.asarray(prepared.matched_by != "model", dtype=bool)
        fields = [c.field for c in self.comparisons_]
        levels = prepared.levels[fields].to_numpy(dtype=np.int64)
        return self._weigh(levels, boost, ruled)

    def _weigh(
        self,
        levels: NDArray[np.int64],
        boost: Mapping[str, FloatArray],
        ruled: NDArray[np.bool_],
    ) -> tuple[FloatArray, FloatArray]:
        """Match weight and probability of compared pairs: one scoring for batch and live.

        ``levels`` has one column per comparison, in order; ``boost`` holds
        the term-frequency weights per field; a pair a match rule fired for
        is certain (probability 1). Arrays, not frames: the live path scores
        a record in about a millisecond.
        """
        weight = self.model_._weight_of(levels, boost)  # noqa: SLF001 - same room
        if hasattr(self, "classifier_"):
            frame = pd.DataFrame(levels, columns=[c.field for c in self.comparisons_])
            probability = self.classifier_.predict_proba(_one_hot(frame, self.comparisons_))[:, 1]
        else:
            probability = self.model_.probability(weight)
        return weight, np.where(ruled, 1.0, probability)

    def _tf_adjustment(self, prepared: _Prepared, name: str) -> FloatArray:
        """Term-frequency weight of every candidate pair agreeing exactly on ``name``."""
        field = prepared.encoded[name]
        a = field.left[prepared.i]
        exact = (prepared.levels[name].to_numpy() == 0) & (a >= 0)
        if name in _NAMES:  # crosswise names: the value belongs to the other field's table
            exact &= ~prepared.swapped
        per_value = self._tf_weights(name, field.uniques)
        adjustment = np.zeros(len(a))
        adjustment[exact] = per_value[a[exact]]
        return adjustment

    def _tf_weights(self, name: str, values: NDArray[np.object_]) -> FloatArray:
        """``log2(u_exact / share of the value)`` per value: agreeing on a rare value weighs more.

        An exact match on a common value still counts at least as a near match.
        """
        shares = self.term_frequencies_[name]
        floor = self.tf_floor_[name]
        share = np.fromiter((shares.get(v, floor) for v in values), dtype=float, count=len(values))
        u_exact = float(self.model_.random_u_[name][0])
        weights = self._field_weights[name]
        lowest = weights[1] - weights[0] if len(weights) > 2 else -np.inf  # noqa: PLR2004
        return np.asarray(np.maximum(np.log2(u_exact / np.maximum(share, floor)), lowest))

    @property
    def _field_weights(self) -> dict[str, FloatArray]:
        """Each field's weight per level, computed once per fitted model."""
        cached: tuple[object, dict[str, FloatArray]] | None = self.__dict__.get("_weights_cache")
        if cached is None or cached[0] is not self.model_:
            table = self.model_.weights_table()
            weights = {str(k): g["match_weight"].to_numpy() for k, g in table.groupby("field")}
            cached = (self.model_, weights)
            self.__dict__["_weights_cache"] = cached
        return cached[1]

    # -- one record at a time -----------------------------------------------
    def _score_one(
        self, record: Mapping[str, str | None], others: Mapping[str, NDArray[np.object_]]
    ) -> tuple[NDArray[np.int64], FloatArray, FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
        """Levels, weights, probabilities, rule hits and crosswise names against many records."""
        n = len(next(iter(others.values())))
        levels = (
            np.column_stack(
                [c.compare_one(record.get(c.field), others[c.field]) for c in self.comparisons_]
            ).astype(np.int64)
            if self.comparisons_
            else np.zeros((n, 0), dtype=np.int64)
        )
        fields = [c.field for c in self.comparisons_]
        swapped = np.zeros(n, dtype=bool)
        if self.swapped_names and "given_name" in fields and "surname" in fields:
            g, sn = fields.index("given_name"), fields.index("surname")
            cross_g = self.comparisons_[g].compare_one(record.get("given_name"), others["surname"])
            cross_s = self.comparisons_[sn].compare_one(record.get("surname"), others["given_name"])
            worst = len(self.comparisons_[g].levels) + len(self.comparisons_[sn].levels)
            direct = _rank(levels[:, g], worst) + _rank(levels[:, sn], worst)
            better = _rank(cross_g, worst) + _rank(cross_s, worst) < direct
            levels[better, g] = cross_g[better]
            levels[better, sn] = cross_s[better]
            swapped = better
        ruled = np.zeros(n, dtype=bool)
        for rule in self.match_rules:
            hit = np.ones(n, dtype=bool)
            for name in rule.fields:
                value = record.get(name)
                hit &= (others[name] == value) if value is not None else False
            ruled |= hit
        boost = self._tf_one(record, levels, fields, swapped)
        weight, probability = self._weigh(levels, boost, ruled)
        return levels, weight, probability, ruled, swapped

    def _tf_one(
        self,
        record: Mapping[str, str | None],
        levels: NDArray[np.int64],
        fields: Sequence[str],
        swapped: NDArray[np.bool_],
    ) -> dict[str, FloatArray]:
        """Term-frequency weight of ``record``'s values for each pair agreeing exactly."""
        boost = {}
        for name in self.term_frequencies_:
            exact = levels[:, fields.index(name)] == 0
            if name in _NAMES:
                exact &= ~swapped
            extra = np.zeros(len(levels))
            if exact.any():
                mine = np.asarray([record.get(name)], dtype=object)
                extra[exact] = self._tf_weights(name, mine)[0]
            boost[name] = extra
        return boost

    def explain(
        self, record: Mapping[str, object], other: Mapping[str, object]
    ) -> MatchExplanation:
        """Explain, field by field, how much two records look like one customer.

        Parameters
        ----------
        record, other
            Records as ``{column: value}`` in the schema's columns: a whole
            row of your data as a dict (columns the schema does not use are
            ignored), or only some of the schema's columns (the others count
            as missing).

        Returns
        -------
        MatchExplanation
            The prior, each field's evidence (levels, weights, term
            frequencies), the related-people correction and the probability.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        DataContractError
            For a key the schema does not read, in a record that lacks some of
            the schema's columns (a misspelt column would silently count as
            missing), and for a field name given instead of its column
            (``"date_of_birth"`` where the schema reads ``"dob"``). The
            message lists the schema's fields and columns.

        Examples
        --------
        >>> from one2one.datasets import load_febrl
        >>> from one2one.identify import RecordMatcher, RecordSchema
        >>> schema = RecordSchema(record_id="rec_id", given_name="given_name",
        ...     surname="surname", date_of_birth="date_of_birth", postcode="postcode")
        >>> records = load_febrl("dataset1").records.reset_index()
        >>> matcher = RecordMatcher(schema).fit(records)
        >>> a = {"given_name": "Ann", "surname": "Lee", "date_of_birth": "19700101"}
        >>> b = {"given_name": "Anne", "surname": "Lee", "date_of_birth": "19700101"}
        >>> matcher.explain(a, b).to_frame()["step"].tolist()
        ['prior', 'given_name', 'surname', 'postcode', 'date_of_birth', 'related people', 'total']
        """
        self._check_fitted()
        self._check_keys(record, "record")
        self._check_keys(other, "other")
        left = self.schema.standardise_one(record)
        right = self.schema.standardise_one(other)
        return self._explain_standardised(left, right)

    def _check_keys(self, record: Mapping[str, object], which: str) -> None:
        """Refuse keys of ``record`` that would silently be ignored by mistake."""
        column_of = self.schema.fields()
        columns = set(column_of.values())
        unknown = [k for k in record if k not in columns and k != self.schema.record_id]
        if not unknown:
            return
        misnamed = [k for k in unknown if k in column_of]
        if misnamed:
            key = misnamed[0]
            msg = (
                f"explain() takes records as {{column: value}} in the schema's columns; "
                f"{which} has the field name {key!r}, which the schema reads from column "
                f"{column_of[key]!r}. Fields and their columns: {column_of}."
            )
            raise DataContractError(msg, column=key, value=key)
        lacking = sorted(columns - set(record))
        if not lacking:
            return  # a whole row: its other columns are none of the schema's business
        key = unknown[0]
        msg = (
            f"explain() got {key!r} in {which}, which is no column of the schema, while "
            f"{which} lacks the column(s) {lacking}: a misspelt column would count as "
            f"missing. Expected keys among the schema's columns (field: column {column_of})."
        )
        raise DataContractError(msg, column=str(key), value=key)

    def _explain_standardised(
        self, left: Mapping[str, str | None], right: Mapping[str, str | None]
    ) -> MatchExplanation:
        others = {f: np.asarray([right.get(f)], dtype=object) for f in self._standard_fields()}
        levels, weight, probability, ruled, swapped = self._score_one(left, others)
        if swapped[0]:  # show what was compared with what
            right = {
                **right,
                "given_name": right.get("surname"),
                "surname": right.get("given_name"),
            }
        fields = [c.field for c in self.comparisons_]
        base_weights = self.model_.field_weights(pd.DataFrame(levels, columns=fields))
        evidence = []
        for column, comparison in enumerate(self.comparisons_):
            level = int(levels[0, column])
            name = comparison.field
            tf = 0.0
            if (
                level == 0
                and name in self.term_frequencies_
                and not (name in _NAMES and swapped[0])
            ):
                tf = float(self._tf_weights(name, np.asarray([left.get(name)], dtype=object))[0])
            base = 0.0 if level < 0 else float(base_weights[name].iloc[0])
            evidence.append(
                FieldEvidence(
                    field=name,
                    left=left.get(name),
                    right=right.get(name),
                    level="missing" if level < 0 else comparison.levels[level],
                    match_weight=base + tf,
                    term_frequency=tf,
                )
            )
        boost = self._tf_one(left, levels, fields, swapped)
        related = -float(self.model_._related_correction(levels, boost)[0])  # noqa: SLF001
        prior = float(np.log2(self.model_.prior_) - np.log2(1 - self.model_.prior_))
        return MatchExplanation(
            fields=tuple(evidence),
            prior_weight=prior,
            related_weight=related,
            match_weight=float(weight[0]),
            probability=float(probability[0]),
            matched_by="rule" if bool(ruled[0]) else "model",
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted matcher as JSON-ready data (not with a custom classifier).

        JSON, not pickle, so that a saved matcher can be read back without
        running code from the file.

        Returns
        -------
        dict of str to object
            The schema, configuration, rules, comparisons, fitted model and
            term frequencies; :meth:`from_dict` reads it back.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        DataContractError
            If the matcher uses a scikit-learn classifier (it cannot be saved
            without pickle).
        """
        self._check_fitted()
        if hasattr(self, "classifier_"):
            msg = "a matcher with a scikit-learn classifier cannot be saved without pickle."
            raise DataContractError(msg, column="classifier")
        return {
            "schema": self.schema.to_dict(),
            "config": {
                "term_frequency": None
                if self.term_frequency is None
                else list(self.term_frequency),
                "threshold": self.threshold,
                "group_link": self.group_link,
                "one_to_one": self.one_to_one,
                "random_pairs": self.random_pairs,
                "max_pairs": self.max_pairs,
                "random_state": self.random_state,
                "estimate_u": self.estimate_u,
                "swapped_names": self.swapped_names,
                "related_classes": self.related_classes,
                "conditional": self.conditional
                if self.conditional is None or isinstance(self.conditional, str)
                else dict(self.conditional),
            },
            "blocking": [_rule_to_dict(r) for r in self.blocking_],
            "comparisons": [comparison_to_dict(c) for c in self.comparisons_],
            "match_rules": [list(r.fields) for r in self.match_rules],
            "fields": list(self.fields_),
            "model": self.model_.to_dict(),
            "term_frequencies": self.term_frequencies_,
            "tf_floor": self.tf_floor_,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordMatcher:
        """Rebuild a fitted matcher written by :meth:`to_dict`.

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (e.g. read back from JSON).

        Returns
        -------
        RecordMatcher
            The fitted matcher, predicting as the saved one did.

        Raises
        ------
        DataContractError
            If a key is missing or unknown, a value has the wrong type or
            domain, or the parts disagree (a blocking rule or comparison on a
            field the schema does not declare): saved files are untrusted input.
        """
        return cls._from_dict(data, "matcher")

    @classmethod
    def _from_dict(cls, data: object, name: str) -> RecordMatcher:
        read = persist.mapping(data, name, keys=_SAVED_KEYS)
        schema = RecordSchema._from_dict(read["schema"], f"{name}.schema")  # noqa: SLF001
        fields = persist.text_list(read["fields"], f"{name}.fields", nonempty=True, unique=True)
        if set(fields) != set(schema.fields()):
            persist.fail(f"{name}.fields", f"the schema's fields {list(schema.fields())}", fields)
        rules = []
        for k, value in enumerate(persist.items(read["match_rules"], f"{name}.match_rules")):
            where = f"{name}.match_rules[{k}]"
            rule = persist.text_list(value, where, nonempty=True)
            _known(rule, fields, where)
            rules.append(MatchRule(tuple(rule)))
        standard = sorted({*fields, *(f for r in rules for f in r.fields)})
        blocking = [
            _rule_from_dict(r, f"{name}.blocking[{k}]", standard)
            for k, r in enumerate(persist.items(read["blocking"], f"{name}.blocking"))
        ]
        comparisons = [
            comparison_from_dict(c, f"{name}.comparisons[{k}]")
            for k, c in enumerate(persist.items(read["comparisons"], f"{name}.comparisons"))
        ]
        _known([c.field for c in comparisons], standard, f"{name}.comparisons")
        model = FellegiSunter._from_dict(read["model"], f"{name}.model")  # noqa: SLF001
        if list(model.comparisons) != comparisons:
            persist.fail(f"{name}.model.comparisons", "the matcher's comparisons", "others")
        matcher = cls(
            schema,
            blocking=blocking,
            comparisons=comparisons,
            match_rules=rules,
            **_config_from_dict(read["config"], f"{name}.config"),
        )
        compared = [c.field for c in comparisons]
        where = f"{name}.term_frequencies"
        table = persist.mapping(read["term_frequencies"], where)
        _known(list(table), compared, where)
        shares = {}
        for field, values in table.items():
            read_values = persist.mapping(values, f"{where}.{field}")
            shares[field] = {
                value: persist.number(
                    share, f"{where}.{field}.{value}", low=0.0, high=1.0, open_low=True
                )
                for value, share in read_values.items()
            }
        floors = persist.mapping(read["tf_floor"], f"{name}.tf_floor", keys=list(shares))
        matcher.blocking_ = blocking
        matcher.comparisons_ = comparisons
        matcher.fields_ = fields
        matcher.model_ = model
        matcher.term_frequencies_ = shares
        matcher.tf_floor_ = {
            f: persist.number(v, f"{name}.tf_floor.{f}", low=0.0, high=1.0, open_low=True)
            for f, v in floors.items()
        }
        return matcher

    def _standard_fields(self) -> list[str]:
        return sorted({*self.fields_, *(f for r in self.match_rules for f in r.fields)})

    @overload
    def predict(self, records: pd.DataFrame, other: pd.DataFrame | None = None) -> pd.Series: ...

    @overload
    def predict(
        self, records: SparkFrame, other: pd.DataFrame | SparkFrame | None = None
    ) -> SparkFrame: ...

    def predict(
        self, records: pd.DataFrame | SparkFrame, other: pd.DataFrame | SparkFrame | None = None
    ) -> pd.Series | SparkFrame:
        """Return a ``customer_id`` for every record.

        For deduplication the result is indexed by record id. When linking, it
        is indexed by ``(source, record_id)`` with ``source`` ``"left"`` or
        ``"right"``. Given a Spark DataFrame, returns a Spark DataFrame with
        the record id column (the schema's name) and ``customer_id`` (and,
        when linking, ``source`` first), the same customers and labels as
        the pandas path;
        the clustering runs per connected component of the pairs over the
        threshold (label propagation), so a component must fit one
        executor's memory (see :meth:`fit`).

        Parameters
        ----------
        records
            The records to deduplicate, or the left file when linking, in
            the schema's columns.
        other
            The right file, when linking two files.

        Returns
        -------
        pandas.Series
            ``customer_id`` per record (pandas ``string``): the smallest
            record id of its customer, so labels do not depend on row order.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        DataContractError
            If the records break the schema, or give other fields than the
            records the matcher was fitted on.

        Warns
        -----
        DataWarning
            If one customer gathers more than 50 records and more than 1% of
            all records (chains of weak links).
        """
        self._check_fitted()
        if is_spark_frame(records) or is_spark_frame(other):
            spark = _spark_module(records, None)
            prepared = spark.prepare(self, records, other, fitting=False)
            result: SparkFrame = spark.customers(self, prepared, spark.score(self, prepared))
            return result
        return self._customers(self._prepare(_pandas(records), _pandas_other(other)))

    @overload
    def fit_predict(
        self,
        records: pd.DataFrame,
        other: pd.DataFrame | None = None,
        *,
        labels: pd.DataFrame | None = None,
    ) -> pd.Series: ...

    @overload
    def fit_predict(
        self,
        records: SparkFrame,
        other: pd.DataFrame | SparkFrame | None = None,
        *,
        labels: pd.DataFrame | None = None,
    ) -> SparkFrame: ...

    def fit_predict(
        self,
        records: pd.DataFrame | SparkFrame,
        other: pd.DataFrame | SparkFrame | None = None,
        *,
        labels: pd.DataFrame | None = None,
    ) -> pd.Series | SparkFrame:
        """Fit on the records and return their ``customer_id`` (see :meth:`predict`).

        A Spark DataFrame gives a Spark DataFrame (see :meth:`fit` and :meth:`predict`).

        One pass: the pairs the fit compared are scored as they are, not
        standardised, blocked and compared a second time.

        Parameters
        ----------
        records
            The records to deduplicate, or the left file when linking, in
            the schema's columns.
        other
            The right file, when linking two files.
        labels
            Known matching pairs, for a supervised fit (see :meth:`fit`).

        Returns
        -------
        pandas.Series
            ``customer_id`` per record, as :meth:`predict` returns it.

        Raises
        ------
        DataContractError
            If the records break the schema (see :meth:`RecordSchema.validate`),
            a match rule names no field of the schema, or a parameter is out
            of range.
        MissingDependencyError
            If ``progress=True`` and tqdm (the ``progress`` extra) is not
            installed.
        """
        if is_spark_frame(records) or is_spark_frame(other):
            spark = _spark_module(records, labels)
            ready = spark.prepare(self, records, other, fitting=True)
            spark.fit(self, ready)
            result: SparkFrame = spark.customers(self, ready, spark.score(self, ready))
            return result
        prepared = self._prepare(_pandas(records), _pandas_other(other), fitting=True)
        self._fit_prepared(prepared, labels)
        return self._customers(prepared)

    def _customers(self, prepared: _Prepared) -> pd.Series:
        hint = (
            ""
            if self.related_classes
            else (
                " With related_classes=False the model has no class for different people "
                "who look alike (a household, neighbours, namesakes), so what they share "
                "counts as evidence of one person: try related_classes=True."
            )
        )
        if prepared.right is None:
            _, probability = self._probabilities(prepared)
            labels = cluster_positions(
                prepared.left.index.rename("record_id"),  # integer ids stay integers
                prepared.i,
                prepared.j,
                probability,
                threshold=self.threshold,
                group_link=self.group_link,
            )
            warn_giant_clusters(labels, hint=hint, stacklevel=4)
            return labels
        pairs = self._score(prepared)
        ids = pd.Index(
            [
                *("left:" + prepared.left.index.astype("string")),
                *("right:" + prepared.right.index.astype("string")),
            ],
            dtype="string",
        )
        tagged = pairs.assign(
            left="left:" + pairs["left"].astype("string"),
            right="right:" + pairs["right"].astype("string"),
        )
        if self.one_to_one:
            tagged = link_one_to_one(tagged, threshold=self.threshold)
        customer = cluster_frame(
            tagged,
            ids,
            threshold=self.threshold,
            group_link=None if self.one_to_one else self.group_link,
        )
        warn_giant_clusters(customer, hint=hint, stacklevel=4)
        source = ["left"] * len(prepared.left) + ["right"] * len(prepared.right)
        record = [*prepared.left.index, *prepared.right.index]
        index = pd.MultiIndex.from_arrays([source, record], names=["source", "record_id"])
        return pd.Series(customer.to_numpy(), index=index, name="customer_id", dtype="string")

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, ["model_", "term_frequencies_"])
        except Exception as error:
            msg = "this RecordMatcher is not fitted yet; call fit() first."
            raise NotFittedError(msg) from error

    def weights_table(self) -> pd.DataFrame:
        """Return ``m``, ``u`` and the match weight of every level of every field.

        Returns
        -------
        pandas.DataFrame
            As :meth:`FellegiSunter.weights_table`: ``field``, ``level``,
            ``m``, ``u`` and ``match_weight`` (bits).

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        """
        self._check_fitted()
        return self.model_.weights_table()

    def term_frequency_of(self, field: str, value: str) -> float | None:
        """Share of records holding ``value`` in ``field`` at fit time (``None`` if not tracked).

        Agreement on a rare value (a rare surname) is stronger evidence than
        on a common one; this is the share the adjustment is based on.

        Parameters
        ----------
        field
            A standardised field.
        value
            A standardised value of it.

        Returns
        -------
        float or None
            The share (0.0 for a value not seen), or ``None`` when the field
            has no term-frequency adjustment.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        """
        self._check_fitted()
        shares: Mapping[str, float] | None = self.term_frequencies_.get(field)
        if shares is None:
            return None
        return float(shares.get(value, 0.0))


def _pandas(records: pd.DataFrame | SparkFrame) -> pd.DataFrame:
    """Type ``records`` as pandas once known not to be Spark (``_prepare`` checks the frame)."""
    return cast("pd.DataFrame", records)


def _pandas_other(other: pd.DataFrame | SparkFrame | None) -> pd.DataFrame | None:
    """Type ``other`` as pandas once neither file is Spark."""
    return cast("pd.DataFrame | None", other)


def _spark_module(records: object, labels: object) -> Any:
    """Import the Spark path (only when a Spark frame arrives); refuse what it lacks."""
    if not is_spark_frame(records):
        msg = (
            "records is a pandas DataFrame and other a Spark one: pass the Spark DataFrame "
            "as records (the left file) to link on Spark, or both as pandas."
        )
        raise DataContractError(msg, column="records")
    if labels is not None:
        msg = "a supervised fit (labels) is not built on Spark yet: fit on pandas, then predict."
        raise DataContractError(msg, column="labels")
    pyspark_functions("RecordMatcher on a Spark DataFrame")
    from . import _spark  # noqa: PLC0415 - pyspark only when a Spark frame arrives

    return _spark


def _unswap_names(
    levels: pd.DataFrame,
    encoded: dict[str, EncodedField],
    i: IntArray,
    j: IntArray,
    comparisons: Sequence[Comparison],
) -> NDArray[np.bool_]:
    """Where given name and surname agree better crosswise, use the crosswise levels.

    Returns which pairs were read crosswise.
    """
    by_field = {c.field: c for c in comparisons}
    if "given_name" not in by_field or "surname" not in by_field:
        return np.zeros(len(i), dtype=bool)
    given, surname = encoded["given_name"], encoded["surname"]
    codes, distinct = pd.factorize(
        pd.Series(np.concatenate([given.uniques, surname.uniques]), dtype="string")
    )
    joint = np.asarray(distinct, dtype=object)
    shift = len(given.uniques)

    def recode(values: IntArray, offset: int) -> IntArray:
        out = np.full(values.shape, -1, dtype=np.int64)
        present = values >= 0
        out[present] = codes[values[present] + offset]
        return out

    cross_given = by_field["given_name"].compare_codes(
        recode(given.left[i], 0), recode(surname.right[j], shift), joint
    )
    cross_surname = by_field["surname"].compare_codes(
        recode(surname.left[i], shift), recode(given.right[j], 0), joint
    )
    worst = len(by_field["given_name"].levels) + len(by_field["surname"].levels)
    direct = _rank(levels["given_name"].to_numpy(), worst) + _rank(
        levels["surname"].to_numpy(), worst
    )
    better = _rank(cross_given, worst) + _rank(cross_surname, worst) < direct
    levels.loc[better, "given_name"] = cross_given[better]
    levels.loc[better, "surname"] = cross_surname[better]
    return np.asarray(better, dtype=bool)


def _rule_to_dict(rule: Blocker) -> dict[str, Any]:
    if isinstance(rule, SortedNeighbourhood):
        return {"type": "sorted", "fields": list(rule.fields), "window": rule.window}
    if isinstance(rule, BlockingRule):
        prefix = list(rule.prefix) if isinstance(rule.prefix, tuple) else rule.prefix
        return {
            "type": "rule",
            "fields": list(rule.fields),
            "prefix": prefix,
            "phonetic": rule.phonetic,
            "unordered": rule.unordered,
        }
    msg = f"blocking rule {rule.name!r} of type {type(rule).__name__} cannot be saved."
    raise DataContractError(msg, column="blocking", value=rule.name)


def _rule_from_dict(data: object, name: str, fields: Sequence[str]) -> Blocker:
    """Rebuild a blocking rule written by :func:`_rule_to_dict` on the given fields."""
    kind = persist.text(persist.mapping(data, name).get("type"), f"{name}.type", choices=_RULES)
    if kind == "sorted":
        read = persist.mapping(data, name, keys=("type", "fields", "window"))
        rule_fields = persist.text_list(read["fields"], f"{name}.fields", nonempty=True)
        _known(rule_fields, fields, f"{name}.fields")
        window = persist.integer(read["window"], f"{name}.window", low=2)
        return SortedNeighbourhood(tuple(rule_fields), window=window)
    read = persist.mapping(data, name, keys=("type", "fields", "prefix", "phonetic", "unordered"))
    rule_fields = persist.text_list(read["fields"], f"{name}.fields", nonempty=True)
    _known(rule_fields, fields, f"{name}.fields")
    raw = read["prefix"]
    prefix: int | tuple[int | None, ...] | None
    if isinstance(raw, list | tuple):
        cuts = persist.items(raw, f"{name}.prefix", size=len(rule_fields))
        prefix = tuple(
            persist.optional_integer(c, f"{name}.prefix[{k}]", low=1) for k, c in enumerate(cuts)
        )
    else:
        prefix = persist.optional_integer(raw, f"{name}.prefix", low=1)
    phonetic = persist.optional_text(read["phonetic"], f"{name}.phonetic", choices=_PHONETICS)
    return BlockingRule(
        tuple(rule_fields),
        prefix=prefix,
        phonetic=cast("Phonetic | None", phonetic),
        unordered=persist.boolean(read["unordered"], f"{name}.unordered"),
    )


def _known(names: Sequence[str], fields: Sequence[str], where: str) -> None:
    """Refuse a saved rule or table on a field the matcher does not have."""
    for field in names:
        if field not in fields:
            persist.fail(where, f"names of the matcher's fields {list(fields)}", field)


def _config_from_dict(data: object, name: str) -> dict[str, Any]:
    """Read the constructor settings written by :meth:`RecordMatcher.to_dict`, checked."""
    read = persist.mapping(data, name, keys=_CONFIG_KEYS, optional=("conditional",))
    term_frequency = read["term_frequency"]
    return {
        "term_frequency": None
        if term_frequency is None
        else persist.text_list(term_frequency, f"{name}.term_frequency"),
        "threshold": persist.number(read["threshold"], f"{name}.threshold", low=0.0, high=1.0),
        "group_link": persist.optional_number(
            read["group_link"], f"{name}.group_link", low=0.0, high=1.0
        ),
        "one_to_one": persist.boolean(read["one_to_one"], f"{name}.one_to_one"),
        "random_pairs": persist.optional_integer(
            read["random_pairs"], f"{name}.random_pairs", low=1
        ),
        "max_pairs": persist.optional_integer(read["max_pairs"], f"{name}.max_pairs", low=1),
        "random_state": persist.optional_integer(
            read["random_state"], f"{name}.random_state", low=0
        ),
        "estimate_u": persist.boolean(read["estimate_u"], f"{name}.estimate_u"),
        "swapped_names": persist.boolean(read["swapped_names"], f"{name}.swapped_names"),
        "related_classes": persist.boolean(read["related_classes"], f"{name}.related_classes"),
        "conditional": _conditional_from_dict(read.get("conditional"), f"{name}.conditional"),
    }


def _conditional_from_dict(value: object, name: str) -> dict[str, str] | Literal["auto"] | None:
    """``"auto"``, ``None`` (also for files before #14) or ``{field: parent}``."""
    if value is None:
        return None
    if value == "auto":
        return "auto"
    read = persist.mapping(value, name)
    return {field: persist.text(parent, f"{name}.{field}") for field, parent in read.items()}


def _members(keys: NDArray[np.int64], sorted_keys: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Whether each key is among ``sorted_keys`` (blocking builds its pairs sorted).

    A binary search per key: ``np.isin`` would hash all the candidate pairs
    (tens of millions at a million records) to look up a million random ones.
    """
    if len(sorted_keys) > 1 and not bool((sorted_keys[1:] >= sorted_keys[:-1]).all()):
        sorted_keys = np.sort(sorted_keys)
    at = np.searchsorted(sorted_keys, keys)
    found = at < len(sorted_keys)
    found[found] = sorted_keys[at[found]] == keys[found]
    return found


def _pairs_total(prepared: _Prepared) -> int:
    """Every pair the records make: ``n (n - 1) / 2`` when deduplicating, ``n m`` when linking."""
    n_left = len(prepared.left)
    if prepared.right is None:
        return n_left * (n_left - 1) // 2
    return n_left * len(prepared.right)


def _rank(levels: NDArray[np.int64] | NDArray[np.int8], worst: int) -> NDArray[np.int64]:
    """Levels with missing counted as worse than any level."""
    return np.where(levels < 0, worst, levels).astype(np.int64)


def _shares(field: EncodedField) -> dict[str, float]:
    """Share of non-missing records holding each value."""
    counts = field.counts()
    total = max(int(counts.sum()), 1)
    return {str(v): float(c) / total for v, c in zip(field.uniques, counts, strict=True) if c}


def _one_hot(levels: pd.DataFrame, comparisons: Sequence[Comparison]) -> NDArray[np.float64]:
    """One indicator column per field level (missing: all zero)."""
    columns: list[NDArray[np.bool_]] = []
    for comparison in comparisons:
        values = levels[comparison.field].to_numpy()
        columns.extend((values == level) for level in range(len(comparison.levels)))
    return np.column_stack(columns).astype(float)
