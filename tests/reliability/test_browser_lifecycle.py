"""Life cycle in the browser: the kernel restarts, or a player is closed, while playing.

The player must say so (a disconnected status, controls disabled), pending JS promises
must reject instead of hanging, the page must log no error, and the notebook must go
on working: a new player plays after the restart, the other player keeps playing
after one is closed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support.player import PlayerView
from support.seed import SEED_CELL

SETUP = (
    "%load_ext ipyanimagic\nimport ipyanimagic\n"
    + SEED_CELL
    + """

def make(phase=0.0):
    return seed(frames=500, size=(3, 2), interval=20, phase=phase)
"""
)

# A call that is still pending when the kernel goes: it sleeps on the main thread.
PENDING_CALL = """%%jsexec
window.__pendingCall = python
  .eval("__import__('time').sleep(60) or 'finished'")
  .then((v) => "resolved " + v, (e) => e.name + ": " + e.message);
element.textContent = "call sent";
"""

APPS = {"lab": "JupyterLab", "notebook": "Notebook 7"}
KERNEL = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"


def settled(page, name: str) -> str:
    """What a promise stored on ``window`` settled with ("pending" if it has not)."""
    return page.evaluate(
        f"""() => Promise.race([
            window.{name},
            new Promise((r) => setTimeout(() => r("pending"), 200)),
        ])"""
    )


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_a_kernel_restart_during_play_disconnects_players_and_rejects_pending_calls(
    notebook, figures, app
):
    nb = notebook(
        [SETUP, "%animate make() --fps 30", "%animate make(1.0)", PENDING_CALL, "'fresh'"],
        app=app,
    )
    nb.run_cell(0)
    nb.run_cell(1)
    nb.run_cell(2)
    playing, paused = PlayerView.in_output(nb, 1), PlayerView.in_output(nb, 2)
    playing.expect_frame(0)
    paused.expect_frame(0)
    playing.play_recording(20)
    nb.run_cell(3)  # its call holds the kernel: frame requests now wait behind it
    nb.wait_for_text(3, "call sent")
    nb.page.wait_for_timeout(300)
    assert settled(nb.page, "__pendingCall") == "pending"

    nb.page.evaluate(f"() => {KERNEL}.restart()")

    gone = "disconnected: the kernel was restarted or shut down"
    for player in (playing, paused):  # paused: nothing was pending, it still knows
        expect(player.status).to_have_text(gone, timeout=15_000)
        expect(player.button("Play")).to_be_disabled()
        expect(player.root.get_by_role("slider", name="Frame")).to_be_disabled()
    expect(nb.output(1).locator("canvas.iam-frame")).to_be_visible()  # last frame stays
    # The %%jsexec output says so too (its own content stays).
    expect(nb.output(3).get_by_role("status")).to_have_text(gone)
    expect(nb.output(3)).to_contain_text("call sent")
    assert settled(nb.page, "__pendingCall") == (
        "Disconnected: the kernel was restarted or shut down"
    )
    nb.page.wait_for_function(
        f"() => {KERNEL}.connectionStatus === 'connected' && {KERNEL}.status === 'idle'",
        timeout=60_000,
    )
    # The notebook goes on: the same cells make a new player that plays. (The new
    # kernel counts from 1 again: a fresh cell first, so every prompt changes.)
    nb.run_cell(4)
    nb.run_cell(0)
    nb.run_cell(1)
    again = PlayerView.in_output(nb, 1)
    again.expect_frame(0)
    again.play_recording(10)
    expect(again.status).to_have_text("")
    nb.assert_no_page_errors()
    assert nb.console_errors == []
    figures.record(
        f"life cycle: kernel restart during play ({APPS[app]})",
        players_shown_disconnected=2,
        pending_call="rejected: Disconnected",
        new_player_after_restart="plays",
        page_errors=0,
        console_errors=0,
    )


def test_closing_a_player_during_play_leaves_the_others_playing(notebook, figures):
    nb = notebook(
        [
            SETUP,
            "doomed = ipyanimagic.animate(make(), fps=30)\ndoomed",
            "other = ipyanimagic.animate(make(1.0), fps=30)\nother",
            "doomed.close()\nfrom ipyanimagic import registry\nprint(len(registry.keys()))",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    nb.run_cell(2)
    doomed, other = PlayerView.in_output(nb, 1), PlayerView.in_output(nb, 2)
    for player in (doomed, other):
        player.expect_frame(0)
        player.button("Play").click()
    other.record()
    other.wait_for_recorded(10)
    nb.run_cell(3)
    nb.wait_for_text(3, "1")
    # Closed from Python: the widget manager removes its view, as for any widget.
    expect(nb.output(1).locator(".iam-player")).to_have_count(0, timeout=10_000)
    shown = other.recorded_count()
    other.wait_for_recorded(shown + 20)
    expect(other.status).to_have_text("")
    nb.assert_no_page_errors()
    assert nb.console_errors == []
    figures.record(
        "life cycle: a player closed from Python during play",
        view_removed=True,
        other_player_frames_after=20,
        registry_after=1,
        page_errors=0,
        console_errors=0,
    )
