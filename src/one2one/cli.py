"""The ``one2one`` command: ``one2one demo`` walks the one-to-one cycle on bundled data.

The CLI composes the rooms; nothing imports it. Each room adds one step to the
demo as it lands, until the demo walks the whole IDIC loop.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from ._cycle import run_cycle
from .clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value, rfm_summary
from .customize import (
    ConfigurationSession,
    Configurator,
    Needs,
    PriceList,
    PriceRule,
    ProductModel,
    optimise,
    recommend,
)
from .datasets import (
    SHOP_CATEGORIES,
    load_cdnow_transactions,
    load_febrl,
    load_product_model,
    simulate_business,
    simulate_campaign,
    simulate_shop,
)
from .differentiate import (
    TwoModelUplift,
    auuc_score,
    rfm_scores,
    rfm_segments,
    rfm_table,
    targeting_policy,
    tier_report,
    value_tiers,
)
from .identify import IdentityResolver, RecordSchema, evaluate_links
from .interact import (
    ContactPolicy,
    CustomerProfile,
    FrequencyCap,
    Interaction,
    InteractionLog,
    LinearThompson,
    NextBestAction,
    Offer,
    ProfileStore,
    QuietHours,
    consent_event,
    logged_decisions,
    off_policy_value,
)

__all__ = ["main"]


def _rule(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def _step_cycle() -> list[str]:
    """One bicycle business around the whole cycle, following one customer through it."""
    business = simulate_business(3_000, random_state=7)
    report = run_cycle(business, rounds=4, random_state=0)
    who = report.followed
    me = f"{report.name} ({who})"
    records = report.customer_of_record
    mine = records.index[records == who]
    channels = business.records.set_index("record_id").loc[mine, "source"]
    history = report.log.history(who)
    money = history[history["kind"].isin(["purchase", "return"])]
    values = report.customer_values
    row = values.index.get_loc(who)
    clv, alive = (float(values[c].to_numpy()[row]) for c in ("clv", "p_alive"))
    rank = int((values["clv"] > clv).sum()) + 1
    tier = str(report.tiers["tier"].to_numpy()[report.tiers.index.get_loc(who)])
    segment = str(report.segments.get(who, "-"))
    offers = report.offers
    fits = offers.groupby("round")["fits"].mean().tolist()
    taken = offers.groupby("round")["accepted"].mean().tolist()
    answered = offers[offers["customer_id"] == who]
    learnt = report.profile_after.preferences.get("option", {})
    identity = report.identity
    return [
        _rule(
            f"The cycle: one bicycle business, {len(records):,} records from web, store and "
            f"call centre; following {me}"
        ),
        (
            f"  identify      {records.nunique():,} customers (true people: "
            f"{len(business.people):,}); precision {identity['precision']:.3f}, "
            f"recall {identity['recall']:.3f}; {report.merges} merge(s) followed by the log"
        ),
        (
            f"                {me}: {len(mine)} records "
            f"({', '.join(sorted(set(channels)))}) are one customer"
        ),
        (
            f"  log           {len(report.log):,} interactions under resolved ids; {me}: "
            f"{(money['kind'] == 'purchase').sum()} purchases, "
            f"{(money['kind'] == 'return').sum()} refunded"
        ),
        (
            f"  value         BG/NBD + Gamma-Gamma on log.transactions(): {who} is worth "
            f"{clv:,.2f} over 52 weeks (P(alive) {alive:.2f}; #{rank:,} of {len(values):,})"
        ),
        (
            "  differentiate "
            + ", ".join(f"{t} {n:,}" for t, n in report.tiers["tier"].value_counts().items())
            + f"; {who}: {tier}, rides {segment}"
        ),
        (
            "  interact      offers by e-mail (consent, 1 a week, not below zero), fitting / "
            "taken by week: "
            + ", ".join(f"{f:.0%}/{t:.0%}" for f, t in zip(fits, taken, strict=True))
        ),
        (
            f"                {who} was offered "
            + ", ".join(
                f"{r.offer_id} ({'taken' if r.accepted else 'ignored'})"
                for r in answered.itertuples()
            )
        ),
        (
            f"  customize     needs from {who}'s profile: "
            + ", ".join(f"{a} {w:+.0f}" for a, w in report.needs.weights.items())
            + f"; budget {report.needs.budget:,.0f}"
        ),
        (
            f"                bicycle for {who}: {report.price:,.0f} with "
            + ", ".join(o for o, v in report.configuration.items() if v is True and o in learnt)
        ),
        (
            f"  learn         {who}'s profile: {report.profile_before.interactions} -> "
            f"{report.profile_after.interactions} interactions, {len(learnt)} options learnt "
            "from the session"
        ),
        *(f"  note          {note}" for note in report.notes),
    ]


def _step_identify() -> list[str]:
    """Know who is who: deduplicate person records, then recognise a returning customer."""
    data = load_febrl("dataset2")
    schema = RecordSchema(
        record_id="rec_id",
        given_name="given_name",
        surname="surname",
        street="address_1",
        postcode="postcode",
        city="suburb",
        date_of_birth="date_of_birth",
        account_id="soc_sec_id",
    )
    records = data.records.reset_index()
    started = time.perf_counter()
    resolver = IdentityResolver.from_records(records, schema)
    seconds = time.perf_counter() - started
    scores = evaluate_links(resolver.customers(), data.true_links)
    known = records.iloc[0]
    returning = {  # the same person, names swapped, date typed differently, a new record id
        "rec_id": "web-signup-1",
        "given_name": known["surname"],
        "surname": known["given_name"],
        "address_1": known["address_1"],
        "suburb": known["suburb"],
        "date_of_birth": f"{known['date_of_birth'][6:8]}/{known['date_of_birth'][4:6]}/"
        f"{known['date_of_birth'][:4]}",
    }
    started = time.perf_counter()
    resolution = resolver.resolve(returning)
    milliseconds = (time.perf_counter() - started) * 1000
    quality = (
        f"{scores['precision']:.4f} / {scores['recall']:.4f} "
        f"of {len(data.true_links):,} true duplicate pairs"
    )
    was = f"{known['given_name']} {known['surname']}"
    now = f"{returning['given_name']} {returning['surname']}, born {returning['date_of_birth']}"
    found = (
        f"{resolution.customer_id} (record {resolution.matched_record}, "
        f"p={resolution.probability:.3f}) in {milliseconds:.1f} ms"
    )
    if resolution.customer_id == resolver.customer_of(str(known["rec_id"])):
        found += ": the same customer"
    people = data.true_entities.nunique()
    return [
        _rule("Identify: Febrl 2, person records with typos and duplicates (no labels used)"),
        f"  records                {len(records):>12,}",
        f"  customers found        {resolver.n_customers:>12,}  (true: {people:,})",
        f"  precision / recall     {quality}",
        f"  time                   {seconds:>12.1f} s (learning included)",
        f"  returning customer     {was} signs up as {now}",
        f"  resolved to            {found}",
    ]


def _step_data() -> list[str]:
    """Know the customer base: who bought, when, and how concentrated value is."""
    tx = load_cdnow_transactions()
    per_customer = tx.groupby("customer_id")["value"].agg(["size", "sum"])
    first, last = tx["occurred_at"].min(), tx["occurred_at"].max()
    weeks = (last - first) / pd.Timedelta(weeks=1)
    repeaters = int((per_customer["size"] > 1).sum())
    top = per_customer["sum"].sort_values(ascending=False)
    top_decile = top.iloc[: max(1, len(top) // 10)].sum() / top.sum()
    n = len(per_customer)
    return [
        _rule("Data: CDNOW, the cohort first buying in Q1 1997 (Fader, Hardie & Lee 2005)"),
        f"  transactions           {len(tx):>12,}",
        f"  customers              {n:>12,}",
        f"  observed               {first:%Y-%m-%d} .. {last:%Y-%m-%d} ({weeks:.0f} weeks)",
        f"  revenue                {tx['value'].sum():>12,.2f} USD",
        f"  median purchase        {tx['value'].median():>12,.2f} USD",
        f"  bought more than once  {repeaters:>12,} ({repeaters / n:.0%})",
        f"  top 10% of customers   {top_decile:>12.0%} of revenue",
        f"  purchases per customer {np.mean(per_customer['size']):>12.2f} on average",
    ]


def _step_lifetime_value() -> list[str]:
    """Predict each customer's future from their past: BG/NBD + Gamma-Gamma on CDNOW."""
    summary = rfm_summary(  # purchases counted per day, time in weeks, as in the papers
        load_cdnow_transactions("sample"),
        freq="D",
        time_unit="W",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
    )
    purchases = BetaGeoModel().fit(summary)
    spend = GammaGammaModel().fit(summary)
    r, alpha, a, b = purchases.params_
    predicted = purchases.predict_purchases(summary, 39).sum()
    actual = summary["frequency_holdout"].sum()
    value = customer_lifetime_value(
        purchases, spend, summary, horizon=52, discount_rate=0.1, interval="delta"
    )
    top = value.sort_values("clv", ascending=False).head(5)
    lines = [
        _rule("Lifetime value: BG/NBD + Gamma-Gamma, 39 weeks calibration, 39 weeks holdout"),
        (
            f"  BG/NBD        r={r:.3f} alpha={alpha:.3f} a={a:.3f} b={b:.3f}"
            "  (paper: 0.243 4.414 0.793 2.426)"
        ),
        f"  log-lik       {purchases.log_likelihood_:,.1f}  (paper: -9,582.4)",
        f"  holdout       {predicted:,.0f} repeat purchases predicted, {actual:,.0f} made",
        f"  mean P(alive) {value['p_alive'].mean():.2f} at the end of calibration",
        "  most valuable customers, next 52 weeks at 10% a year (95% interval):",
    ]
    lines += [
        f"    customer {cid:>5}  {row.clv:8.2f} USD  ({row.clv_lower:.2f} .. {row.clv_upper:.2f})"
        f"  P(alive) {row.p_alive:.2f}"
        for cid, row in top.iterrows()
    ]
    return lines


def _step_differentiate() -> list[str]:
    """Treat customers differently: RFM segments, value tiers, and whom a contact moves."""
    transactions = load_cdnow_transactions("master")
    table = rfm_table(transactions, as_of="1998-07-01")
    segments = rfm_segments(rfm_scores(table)).value_counts()
    summary = rfm_summary(transactions, freq="D", time_unit="W", observation_end="1998-06-30")
    buyers = summary[(summary["frequency"] == 0) | (summary["monetary_value"] > 0)]
    value = customer_lifetime_value(
        BetaGeoModel().fit(buyers), GammaGammaModel().fit(buyers), buyers, horizon=52
    )
    costs = 2.0 + 0.5 * table["purchases"].reindex(value.index)
    tiers = value_tiers(pd.DataFrame({"actual_value": value["clv"], "cost_to_serve": costs}))
    report = tier_report(tiers)
    lines = [
        _rule("Differentiate: RFM segments and value tiers on CDNOW (next-52-week CLV)"),
        "  RFM segments:",
    ]
    lines += [f"    {name:<20}{count:>7,} customers" for name, count in segments.items()]
    lines += ["  value tiers (net of an illustrative cost to serve):"]
    lines += [
        f"    {tier:<18}{int(row.customers):>7,} customers ({row.customer_share:4.0%})"
        f"  {row.value_share:6.1%} of net value"
        for tier, row in report.iterrows()
        if row.customers
    ]
    train, test = (
        simulate_campaign(40_000, random_state=1),
        simulate_campaign(40_000, random_state=2),
    )
    model = TwoModelUplift().fit(train.features, train.response, train.treatment)
    uplift = model.predict(test.features)
    policy = targeting_policy(pd.Series(uplift), value=30.0, cost=0.5)
    contacted = policy["contact"].to_numpy()
    gain = test.true_uplift.to_numpy() * 30.0 - 0.5
    qini = auuc_score(test.response, test.treatment, uplift)
    best = auuc_score(test.response, test.treatment, test.true_uplift)
    lines += [
        _rule("Differentiate: uplift on a simulated randomised e-mail campaign (40,000 + 40,000)"),
        f"  Qini coefficient  {qini:.3f}  (ranking by the true uplift: {best:.3f})",
        f"  contact the {contacted.mean():.0%} whose expected uplift pays for the contact:",
        f"    true net gain {gain[contacted].sum():,.0f} vs {gain.sum():,.0f} contacting everyone",
    ]
    return lines


def _taste(profile: CustomerProfile | None) -> np.ndarray:
    """Return a customer's share of positive preference per shop category."""
    if profile is None:
        return np.zeros(len(SHOP_CATEGORIES))
    scores = profile.preferences.get("category", {})
    total = sum(max(v, 0.0) for v in scores.values()) or 1.0
    return np.array([max(scores.get(c, 0.0), 0.0) / total for c in SHOP_CATEGORIES])


def _step_interact() -> list[str]:
    """Learn from every interaction: a log, consent, contact rules and a learning offer."""
    shop = simulate_shop(300, days=7, random_state=3)
    log = InteractionLog()
    stored = log.append(shop.events.to_dict("records")).stored
    start = pd.Timestamp("2026-11-02", tz="UTC").to_pydatetime()
    consenting = shop.customers.index[shop.customers["email_consent"]]
    log.append(
        [consent_event(c, "marketing", "granted", at=start, channel="email") for c in consenting]
    )
    policy = ContactPolicy(
        log,
        [
            FrequencyCap(2, pd.Timedelta(days=7).to_pytimedelta(), channel="email"),
            QuietHours(pd.Timestamp("21:00").time(), pd.Timestamp("08:00").time()),
        ],
        timezones={str(k): str(v) for k, v in shop.customers["timezone"].items()},
    )
    profiles = ProfileStore.attach(log, attributes=("category",))
    offers = [Offer(f"{c}-10", "email") for c in SHOP_CATEGORIES]
    learner = LinearThompson(len(SHOP_CATEGORIES), random_state=0)
    nba = NextBestAction(
        log, offers, learner=learner, policy=policy, profiles=profiles, features=_taste
    )
    rng = np.random.default_rng(0)
    favourite = shop.customers["favourite_category"]
    accepted: dict[int, list[bool]] = {}
    blocked = 0
    for day in range(7, 21):
        at = start + pd.Timedelta(days=day, hours=10).to_pytimedelta()
        for customer in shop.customers.index:
            action = nba.choose(customer, at)
            if action.offer is None:
                blocked += 1
                continue
            nba.record(action)
            fits = action.offer.offer_id.startswith(favourite[customer])
            took = bool(rng.random() < (0.30 if fits else 0.03))
            kind = "offer_accepted" if took else "offer_ignored"
            later = at + pd.Timedelta(hours=2).to_pytimedelta()
            log.append(
                Interaction(
                    customer_id=customer,
                    occurred_at=later,
                    channel="email",
                    kind=kind,
                    offer_id=action.offer.offer_id,
                )
            )
            accepted.setdefault(day // 7, []).append(took)
    weeks = ", ".join(
        f"week {w}: {np.mean(v):.0%} of {len(v)}" for w, v in sorted(accepted.items())
    )
    names = [o.offer_id for o in offers]
    estimate = off_policy_value(
        logged_decisions(log), lambda x: names[int(np.argmax(x))], offers=names
    )
    guess = (
        f"'top profiled category' would be accepted {estimate.dr:.0%} "
        f"(+/- {2 * estimate.dr_standard_error:.0%}); logged {estimate.logged:.0%}"
    )
    return [
        _rule("Interact: a simulated shop, 300 customers, one week of history, two of offers"),
        f"  interactions logged    {stored:,} (then {len(log):,} with consents, offers, answers)",
        f"  e-mail consent         {len(consenting)} of {len(shop.customers)} customers",
        f"  contacts held back     {blocked:,} (no consent, at most 2 e-mails a week)",
        "  offers accepted        " + weeks,
        f"  off-policy estimate    {guess}",
    ]


def _parts(selected: frozenset[str], model: ProductModel, counts: dict[str, int]) -> str:
    names = [n for n in model.order() if n in selected and not model.option(n).abstract]
    return ", ".join(f"{counts[n]} x {n}" if counts.get(n, 0) > 1 else n for n in names)


def _step_customize() -> list[str]:
    """Make a bicycle for one customer: rules, prices, two customers, a conflict explained."""
    model = ProductModel.from_dict(load_product_model("bicycle"))
    engine = Configurator(model)
    prices = PriceList(
        model,
        base_price=390.0,
        rules=[
            PriceRule("commuter bundle", "carrier & mudguards & dynamo_lights", amount=-30.0),
            PriceRule("e-assist fitting", "e_assist", amount=60.0),
        ],
    )
    customers = {
        "Anna, commuter": Needs(
            weights={"comfort": 40.0, "durability": 30.0, "weight": -25.0},
            likes={"dynamo_lights": 60.0},
            budget=1500.0,
        ),
        "Ben, racer": Needs(
            weights={"speed": 90.0, "weight": -80.0}, likes={"mudguards": -50.0}, budget=2600.0
        ),
    }
    lines = [
        _rule("Customize: a made-to-order bicycle (23 options, 5 rules, at most 16 kg)"),
        f"  valid bicycles         {engine.count():,} (counted exactly)",
    ]
    for who, needs in customers.items():
        best = recommend(prices, needs, alternatives=0)[0]
        quote = best.quote
        lines += [
            f"  {who:<22} {_parts(best.selected, model, dict(best.quantities))}",
            (
                f"  {'':<22} {quote.price:,.0f} (budget {needs.budget:,.0f}), "
                f"ready in {quote.lead_time:g} days; {best.reasons[0]}"
            ),
        ]
    cheapest = optimise(prices, "price")
    quickest = optimise(prices, "lead_time", choices={"e_assist": True})
    session = ConfigurationSession(engine, customer_id="anna")
    step = session.choose("touring")
    lines += [
        (
            f"  cheapest bicycle       {cheapest.price:,.0f}; "
            f"quickest e-bike {quickest.lead_time:g} days"
        ),
        (
            f"  choosing touring       decides {len(step.forced)} options, rules out "
            f"{len(step.ruled_out)} values (e.g. carbon: {step.ruled_out[0][2]})"
        ),
        "  carbon + touring?      " + engine.explain({"carbon": True, "touring": True}).text,
    ]
    return lines


_STEPS: tuple[Callable[[], list[str]], ...] = (
    _step_cycle,
    _step_identify,
    _step_data,
    _step_lifetime_value,
    _step_differentiate,
    _step_interact,
    _step_customize,
)


def _demo(_: argparse.Namespace) -> int:
    print(f"one2one {__version__} demo: the one-to-one cycle, then the published numbers")
    for step in _STEPS:
        print("\n".join(step()))
    print(
        "\nThe whole cycle: identify, differentiate, interact, customize.\n"
        "Next: `one2one tutorials ./tutorials` writes the tutorial notebooks (open them in "
        "Jupyter);\nin Python, help(one2one.identify), help(one2one.clv), ... explain each room."
    )
    return 0


def tutorial_notebooks() -> list[Path]:
    """Return the tutorial notebooks shipped with the package, in reading order.

    A wheel carries them in ``one2one/tutorials``; an editable install reads
    them from the repository's ``notebooks`` folder.
    """
    here = Path(__file__).resolve().parent
    for folder in (here / "tutorials", here.parent.parent / "notebooks"):
        found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if found:
            return found
    return []


def _tutorials(args: argparse.Namespace) -> int:
    notebooks = tutorial_notebooks()
    if not notebooks:
        print("one2one: this installation carries no tutorial notebooks.", file=sys.stderr)
        return 1
    target = Path(args.directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in notebooks:
        destination = target / notebook.name
        if destination.exists() and not args.overwrite:
            print(
                f"one2one: {destination} exists; pass --overwrite to replace it.", file=sys.stderr
            )
            return 1
        shutil.copyfile(notebook, destination)
        written.append(destination.name)
    print(f"wrote {len(written)} tutorials to {target}: {', '.join(written)}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="one2one",
        description="One-to-one marketing: identify, differentiate, interact, customize, CLV.",
    )
    parser.add_argument("--version", action="version", version=f"one2one {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="run the one-to-one cycle on bundled data")
    demo.set_defaults(handler=_demo)
    tutorials = commands.add_parser(
        "tutorials", help="write the tutorial notebooks into a directory"
    )
    tutorials.add_argument("directory", help="where to write them (created if missing)")
    tutorials.add_argument(
        "--overwrite", action="store_true", help="replace notebooks already there"
    )
    tutorials.set_defaults(handler=_tutorials)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)
