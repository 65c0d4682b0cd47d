"""The example notebooks run in JupyterLab as a user would run them (04 with its clicks:
test_python_calls.py)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect
from support.player import PlayerView

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


def test_the_live_notebook_is_watched_scrubbed_back_while_it_runs_and_saved(notebook):
    """05-live.ipynb as a user runs it: the training loop followed, looked back through
    while it runs, followed again; its MP4; the simulation and the thread's player."""
    cells = code_cells("05-live.ipynb")
    nb = notebook(cells)
    nb.run_cell(0)
    nb.start_cell(1)
    training = PlayerView.in_output(nb, 1)
    live_button = training.button("Live")
    expect(training.status).to_have_text(re.compile(r"^● live: \d+ / 300 steps"), timeout=30_000)
    training.page.wait_for_function(
        "(c) => Number(c.dataset.frame) > 2", arg=training.canvas.element_handle()
    )
    training.button("Previous frame").click()
    expect(live_button).to_have_attribute("aria-pressed", "false")
    training.slider.fill("0")
    training.expect_still(0)
    expect(training.status).to_have_text(re.compile(r"^live: \d+ / 300 steps"))
    live_button.click()
    expect(live_button).to_have_attribute("aria-pressed", "true")
    # The loop ends: an ordinary player at the last step, every step kept.
    expect(live_button).to_be_hidden(timeout=60_000)
    expect(training.counter).to_have_text(re.compile(r"/\s*300$"))
    training.expect_frame(299)

    out = nb.run_cell(2, timeout=120)  # the MP4
    expect(out.locator("video")).to_have_count(1)
    nb.run_cell(3, timeout=60)  # the heat, in a with block: 120 frames
    heat = PlayerView.in_output(nb, 3)
    expect(heat.counter).to_have_text(re.compile(r"/\s*120$"), timeout=30_000)
    heat.expect_frame(119)
    nb.run_cell(4)  # the thread starts; its player follows after the cell ended
    walker = PlayerView.in_output(nb, 4)
    expect(walker.status).to_contain_text("● live", timeout=30_000)
    nb.run_cell(5, timeout=60)
    expect(nb.output(5)).to_contain_text("150 frames captured by the thread")
    expect(walker.button("Live")).to_be_hidden(timeout=30_000)
    walker.expect_frame(149)
    errors = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) [data-mime-type*='error']")
    expect(errors).to_have_count(0)
    nb.assert_no_page_errors()
