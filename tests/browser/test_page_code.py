"""The page code travels once per page: a widget's ``_esm`` is a small loader, and the
player's code comes from the kernel on the first player's comm (``page_code``), once for
every player the page shows, also while the cell that showed them still runs.

Each test serves the player's code under a hash no page has seen (the code with a line
of its own added), so a warm page that showed players before still loads it once here.
"""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect
from support import lab
from support.lab import FRONT_END_MODES, open_in
from support.player import PlayerView
from support.seed import SEED_CELL
from support.traffic import CommTraffic

from ipyanimagic import esm

PLAYERS = 6

# Player code no page has loaded yet, and players whose loader names it.
SETUP = (
    "%load_ext ipyanimagic\n"
    + SEED_CELL
    + """

import json
import ipyanimagic
from IPython.display import display
from ipyanimagic import esm
from ipyanimagic.bridge.transport import page_code_requests
from ipyanimagic.player.widget import Player
_code = esm.player_esm() + "\\n// served to this test only: @MARK@\\n"
code_hash = esm.code_hash(_code)
Player._esm = esm.player_loader_for(_code)
print("HASH " + json.dumps(code_hash))
"""
)
SHOW = (
    f"players = [ipyanimagic.animate(seed(frames=10)) for _ in range({PLAYERS})]\ndisplay(*players)"
)
COUNT = "print('SERVED ' + json.dumps(page_code_requests().get(code_hash, 0)))"

PAGE_REQUESTS_JS = (
    "(h) => { const e = globalThis[Symbol.for('ipyanimagic.pageCode')]?.get(h);"
    " return e ? e.requests : 0; }"
)


def printed(nb, cell: int, tag: str):
    text = nb.output(cell).inner_text()
    (line,) = [x for x in text.splitlines() if x.startswith(tag + " ")]
    return json.loads(line[len(tag) + 1 :])


def setup_cell() -> str:
    return SETUP.replace("@MARK@", uuid.uuid4().hex)


def players_in(nb, cell: int) -> list[PlayerView]:
    out = nb.output(cell)
    expect(out.locator(".iam-player")).to_have_count(PLAYERS, timeout=60_000)
    return [PlayerView(out.locator(".iam-player").nth(i)) for i in range(PLAYERS)]


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_players_shown_at_once_ask_for_their_code_once_and_every_one_plays(notebook, app):
    listening: list[CommTraffic] = []
    # Two cells (the old stack's JupyterLab renders no cell far below the long first
    # one): the second says how often the kernel has sent the code, then shows players.
    nb = notebook(
        [setup_cell(), COUNT + "\n" + SHOW],
        app=app,
        on_page=lambda page: listening.append(CommTraffic(page)),
    )
    nb.run_cell(0, timeout=60)
    code_hash = printed(nb, 0, "HASH")
    nb.run_cell(1, timeout=60)
    assert printed(nb, 1, "SERVED") == 0
    views = players_in(nb, 1)
    for view in views:
        view.expect_frame(0)
    for view in views:
        view.button("Next frame").click()
        view.expect_frame(1)
    views[-1].button("Play").click()
    views[-1].expect_frame(9)

    def asked() -> list[dict]:
        return [
            c
            for direction, c in listening[-1].events
            if direction == "sent"
            and c.get("method") == "page_code"
            and (c.get("args") or {}).get("hash") == code_hash
        ]

    # Asked once: by the page (its counter), on the wire, and as the kernel saw it.
    assert nb.page.evaluate(PAGE_REQUESTS_JS, code_hash) == 1
    (request,) = asked()
    assert request["args"]["encoding"] == "gzip"
    answered = [
        c
        for direction, c in listening[-1].events
        if direction == "received" and c.get("id") == request["id"]
    ]
    assert len(answered) == 1 and answered[0]["ok"] is True
    assert answered[0]["result"]["size"] < 40_000  # compressed: the code is ~90 KB
    # The cell again: new players, and the page has their code already.
    nb.run_cell(1, timeout=60)
    assert printed(nb, 1, "SERVED") == 1
    for view in players_in(nb, 1):
        view.expect_frame(0)
    assert len(asked()) == 1
    assert nb.page.evaluate(PAGE_REQUESTS_JS, code_hash) == 1
    nb.assert_no_page_errors()


@pytest.mark.parametrize("mode", FRONT_END_MODES)
def test_the_code_comes_while_the_cell_that_showed_the_players_still_runs(
    notebook, comms_over_subshells, jupyter_server, mode
):
    busy = SHOW + "\nprint('shown', flush=True)\nimport time\ntime.sleep(120)"
    nb = open_in(notebook, comms_over_subshells, mode, [setup_cell(), busy, COUNT])
    nb.run_cell(0, timeout=60)
    nb.start_cell(1)
    nb.wait_for_text(1, "shown", timeout=60)
    for view in players_in(nb, 1):
        view.expect_frame(0)  # the poster, drawn by the player's code
    assert nb.cell(1).locator(".jp-InputPrompt").inner_text().strip().startswith("[*]")
    lab.interrupt_kernel(jupyter_server, nb)
    expect(nb.error_output(1)).to_contain_text("KeyboardInterrupt", timeout=30_000)
    nb.run_cell(2)
    assert printed(nb, 2, "SERVED") == 1
    nb.assert_no_page_errors()


def test_a_kernel_that_does_not_have_the_code_says_so_in_the_status_line(notebook):
    broken = (
        "%load_ext ipyanimagic\n" + SEED_CELL + "\nimport ipyanimagic\n"
        "from ipyanimagic import esm\n"
        "from ipyanimagic.player.widget import Player\n"
        "Player._esm = esm.player_loader_for('not served', serve=False)\n"
        "ipyanimagic.animate(seed(frames=3))"
    )
    nb = notebook([broken])
    nb.run_cell(0, timeout=60)
    status = nb.output(0).locator(".iam-player").get_by_role("status")
    expect(status).to_have_text(
        "the player's code could not be loaded from the kernel: LookupError: "
        "this kernel's ipyanimagic has no page code "
        f"'{esm.code_hash('not served')}'",
        timeout=30_000,
    )
    expect(nb.output(0).locator("canvas.iam-frame")).to_have_count(0)
