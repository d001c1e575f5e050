"""The ``one2one`` command: ``one2one demo`` walks the one-to-one cycle on bundled data.

The CLI composes the rooms; nothing imports it. Each room adds one step to the
demo as it lands, until the demo walks the whole IDIC loop.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from . import __version__
from .datasets import load_cdnow_transactions

__all__ = ["main"]


def _rule(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


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


_STEPS: tuple[Callable[[], list[str]], ...] = (_step_data,)


def _demo(_: argparse.Namespace) -> int:
    print(f"one2one {__version__} demo: the one-to-one cycle on bundled data")
    for step in _STEPS:
        print("\n".join(step()))
    print(
        "\nNext: identify -> lifetime value -> differentiate -> interact -> customize,"
        "\neach added here as its room lands. Docs: see README.md."
    )
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
