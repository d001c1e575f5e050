import contextlib
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from one2one import __version__
from one2one.cli import main, tutorial_notebooks


@pytest.fixture(scope="module")
def demo_output():
    """The demo's output, run once for every test that reads it (it takes a while)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["demo"]) == 0
    return buffer.getvalue()


def test_demo_prints_the_cdnow_summary(demo_output):
    out = demo_output
    assert "69,659" in out
    assert "23,570" in out
    assert "1997-01-01 .. 1998-06-30 (78 weeks)" in out
    # The lifetime-value step reproduces the paper and validates on the holdout.
    assert "r=0.243 alpha=4.414 a=0.793 b=2.426" in out
    assert "log-lik       -9,582.4" in out
    assert "1,882 made" in out
    # The interact step logs, respects consent and fatigue, and learns offers.
    assert "contacts held back" in out
    assert "off-policy estimate" in out
    # The differentiate step names RFM segments, value tiers and an uplift policy.
    assert "champions" in out
    assert "most valuable" in out
    assert "Qini coefficient" in out
    assert "contacting everyone" in out
    # The customize step counts, fits two customers, optimises and explains a conflict.
    assert "valid bicycles         1,684" in out
    assert "Anna, commuter" in out
    assert "Ben, racer" in out
    assert "quickest e-bike" in out
    assert "These choices cannot all hold: carbon selected; touring selected." in out
    # The identify step deduplicates Febrl 2 and recognises a returning customer.
    assert "customers found" in out
    assert "(true: 4,000)" in out
    assert "signs up as" in out
    assert ": the same customer" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"one2one {__version__}"


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_unknown_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["dance"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "one2one", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == f"one2one {__version__}"


def test_tutorials_writes_every_notebook_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["tutorials", str(tmp_path / "t")]) == 0
    written = sorted(p.name for p in (tmp_path / "t").glob("*.ipynb"))
    shipped = sorted(p.name for p in tutorial_notebooks())
    assert written == shipped
    assert "00_getting_started.ipynb" in written
    for name in written:  # each is a notebook, byte for byte the shipped one
        data = json.loads((tmp_path / "t" / name).read_text(encoding="utf-8"))
        assert data["nbformat"] == 4
        assert data["cells"]
    assert main(["tutorials", str(tmp_path / "t")]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main(["tutorials", str(tmp_path / "t"), "--overwrite"]) == 0


def test_the_demo_ends_with_a_pointer_that_works_for_an_installed_package(demo_output):
    last = demo_output.strip().splitlines()[-3:]
    assert "README" not in " ".join(last)  # not shipped in a wheel
    assert any("one2one tutorials" in line for line in last)


# --- the distribution name: one2one on the package index is another project ---------------
ROOT = Path(__file__).resolve().parents[1]
BARE = re.compile(r"pip install\s+['\"]?one2one(?![-\w])|one2one\[")


def test_the_distribution_is_one2one_marketing_and_no_hint_installs_the_other_project():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "one2one-marketing"
    texts = [ROOT / "README.md", ROOT / "pyproject.toml"]
    for folder, pattern in [("src", "*.py"), ("docs", "*.md"), ("notebooks", "*.ipynb")]:
        texts += [p for p in (ROOT / folder).rglob(pattern) if "_build" not in p.parts]
    offending = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in texts
        for m in BARE.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_a_missing_extra_names_the_distribution(monkeypatch):
    from one2one._validation import optional_import  # noqa: PLC0415
    from one2one.errors import MissingDependencyError  # noqa: PLC0415

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]"):
        optional_import("matplotlib", extra="plot", feature="charts")


def test_the_demo_follows_one_customer_through_every_step_of_the_cycle(demo_output):
    out = demo_output
    cycle = out.split("The cycle:", 1)[1].split("\n\n", 1)[0]
    followed = re.search(r"following (.+) \((C\d+)\)", cycle)
    assert followed is not None
    name, customer = followed.groups()
    steps = {}
    for line in cycle.splitlines()[2:]:
        label = line[:16].strip()
        if label and label != "note":
            steps[label] = line
        elif steps and not label:
            steps[list(steps)[-1]] += line
    assert list(steps) == [
        "identify",
        "log",
        "value",
        "differentiate",
        "interact",
        "customize",
        "learn",
    ]
    for label, text in steps.items():
        assert customer in text, label  # one customer id in every section
    assert name in steps["identify"]
    assert "merge(s) followed by the log" in steps["identify"]
