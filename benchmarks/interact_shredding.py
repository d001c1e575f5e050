"""What crypto-shredding costs the interaction log: appends and contact-policy checks.

Appends 100k events (20k customers, a small payload each) in batches of 10k to a log that
seals payloads (``encrypt=True``, the default) and to one that stores them in plaintext
(``encrypt=False``), alternately, in one process, on SQLite and (with a URL) PostgreSQL;
then times ``ContactPolicy.check`` on customers whose consent is sealed against customers
whose consent is plaintext. Timings are best of ``--repeat``.

    python benchmarks/interact_shredding.py [--postgres URL] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import tempfile
import time
from pathlib import Path

from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
EVENTS, BATCH, CUSTOMERS, CHECKS = 100_000, 10_000, 20_000, 2_000


def _events(tag: str) -> list[Interaction]:
    return [
        Interaction(
            customer_id=f"c{n % CUSTOMERS}",
            occurred_at=AT + dt.timedelta(seconds=n),
            channel="web",
            kind="purchase" if n % 5 == 0 else "view",
            value=12.5 if n % 5 == 0 else None,
            event_id=f"{tag}-{n}",
            payload={"category": "shoes", "order_id": f"o{n}", "currency": "EUR"},
        )
        for n in range(EVENTS)
    ]


def _target(kind: str, folder: Path, url: str | None) -> str | Path:
    if kind == "sqlite":
        return folder / f"{secrets.token_hex(4)}.db"
    assert url is not None
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3Dbench_{secrets.token_hex(5)}"


def _append(target: str | Path, *, encrypt: bool) -> float:
    events = _events("e")
    with InteractionLog(target, encrypt=encrypt, require_consent=False) as log:
        start = time.perf_counter()
        for at in range(0, EVENTS, BATCH):
            log.append(events[at : at + BATCH], progress=False)
        return time.perf_counter() - start


def _checks(target: str | Path, *, encrypt: bool) -> float:
    with InteractionLog(target, encrypt=encrypt) as log:
        log.append(
            [
                Interaction(
                    customer_id=f"c{n}",
                    occurred_at=AT,
                    channel="web",
                    kind="consent_granted",
                    payload={"purpose": "marketing", "channel": None},
                )
                for n in range(500)
            ],
            progress=False,
        )
        policy = ContactPolicy(log, [FrequencyCap(2, dt.timedelta(days=7))])
        start = time.perf_counter()
        for n in range(CHECKS):
            policy.check(f"c{n % 500}", "email", AT + dt.timedelta(hours=1))
        return CHECKS / (time.perf_counter() - start)


def main() -> None:
    """Run the measurements and print one line per backend."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgres"] if args.postgres else [])
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            plain, sealed, plain_checks, sealed_checks = [], [], [], []
            for _ in range(args.repeat):  # alternate, so a busy moment hits both
                plain.append(_append(_target(kind, Path(folder), args.postgres), encrypt=False))
                sealed.append(_append(_target(kind, Path(folder), args.postgres), encrypt=True))
                plain_checks.append(
                    _checks(_target(kind, Path(folder), args.postgres), encrypt=False)
                )
                sealed_checks.append(
                    _checks(_target(kind, Path(folder), args.postgres), encrypt=True)
                )
            p, s = min(plain), min(sealed)
            pc, sc = max(plain_checks), max(sealed_checks)
            print(
                f"{kind}: append {EVENTS:,} in batches of {BATCH:,}: plaintext {p:.2f} s, "
                f"sealed {s:.2f} s ({100 * (s / p - 1):+.1f}%); policy checks/s: plaintext "
                f"consent {pc:,.0f}, sealed consent {sc:,.0f} ({100 * (sc / pc - 1):+.1f}%)"
            )


if __name__ == "__main__":
    main()
