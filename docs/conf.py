"""Sphinx configuration for one2one's documentation.

Notebooks live in ``notebooks/`` (where the tests execute them); they are copied
into ``docs/tutorials/notebooks/`` at build time and executed again by myst-nb,
so a tutorial that breaks fails the docs build too.
"""

import os
import shutil
from pathlib import Path

import one2one

ROOT = Path(__file__).resolve().parent
_target = ROOT / "tutorials" / "notebooks"
shutil.rmtree(_target, ignore_errors=True)
_target.mkdir(parents=True)
for notebook in sorted((ROOT.parent / "notebooks").glob("*.ipynb")):
    shutil.copy2(notebook, _target / notebook.name)

project = "one2one"
author = "The one2one developers"
copyright = "2026, The one2one developers"
release = one2one.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "jupyter_execute"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# CI's test run executes every notebook and stores its outputs (tests/conftest.py), then
# builds the docs with ONE2ONE_DOCS_EXECUTION=off: each notebook runs once, not twice.
# A local build runs them all.
nb_execution_mode = os.environ.get("ONE2ONE_DOCS_EXECUTION", "force")
nb_execution_raise_on_error = True
nb_execution_timeout = 600
nb_merge_streams = True

autodoc_typehints = "none"  # numpydoc renders the types from the signature and docstring
autodoc_member_order = "bysource"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # scikit-learn's metadata routing: it generates the setters on every estimator, and
    # their docstrings point into scikit-learn's own docs and say nothing about our models.
    "exclude-members": (
        "set_fit_request,set_predict_request,set_score_request,set_predict_proba_request,"
        "get_metadata_routing"
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "furo"
html_title = f"one2one {release}"
html_static_path: list[str] = []

nitpicky = False
