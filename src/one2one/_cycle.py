"""One customer base around the whole one-to-one cycle, each room feeding the next.

This module composes the rooms (as the CLI does; no room imports it):
identify the channels' records -> log every interaction under the resolved
ids, following merges -> value customers from the log's transactions ->
tier them by lifetime value and group them by their needs -> make each the
next best offer their tier, consent and contact rules allow, and learn from
the answers -> configure a bicycle for one customer from what their profile
learnt -> log the session, and the profile learns from it.

Every hand-off goes through a table of :mod:`one2one.contracts`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd

from .clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value, rfm_summary
from .contracts import CUSTOMER_VALUES, TRANSACTIONS, VALUE_TIERS
from .customize import ConfigurationSession, Configurator, Needs, PriceList, ProductModel
from .customize import recommend as recommend_configuration
from .datasets import BUSINESS_OFFERS, RIDING, SimulatedBusiness, load_product_model
from .differentiate import TIERS, NeedsSegmenter, share_of_customer, value_tiers
from .errors import DataWarning
from .identify import IdentityResolver, RecordSchema, evaluate_links
from .interact import (
    DEFAULT_KIND_WEIGHTS,
    ContactPolicy,
    CustomerProfile,
    FrequencyCap,
    Interaction,
    InteractionLog,
    LinearThompson,
    NextBestAction,
    Offer,
    ProfileStore,
)

__all__ = ["NEEDS_OF_RIDING", "CycleReport", "run_cycle"]

SCHEMA = RecordSchema(
    record_id="record_id",
    given_name="given_name",
    surname="surname",
    email="email",
    phone="phone",
    street="street",
    postcode="postcode",
    city="city",
    date_of_birth="date_of_birth",
    phone_country_code="61",
    email_provider_rules=True,
)
"""How the business's records map to identity fields."""

NEEDS_OF_RIDING: Mapping[str, Mapping[str, Mapping[str, float]]] = {
    "commuting": {
        "weights": {"comfort": 40.0, "durability": 30.0, "weight": -25.0},
        "likes": {"dynamo_lights": 60.0, "mudguards": 30.0},
    },
    "racing": {"weights": {"speed": 90.0, "weight": -80.0}, "likes": {"mudguards": -50.0}},
    "touring": {
        "weights": {"durability": 50.0, "comfort": 40.0, "weight": -10.0},
        "likes": {"carrier": 60.0},
    },
}
"""What each kind of riding asks of a bicycle: attribute weights and liked options."""

_LATE_SHARE = 0.15  # records that arrive after the base is resolved, one at a time
_OFFER_COST = 0.5
_HORIZON_WEEKS = 52
_SEGMENTS = 3


@attrs.frozen(eq=False)
class CycleReport:
    """What each step handed to the next, and the customer followed through them.

    Attributes
    ----------
    followed
        The customer id followed through every step.
    name
        That customer's name, from their golden record.
    customer_of_record
        ``record_id`` -> ``customer_id`` after every record arrived.
    identity
        Pairwise precision, recall and F1 of that against the truth.
    merges
        Merge events the log followed (customers joined by a late record).
    log
        The interaction log (SQLite in memory) holding the whole history.
    customer_values
        Lifetime value per customer (:data:`~one2one.contracts.CUSTOMER_VALUES`).
    tiers
        Value tiers (:data:`~one2one.contracts.VALUE_TIERS`).
    segments
        Needs segment per customer, named by the riding it leans to.
    offers
        Every offer made: ``customer_id``, ``round``, ``offer_id``,
        ``propensity``, ``accepted``, ``fits`` (the offer suits the person's
        true riding).
    needs
        The followed customer's needs, read from their profile.
    configuration
        The bicycle configured for them: every option's value (a quantity
        for a counted option), as the session completed it.
    price
        Its price.
    profile_before, profile_after
        The followed customer's profile before and after the configuration.
    notes
        What the data warned about on the way (e.g. customers whose every
        purchase was refunded, left out of the lifetime values).
    """

    followed: str
    name: str
    customer_of_record: pd.Series
    identity: Mapping[str, float]
    merges: int
    log: InteractionLog
    summary: pd.DataFrame
    customer_values: pd.DataFrame
    tiers: pd.DataFrame
    segments: pd.Series
    offers: pd.DataFrame
    needs: Needs
    configuration: Mapping[str, bool | int]
    price: float
    profile_before: CustomerProfile
    profile_after: CustomerProfile
    notes: tuple[str, ...] = ()


def run_cycle(
    business: SimulatedBusiness, *, rounds: int = 4, random_state: int = 0
) -> CycleReport:
    """Run ``business`` around the cycle once, ``rounds`` weekly rounds of offers.

    Parameters
    ----------
    business
        From :func:`one2one.datasets.simulate_business`.
    rounds
        Weekly rounds of next-best offers after the history ends.
    random_state
        Seed of the offers' learner and of the customers' answers.

    Returns
    -------
    CycleReport
        Each step's output and the customer followed.
    """
    rng = np.random.default_rng(random_state)
    records = business.records.drop(columns=["source"])
    log = InteractionLog()
    resolver, merges = _identify_and_log(business, records, log, random_state)
    profiles = ProfileStore.attach(  # learnt from the log so far, then from every new event
        log,
        attributes=("riding", "option"),
        kind_weights={**DEFAULT_KIND_WEIGHTS, "configuration": 1.0},
    )
    customer_of_record = resolver.customers()
    identity = evaluate_links(customer_of_record, business.true_links)
    transactions = TRANSACTIONS.validate(log.transactions())
    with warnings.catch_warnings(record=True) as caught:  # kept in the report, not lost
        warnings.simplefilter("always", DataWarning)
        summary = rfm_summary(transactions, freq="W", observation_end=business.observation_end)
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    for other in (w for w in caught if not issubclass(w.category, DataWarning)):
        warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    values = _lifetime_value(summary)
    riding = _riding_features(profiles)
    tiers = _tiers(values, riding, log)
    segments = _needs_segments(riding, random_state)
    followed = _follow(customer_of_record, transactions, log, tiers)
    before = profiles.profile(followed)
    offers = _offer_rounds(
        business,
        log,
        profiles,
        tiers=tiers,
        customer_of_record=customer_of_record,
        rounds=rounds,
        rng=rng,
    )
    needs = needs_from_profile(
        profiles.profile(followed), budget=_budget(business, followed, customer_of_record)
    )
    at = business.observation_end.to_pydatetime() + dt.timedelta(weeks=rounds, days=1)
    configuration, price = _configure(followed, needs, log, at)
    golden = resolver.golden_record(followed, records=records)
    name = " ".join(str(golden.fields.get(f) or "").title() for f in ("given_name", "surname"))
    return CycleReport(
        followed=followed,
        name=name.strip(),
        customer_of_record=customer_of_record,
        identity=identity,
        merges=merges,
        log=log,
        summary=summary,
        customer_values=values,
        tiers=tiers,
        segments=segments,
        offers=offers,
        needs=needs,
        configuration=configuration,
        price=price,
        profile_before=before,
        profile_after=profiles.profile(followed),
        notes=notes,
    )


def _identify_and_log(
    business: SimulatedBusiness, records: pd.DataFrame, log: InteractionLog, random_state: int
) -> tuple[IdentityResolver, int]:
    """Resolve most records at once, log their events, then let the rest arrive one by one.

    A late record can show that two known customers are one person: the
    resolver merges them, and the log follows its merge events.
    """
    late = records.sample(frac=_LATE_SHARE, random_state=random_state)
    resolver = IdentityResolver.from_records(records.drop(late.index), SCHEMA)
    known = resolver.customers()
    events = business.events
    arrived = events["record_id"].isin(known.index)
    log.append(_interactions(events[arrived], known))
    first_seen = events.groupby("record_id")["occurred_at"].min()
    for row in late.to_dict("records"):
        at = first_seen.get(row["record_id"], business.observation_end)
        resolver.add({str(k): v for k, v in row.items()}, at=pd.Timestamp(at))
    merges = log.apply_identity_events(resolver.events())
    log.append(_interactions(events[~arrived], resolver.customers()))
    return resolver, merges


def _lifetime_value(summary: pd.DataFrame) -> pd.DataFrame:
    """BG/NBD for purchases, Gamma-Gamma for spend: each customer's next-year value."""
    purchases = BetaGeoModel().fit(summary)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    spend = GammaGammaModel().fit(repeat)
    valued = summary[(summary["frequency"] == 0) | (summary["monetary_value"] > 0)]
    values = customer_lifetime_value(purchases, spend, valued, horizon=_HORIZON_WEEKS)
    return CUSTOMER_VALUES.validate(values)


def _riding_features(profiles: ProfileStore) -> pd.DataFrame:
    """Each customer's learnt share of interest per kind of riding."""
    features = profiles.to_frame()
    return features[[f"riding_{r}" for r in RIDING if f"riding_{r}" in features]]


def _tiers(values: pd.DataFrame, riding: pd.DataFrame, log: InteractionLog) -> pd.DataFrame:
    """Tier by lifetime value, growth room among alike customers, and cost to serve."""
    peers = share_of_customer(  # what customers alike in their riding are worth
        pd.DataFrame({"spend": values["clv"].clip(lower=0.0)}),
        riding.reindex(values.index, fill_value=0.0),
        quantile=0.8,
    )
    costs = log.cost_to_serve().reindex(values.index, fill_value=0.0)
    frame = pd.DataFrame(
        {
            "actual_value": values["clv"],
            "potential_value": peers["potential"],
            "cost_to_serve": costs,
        }
    )
    return VALUE_TIERS.validate(value_tiers(frame))


def _needs_segments(riding: pd.DataFrame, random_state: int) -> pd.Series:
    """Group customers by their riding; name each group by the riding it leans to."""
    segmenter = NeedsSegmenter(n_segments=_SEGMENTS, random_state=random_state).fit(riding)
    centres = pd.DataFrame(segmenter.cluster_centers_, columns=riding.columns)
    names = [str(c).removeprefix("riding_") for c in centres.idxmax(axis=1)]
    return pd.Series([names[k] for k in segmenter.labels_], index=riding.index, name="segment")


def _configure(
    customer: str, needs: Needs, log: InteractionLog, at: dt.datetime
) -> tuple[dict[str, bool | int], float]:
    """Recommend a bicycle for ``needs``, walk the customer through choosing it, log it."""
    model = ProductModel.from_dict(load_product_model("bicycle"))
    best = recommend_configuration(PriceList(model, base_price=390.0), needs, alternatives=0)[0]
    session = ConfigurationSession(Configurator(model), customer_id=customer)
    decided: set[str] = set()
    for k, option in enumerate(o for o in model.order() if o in best.selected):
        if model.option(option).abstract or option in decided:
            continue  # a group, or already decided by an earlier choice
        value = dict(best.quantities).get(option, True)  # a counted option takes its number
        step = session.choose(option, value, at=at + dt.timedelta(minutes=k))
        decided |= {option, *(name for name, _ in step.forced)}
    log.append(session.to_interactions(channel="web"))
    return session.complete(), float(best.quote.price)


def needs_from_profile(profile: CustomerProfile, *, budget: float | None) -> Needs:
    """Weigh each kind of riding's needs by the customer's learnt interest in it."""
    interest = {
        k: max(v, 0.0) for k, v in profile.preferences.get("riding", {}).items() if k in RIDING
    }
    total = sum(interest.values()) or 1.0
    weights: dict[str, float] = {}
    likes: dict[str, float] = {}
    for riding, score in interest.items():
        share = score / total
        for attribute, w in NEEDS_OF_RIDING[riding]["weights"].items():
            weights[attribute] = weights.get(attribute, 0.0) + share * w
        for option, w in NEEDS_OF_RIDING[riding]["likes"].items():
            likes[option] = likes.get(option, 0.0) + share * w
    return Needs(weights=weights, likes=likes, budget=budget)


def _interactions(events: pd.DataFrame, customer_of: pd.Series) -> list[dict[str, object]]:
    """Key the business's events by the customer ids resolved for their records."""
    ids = customer_of.reindex(events["record_id"].astype(str)).to_numpy()
    rows = events.drop(columns=["record_id"]).assign(customer_id=ids)
    out = []
    for raw in rows.to_dict("records"):
        row = {str(k): v for k, v in raw.items()}
        for money in ("value", "cost"):
            if money in row and pd.isna(row[money]):
                row.pop(money)  # none: not a money event
        out.append(row)
    return out


def _follow(
    customer_of_record: pd.Series,
    transactions: pd.DataFrame,
    log: InteractionLog,
    tiers: pd.DataFrame,
) -> str:
    """Pick a customer worth following: several records, a refund, consent, a good tier."""
    records = customer_of_record.value_counts()
    refunded = set(transactions.loc[transactions["value"] < 0, "customer_id"])
    good = set(tiers.index[tiers["tier"].isin(["most valuable", "most growable"])])
    for customer in records.index:
        if (
            records[customer] >= 2  # noqa: PLR2004
            and customer in refunded & good
            and log.consent.allows(str(customer), "marketing", channel="email")
        ):
            return str(customer)
    return str(records.index[0])


def _budget(business: SimulatedBusiness, customer: str, customer_of_record: pd.Series) -> float:
    """Return the budget the customer states when asked (their person's simulated truth)."""
    person = business.person_of_record.reindex(
        customer_of_record.index[customer_of_record == customer]
    ).mode()
    budgets = business.people["budget"].to_numpy(dtype=float)
    return float(budgets[business.people.index.get_loc(int(person.iloc[0]))])


def _offer_rounds(
    business: SimulatedBusiness,
    log: InteractionLog,
    profiles: ProfileStore,
    *,
    tiers: pd.DataFrame,
    customer_of_record: pd.Series,
    rounds: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Weekly rounds: choose an offer per customer, log it, draw and log the answer."""
    worth_it = {t for t in TIERS if t != "below zero"}  # an offer costs; not where it never pays
    offers = [Offer(o, "email", value=1.0, requires={"tier": worth_it}) for o in BUSINESS_OFFERS]
    policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=7), channel="email")])
    nba = NextBestAction(
        log,
        offers,
        learner=LinearThompson(len(RIDING), random_state=int(rng.integers(2**31))),
        policy=policy,
        profiles=profiles,
        features=_riding_shares,
        customers=tiers,  # what differentiate learnt reaches the decision
    )
    person = business.person_of_record.groupby(
        customer_of_record.reindex(business.person_of_record.index).to_numpy()
    ).agg(lambda s: s.mode().iloc[0])
    riding = business.people["riding"].astype(str)
    start = business.observation_end.to_pydatetime()
    made = []
    for week in range(rounds):
        at = start + dt.timedelta(weeks=week, hours=10)
        for customer in tiers.index:
            action = nba.choose(str(customer), at)
            if action.offer is None:
                continue
            nba.record(action)
            who = int(person[customer])
            offer_id = action.offer.offer_id
            accepted = business.respond(who, offer_id, rng)
            log.append(
                [
                    Interaction(
                        customer_id=str(customer),
                        occurred_at=at + dt.timedelta(hours=3),
                        channel="email",
                        kind="offer_accepted" if accepted else "offer_ignored",
                        offer_id=offer_id,
                    )
                ]
            )
            made.append(
                {
                    "customer_id": str(customer),
                    "round": week,
                    "offer_id": offer_id,
                    "propensity": action.propensity,
                    "accepted": accepted,
                    "fits": offer_id == BUSINESS_OFFERS[RIDING.index(riding[who])],
                }
            )
    return pd.DataFrame(made)


def _riding_shares(profile: CustomerProfile | None) -> np.ndarray:
    """Return the customer's share of interest per kind of riding (the learner's context)."""
    if profile is None:
        return np.zeros(len(RIDING))
    scores = profile.preferences.get("riding", {})
    total = sum(max(v, 0.0) for v in scores.values()) or 1.0
    return np.array([max(scores.get(r, 0.0), 0.0) / total for r in RIDING])
