"""A live player in the browser: it follows a running loop's figure, the user looks back
through every frame captured so far while the loop still runs, and goes back to the
newest; the stop button ends capture and leaves an ordinary player. In JupyterLab with
``commsOverSubshells`` at its default and at "disabled", and in Notebook 7.
"""

from __future__ import annotations

import re
import time
import urllib.error

import pytest
from playwright.sync_api import expect
from support import lab
from support.lab import FRONT_END_MODES, open_in
from support.player import PlayerView

SETUP = """%load_ext ipyanimagic
import time
import numpy as np
import matplotlib.pyplot as plt
import ipyanimagic"""

# The user's loop: a figure changed at every step, far more steps than the test waits
# for (the stop button ends it). The sleep stands for the work of a step.
LOOP = """fig, ax = plt.subplots(figsize=(4, 3), dpi=60)
x = np.linspace(0, 6, 200)
(line,) = ax.plot(x, np.sin(x))
ax.set_ylim(-1.2, 1.2)
for k in ipyanimagic.live(range(100_000), fig):
    line.set_ydata(np.sin(x + k / 10))
    ax.set_title(f"step {k}")
    time.sleep(0.01)"""

AFTER = "print('after', 1 + 1)"


def cell_running(nb, i: int) -> bool:
    return nb.cell(i).locator(".jp-InputPrompt").inner_text().strip().startswith("[*]")


def wait_until_saved_with_the_player(server, nb, timeout: float = 30) -> None:
    """The notebook on disk holds the player's output (what a reloaded page shows)."""
    (session,) = [s for s in server.api("GET", "/api/sessions") if s["id"] == nb.session_id]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            model = server.api("GET", f"/api/contents/{session['path']}?content=1")
        except urllib.error.HTTPError:  # read while the server writes it: not JSON yet
            nb.page.wait_for_timeout(200)
            continue
        outputs = model["content"]["cells"][1].get("outputs", [])
        if any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs):
            return
        nb.page.wait_for_timeout(200)
    raise AssertionError("the notebook was not saved with the player's output")


def start_the_loop_saved(notebook, comms_over_subshells, server, mode: str):
    """The loop running, followed, and the notebook saved with its player (what a
    reloaded page or a second tab shows); the notebook and the player."""
    nb = open_in(notebook, comms_over_subshells, mode, [SETUP, LOOP, AFTER])
    nb.run_cell(0)
    nb.start_cell(1)
    player = PlayerView.in_output(nb, 1)
    wait_for_frame_past(player, 5)
    nb.page.keyboard.press("Control+s")
    wait_until_saved_with_the_player(server, nb)
    return nb, player


def captured(player: PlayerView) -> int:
    """Frames captured so far, as the status line says."""
    found = re.search(r"(\d+) / 100000 steps", player.status.inner_text())
    assert found, player.status.inner_text()
    return int(found.group(1))


def wait_for_more_captured(player: PlayerView, than: int) -> None:
    player.page.wait_for_function(
        "([s, n]) => Number((s.textContent.match(/(\\d+) \\/ 100000/) || [])[1]) > n",
        arg=[player.status.element_handle(), than],
        timeout=20_000,
    )


def wait_for_frame_past(player: PlayerView, index: int, timeout: float = 20_000) -> None:
    player.page.wait_for_function(
        "([c, n]) => Number(c.dataset.frame) > n",
        arg=[player.canvas.element_handle(), index],
        timeout=timeout,
    )


@pytest.mark.parametrize("mode", FRONT_END_MODES)
def test_a_running_loop_is_followed_scrubbed_back_and_followed_again(
    notebook, comms_over_subshells, jupyter_server, mode
):
    nb = open_in(notebook, comms_over_subshells, mode, [SETUP, LOOP, AFTER])
    nb.run_cell(0)
    nb.start_cell(1)
    player = PlayerView.in_output(nb, 1)
    live_button = player.button("Live")

    # Following: the newest frames show while the cell runs.
    wait_for_frame_past(player, 5)
    expect(live_button).to_have_attribute("aria-pressed", "true")
    expect(player.status).to_have_text(re.compile(r"^● live: \d+ / 100000 steps"))

    # Looking back while the loop goes on: a step, then the slider to the first frame.
    player.button("Previous frame").click()
    expect(live_button).to_have_attribute("aria-pressed", "false")
    player.slider.fill("0")
    player.expect_still(0)
    assert cell_running(nb, 1), "the loop still runs while the user looks back"
    player.button("Next frame").click()
    player.expect_frame(1)
    # The count goes on growing meanwhile (peeks), and the slider's end with it.
    wait_for_more_captured(player, captured(player))
    player.expect_frame(1)  # and the view stays where the user put it

    # Back to the newest: the button.
    newest = captured(player)
    live_button.click()
    wait_for_frame_past(player, newest - 1)
    expect(live_button).to_have_attribute("aria-pressed", "true")
    # Looking back with the key, and following again with End.
    player.root.focus()
    player.page.keyboard.press("ArrowLeft")
    expect(live_button).to_have_attribute("aria-pressed", "false")
    newest = captured(player)
    player.page.keyboard.press("End")
    wait_for_frame_past(player, newest - 1)

    # The stop button ends the loop: an ordinary player with every frame captured.
    lab.interrupt_kernel(jupyter_server, nb)
    expect(nb.error_output(1)).to_contain_text("KeyboardInterrupt", timeout=30_000)
    expect(live_button).to_be_hidden(timeout=20_000)
    expect(player.status).not_to_contain_text("live")
    total = int(player.counter.inner_text().split("/")[1])
    assert total > newest
    player.expect_frame(total - 1)
    player.button("First frame").click()
    player.expect_frame(0)
    player.button("Next frame").click()
    player.expect_frame(1)
    nb.run_cell(2)
    expect(nb.output(2)).to_contain_text("after 2")
    nb.assert_no_page_errors()


@pytest.mark.parametrize("mode", FRONT_END_MODES)
def test_a_page_reloaded_while_the_loop_runs_gets_the_player_back_and_follows(
    notebook, comms_over_subshells, jupyter_server, mode
):
    nb, player = start_the_loop_saved(notebook, comms_over_subshells, jupyter_server, mode)
    seen = captured(player)
    nb.page.reload()
    # The widgets come from the kernel, whose main thread the loop holds.
    player = PlayerView.in_output(nb, 1)
    wait_for_frame_past(player, seen, timeout=30_000)
    expect(player.button("Live")).to_have_attribute("aria-pressed", "true")
    wait_for_more_captured(player, captured(player))  # the loop still runs
    player.slider.fill("0")
    player.expect_frame(0)
    lab.interrupt_kernel(jupyter_server, nb)
    expect(player.button("Live")).to_be_hidden(timeout=30_000)
    nb.assert_no_page_errors()


@pytest.mark.parametrize("mode", ["lab", "notebook"])
def test_a_second_tab_opened_while_the_loop_runs_follows_and_scrubs_on_its_own(
    notebook, comms_over_subshells, jupyter_server, mode
):
    """Each view follows under its own name (frames/live.py: a page's requests get frames
    newer than that page was sent): a second tab neither starves nor steals the first's."""
    nb, first = start_the_loop_saved(notebook, comms_over_subshells, jupyter_server, mode)
    tab = nb.page.context.new_page()
    other = lab.NotebookPage(tab, nb.app, nb.path, nb.n_cells, context=nb.context)
    other.listen()
    try:
        tab.goto(lab.notebook_url(jupyter_server, nb.path, nb.app))
        second = PlayerView.in_output(other, 1)
        wait_for_frame_past(second, captured(first), timeout=30_000)
        expect(second.button("Live")).to_have_attribute("aria-pressed", "true")
        # The second tab looks back; the first goes on following the loop.
        second.slider.fill("0")
        second.expect_frame(0)
        following = first.shown()
        wait_for_frame_past(first, following + 5)
        expect(first.button("Live")).to_have_attribute("aria-pressed", "true")
        second.expect_still(0)
        second.button("Live").click()
        wait_for_frame_past(second, following)
        lab.interrupt_kernel(jupyter_server, nb)
        for view in (first, second):
            expect(view.button("Live")).to_be_hidden(timeout=30_000)
        total = int(first.counter.inner_text().split("/")[1])
        expect(second.counter).to_have_text(re.compile(rf"/\s*{total}$"))
        other.assert_no_page_errors()
    finally:
        tab.close()
    nb.assert_no_page_errors()
