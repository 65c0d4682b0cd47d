"""An animation that remembers, in JupyterLab: whatever the user does, each frame shown
is the frame ``Animation.save`` writes at that position; the status line says why."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from playwright.sync_api import expect
from support import zoo
from support.player import PlayerView, check_against_reference

TESTS = Path(__file__).resolve().parents[1]


def test_random_access_on_a_trail_shows_the_frames_save_writes(notebook):
    reference = [hashlib.sha256(f.tobytes()).hexdigest() for f in zoo.saved_frames(zoo.trail)]
    setup = (
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n%load_ext ipyanimagic\n"
        "from support import zoo\n_, anim = zoo.trail()"
    )
    nb = notebook([setup, "%animate anim"], app="lab")
    nb.run_cell(0)
    nb.run_cell(1)
    p = PlayerView.in_output(nb, 1)
    p.expect_frame(0)
    # The verdict, measured on a copy in a worker process, becomes the tooltip.
    expect(p.status).to_have_attribute("title", re.compile(r"^remembers"), timeout=60_000)
    expect(p.status).to_contain_text("does not restart")
    p.record()
    p.button("Last frame").click()
    p.expect_frame(11)
    p.button("Previous frame").click()
    p.expect_frame(10)
    p.slider.fill("4")
    p.expect_frame(4)
    p.button("Next frame").click()
    p.expect_frame(5)
    p.button("First frame").click()
    p.expect_frame(0)
    seen = check_against_reference(p.drawn(), reference)
    assert {11, 10, 4, 5, 0} <= seen
    nb.assert_no_page_errors()
