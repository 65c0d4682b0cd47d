"""The player on a plain install (the wheel and JupyterLab, no extras), in Chromium.

JupyterLab and its kernels run from ``.venv-plain`` (``support/plain.py``): the player's
basics as a new user meets them, and the buttons past a frame that fails.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from support import lab
from support.plain import plain_python
from support.player import PlayerView
from support.seed import SEED_CELL

SETUP = "%load_ext ipyanimagic\n" + SEED_CELL


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("plain-lab")
    yield from lab.serving(lambda: lab.start_server(base, python=plain_python()), lab.stop_server)


@pytest.fixture
def open_player(plain_server, browser):
    opened = []

    def open_(line: str) -> tuple[lab.NotebookPage, PlayerView]:
        nb = lab.open_notebook(plain_server, browser, [SETUP, line], reuse=True)
        opened.append(nb)
        nb.run_cell(0)
        nb.run_cell(1)
        view = PlayerView.in_output(nb, 1)
        view.expect_frame(0)
        return nb, view

    yield open_
    for nb in opened:
        lab.close_notebook(plain_server, nb, wait=False)


def test_the_player_steps_jumps_to_its_last_frame_and_plays(open_player):
    nb, p = open_player("anim = seed(frames=2000)\n%animate anim --fps 30")
    # The verdict a plain install now measures, in the status line's tooltip.
    measured = re.compile(r"^pure \(random access\), measured: ")
    expect(p.status).to_have_attribute("title", measured, timeout=30_000)
    p.button("Next frame").click()
    p.expect_frame(1)
    p.slider.fill("1999")
    p.expect_frame(1999)
    expect(p.counter).to_have_text("2000 / 2000")
    p.button("First frame").click()
    p.expect_frame(0)
    p.button("Play").click()
    expect(p.canvas).not_to_have_attribute("data-frame", "0", timeout=10_000)
    p.button("Pause").click()
    nb.assert_no_page_errors()


def test_buttons_keys_and_play_go_on_past_a_frame_that_fails(open_player):
    nb, p = open_player("anim = seed(frames=10, fail_at=5)\n%animate anim --fps 10")
    failed = "frame 5: ValueError: no frame 5 today"
    p.slider.fill("4")
    p.expect_frame(4)
    p.button("Next frame").click()
    expect(p.status).to_have_text(failed)
    p.button("Next frame").click()
    p.expect_frame(6)
    expect(p.status).to_have_text("")
    p.button("Previous frame").click()
    expect(p.status).to_have_text(failed)
    p.button("Previous frame").click()
    p.expect_frame(4)
    p.root.focus()
    nb.page.keyboard.press("ArrowRight")
    expect(p.status).to_have_text(failed)
    nb.page.keyboard.press("ArrowRight")
    p.expect_frame(6)
    # Playing stops at the frame that fails; Play again goes on after it.
    p.button("First frame").click()
    p.expect_frame(0)
    p.button("Play").click()
    expect(p.status).to_have_text(failed, timeout=10_000)
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    assert p.shown() == 4
    p.button("Play").click()
    expect(p.canvas).to_have_attribute("data-frame", re.compile(r"^[6-9]$"), timeout=10_000)
    nb.assert_no_page_errors()
