"""Every notebook in notebooks/ runs top to bottom in a real kernel, headless (nbclient).

Cells that need a click first (reading a value a button sets) carry the
``raises-exception`` tag; every other cell must run without an error.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

# Notebooks whose cells wait for a user in the page (a click, a drawing): headless, no
# page would ever answer. They run in the browser suite instead, with the clicks
# (tests/browser/test_python_calls.py).
NEED_A_PAGE = {"04-python-calls-js.ipynb"}
NOTEBOOKS = sorted(
    p
    for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb")
    if p.name not in NEED_A_PAGE
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_notebook_runs_without_errors(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    for cell in nb.cells:
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (cell.source, errors)


def test_there_are_notebooks_to_run():
    assert len(NOTEBOOKS) >= 2
