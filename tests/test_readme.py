"""The README's example must keep working: it is the first code a user runs."""

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(capsys):
    block = re.search(r"## A taste\n\n```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert block is not None, "README lost its example"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the example's data warnings are expected
        exec(compile(block.group(1), str(README), "exec"), {})  # noqa: S102
    out = capsys.readouterr().out
    assert "clv" in out
    assert "p_alive" in out
    assert "customer_id" in out
    assert "Resolution(" in out


def test_readme_names_the_two_set_up_commands():
    text = README.read_text()
    assert "one2one demo" in text
    assert re.search(r"pip install -e \".\[test\]\" && .venv/bin/python -m pytest", text)


@pytest.mark.parametrize("command", ["python -m sphinx -W -b html docs docs/_build/html"])
def test_readme_documents_the_docs_build(command):
    assert command in README.read_text()
