"""Load: eight players playing at once in one notebook.

Each must show its own frames (every frame drawn is checked, pixel for pixel through a
hash, against a reference rendering of *its* animation), keep its frame requests in
flight within its window (read off the kernel websocket), and the kernel must still
run a cell meanwhile.
"""

from __future__ import annotations

import json

from playwright.sync_api import expect
from support.player import PlayerView, check_against_reference
from support.seed import SEED_CELL
from support.traffic import CommTraffic

from ipyanimagic.limits import MAX_BATCH, MAX_WINDOW

PLAYERS = 8
FRAMES = 40  # more than a player keeps decoded (32): it must keep asking

# Player k: the seed in its own colour, shifted, titled with its number and frame (so
# that all PLAYERS x FRAMES frames differ).
SETUP = (
    "%load_ext ipyanimagic\nimport json\nimport ipyanimagic\n"
    + SEED_CELL
    + f"""

def args(k):
    return dict(frames={FRAMES}, size=(2, 1.5), interval=40, color=f"C{{k}}", phase=k / 4,
                title=f"player {{k}}: {{{{i}}}}")
"""
)

PLAYERS_CELL = (
    "players = [ipyanimagic.animate(seed(**args(k)), fps=25, format='png')"
    f" for k in range({PLAYERS})]\n"
    "import ipywidgets\n"
    "grid = ipywidgets.Layout(grid_template_columns='repeat(3, 270px)')\n"
    "ipywidgets.GridBox(players, layout=grid)"
)
REFERENCE_CELL = (
    f"print(json.dumps([reference_hashes({FRAMES}, **args(k)) for k in range({PLAYERS})]))"
)

RUN_CELL = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const started = performance.now();
  const future = kernel.requestExecute({ code });
  let printed = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") printed += msg.content.text;
  };
  await future.done;
  return [printed, performance.now() - started];
}"""


def test_eight_players_at_once_each_show_their_own_frames(notebook, figures):
    listening: list[CommTraffic] = []
    # The listener sees the kernel websocket from its start.
    nb = notebook(
        [SETUP, PLAYERS_CELL, REFERENCE_CELL], on_page=lambda p: listening.append(CommTraffic(p))
    )
    (traffic,) = listening
    nb.run_cell(0)
    nb.run_cell(1)
    views = [PlayerView(p) for p in nb.output(1).locator(".iam-player").all()]
    assert len(views) == PLAYERS
    # All eight in view (a player out of view asks for nothing, by design).
    nb.output(1).evaluate("(el) => el.scrollIntoView({block: 'start'})")
    for view in views:
        view.expect_frame(0)
        view.record()
    for view in views:
        view.button("Play").click()
    for view in views:
        view.wait_for_recorded(FRAMES + 5, timeout=120_000)

    # A cell run meanwhile (sent as the notebook sends a cell, without moving the
    # page: a player scrolled out of view stops, by design).
    printed, cell_ms = nb.page.evaluate(RUN_CELL, "print('responsive')")
    assert printed == "responsive\n"
    playing = [view.recorded_count() for view in views]
    for view, count in zip(views, playing, strict=True):
        view.wait_for_recorded(count + 5, timeout=60_000)  # still playing
    for view in views:
        view.button("Pause").click()

    nb.run_cell(2, timeout=120)
    references = json.loads(nb.output(2).inner_text())
    assert len({h for ref in references for h in ref}) == PLAYERS * FRAMES  # all differ
    shown = []
    for view, reference in zip(views, references, strict=True):
        records = view.drawn()
        assert check_against_reference(records, reference) == set(range(FRAMES))
        shown.append(len(records))
        expect(view.status).to_have_text("")

    nb.flush_events()
    per_key = traffic.in_flight()
    assert len(per_key) == PLAYERS, per_key.keys()
    for stats in per_key.values():
        assert stats["requests"] > 0 and stats["answered"] == stats["requests"]
        assert 1 <= stats["max_in_flight"] <= MAX_WINDOW, stats
        assert stats["max_batch"] <= MAX_BATCH, stats
    nb.assert_no_page_errors()
    assert nb.console_errors == []
    figures.record(
        f"load: {PLAYERS} players at once",
        frames_checked_per_player=shown,
        wrong_frames=0,
        max_in_flight_per_player=[s["max_in_flight"] for s in per_key.values()],
        window=MAX_WINDOW,
        requests_per_player=[s["requests"] for s in per_key.values()],
        cell_run_meanwhile_ms=round(cell_ms),
    )
