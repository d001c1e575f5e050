import subprocess
import sys

import pytest

from one2one import __version__
from one2one.cli import main


def test_demo_prints_the_cdnow_summary(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
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
