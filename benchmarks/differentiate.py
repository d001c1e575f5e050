"""Benchmark one2one.differentiate against hand-written pandas and scikit-learn, in one process.

Cases (sizes are flags; ``--quick`` divides them by 10):

1. ``rfm``: RFM scores, named RFM segments and value tiers for 1,000,000 simulated
   customers (target: under 2 s in total, and no slower than the pandas a user would
   write by hand). one2one runs ``rfm_scores(table, bins=5)``, ``rfm_segments(scores)``
   and ``value_tiers(values)``; the baseline is idiomatic pandas/numpy computing the same
   thing (``rank(pct=True)`` and ``np.ceil`` for scores, ``np.select`` over the same rules
   for segments, ``nlargest`` cuts for tiers). The two outputs are checked to be identical
   (every score, the ``rfm`` code, every segment, net value, growth gap and tier) before
   any time is printed; the script stops if they are not.
2. ``segments``: needs segmentation of 100,000 customers x 20 features (target: under
   30 s). one2one runs ``NeedsSegmenter()`` (k chosen in 2..10 by the silhouette on a
   subsample); the baseline is the usual scikit-learn recipe: ``StandardScaler``, then
   ``KMeans`` for k = 2..10 on all customers, each scored by
   ``silhouette_score(sample_size=5000)``, and the best k refitted. The data are Gaussian
   blobs (5 groups of unequal size, overlapping); both sides report the chosen k and the
   adjusted Rand index against the true groups.
3. ``uplift``: uplift models fitted on ``simulate_campaign(1_000_000)`` (target: under
   60 s). one2one fits ``TwoModelUplift`` and ``ClassTransformationUplift`` (default
   histogram gradient boosting; both run the randomisation check ``check_assignment``
   first) and predicts a separate 200,000-customer test campaign, scored by
   ``auuc_score`` (normalised Qini) and by the correlation with the true uplift. The
   baselines are scikit-uplift's ``TwoModels`` or causalml's ``BaseTClassifier`` when
   either is importable, and always the same learners written by hand with two (or one)
   ``HistGradientBoostingClassifier`` fits and no randomisation check.

Every time is the best of ``--repeat`` runs, one2one and its baseline taking turns
(a, b, a, b, ...) so that outside load falls on both alike. The slowest run is printed
too when it is more than twice the best: a sign of other load on the machine, to which
scikit-learn's OpenMP loops (KMeans, histogram gradient boosting) react with slowdowns
far beyond 2x. The ratio is baseline / one2one: above 1 means one2one is faster. Data
are drawn once per case with a seeded numpy generator and shared by both sides;
conversions are done before timing. A ratio within 5% of 1 is reported as a tie.

Run from the repository root::

    python benchmarks/differentiate.py                  # defaults, about 70 s on 2 quiet cores
    python benchmarks/differentiate.py --quick          # 10x smaller sizes
    python benchmarks/differentiate.py --cases rfm,uplift
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import math
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from _machine import machine, version
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from one2one.datasets import simulate_campaign
from one2one.differentiate import (
    DEFAULT_SEGMENTS,
    TIERS,
    ClassTransformationUplift,
    NeedsSegmenter,
    TwoModelUplift,
    auuc_score,
    check_assignment,
    rfm_scores,
    rfm_segments,
    value_tiers,
)

RFM_TARGET = 2.0  # seconds, case 1 in total
SEGMENT_TARGET = 30.0  # seconds, case 2
UPLIFT_TARGET = 60.0  # seconds, one uplift fit in case 3
TIE = 0.95  # a ratio between this and 1 is timing noise, not a difference
BLOB_GROUPS = (0.35, 0.25, 0.20, 0.12, 0.08)  # shares of the five true needs groups
BLOB_STD = 6.0  # make_blobs centres lie in [-10, 10]^20; 6 makes the groups overlap
K_RANGE = (2, 10)
SILHOUETTE_SAMPLE = 5_000


# --- timing --------------------------------------------------------------------------------
@dataclass
class Timing:
    seconds: float  # best run
    runs: int
    result: Any = None
    worst: float = 0.0

    def text(self) -> str:
        return f"{self.seconds:.3f}"


def race(fns: list[Callable[[], Any]], repeat: int) -> list[Timing]:
    """Best of ``repeat`` runs of each function, run in turn (a, b, a, b, ...).

    Taking turns spreads any outside load over all sides alike. The last run's result
    is kept.
    """
    times: list[list[float]] = [[] for _ in fns]
    results: list[Any] = [None] * len(fns)
    for _ in range(max(1, repeat)):
        for i, fn in enumerate(fns):
            gc.collect()
            start = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - start)
    return [
        Timing(min(ts), len(ts), result, max(ts)) for ts, result in zip(times, results, strict=True)
    ]


def best_of(fn: Callable[[], Any], repeat: int) -> Timing:
    """Best of ``repeat`` runs (the last run's result is kept)."""
    return race([fn], repeat)[0]


def print_timing(name: str, timing: Timing, indent: int = 4) -> None:
    runs = f" (best of {timing.runs})" if timing.runs > 1 else ""
    if timing.worst > 2 * timing.seconds:
        runs = f" (best of {timing.runs}; slowest {timing.worst:.3f} s)"
    print(f"{' ' * indent}{name:<22} {timing.text()} s{runs}")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- results -------------------------------------------------------------------------------
@dataclass
class Row:
    case: str
    one2one: Timing | None
    baseline: Timing | None
    against: str
    agreement: str

    def ratio(self) -> str:
        if self.one2one is None or self.baseline is None:
            return "-"
        ratio = self.baseline.seconds / self.one2one.seconds
        return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2f}x"


# --- case 1: RFM scores, segments and value tiers ------------------------------------------
def simulate_customers(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A customer summary with the ties real data have (whole days, counts, cents).

    Returns the RFM table (``recency_days``, ``purchases``, ``monetary``) and the value
    table (``actual_value``, ``potential_value``, ``cost_to_serve``), both indexed by
    ``customer_id`` in the same (shuffled) order.
    """
    rng = np.random.default_rng(seed)
    frequency = rng.poisson(rng.gamma(0.8, 3.0, n)) + 1  # purchases; 1 is common
    recency = np.minimum(rng.gamma(1.2, 80.0, n).round(), 730.0)  # whole days, capped
    monetary = (frequency * np.exp(rng.normal(3.6, 0.7, n))).round(2)  # total spend
    actual = (0.3 * monetary).round(2)  # margin
    potential = (actual * rng.lognormal(0.3, 0.6, n)).round(2)  # sometimes below actual
    contacts = rng.poisson(rng.gamma(1.0, 2.0, n))
    cost = 5.0 + 2.5 * contacts  # cost to serve; some customers are worth less than that
    index = pd.Index(rng.permutation(n) + 100_000, name="customer_id")
    table = pd.DataFrame(
        {"recency_days": recency, "purchases": frequency, "monetary": monetary}, index=index
    )
    values = pd.DataFrame(
        {"actual_value": actual, "potential_value": potential, "cost_to_serve": cost},
        index=index,
    )
    return table, values


# The hand-written side states its rules itself, as a user would; checked against
# one2one's DEFAULT_SEGMENTS below so the two cannot drift apart silently.
PANDAS_SEGMENTS = (
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential loyalists", (4, 5), (2, 3)),
    ("new", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need attention", (3, 3), (3, 3)),
    ("about to sleep", (3, 3), (1, 2)),
    ("cannot lose them", (1, 1), (5, 5)),
    ("at risk", (1, 2), (3, 5)),
    ("hibernating", (1, 2), (1, 2)),
)


def pandas_rfm_scores(table: pd.DataFrame, bins: int) -> pd.DataFrame:
    """Percentile of the average rank, times bins, rounded up: ties share a score."""

    def score(column: pd.Series, *, ascending: bool) -> pd.Series:
        pct = column.rank(pct=True, ascending=ascending)
        return np.ceil(pct * bins).clip(1, bins).astype("int64")

    r = score(table["recency_days"], ascending=False)  # recent is good
    f = score(table["purchases"], ascending=True)
    m = score(table["monetary"], ascending=True)
    rfm = r.astype(str) + f.astype(str) + m.astype(str)
    return table.assign(r_score=r, f_score=f, m_score=m, rfm=rfm)


def pandas_rfm_segments(scores: pd.DataFrame) -> pd.Series:
    """First rule that fits names the customer (np.select), else "other"."""
    r, f = scores["r_score"], scores["f_score"]
    conditions = [r.between(*rs) & f.between(*fs) for _, rs, fs in PANDAS_SEGMENTS]
    names = [name for name, _, _ in PANDAS_SEGMENTS]
    return pd.Series(
        np.select(conditions, names, default="other"), index=scores.index, name="segment"
    )


def pandas_value_tiers(values: pd.DataFrame, share: float = 0.2) -> pd.DataFrame:
    """Peppers & Rogers tiers, ties at each cut going up; money in whole cents."""
    actual = values["actual_value"]
    net = (actual - values["cost_to_serve"]).round(2)
    gap = (values["potential_value"] - actual).clip(lower=0.0).round(2)
    below = net < 0
    positive = net[~below]
    top = math.ceil(share * len(positive))
    valuable = ~below & (net >= positive.nlargest(top).iloc[-1])
    migrators = ~below & ~valuable
    growing = gap[migrators & (gap > 0)]
    top = min(len(growing), max(1, math.ceil(share * migrators.sum())))
    growable = migrators & (gap > 0) & (gap >= growing.nlargest(top).iloc[-1])
    tier = np.select(
        [below, valuable, growable], ["below zero", "most valuable", "most growable"], "migrators"
    )
    return pd.DataFrame(
        {"net_value": net, "growth_gap": gap, "tier": pd.Categorical(tier, categories=TIERS)},
        index=values.index,
    )


def same_share(ours: pd.Series, theirs: pd.Series) -> float:
    a = ours.astype(str).to_numpy() if ours.dtype.kind not in "iufb" else ours.to_numpy()
    b = theirs.astype(str).to_numpy() if theirs.dtype.kind not in "iufb" else theirs.to_numpy()
    return float(np.mean(a == b))


def check_rfm_agreement(
    ours: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
    theirs: tuple[pd.DataFrame, pd.Series, pd.DataFrame],
) -> str:
    """Share of customers on which every output agrees; stops the script unless all do."""
    (s1, g1, t1), (s2, g2, t2) = ours, theirs
    if not (s1.index.equals(s2.index) and g1.index.equals(g2.index) and t1.index.equals(t2.index)):
        msg = "one2one and pandas return customers in different orders"
        raise AssertionError(msg)
    shares = {
        column: same_share(s1[column], s2[column])
        for column in ("r_score", "f_score", "m_score", "rfm")
    }
    shares["segment"] = same_share(g1, g2)
    shares.update(
        {column: same_share(t1[column], t2[column]) for column in ("net_value", "growth_gap")}
    )
    shares["tier"] = same_share(t1["tier"], t2["tier"])
    text = ", ".join(f"{column} {share:.4%}" for column, share in shares.items())
    if min(shares.values()) < 1.0:
        print(f"  one2one and pandas DISAGREE (share of customers equal): {text}")
        msg = "one2one and the pandas baseline differ; times not printed"
        raise AssertionError(msg)
    return "identical (scores, rfm, segments, net, gap, tiers)"


def case_rfm(args: argparse.Namespace) -> list[Row]:
    n, bins = args.customers, args.bins
    print(f"\n[1] RFM scores (bins={bins}), RFM segments and value tiers for {n:,} customers")
    rules = tuple((s.name, s.recency, s.frequency) for s in DEFAULT_SEGMENTS)
    if rules != PANDAS_SEGMENTS:
        msg = "PANDAS_SEGMENTS no longer matches one2one's DEFAULT_SEGMENTS"
        raise AssertionError(msg)
    table, values = simulate_customers(n, args.seed)
    print(
        f"  data: {table['recency_days'].nunique():,} distinct recencies, "
        f"{table['purchases'].nunique():,} purchase counts ({(table['purchases'] == 1).mean():.0%} "
        f"buy once), {table['monetary'].nunique():,} spends; "
        f"{((values['actual_value'] - values['cost_to_serve']) < 0).mean():.0%} "
        "below zero net value"
    )

    def ours_total() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
        scores = rfm_scores(table, bins=bins)
        return scores, rfm_segments(scores), value_tiers(values)

    def theirs_total() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
        scores = pandas_rfm_scores(table, bins)
        return scores, pandas_rfm_segments(scores), pandas_value_tiers(values)

    repeat = args.repeat
    o_scores, t_scores = race(
        [lambda: rfm_scores(table, bins=bins), lambda: pandas_rfm_scores(table, bins)], repeat
    )
    o_segments, t_segments = race(
        [
            lambda: rfm_segments(o_scores.result),
            lambda: pandas_rfm_segments(t_scores.result),
        ],
        repeat,
    )
    o_tiers, t_tiers = race(
        [lambda: value_tiers(values), lambda: pandas_value_tiers(values)], repeat
    )
    o_total, t_total = race([ours_total, theirs_total], repeat)

    agreement = check_rfm_agreement(o_total.result, t_total.result)
    print(f"  outputs: {agreement}")
    steps = [
        ("RFM scores", o_scores, t_scores),
        ("RFM segments", o_segments, t_segments),
        ("value tiers", o_tiers, t_tiers),
        ("total", o_total, t_total),
    ]
    for name, o, t in steps:
        print(f"  {name}:")
        print_timing("one2one", o)
        print_timing("pandas by hand", t)
    tiers = o_total.result[2]["tier"].value_counts().reindex(list(TIERS))
    print("  tiers: " + ", ".join(f"{tier} {count:,}" for tier, count in tiers.items()))
    ratio = t_total.seconds / o_total.seconds
    fast = "met" if ratio >= 1 else "tie (within 5%)" if ratio >= TIE else "NOT met"
    print(
        f"  target: total under {RFM_TARGET:g} s {verdict(o_total.seconds < RFM_TARGET)} "
        f"({o_total.seconds:.2f} s); no slower than pandas by hand {fast} "
        f"(pandas/one2one {ratio:.2f}x)"
    )
    label = f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"
    return [
        Row(f"RFM scores {label}", o_scores, t_scores, "pandas", "identical"),
        Row(f"RFM segments {label}", o_segments, t_segments, "pandas", "identical"),
        Row(f"value tiers {label}", o_tiers, t_tiers, "pandas", "identical"),
        Row(f"RFM + segments + tiers {label}", o_total, t_total, "pandas", "identical"),
    ]


# --- case 2: needs segmentation ------------------------------------------------------------
def sklearn_auto_kmeans(frame: pd.DataFrame, seed: int) -> dict[str, Any]:
    """StandardScaler, KMeans for every k scored by sampled silhouette, best k refitted."""
    scaled = StandardScaler().fit_transform(frame)
    scores = {}
    for k in range(K_RANGE[0], K_RANGE[1] + 1):
        labels = KMeans(n_clusters=k, random_state=seed).fit_predict(scaled)
        scores[k] = silhouette_score(
            scaled, labels, sample_size=SILHOUETTE_SAMPLE, random_state=seed
        )
    best = max(scores, key=scores.__getitem__)
    start = time.perf_counter()
    final = KMeans(n_clusters=best, random_state=seed).fit(scaled)
    refit = time.perf_counter() - start
    return {"k": best, "labels": final.labels_, "scores": scores, "refit": refit}


def case_segments(args: argparse.Namespace) -> list[Row]:
    n, p = args.segment_customers, args.features
    print(f"\n[2] Needs segmentation of {n:,} customers x {p} features (k chosen in 2..10)")
    sizes = [round(share * n) for share in BLOB_GROUPS]
    sizes[0] += n - sum(sizes)
    values, truth = make_blobs(
        n_samples=sizes, n_features=p, cluster_std=BLOB_STD, random_state=args.seed
    )
    frame = pd.DataFrame(values, columns=[f"need_{i:02d}" for i in range(p)])
    print(
        f"  data: make_blobs, {len(sizes)} groups of {', '.join(f'{s:,}' for s in sizes)}, "
        f"cluster_std {BLOB_STD:g}, centres in [-10, 10]^{p}"
    )
    o, t = race(
        [lambda: NeedsSegmenter(random_state=0).fit(frame), lambda: sklearn_auto_kmeans(frame, 0)],
        args.repeat,
    )
    ours, theirs = o.result, t.result
    ari_o = adjusted_rand_score(truth, ours.labels_)
    ari_t = adjusted_rand_score(truth, theirs["labels"])
    print_timing("one2one NeedsSegmenter", o)
    print_timing("scikit-learn by hand", t)
    print(f"      of which the final refit at the best k: {theirs['refit']:.3f} s (last run)")
    selection = ours.selection_
    criterion = ", ".join(
        f"{k}: {s:.3f}" for k, s in zip(selection["k"], selection["criterion"], strict=True)
    )
    chosen_on = min(n, ours.selection_sample)
    print(f"  silhouette (of {SILHOUETTE_SAMPLE:,} sampled) by k, KMeans fitted on:")
    print(f"    one2one, {chosen_on:,} customers: {criterion}")
    print(
        f"    scikit-learn, {n:,} customers: "
        + ", ".join(f"{k}: {s:.3f}" for k, s in theirs["scores"].items())
    )
    print(f"  one2one:      k = {ours.n_segments_}, ARI vs truth {ari_o:.4f}")
    print(f"  scikit-learn: k = {theirs['k']}, ARI vs truth {ari_t:.4f}")
    between = adjusted_rand_score(ours.labels_, theirs["labels"])
    print(f"  ARI between the two partitions: {between:.4f}")
    print(f"  target: under {SEGMENT_TARGET:g} s {verdict(o.seconds < SEGMENT_TARGET)}")
    agreement = f"k {ours.n_segments_} vs {theirs['k']} (true 5); ARI {ari_o:.3f} vs {ari_t:.3f}"
    return [Row(f"NeedsSegmenter {n / 1e3:g}k x {p}", o, t, "scikit-learn", agreement)]


# --- case 3: uplift ------------------------------------------------------------------------
def import_optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


class HandTwoModel:
    """Two HistGradientBoostingClassifier fits, treated and control; uplift = difference."""

    def fit(self, X: pd.DataFrame, y: pd.Series, treatment: pd.Series) -> HandTwoModel:
        treated = treatment.to_numpy(dtype=bool)
        self.treated_ = HistGradientBoostingClassifier(random_state=0).fit(X[treated], y[treated])
        self.control_ = HistGradientBoostingClassifier(random_state=0).fit(X[~treated], y[~treated])
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.treated_.predict_proba(X)[:, 1] - self.control_.predict_proba(X)[:, 1]


class HandClassTransformation:
    """One HistGradientBoostingClassifier on z = y t + (1 - y)(1 - t), groups weighted equal."""

    def fit(self, X: pd.DataFrame, y: pd.Series, treatment: pd.Series) -> HandClassTransformation:
        t = treatment.to_numpy(dtype=bool)
        z = np.where(t, y, 1 - y)
        weight = np.where(t, 0.5 / t.mean(), 0.5 / (1 - t.mean()))
        self.model_ = HistGradientBoostingClassifier(random_state=0).fit(X, z, sample_weight=weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return 2.0 * self.model_.predict_proba(X)[:, 1] - 1.0


def library_baselines() -> list[tuple[str, str, Callable[[], Any]]]:
    """(model name, label, factory) for uplift libraries that happen to be importable."""
    found: list[tuple[str, str, Callable[[], Any]]] = []
    sklift = import_optional("sklift.models")
    if sklift is not None:
        found.append(
            (
                "two-model",
                f"scikit-uplift {version('scikit-uplift')} TwoModels",
                lambda: sklift.TwoModels(
                    estimator_trmnt=HistGradientBoostingClassifier(random_state=0),
                    estimator_ctrl=HistGradientBoostingClassifier(random_state=0),
                    method="vanilla",
                ),
            )
        )
    causalml = import_optional("causalml.inference.meta")
    if causalml is not None:

        class CausalMLTwoModel:
            def fit(self, X: pd.DataFrame, y: pd.Series, treatment: pd.Series) -> Any:
                groups = np.where(treatment.to_numpy(dtype=bool), "treated", "control")
                self.model_ = causalml.BaseTClassifier(
                    learner=HistGradientBoostingClassifier(random_state=0),
                    control_name="control",
                )
                self.model_.fit(X.to_numpy(), groups, y.to_numpy())
                return self

            def predict(self, X: pd.DataFrame) -> np.ndarray:
                return np.asarray(self.model_.predict(X.to_numpy())).ravel()

        found.append(
            ("two-model", f"causalml {version('causalml')} BaseTClassifier", CausalMLTwoModel)
        )
    return found


def case_uplift(args: argparse.Namespace) -> list[Row]:
    n, m = args.uplift_rows, args.test_rows
    print(f"\n[3] Uplift: fit on a {n:,}-customer campaign, predict and score {m:,} others")
    train = simulate_campaign(n, random_state=args.seed)
    test = simulate_campaign(m, random_state=args.seed + 1)
    X, y, t = train.features, train.response, train.treatment
    print(
        f"  data: simulate_campaign, {X.shape[1]} features, {t.mean():.0%} treated, "
        f"response {y[t].mean():.1%} treated vs {y[~t].mean():.1%} control"
    )
    libraries = library_baselines()
    if not libraries:
        print(
            "  causalml and scikit-uplift are not installed in this environment (none is "
            "installed for the benchmark);\n  the baselines are the same learners written by "
            "hand over HistGradientBoostingClassifier, with no randomisation check."
        )
    check = best_of(lambda: check_assignment(X, t), args.repeat)
    print_timing("randomisation check", check, 2)
    print(f"    check_assignment alone (inside every one2one fit): AUC {check.result.auc:.4f}")
    contenders: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("two-model", TwoModelUplift, HandTwoModel),
        ("class transformation", ClassTransformationUplift, HandClassTransformation),
    ]
    rows = []
    for model_name, ours_factory, hand_factory in contenders:
        print(f"  {model_name}:")
        baselines = [("by hand", hand_factory)] + [
            (label, factory) for name, label, factory in libraries if name == model_name
        ]
        factories = [ours_factory] + [factory for _, factory in baselines]
        fits = race([lambda f=f: f().fit(X, y, t) for f in factories], args.repeat)
        predictions = race(
            [lambda model=fit.result: model.predict(test.features) for fit in fits], args.repeat
        )
        o_fit, o_pred = fits[0], predictions[0]
        print_timing("one2one fit", o_fit)
        print_timing("one2one predict", o_pred)
        o_score = score_uplift(test, o_pred.result)
        print(f"      one2one: {o_score}")
        for (label, _), b_fit, b_pred in zip(baselines, fits[1:], predictions[1:], strict=True):
            print_timing(f"{label} fit", b_fit)
            print_timing(f"{label} predict", b_pred)
            b_score = score_uplift(test, b_pred.result)
            diff = float(np.max(np.abs(o_pred.result - np.asarray(b_pred.result))))
            print(f"      {label}: {b_score}; max |uplift diff| vs one2one {diff:.1e}")
            against = "sklearn by hand" if label == "by hand" else label
            rows.append(
                Row(
                    f"{model_name} fit {n / 1e6:g}M",
                    o_fit,
                    b_fit,
                    against,
                    f"AUUC {o_score.auuc:.4f} vs {b_score.auuc:.4f}",
                )
            )
            rows.append(
                Row(
                    f"{model_name} predict {m / 1e3:g}k",
                    o_pred,
                    b_pred,
                    against,
                    f"max |uplift diff| {diff:.1e}",
                )
            )
        print(f"    target: fit under {UPLIFT_TARGET:g} s {verdict(o_fit.seconds < UPLIFT_TARGET)}")
    return rows


@dataclass
class UpliftScore:
    auuc: float
    corr: float

    def __str__(self) -> str:
        return f"AUUC (Qini) {self.auuc:.4f}, corr with true uplift {self.corr:.3f}"


def score_uplift(test: Any, uplift: np.ndarray) -> UpliftScore:
    uplift = np.asarray(uplift, dtype=float)
    return UpliftScore(
        auuc=auuc_score(test.response, test.treatment, uplift),
        corr=float(np.corrcoef(uplift, test.true_uplift.to_numpy())[0, 1]),
    )


CASES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "rfm": case_rfm,
    "segments": case_segments,
    "uplift": case_uplift,
}


# --- driver --------------------------------------------------------------------------------
def print_header(args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    packages = [
        "one2one",
        "numpy",
        "pandas",
        "scikit-learn",
        "scipy",
        "scikit-uplift",
        "causalml",
    ]
    print(f"differentiate.py  {now}")
    print(f"machine: {machine()}")
    print(
        f"python {platform.python_version()}; " + ", ".join(f"{p} {version(p)}" for p in packages)
    )
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(
        f"sizes: RFM {args.customers:,} customers, segments {args.segment_customers:,} x "
        f"{args.features}, uplift {args.uplift_rows:,} train / {args.test_rows:,} test; "
        f"repeat {args.repeat} (best run kept), seed {args.seed}"
    )
    print(f"load average at start: {load_average()}")


def load_average() -> str:
    """1, 5 and 15 minute load: above the core count, the times are inflated by other work."""
    try:
        return " ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def print_table(rows: list[Row]) -> None:
    header = ("case", "one2one s", "baseline s", "ratio", "baseline", "agreement / quality")
    table = [header] + [
        (
            row.case,
            row.one2one.text() if row.one2one else "-",
            row.baseline.text() if row.baseline else "-",
            row.ratio(),
            row.against,
            row.agreement,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    print("\n== summary (ratio = baseline / one2one; >1 means one2one is faster) ==")
    for i, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [line[j].rjust(widths[j]) for j in (1, 2, 3)]
        print("  ".join([*cells, line[4].ljust(widths[4]), line[5]]))
        if i == 0:
            print("  ".join("-" * w for w in [*widths, len(header[5])]))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers", type=int, default=1_000_000, help="customers for RFM and tiers"
    )
    parser.add_argument("--bins", type=int, default=5, help="RFM score levels")
    parser.add_argument(
        "--segment-customers", type=int, default=100_000, help="customers to segment"
    )
    parser.add_argument("--features", type=int, default=20, help="needs features per customer")
    parser.add_argument(
        "--uplift-rows", type=int, default=1_000_000, help="customers in the training campaign"
    )
    parser.add_argument(
        "--test-rows", type=int, default=200_000, help="customers in the test campaign"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated subset of {','.join(CASES)}",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.customers //= 10
        args.segment_customers //= 10
        args.uplift_rows //= 10
        args.test_rows //= 10
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print_header(args)
    rows: list[Row] = []
    started = time.perf_counter()
    for name in args.cases.split(","):
        rows.extend(CASES[name](args))
    print_table(rows)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    elapsed = time.perf_counter() - started
    print(
        f"\ntotal wall time {elapsed:.0f} s; process max RSS {max_rss:,.0f} MiB; "
        f"load average at end: {load_average()} ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
