"""One business with known truth: the whole one-to-one cycle runs on it.

A bicycle maker sells through its web shop, its stores and a call centre.
Each channel keeps its own customer records (duplicates, typos, moves,
households), so a person's purchases arrive under several record ids until
identity resolution joins them. People buy as a buy-till-you-die model says,
refund some orders, browse the kind of riding they do, agree (or not) to
marketing e-mail, answer offers with a known probability, and want a bicycle
that suits their riding and budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs
import numpy as np
import pandas as pd

from .._deprecation import renamed_parameters
from .._validation import as_generator, require_number
from ..clv._simulate import simulate_transactions
from ..errors import DataContractError
from ._identities import CUSTOMER_BASE_PARAMS, _pair_frame, _pairs_sharing, simulate_identities

__all__ = ["BUSINESS_OFFERS", "RIDING", "SimulatedBusiness", "simulate_business"]

RIDING: tuple[str, ...] = ("commuting", "racing", "touring")
"""The kinds of riding people do; each wants a different bicycle."""

BUSINESS_OFFERS: tuple[str, ...] = ("commuter-kit", "racing-kit", "touring-kit")
"""The offers the business can make, one per kind of riding, in :data:`RIDING` order."""

_RIDING_SHARES = (0.5, 0.2, 0.3)
_PURCHASE_PARAMS = MappingProxyType({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
_SPEND_PARAMS = MappingProxyType({"p": 6.25, "q": 3.74, "gamma": 15.44})  # ~ 90 per order
_CHANNEL_OF_SOURCE = MappingProxyType({"web": "web", "store": "store", "call_centre": "phone"})
_REFUND_SHARE = 0.08
_CONSENT_SHARE = 0.6
_TRUE_TASTE = 0.7  # share of a person's page views about their own riding
_ACCEPT_FITTING, _ACCEPT_OTHER = 0.30, 0.03
_BUDGET_MEDIAN = 1800.0
_PHONE_ORDER_COST, _REFUND_COST = 4.0, 12.0


@attrs.frozen(eq=False)
class SimulatedBusiness:
    """Records, interactions and the truth behind them, for the whole cycle.

    Attributes
    ----------
    records
        The channels' customer records, as
        :func:`simulate_identities` makes them (``record_id``, names,
        contact fields, ``source``): what identity resolution reads.
    events
        One row per interaction, keyed by the ``record_id`` the channel
        knew the person by (there is no customer id yet): ``record_id``,
        ``occurred_at`` (UTC), ``channel``, ``kind`` (``purchase``,
        ``return``, ``view``, ``consent_granted``), ``value`` (money; a
        refund is negative), ``payload`` (``order_id`` for purchases and
        refunds, ``riding`` for views, ``purpose`` and ``channel`` for
        consent) and ``event_id``. In time order.
    people
        The truth per person (indexed by ``person_id``): ``riding`` (the
        kind of riding, one of :data:`RIDING`), ``budget``,
        ``email_consent``, ``purchase_rate`` (per week), ``dropout_prob``,
        ``mean_spend``, ``alive`` (still buying at the end) and
        ``n_records``.
    person_of_record
        ``record_id`` -> ``person_id``: who each record really is.
    acceptance
        Indexed by ``person_id``, one column per offer of
        :data:`BUSINESS_OFFERS`: the chance the person accepts it when made
        (and never buys it unasked: this is the true uplift).
    observation_end
        When the history ends (UTC).
    """

    records: pd.DataFrame
    events: pd.DataFrame
    people: pd.DataFrame
    person_of_record: pd.Series
    acceptance: pd.DataFrame
    observation_end: pd.Timestamp

    @property
    def true_links(self) -> pd.DataFrame:
        """Every pair of records of the same person, once, as :func:`simulate_identities` gives.

        Columns ``rec_id_1`` and ``rec_id_2`` (``rec_id_1 < rec_id_2``,
        sorted): what ``one2one.identify.evaluate_links`` scores against.
        """
        ids = self.person_of_record.index.to_numpy(dtype=object).astype(str)
        first, second = _pairs_sharing(ids, self.person_of_record.to_numpy(dtype=np.int64))
        return _pair_frame(first, second)

    @renamed_parameters(rng="random_state")
    def respond(
        self,
        person_id: int,
        offer_id: str,
        random_state: int | np.random.Generator | None = None,
    ) -> bool:
        """Draw whether ``person_id`` accepts ``offer_id`` when it is made to them.

        The true acceptance probability is hidden from the decision code, so a
        simulation can only learn it from responses, as a real business does.

        Parameters
        ----------
        person_id
            A person of :attr:`people` (the truth, not a record id).
        offer_id
            One of the :data:`BUSINESS_OFFERS` (a column of :attr:`acceptance`).
        random_state
            Seed or generator; pass one generator across calls for independent
            draws (``rng=`` is read as ``random_state=`` with a
            ``DeprecationWarning`` until one2one 0.2).

        Returns
        -------
        bool
            Whether this person accepts this offer this time.

        Raises
        ------
        DataContractError
            For an unknown person or offer, or a ``random_state`` that is not
            an int, a numpy Generator or None.
        """
        if offer_id not in self.acceptance.columns:
            msg = f"unknown offer {offer_id!r}; the offers are {list(self.acceptance.columns)}."
            raise DataContractError(msg, column="offer_id", value=offer_id)
        if person_id not in self.acceptance.index:
            msg = f"unknown person {person_id!r}."
            raise DataContractError(msg, column="person_id", value=person_id)
        chance = self.acceptance[offer_id].to_numpy(dtype=float)[
            self.acceptance.index.get_loc(person_id)
        ]
        return bool(as_generator(random_state).random() < chance)


def simulate_business(
    n_records: int = 3_000,
    *,
    weeks: int = 52,
    start: str = "2026-01-05",
    random_state: int | np.random.Generator | None = None,
) -> SimulatedBusiness:
    """Simulate one bicycle business across its channels, with known truth.

    Parameters
    ----------
    n_records
        Customer records across the channels (about 60% as many people).
    weeks
        Weeks of history; people arrive over the first half.
    start
        First day of the history (UTC).
    random_state
        Seed or generator: the same seed gives the same business.

    Returns
    -------
    SimulatedBusiness
        Records to resolve, interactions keyed by record, and the truth.

    Raises
    ------
    DataContractError
        If ``n_records`` is not a whole number >= 10, ``weeks`` not one >= 4,
        or ``random_state`` is not an int, a numpy Generator or None.

    Examples
    --------
    >>> business = simulate_business(500, random_state=0)
    >>> sorted(business.events["kind"].unique())
    ['consent_granted', 'purchase', 'return', 'view']
    >>> business.person_of_record.nunique() == len(business.people)
    True
    """
    require_number(n_records, name="n_records", low=10, integer=True)
    require_number(weeks, name="weeks", low=4, integer=True)
    rng = as_generator(random_state)
    identities = simulate_identities(int(n_records), **CUSTOMER_BASE_PARAMS, random_state=rng)
    records = identities.records
    person_of_record = identities.true_entities.rename("person_id")
    person_of_record.index.name = "record_id"
    people_ids = np.sort(person_of_record.unique())
    bought = simulate_transactions(
        "bgnbd",
        n_customers=len(people_ids),
        params=_PURCHASE_PARAMS,
        spend_params=_SPEND_PARAMS,
        observation_weeks=float(weeks),
        acquisition_weeks=weeks / 2,
        start=start,
        random_state=rng,
    )
    truth = bought.customers.set_axis(people_ids).rename_axis("person_id")
    riding = rng.choice(len(RIDING), size=len(people_ids), p=_RIDING_SHARES)
    people = pd.DataFrame(
        {
            "riding": pd.Categorical(np.asarray(RIDING)[riding], categories=list(RIDING)),
            "budget": np.round(_BUDGET_MEDIAN * np.exp(rng.normal(0, 0.3, len(people_ids))), -1),
            "email_consent": rng.random(len(people_ids)) < _CONSENT_SHARE,
            "purchase_rate": truth["purchase_rate"].to_numpy(),
            "dropout_prob": truth["dropout_prob"].to_numpy(),
            "mean_spend": truth["mean_spend"].to_numpy(),
            "alive": truth["alive"].to_numpy(),
            "n_records": person_of_record.value_counts().reindex(people_ids).to_numpy(),
        },
        index=pd.Index(people_ids, name="person_id"),
    )
    records_of = _records_of(person_of_record)
    person_of_draw = pd.Series(people_ids, index=bought.customers.index)
    sales = bought.transactions.assign(
        person_id=person_of_draw.reindex(bought.transactions["customer_id"]).to_numpy()
    )
    purchases = _purchases(sales, records_of, records, rng)
    refunds = _refunds(purchases, bought.observation_end, rng)
    first = sales.groupby("person_id")["occurred_at"].min()
    views = _views(people, first, bought.observation_end, records_of, rng)
    consents = _consents(people, first, records_of, rng)
    purchases["cost"] = np.where(purchases["channel"] == "phone", _PHONE_ORDER_COST, np.nan)
    refunds["cost"] = _REFUND_COST
    events = pd.concat([purchases, refunds, views, consents], ignore_index=True)
    events = events.sort_values(["occurred_at", "kind", "record_id"], kind="stable")
    events = events.reset_index(drop=True)
    events["event_id"] = [f"e{k:07d}" for k in range(len(events))]
    acceptance = pd.DataFrame(
        np.where(riding[:, None] == np.arange(len(RIDING)), _ACCEPT_FITTING, _ACCEPT_OTHER),
        index=people.index,
        columns=list(BUSINESS_OFFERS),
    )
    return SimulatedBusiness(
        records=records,
        events=events,
        people=people,
        person_of_record=person_of_record,
        acceptance=acceptance,
        observation_end=bought.observation_end,
    )


def _records_of(person_of_record: pd.Series) -> Mapping[int, np.ndarray]:
    """Each person's record ids."""
    return {
        int(person): group.index.to_numpy(dtype=object)
        for person, group in person_of_record.groupby(person_of_record)
    }


def _pick(options: np.ndarray, rng: np.random.Generator) -> object:
    return options[int(rng.integers(len(options)))]


def _purchases(
    sales: pd.DataFrame,
    records_of: Mapping[int, np.ndarray],
    records: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Each sale, under one of its buyer's records, in that record's channel."""
    source = records.set_index("record_id")["source"]
    record_ids = [_pick(records_of[int(p)], rng) for p in sales["person_id"]]
    orders = [f"o{k:06d}" for k in range(len(sales))]
    return pd.DataFrame(
        {
            "record_id": record_ids,
            "occurred_at": sales["occurred_at"].to_numpy(),
            "channel": source.reindex(record_ids).map(_CHANNEL_OF_SOURCE).to_numpy(),
            "kind": "purchase",
            "value": np.round(sales["value"].to_numpy(dtype=float), 2),
            "payload": [{"order_id": o} for o in orders],
        }
    )


def _refunds(purchases: pd.DataFrame, end: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Refund some orders in full within three weeks, in the channel they were bought in."""
    chosen = purchases[rng.random(len(purchases)) < _REFUND_SHARE].copy()
    later = pd.to_timedelta(rng.integers(1, 22, size=len(chosen)), unit="D")
    chosen["occurred_at"] = chosen["occurred_at"] + later
    chosen = chosen[chosen["occurred_at"] <= end]
    chosen["kind"] = "return"
    chosen["value"] = -chosen["value"]
    chosen["payload"] = pd.Series(
        [{"order_id": p["order_id"]} for p in chosen["payload"]], index=chosen.index, dtype=object
    )
    return chosen


def _views(
    people: pd.DataFrame,
    first: pd.Series,
    end: pd.Timestamp,
    records_of: Mapping[int, np.ndarray],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Pages read on the web shop, mostly about the person's own kind of riding."""
    rows = []
    for person, row in zip(people.index, people.itertuples(), strict=True):
        start = pd.Timestamp(first[person])
        span = (end - start).total_seconds()
        for _ in range(1 + int(rng.poisson(4))):
            own = rng.random() < _TRUE_TASTE
            riding = row.riding if own else RIDING[int(rng.integers(len(RIDING)))]
            at = start + pd.Timedelta(seconds=float(rng.uniform(0, max(span, 1.0))))
            rows.append(
                {
                    "record_id": _pick(records_of[int(person)], rng),
                    "occurred_at": at.floor("s"),
                    "channel": "web",
                    "kind": "view",
                    "value": np.nan,
                    "payload": {"riding": str(riding)},
                }
            )
    return pd.DataFrame(rows)


def _consents(
    people: pd.DataFrame,
    first: pd.Series,
    records_of: Mapping[int, np.ndarray],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Those who agree to marketing e-mail say so at their first purchase."""
    agreeing = people.index[people["email_consent"].to_numpy()]
    return pd.DataFrame(
        {
            "record_id": [_pick(records_of[int(p)], rng) for p in agreeing],
            "occurred_at": first.reindex(agreeing).to_numpy(),
            "channel": "web",
            "kind": "consent_granted",
            "value": np.nan,
            "payload": [{"purpose": "marketing", "channel": "email"} for _ in agreeing],
        }
    )
