"""Benchmark one2one.customize against flamapy on real feature models.

The five bundled UVL models (``one2one.datasets.load_feature_model``: bike, BerkeleyDB,
axTLS, BusyBox, Automotive01) are written to a temporary directory, and both libraries
read the same files. Cases (``--cases``):

1. ``load``: UVL parse time, one2one's ``load_uvl`` (median of ``--repeat`` runs) against
   flamapy's ANTLR-based ``UVLReader`` (one run); the issue reported 11 s (BusyBox) and
   78 s (Automotive01) for flamapy. Target: one2one under 2 s for each.
2. ``configure``: for ``--partials`` seeded random partial configurations per model (5 to
   10 choices, each drawn among the options still open, so the choices are consistent;
   fewer when a model runs out of open options, as bike does):
   (a) ``Configurator.check`` on the valid complete configuration ``complete(choices)``
   and on a broken copy of it (one option flipped), against flamapy's
   ``PySATSatisfiableConfiguration`` on the same full configurations;
   (b) ``Configurator.propagate(choices)`` (exact), against the propagation step of
   flamapy's interactive configurator (``FmToConfigurator``'s ``PySATBackend.propagate``:
   unit propagation from the choices and the structurally core features it
   pre-selects), with the number of forced options each finds;
   (c) ``Configurator.explain`` (QuickXplain conflict and FastDiag repair) on the choices
   plus one choice contradicting an option they force, against flamapy's
   ``PySATConflict`` (HSDAG + QuickXplain) and ``PySATDiagnosis`` (HSDAG + FastDiag), each
   stopped at the first result; flamapy's diagnosis model is rebuilt for every call
   (its preparation appends selector literals to the model's clauses in place).
   Targets: models up to 100 options validate under 1 ms, propagate and explain under
   10 ms; BusyBox and Automotive01 propagate under 250 ms and explain under 50 ms.
3. ``forced``: the options forced with no choice at all (core and dead features): one2one's
   ``propagate({})`` against flamapy's ``PySATCoreFeatures`` and ``PySATDeadFeatures``
   and against what its interactive configurator knows before the first answer; every
   feature on which they differ is listed.
4. ``count``: ``Configurator.count()`` on a fresh engine (decision diagram built inside)
   against flamapy's ``FmToBDD`` + ``BDDConfigurationsNumber``. Targets: BerkeleyDB
   4,080,389,785 and axTLS 826,244,333,568, each under 1 s. (flamapy's
   ``PySATConfigurationsNumber`` enumerates solutions one by one: not attempted.)

one2one runs in this process. Every flamapy operation except reading a model runs in a
forked child process capped at ``--timeout`` seconds (reading is capped by an alarm) and
is reported as timed out when cut off. ``--quick`` uses fewer configurations and
repetitions and leaves flamapy out on Automotive01 (its 10 s read and the operations
after it); ``--no-flamapy`` runs one2one alone.

flamapy-sat pins ``python-sat~=0.1.7`` while one2one needs ``python-sat>=1.8``; install
flamapy-sat and flamapy-configurator with ``--no-deps`` after ``pip install -e ".[bench]"``
(see benchmarks/README.md). Run from the repository root::

    python benchmarks/customize.py              # ~45 s on 2 cores
    python benchmarks/customize.py --quick
    python benchmarks/customize.py --cases forced --models automotive01
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import multiprocessing
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from _machine import machine, version
from _report import Target, alarm, load_note, print_footer, print_rows

from one2one.customize import Configurator, Option, ProductModel, load_uvl
from one2one.datasets import load_feature_model
from one2one.errors import DataContractError

MODELS = {
    "bike": "bike.uvl",
    "berkeleydb": "berkeleydb.uvl",
    "axtls": "axTLS.uvl",
    "busybox": "busybox_2010-05-02_14-17-07.uvl",
    "automotive01": "automotive01.uvl",
}
SMALL = 100  # options: the issue's "small model" targets apply up to this size
LOAD_S = 2.0
CHECK_MS = 1.0
SMALL_PROPAGATE_MS = 10.0
SMALL_EXPLAIN_MS = 10.0
LARGE_PROPAGATE_MS = 250.0
LARGE_EXPLAIN_MS = 50.0
LARGE = ("busybox", "automotive01")  # the issue's large-model targets
COUNT_S = 1.0
EXPECTED_COUNTS = {"berkeleydb": 4_080_389_785, "axtls": 826_244_333_568}
COUNT_MODELS = ("bike", "berkeleydb", "axtls")
ISSUE_FLAMAPY_LOAD_S = {"busybox": 11.0, "automotive01": 78.0}
ISSUE_FORCED = {"automotive01": 307}
QUICK_SKIP_FLAMAPY = ("automotive01",)

# flamapy's classes, imported by name only when flamapy is used (never from src/ or tests/).
FLAMAPY_NAMES = {
    "UVLReader": "flamapy.metamodels.fm_metamodel.transformations",
    "FmToPysat": "flamapy.metamodels.pysat_metamodel.transformations",
    "PySATCoreFeatures": "flamapy.metamodels.pysat_metamodel.operations",
    "PySATDeadFeatures": "flamapy.metamodels.pysat_metamodel.operations",
    "PySATSatisfiableConfiguration": "flamapy.metamodels.pysat_metamodel.operations",
    "Configuration": "flamapy.metamodels.configuration_metamodel.models",
    "FmToConfigurator": (
        "flamapy.metamodels.configurator_metamodel.transformation.fm_to_configurator"
    ),
    "FmToDiagPysat": "flamapy.metamodels.pysat_diagnosis_metamodel.transformations",
    "PySATConflict": "flamapy.metamodels.pysat_diagnosis_metamodel.operations",
    "PySATDiagnosis": "flamapy.metamodels.pysat_diagnosis_metamodel.operations",
    "FmToBDD": "flamapy.metamodels.bdd_metamodel.transformations",
    "BDDConfigurationsNumber": "flamapy.metamodels.bdd_metamodel.operations",
}
FLAMAPY_PACKAGES = (
    "flamapy-fw",
    "flamapy-fm",
    "flamapy-sat",
    "flamapy-bdd",
    "flamapy-configurator",
    "uvlparser",
    "antlr4-python3-runtime",
)


def import_flamapy() -> tuple[SimpleNamespace | None, str]:
    """flamapy's classes by name, or ``None`` and the reason."""
    classes: dict[str, Any] = {}
    try:
        for name, module in FLAMAPY_NAMES.items():
            classes[name] = getattr(importlib.import_module(module), name)
    except ImportError as error:
        return None, f"flamapy not importable ({error})"
    return SimpleNamespace(**classes), ""


# --- running flamapy safely ----------------------------------------------------------------
@dataclass
class Outcome:
    status: str  # "ok", "timeout", "error", "skipped"
    value: Any = None
    seconds: float = 0.0
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        if self.status == "timeout":
            return f"timed out ({self.seconds:.3g} s)"
        if self.status == "error":
            return f"error: {self.note}"
        return self.note or self.status


def forked(fn: Callable[[], Any], timeout: float) -> Outcome:
    """Run ``fn`` in a forked child; its result, or "timeout" after ``timeout`` seconds."""
    sys.stdout.flush()
    sys.stderr.flush()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(("ok", fn(), ""))
        except Exception as error:  # noqa: BLE001 (reported to the parent, not raised)
            send.send(("error", None, f"{type(error).__name__}: {error}"))

    process = context.Process(target=child, daemon=True)
    started = time.perf_counter()
    process.start()
    send.close()
    if not receive.poll(timeout):
        process.kill()
        process.join()
        return Outcome("timeout", seconds=time.perf_counter() - started)
    try:
        status, value, note = receive.recv()
    except EOFError:
        process.join()
        status, value, note = "error", None, f"child exited with code {process.exitcode}"
    process.join()
    return Outcome(status, value, time.perf_counter() - started, note)


# --- timing and printing -------------------------------------------------------------------
def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def median_ms(seconds: Sequence[float]) -> float:
    return statistics.median(seconds) * 1e3


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 1 else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def ratio(theirs: float | None, ours: float | None) -> str:
    if theirs is None or ours is None or ours <= 0:
        return "-"
    value = theirs / ours
    return f"{value:,.1f}x" if value >= 1 else f"{value:.2g}x"


# --- the models ----------------------------------------------------------------------------
@dataclass
class Inputs:
    """Seeded random inputs for one model, the same for both libraries."""

    choices: list[dict[str, bool]] = field(default_factory=list)
    complete: list[dict[str, Any]] = field(default_factory=list)  # quantities for counted
    broken: list[dict[str, Any]] = field(default_factory=list)
    conflicting: list[dict[str, bool]] = field(default_factory=list)
    forced: list[dict[str, bool]] = field(default_factory=list)  # one2one's, per choices
    free: dict[str, bool] = field(default_factory=dict)  # forced with no choice (one2one)


@dataclass
class Subject:
    key: str
    path: Path
    model: ProductModel
    engine: Configurator
    engine_seconds: float
    load_seconds: list[float]
    note: str = ""
    fm: Any = None  # flamapy's FeatureModel
    fm_load: Outcome = field(default_factory=lambda: Outcome("skipped"))
    inputs: Inputs = field(default_factory=Inputs)

    @property
    def size(self) -> int:
        return len(self.model.options)

    @property
    def flamapy(self) -> bool:
        return self.fm is not None

    def absent(self) -> Outcome:
        """Why flamapy has no result for this model."""
        if self.fm_load.status == "skipped":
            return Outcome("skipped", note=self.fm_load.note or "not run")
        return Outcome("skipped", note=f"read {self.fm_load.describe()}")


@dataclass
class Context:
    args: argparse.Namespace
    directory: Path
    fl: SimpleNamespace | None
    subjects: dict[str, Subject] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def flamapy_for(self, subject: Subject) -> bool:
        return self.fl is not None and subject.flamapy


def engine_for(model: ProductModel) -> tuple[Configurator, str]:
    """one2one's engine; a model whose linear rules the engine refuses loses them (noted)."""
    try:
        return Configurator(model), ""
    except DataContractError:
        plain = ProductModel(model.name, model.options, model.groups, model.rules, [])
        return Configurator(plain), "linear rules dropped: this engine refuses them"


def read_models(ctx: Context) -> None:
    """Write the bundled models to files; read them with one2one (timed) and flamapy."""
    args = ctx.args
    for key in args.models.split(","):
        path = ctx.directory / MODELS[key]
        path.write_text(load_feature_model(key), encoding="utf-8")  # type: ignore[arg-type]
        # Bike's arithmetic constraints (Inch > 22 => ...) are skipped, as flamapy's SAT
        # and BDD encodings skip them; its sum() constraints stay (linear rules).
        load_uvl(path, skip_unsupported=True)  # warm-up (imports, regex compilation)
        seconds = []
        for _ in range(args.repeat):
            gc.collect()
            elapsed, model = timed(lambda p=path: load_uvl(p, skip_unsupported=True))
            seconds.append(elapsed)
        elapsed, (engine, note) = timed(lambda m=model: engine_for(m))
        subject = Subject(key, path, model, engine, elapsed, seconds, note)
        ctx.subjects[key] = subject
        if ctx.fl is None:
            continue
        if args.quick and key in QUICK_SKIP_FLAMAPY:
            subject.fm_load = Outcome("skipped", note="skipped (--quick)")
            continue
        gc.collect()
        try:
            with alarm(args.timeout):
                elapsed, subject.fm = timed(lambda p=path: ctx.fl.UVLReader(str(p)).transform())
            subject.fm_load = Outcome("ok", seconds=elapsed)
        except TimeoutError:
            subject.fm_load = Outcome("timeout", seconds=args.timeout)
        except Exception as error:  # noqa: BLE001 (a reader failure is a result)
            subject.fm_load = Outcome("error", note=f"{type(error).__name__}: {error}")


def selected_view(possible: Mapping[str, frozenset[Any]]) -> dict[str, bool]:
    """Options whose selection is decided (a counted option is selected at any quantity)."""
    decided = {}
    for name, values in possible.items():
        selected = {bool(v) for v in values}
        if len(selected) == 1:
            decided[name] = next(iter(selected))
    return decided


def random_choices(
    engine: Configurator, boolean: set[str], rng: np.random.Generator
) -> dict[str, bool]:
    """5 to 10 choices, each among the (Boolean) options still open after the previous ones."""
    choices: dict[str, bool] = {}
    for _ in range(int(rng.integers(5, 11))):
        still_open = [n for n in engine.propagate(choices).open() if n in boolean]
        if not still_open:
            break
        choices[still_open[int(rng.integers(len(still_open)))]] = bool(rng.integers(2))
    return choices


def flipped(option: Option, value: Any) -> Any:
    """The other value: selected <-> left out (a counted option at its lowest quantity)."""
    if option.domain is None:
        return not value
    return 0 if value else option.domain[0]


def make_inputs(subject: Subject, rng: np.random.Generator, n: int) -> Inputs:
    engine = subject.engine
    options = {o.name: o for o in subject.model.options}
    boolean = {name for name, o in options.items() if o.domain is None}
    free = selected_view(engine.propagate({}).possible)
    inputs = Inputs(free=free)
    for _ in range(n):
        choices = random_choices(engine, boolean, rng)
        propagation = engine.propagate(choices)
        complete = engine.complete(choices)
        broken = next(
            trial
            for name in rng.permutation(list(options)).tolist()
            if engine.check(trial := {**complete, name: flipped(options[name], complete[name])})
        )
        # Contradict an option the choices force (one they cause, when there is one).
        forced = {k: v for k, v in selected_view(propagation.possible).items() if k not in choices}
        caused = [name for name in forced if name not in free and name in boolean]
        pool = caused or [name for name in forced if name in boolean]
        victim = pool[int(rng.integers(len(pool)))]
        inputs.choices.append(choices)
        inputs.complete.append(complete)
        inputs.broken.append(broken)
        inputs.conflicting.append({**choices, victim: not forced[victim]})
        inputs.forced.append(forced)
    return inputs


# --- case 1: load --------------------------------------------------------------------------
def case_load(ctx: Context) -> None:
    print("\n[1] load: UVL parse time (one2one load_uvl median; flamapy UVLReader, one run)")
    table = [
        ("model", "features", "constraints", "one2one s", "flamapy s", "flamapy/one2one", "issue")
    ]
    for key, s in ctx.subjects.items():
        ours = statistics.median(s.load_seconds)
        theirs = s.fm_load.seconds if s.fm_load.ok else None
        features = len(s.fm.get_features()) if s.fm is not None else None
        same = "" if features is None or features == s.size else f" (flamapy {features})"
        table.append(
            (
                key,
                f"{s.size:,}{same}",
                f"{len(s.model.rules) + len(s.model.linear_rules):,}",
                f"{ours:.4f}",
                f"{theirs:.2f}" if theirs is not None else s.fm_load.describe(),
                ratio(theirs, ours),
                f"flamapy {ISSUE_FLAMAPY_LOAD_S[key]:g} s" if key in ISSUE_FLAMAPY_LOAD_S else "",
            )
        )
        if key in LARGE:
            ctx.targets.append(
                Target(f"load {key}", f"{ours:.3f} s", f"< {LOAD_S:g} s", ours < LOAD_S)
            )
    print_rows(table, f"UVL parse time (one2one median of {ctx.args.repeat})")
    notes = [f"{k}: {s.note}" for k, s in ctx.subjects.items() if s.note]
    setup = [("model", "one2one Configurator() ms", "options", "groups", "rules")]
    for key, s in ctx.subjects.items():
        setup.append(
            (
                key,
                ms(s.engine_seconds * 1e3),
                f"{s.size:,}",
                f"{len(s.model.groups):,}",
                f"{len(s.model.rules):,}",
            )
        )
    print_rows(setup, "one2one engine set-up (once per model; not in the times below)")
    for note in notes:
        print(f"  note: {note}")


# --- case 2: validate, propagate, explain --------------------------------------------------
def series(fn: Callable[[Any], Any], items: Sequence[Any], repeat: int) -> list[float]:
    """Seconds of each call of ``fn`` on each item, ``repeat`` rounds."""
    fn(items[0])  # warm-up
    gc.collect()
    seconds = []
    for _ in range(repeat):
        for item in items:
            start = time.perf_counter()
            fn(item)
            seconds.append(time.perf_counter() - start)
    return seconds


def flamapy_validate(fl: SimpleNamespace, fm: Any, inputs: Inputs, repeat: int) -> dict:
    setup, sat = timed(lambda: fl.FmToPysat(fm).transform())

    def valid(config: Mapping[str, bool]) -> bool:
        configuration = fl.Configuration(elements={k: bool(v) for k, v in config.items()})
        configuration.set_full(True)
        operation = fl.PySATSatisfiableConfiguration()
        operation.set_configuration(configuration)
        operation.execute(sat)
        return bool(operation.get_result())

    return {
        "setup": setup,
        "valid": series(valid, inputs.complete, repeat),
        "broken": series(valid, inputs.broken, repeat),
        "verdicts": ([valid(c) for c in inputs.complete], [valid(c) for c in inputs.broken]),
    }


def configurator_known(fl: SimpleNamespace, fm: Any) -> tuple[float, Any, dict[str, bool]]:
    """flamapy's interactive configurator and what it knows before any answer."""
    setup, model = timed(lambda: fl.FmToConfigurator(fm).transform())
    preset = {
        name: True
        for name, option in model.options_by_name.items()
        if option.status.name == "SELECTED"
    }
    known = {fm.root.name: True, **preset, **(model.solver_backend.propagate(preset) or {})}
    return setup, model, known


def flamapy_propagate(fl: SimpleNamespace, fm: Any, inputs: Inputs, repeat: int) -> dict:
    setup, model, start = configurator_known(fl, fm)
    backend = model.solver_backend
    preset = {name for name, value in start.items() if value and name != fm.root.name}

    def decisions(choices: Mapping[str, bool]) -> dict[str, bool]:
        return {**dict.fromkeys(preset, True), **choices}

    seconds = series(lambda c: backend.propagate(decisions(c)), inputs.choices, repeat)
    found = []
    for choices in inputs.choices:
        implied = backend.propagate(decisions(choices)) or {}
        known = {**start, **implied}
        found.append({k: bool(v) for k, v in known.items() if k not in choices})
    return {"setup": setup, "seconds": seconds, "found": found}


CONFLICT_ITEM = re.compile(r"([^\[\],]+?) = (true|false)")


def parse_flamapy(message: str) -> frozenset[tuple[str, bool]]:
    """``'Conflict: [A = true, B = false]'`` as {(A, True), (B, False)}."""
    return frozenset((n.strip(), v == "true") for n, v in CONFLICT_ITEM.findall(message))


def parse_one2one(words: Sequence[str]) -> frozenset[tuple[str, bool]]:
    """``('A selected', 'B left out')`` as {(A, True), (B, False)}."""
    pairs = set()
    for word in words:
        if word.endswith(" selected"):
            pairs.add((word.removesuffix(" selected"), True))
        elif word.endswith(" left out"):
            pairs.add((word.removesuffix(" left out"), False))
    return frozenset(pairs)


def flamapy_explain(fl: SimpleNamespace, fm: Any, inputs: Inputs) -> dict:
    """QuickXplain conflict and FastDiag repair, the first of each, model rebuilt per call."""
    rows = []
    for choices in inputs.conflicting:
        start = time.perf_counter()
        build_conflict, model = timed(lambda: fl.FmToDiagPysat(fm).transform())
        conflict = fl.PySATConflict()
        conflict.set_configuration(fl.Configuration(elements=dict(choices)))
        conflict.set_max_conflicts(1)
        conflict.execute(model)
        build_repair, model = timed(lambda: fl.FmToDiagPysat(fm).transform())
        repair = fl.PySATDiagnosis()
        repair.set_configuration(fl.Configuration(elements=dict(choices)))
        repair.set_max_diagnoses(1)
        repair.execute(model)
        total = time.perf_counter() - start
        rows.append(
            (
                total,
                build_conflict + build_repair,
                parse_flamapy(conflict.get_result()[0]),
                parse_flamapy(repair.get_result()[0]),
            )
        )
    return {"rows": rows}


@dataclass
class Reasoning:
    """One model's case-2 results."""

    valid: list[float]
    broken: list[float]
    propagate: list[float]
    explain: list[float]
    conflicts: list[frozenset[tuple[str, bool]]]
    flamapy: dict[str, Outcome] = field(default_factory=dict)


def one2one_reasoning(subject: Subject, repeat: int) -> Reasoning:
    engine, inputs = subject.engine, subject.inputs
    big = subject.size > SMALL
    explanations = [engine.explain(c) for c in inputs.conflicting]
    return Reasoning(
        valid=series(engine.check, inputs.complete, repeat),
        broken=series(engine.check, inputs.broken, repeat),
        propagate=series(engine.propagate, inputs.choices, 1 if big else repeat),
        explain=series(engine.explain, inputs.conflicting, 1 if big else repeat),
        conflicts=[parse_one2one(e.conflict) for e in explanations],
    )


def flamapy_reasoning(ctx: Context, s: Subject) -> dict[str, Outcome]:
    """flamapy's validate, propagate and explain on the subject's inputs, each in a child."""
    fl, fm, inputs, repeat, timeout = ctx.fl, s.fm, s.inputs, ctx.args.repeat, ctx.args.timeout
    big = s.size > SMALL
    return {
        "validate": forked(partial(flamapy_validate, fl, fm, inputs, repeat), timeout),
        "propagate": forked(
            partial(flamapy_propagate, fl, fm, inputs, 1 if big else repeat), timeout
        ),
        "explain": forked(partial(flamapy_explain, fl, fm, inputs), timeout),
    }


def case_configure(ctx: Context) -> None:
    args = ctx.args
    print(
        f"\n[2] configure: {args.partials} seeded random partial configurations per model "
        f"(5-10 consistent choices each); small models repeated {args.repeat}x"
    )
    results: dict[str, Reasoning] = {}
    for key, s in ctx.subjects.items():
        rng = np.random.default_rng([args.seed, list(MODELS).index(key)])
        prepare, s.inputs = timed(lambda s=s, rng=rng: make_inputs(s, rng, args.partials))
        result = one2one_reasoning(s, args.repeat)
        if ctx.flamapy_for(s):
            result.flamapy = flamapy_reasoning(ctx, s)
        results[key] = result
        mean_choices = np.mean([len(c) for c in s.inputs.choices])
        print(f"  {key}: inputs ready in {prepare:.1f} s (untimed), {mean_choices:.1f} choices")
    print_validate(ctx, results)
    print_propagate(ctx, results)
    print_explain(ctx, results)


def print_validate(ctx: Context, results: dict[str, Reasoning]) -> None:
    table = [
        (
            "model",
            "options",
            "one2one valid",
            "one2one broken",
            "flamapy valid",
            "flamapy broken",
            "flamapy/one2one",
            "verdicts agree",
            "flamapy SAT set-up",
        )
    ]
    for key, r in results.items():
        s = ctx.subjects[key]
        ours = max(median_ms(r.valid), median_ms(r.broken))
        row = [key, f"{s.size:,}", ms(median_ms(r.valid)), ms(median_ms(r.broken))]
        outcome = r.flamapy.get("validate", s.absent())
        if outcome.ok:
            v = outcome.value
            valid_ok, broken_ok = v["verdicts"]
            agree = sum(valid_ok) + sum(not b for b in broken_ok)
            theirs = max(median_ms(v["valid"]), median_ms(v["broken"]))
            row += [
                ms(median_ms(v["valid"])),
                ms(median_ms(v["broken"])),
                ratio(theirs, ours),
                f"{agree}/{len(valid_ok) + len(broken_ok)}",
                ms(v["setup"] * 1e3),
            ]
        else:
            row += [outcome.describe(), "", "", "", ""]
        table.append(tuple(row))
        if s.size <= SMALL:
            ctx.targets.append(
                Target(f"validate {key}", f"{ours:.3f} ms", f"< {CHECK_MS:g} ms", ours < CHECK_MS)
            )
    print()
    print_rows(
        table,
        "(a) validate a complete configuration: median ms per check "
        "(one2one Configurator.check, words for every broken rule; flamapy "
        "PySATSatisfiableConfiguration, a yes/no)",
    )
    print(
        "  one2one's broken configurations all got at least one broken rule in words; "
        "'verdicts agree' counts flamapy saying valid/invalid the same way"
    )


def with_caused(sizes: Sequence[tuple[int, int]]) -> str:
    """Median forced options and, in brackets, median of those the choices caused."""
    total = statistics.median(t for t, _ in sizes)
    caused = statistics.median(c for _, c in sizes)
    return f"{total:g} ({caused:g})"


def flamapy_propagate_cells(s: Subject, ours: float, outcome: Outcome) -> list[str]:
    if not outcome.ok:
        return [outcome.describe(), "", "", "", ""]
    v = outcome.value
    free = s.inputs.free
    found = [(len(up), sum(1 for k in up if k not in free)) for up in v["found"]]
    wrong = sum(
        1
        for exact, up in zip(s.inputs.forced, v["found"], strict=True)
        for name, value in up.items()
        if exact.get(name) is not value
    )
    theirs = median_ms(v["seconds"])
    return [
        ms(theirs),
        with_caused(found),
        str(wrong),
        ratio(theirs, ours),
        ms(v["setup"] * 1e3),
    ]


def print_propagate(ctx: Context, results: dict[str, Reasoning]) -> None:
    table = [
        (
            "model",
            "one2one ms",
            "forced, exact",
            "flamapy UP ms",
            "forced found by UP",
            "UP wrong",
            "flamapy/one2one",
            "flamapy set-up ms",
        )
    ]
    for key, r in results.items():
        s = ctx.subjects[key]
        ours = median_ms(r.propagate)
        exact = [(len(f), sum(1 for k in f if k not in s.inputs.free)) for f in s.inputs.forced]
        outcome = r.flamapy.get("propagate", s.absent())
        table.append(
            (key, ms(ours), with_caused(exact), *flamapy_propagate_cells(s, ours, outcome))
        )
        limit = SMALL_PROPAGATE_MS if s.size <= SMALL else LARGE_PROPAGATE_MS
        if s.size <= SMALL or key in LARGE:
            ctx.targets.append(
                Target(f"propagate {key}", f"{ours:.2f} ms", f"< {limit:g} ms", ours < limit)
            )
    print()
    print_rows(
        table,
        "(b) propagate a partial configuration: median ms; median options forced (in brackets: "
        "those forced only because of the choices)",
    )
    print(
        "  one2one: exact (every value reachable by some valid configuration); flamapy: its "
        "interactive configurator's step (PySATBackend.propagate), unit propagation of the "
        "choices and of the core features it pre-selects (FMCoreFeatures, structural); "
        "'UP wrong' counts values unit propagation got wrong (should be 0)"
    )


def print_explain(ctx: Context, results: dict[str, Reasoning]) -> None:
    table = [
        (
            "model",
            "one2one ms",
            "conflict size",
            "flamapy ms",
            "of which model rebuilds",
            "flamapy/one2one",
            "same conflict",
        )
    ]
    for key, r in results.items():
        s = ctx.subjects[key]
        ours = median_ms(r.explain)
        row = [key, ms(ours), f"{statistics.median(len(c) for c in r.conflicts):g}"]
        outcome = r.flamapy.get("explain", s.absent())
        if outcome.ok:
            rows = outcome.value["rows"]
            theirs = median_ms([t for t, _, _, _ in rows])
            same = sum(
                c == theirs_c for c, (_, _, theirs_c, _) in zip(r.conflicts, rows, strict=True)
            )
            row += [
                ms(theirs),
                ms(median_ms([b for _, b, _, _ in rows])),
                ratio(theirs, ours),
                f"{same}/{len(rows)}",
            ]
        else:
            row += [outcome.describe(), "", "", ""]
        table.append(tuple(row))
        limit = SMALL_EXPLAIN_MS if s.size <= SMALL else LARGE_EXPLAIN_MS
        if s.size <= SMALL or key in LARGE:
            ctx.targets.append(
                Target(f"explain {key}", f"{ours:.2f} ms", f"< {limit:g} ms", ours < limit)
            )
    print()
    print_rows(
        table,
        "(c) explain conflicting choices: median ms for one minimal conflict and one minimal "
        "repair (one2one Configurator.explain; flamapy PySATConflict + PySATDiagnosis, "
        "first result each)",
    )
    print(
        "  the choices: a consistent partial configuration plus one choice contradicting an "
        "option it forces; minimal conflicts need not be unique, so 'same conflict' may be "
        "below N"
    )


# --- case 3: forced options with no choices ------------------------------------------------
def flamapy_forced(fl: SimpleNamespace, fm: Any) -> dict:
    start = time.perf_counter()
    sat = fl.FmToPysat(fm).transform()
    core = fl.PySATCoreFeatures().execute(sat).get_result()
    dead = fl.PySATDeadFeatures().execute(sat).get_result()
    seconds = time.perf_counter() - start
    _, _, known = configurator_known(fl, fm)
    return {"core": list(core), "dead": list(dead), "seconds": seconds, "known": known}


def case_forced(ctx: Context) -> None:
    print("\n[3] forced: options decided with no choice at all (core and dead features)")
    table = [
        (
            "model",
            "one2one ms",
            "one2one core+dead",
            "flamapy SAT ms",
            "flamapy core+dead",
            "differ",
            "flamapy configurator knows",
        )
    ]
    details: list[str] = []
    for key, s in ctx.subjects.items():
        engine, _ = engine_for(s.model)  # fresh engine: the first propagate
        seconds, propagation = timed(lambda e=engine: e.propagate({}))
        decided = selected_view(propagation.possible)
        core = {n for n, v in decided.items() if v}
        dead = {n for n, v in decided.items() if not v}
        row = [key, ms(seconds * 1e3), f"{len(core)}+{len(dead)}={len(core) + len(dead)}"]
        differ: set[str] | None = None
        outcome = (
            forked(lambda s=s: flamapy_forced(ctx.fl, s.fm), ctx.args.timeout)
            if ctx.flamapy_for(s)
            else s.absent()
        )
        if outcome.ok:
            v = outcome.value
            their_core, their_dead = set(v["core"]), set(v["dead"])
            differ = (core ^ their_core) | (dead ^ their_dead)
            known = v["known"]
            row += [
                ms(v["seconds"] * 1e3),
                f"{len(their_core)}+{len(their_dead)}={len(their_core) + len(their_dead)}",
                str(len(differ)),
                f"{sum(known.values())}+{sum(not x for x in known.values())}={len(known)}",
            ]
            details += forced_details(
                key, ours=(core, dead), theirs=(their_core, their_dead), known=known
            )
        else:
            row += [outcome.describe(), "", "", ""]
        table.append(tuple(row))
        if key in ISSUE_FORCED:
            n = len(core) + len(dead)
            ctx.targets.append(
                Target(
                    f"forced options on {key} (issue: {ISSUE_FORCED[key]})",
                    f"{n} = {len(core)} core + {len(dead)} dead",
                    "= flamapy's core + dead",
                    None if differ is None else not differ,
                )
            )
    print_rows(
        table,
        "core + dead features: one2one propagate({}).forced (fresh engine) against flamapy "
        "PySATCoreFeatures + PySATDeadFeatures (incl. its SAT transform)",
    )
    print(
        "  'flamapy configurator knows': selected + deselected before the first answer in "
        "its interactive configurator (structural core pre-selected, then unit propagation)"
    )
    for line in details:
        print(f"  {line}")


def forced_details(
    key: str,
    *,
    ours: tuple[set[str], set[str]],
    theirs: tuple[set[str], set[str]],
    known: Mapping[str, bool],
) -> list[str]:
    """Every feature on which the two disagree, and what flamapy's configurator misses."""
    (core, dead), (their_core, their_dead) = ours, theirs
    lines = []
    for label, one, other in (("core", core, their_core), ("dead", dead, their_dead)):
        if one - other:
            lines.append(f"{key}: {label} for one2one only: {sorted(one - other)}")
        if other - one:
            lines.append(f"{key}: {label} for flamapy only: {sorted(other - one)}")
    forced = core | dead
    missed_core = sorted(core - {n for n, v in known.items() if v})
    missed_dead = len(dead - {n for n, v in known.items() if not v})
    if missed_core or missed_dead:
        lines.append(
            f"{key}: flamapy's configurator starts without {len(missed_core) + missed_dead} "
            f"of the {len(forced)} forced options: {missed_dead} dead features and the core "
            f"features {missed_core}"
        )
    return lines


# --- case 4: count -------------------------------------------------------------------------
def flamapy_count(fl: SimpleNamespace, fm: Any) -> dict:
    build, bdd = timed(lambda: fl.FmToBDD(fm).transform())
    count_seconds, count = timed(lambda: fl.BDDConfigurationsNumber().execute(bdd).get_result())
    return {"build": build, "count": count_seconds, "value": int(count)}


def case_count(ctx: Context) -> None:
    args = ctx.args
    print("\n[4] count: exact number of valid configurations")
    table = [
        ("model", "one2one s", "one2one count", "flamapy s", "flamapy count", "flamapy/one2one")
    ]
    notes = []
    for key, s in ctx.subjects.items():
        if key not in COUNT_MODELS:
            continue
        seconds, counts = [], []
        for _ in range(args.repeat):
            engine, _ = engine_for(s.model)
            gc.collect()
            elapsed, value = timed(engine.count)
            seconds.append(elapsed)
            counts.append(value)
            engine.close()
        ours = statistics.median(seconds)
        row = [key, f"{ours:.3f}", f"{counts[0]:,}"]
        outcome = (
            forked(lambda s=s: flamapy_count(ctx.fl, s.fm), args.timeout)
            if ctx.flamapy_for(s)
            else s.absent()
        )
        if outcome.ok:
            v = outcome.value
            theirs = v["build"] + v["count"]
            row += [f"{theirs:.3f}", f"{v['value']:,}", ratio(theirs, ours)]
        else:
            row += [outcome.describe(), "", ""]
        table.append(tuple(row))
        if key == "bike":
            notes.append(
                "bike: one2one keeps sum(Weight) < 10 and sum(Price) < 10 (linear rules); "
                "flamapy's BDD leaves arithmetic constraints out, so the counts differ"
            )
        if key in EXPECTED_COUNTS:
            expected = EXPECTED_COUNTS[key]
            exact = all(c == expected for c in counts)
            ctx.targets.append(
                Target(
                    f"count {key} = {expected:,}",
                    f"{ours:.3f} s, {'exact' if exact else f'WRONG {counts[0]:,}'}",
                    f"< {COUNT_S:g} s, exact",
                    exact and ours < COUNT_S,
                )
            )
    print_rows(
        table,
        f"one2one Configurator.count() on a fresh engine (median of {args.repeat}); flamapy "
        "FmToBDD + BDDConfigurationsNumber",
    )
    for note in notes:
        print(f"  note: {note}")


CASES: dict[str, Callable[[Context], None]] = {
    "load": case_load,
    "configure": case_configure,
    "forced": case_forced,
    "count": case_count,
}


# --- driver --------------------------------------------------------------------------------
def print_header(args: argparse.Namespace, flamapy_note: str) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"customize.py  {now}")
    print(f"machine: {machine()}")
    packages = ["one2one", "python-sat", "dd", "ortools", *FLAMAPY_PACKAGES]
    print(
        f"python {platform.python_version()}; " + ", ".join(f"{p} {version(p)}" for p in packages)
    )
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    if version("python-sat").startswith("0."):
        print(
            "WARNING: python-sat < 1.8 (flamapy-sat's pin) is not the one one2one requires; "
            "reinstall python-sat>=1.8 and flamapy-sat with --no-deps (benchmarks/README.md)"
        )
    print(f"at start: {load_note()}")
    print(
        f"models: {args.models}; {args.partials} partial configurations per model, "
        f"repeat {args.repeat}, seed {args.seed}; flamapy per-operation timeout {args.timeout:g} s"
        + (f"; {flamapy_note}" if flamapy_note else "")
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}")
    add("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    add("--partials", type=int, default=10, help="random partial configurations per model")
    add("--repeat", type=int, default=5, help="rounds of the fast timings (median kept)")
    add("--seed", type=int, default=2024)
    add("--timeout", type=float, default=120.0, help="seconds allowed to one flamapy operation")
    add(
        "--quick",
        action="store_true",
        help="4 configurations, 3 rounds, no flamapy on Automotive01",
    )
    add("--no-flamapy", action="store_true", help="run one2one alone")
    args = parser.parse_args(argv)
    if args.quick:
        args.partials = min(args.partials, 4)
        args.repeat = min(args.repeat, 3)
    for option, known in (("cases", CASES), ("models", MODELS)):
        unknown = set(getattr(args, option).split(",")) - set(known)
        if unknown:
            parser.error(f"unknown {option}: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    fl, flamapy_note = (
        (None, "flamapy left out (--no-flamapy)") if args.no_flamapy else import_flamapy()
    )
    print_header(args, flamapy_note)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="one2one-customize-") as tmp:
        ctx = Context(args=args, directory=Path(tmp), fl=fl)
        read_models(ctx)
        for name in args.cases.split(","):
            CASES[name](ctx)
            sys.stdout.flush()
    print_footer(ctx.targets, started)


if __name__ == "__main__":
    main()
