"""A simulated week (or more) of a shop's interactions, with each customer's hidden tastes."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from .._deprecation import renamed_parameters
from .._validation import as_generator, require_number

__all__ = ["SHOP_CATEGORIES", "SimulatedShop", "simulate_shop"]

SHOP_CATEGORIES: tuple[str, ...] = ("shoes", "bags", "outdoor", "kitchen", "books")
"""The product categories of the simulated shop."""

_ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
_EMAIL_CONSENT, _SMS_CONSENT = 0.7, 0.3  # shares who would agree
_APP_SHARE, _KEEN, _BUYS = (
    0.3,
    0.6,
    0.25,
)  # visits in the app; views of the favourite; visits that buy


@attrs.frozen
class SimulatedShop:
    """Customers and their inbound interactions, with the truth behind them.

    Attributes
    ----------
    customers
        Indexed by ``customer_id``: ``timezone``, ``favourite_category`` (the
        hidden taste that drives views, purchases and offer acceptance),
        ``email_consent`` and ``sms_consent`` (what they would agree to).
    events
        One row per interaction, with the fields of
        ``one2one.interact.Interaction`` (``payload`` holds ``category``), in
        time order: ready for ``log.append(events.to_dict("records"))``.
    """

    customers: pd.DataFrame = attrs.field(eq=False)
    events: pd.DataFrame = attrs.field(eq=False)


@renamed_parameters(seed="random_state")
def simulate_shop(
    n_customers: int = 500,
    *,
    days: int = 7,
    start: str = "2026-11-02",
    random_state: int | np.random.Generator | None = None,
) -> SimulatedShop:
    """Simulate a shop's visits, views and purchases, each customer keen on one category.

    Each day a customer visits with a probability of their own; a visit
    views a few products, mostly in the favourite category, and sometimes
    ends in a purchase. Activity happens in the customer's waking hours.
    The favourite category is known to the simulation only, so a
    next-best-action or a profile can be scored on whether it finds it.

    Parameters
    ----------
    n_customers
        Number of customers (>= 1).
    days
        Days of activity (>= 1), starting at ``start``.
    start
        First day, read as a UTC date; each customer's day runs in their own
        time zone.
    random_state
        Seed or generator, for reproducible draws (``seed=`` is read as
        ``random_state=`` with a ``DeprecationWarning`` until one2one 0.2).

    Returns
    -------
    SimulatedShop
        The customers with their hidden favourite, and their events ordered
        by ``occurred_at`` (UTC), ready to append to an interaction log.

    Raises
    ------
    DataContractError
        If ``n_customers`` or ``days`` is not a whole number >= 1, or
        ``random_state`` is not an int, a numpy Generator or None.

    Examples
    --------
    >>> shop = simulate_shop(50, days=3, random_state=0)
    >>> sorted(shop.events["kind"].unique())
    ['purchase', 'view', 'visit']
    """
    require_number(n_customers, name="n_customers", low=1, integer=True)
    require_number(days, name="days", low=1, integer=True)
    rng = as_generator(random_state)
    n = int(n_customers)
    ids = np.array([f"C{i:05d}" for i in range(1, n + 1)])
    zones = rng.choice(_ZONES, n, p=[0.4, 0.3, 0.2, 0.1])
    favourite = rng.choice(SHOP_CATEGORIES, n)
    activity = rng.beta(1.2, 4.0, n)
    customers = pd.DataFrame(
        {
            "timezone": zones,
            "favourite_category": favourite,
            "email_consent": rng.random(n) < _EMAIL_CONSENT,
            "sms_consent": rng.random(n) < _SMS_CONSENT,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    origin = pd.Timestamp(start, tz="UTC")
    rows: list[tuple[object, ...]] = []
    for day in range(int(days)):
        visitors = np.flatnonzero(rng.random(n) < activity)
        for i in visitors:
            local = (origin + pd.Timedelta(days=day)).tz_convert(zones[i]).normalize()
            moment = local + pd.Timedelta(hours=float(rng.uniform(8, 22)))
            channel = "app" if rng.random() < _APP_SHARE else "web"
            rows.append((ids[i], moment, channel, "visit", None, {}))
            for _ in range(int(rng.integers(1, 5))):
                moment += pd.Timedelta(minutes=float(rng.uniform(0.5, 5)))
                keen = rng.random() < _KEEN
                category = favourite[i] if keen else rng.choice(SHOP_CATEGORIES)
                rows.append((ids[i], moment, channel, "view", None, {"category": str(category)}))
            if rng.random() < _BUYS:
                moment += pd.Timedelta(minutes=float(rng.uniform(1, 10)))
                amount = round(float(rng.gamma(2.0, 25.0)), 2)
                rows.append(
                    (ids[i], moment, channel, "purchase", amount, {"category": str(favourite[i])})
                )
    events = pd.DataFrame(
        rows, columns=["customer_id", "occurred_at", "channel", "kind", "value", "payload"]
    )
    events["occurred_at"] = [t.tz_convert("UTC").round("s") for t in events["occurred_at"]]
    events["value"] = events["value"].astype(object).where(events["value"].notna(), None)
    events["direction"] = "inbound"
    events = events.sort_values("occurred_at", kind="stable").reset_index(drop=True)
    return SimulatedShop(customers=customers, events=events)
