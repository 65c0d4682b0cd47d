"""Threads in the browser: a player plays while a long cell draws its own figure.

With JupyterLab's ``commsOverSubshells`` at its default (perCommTarget: comm messages
are handled on a subshell thread while the cell runs) and at "disabled". Matplotlib is
not thread-safe: if a frame were ever drawn beside the cell, frames or the cell's
figure would come out wrong. Checked pixel for pixel: every frame the player drew
against a rendering by a separate figure, and the cell's inline PNG against the same
code run again when nothing else happens.
"""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect
from support.player import PlayerView, check_against_reference
from support.seed import SEED_CELL

FRAMES = 24
# The seed with a mathtext title that changes every frame.
SEED_ARGS = dict(
    frames=FRAMES, size=(3, 2), dpi=60, interval=50, title=r"frame {i}: $\alpha_{{{i}}}$"
)

SETUP = (
    "%load_ext ipyanimagic\n%matplotlib inline\nimport json, time\n"
    + SEED_CELL
    + f"\n\nSEED_ARGS = {SEED_ARGS!r}\n"
    + """

def busy_figure(pause):
    # Text, mathtext, many artists, drawn over and over: matplotlib's shared caches
    # (fonts, mathtext, path) are busy all the time the cell runs.
    fig, ax = plt.subplots(figsize=(4, 3), dpi=72)
    for k in range(40):
        x = np.linspace(0, 1, 300)
        ax.plot(x, np.sin(2 * np.pi * (x * (k + 1) / 8)) * (k + 1) / 40, lw=0.8)
        ax.set_title(f"busy: $\\\\sum_{{n=0}}^{{{k}}} \\\\sin(n x)$")
        ax.text(0.02, 0.9 - k * 0.02, f"line {k}", fontsize=6, transform=ax.transAxes)
        fig.canvas.draw()
        time.sleep(pause)
    return fig
"""
)

CELLS = [
    SETUP,
    "anim = seed(**SEED_ARGS)\n%animate anim --fps 20 --loop loop --format png",
    "fig = busy_figure(0.06)",  # runs ~3 s; shown inline at its end
    "fig = busy_figure(0)",  # the same figure when nothing else happens
    f"print(json.dumps(reference_hashes({FRAMES}, **SEED_ARGS)))",
]


@pytest.mark.parametrize("mode", ["perCommTarget", "disabled"])
def test_playing_while_a_long_cell_plots_corrupts_nothing(
    notebook, comms_over_subshells, figures, mode
):
    comms_over_subshells(None if mode == "perCommTarget" else mode)
    nb = notebook(CELLS)
    nb.wait_for_comms_over_subshells(mode)
    nb.run_cell(0)
    nb.run_cell(1)
    player = PlayerView.in_output(nb, 1)
    player.expect_exact(0)  # not the poster's preview: every frame drawn is compared
    player.play_recording(10)

    before = player.recorded_count()
    started = time.monotonic()
    nb.start_cell(2)
    prompt = nb.cell(2).locator(".jp-InputPrompt")
    expect(prompt).to_have_text("[*]:", timeout=10_000)
    expect(prompt).to_have_text("[3]:", timeout=60_000)
    cell_seconds = time.monotonic() - started
    during = player.recorded_count() - before
    # Playing goes on after the cell, frames drawn on the main thread again.
    player.wait_for_recorded(player.recorded_count() + 20)
    player.button("Pause").click()

    nb.run_cell(3)
    nb.run_cell(4)
    reference = json.loads(nb.output(4).inner_text())
    records = player.drawn()
    shown = check_against_reference(records, reference)
    assert len(shown) == FRAMES  # it looped: every frame was drawn, and right

    busy, calm = nb.output_png(2), nb.output_png(3)
    assert busy.shape == calm.shape and (busy == calm).all(), "the cell's figure differs"

    expect(player.status).to_have_text("")
    assert "Error" not in nb.output(2).inner_text()
    nb.assert_no_page_errors()
    assert nb.console_errors == []
    figures.record(
        f"threads: play while a 3 s cell plots, commsOverSubshells={mode}",
        frames_checked=len(records),
        distinct_frames=len(shown),
        frames_shown_while_the_cell_ran=during,
        cell_seconds=round(cell_seconds, 1),
        wrong_frames=0,
        cell_png_identical=True,
    )
