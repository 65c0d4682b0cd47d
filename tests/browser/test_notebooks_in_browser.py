"""The first three example notebooks run in JupyterLab as a user would run them."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def code_cells(name: str) -> list[str]:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize(
    "name, players",
    [("00-quickstart.ipynb", 2), ("01-js-python.ipynb", 0), ("02-animate.ipynb", 6)],
)
def test_the_example_notebook_runs_in_the_browser(notebook, name, players):
    cells = code_cells(name)
    nb = notebook(cells)
    for i, source in enumerate(cells):
        out = nb.run_cell(i, timeout=60)
        if source.strip() in ("print(foo)", "greeting"):
            continue  # these read what a button sets: shown as a NameError until clicked
        expect(out.locator(".jp-OutputArea-output[data-mime-type*='error']")).to_have_count(0)
    # Every player shows its first frame; every %%jsexec output ran without an error box.
    frames = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) canvas.iam-frame")
    expect(frames).to_have_count(players, timeout=20_000)
    for k in range(players):
        expect(frames.nth(k)).not_to_have_attribute("data-frame", "-1", timeout=20_000)
    errors = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .ipyanimagic-error")
    expect(errors).to_have_count(0)
    nb.assert_no_page_errors()
