"""ipyanimagic in a Voila dashboard: the player and the 2013 post's examples 1 and 2.

Voila runs every cell of the notebook when the page is requested and keeps the kernel
for as long as the page is open; the page shows outputs only and no cell can be run
again. So each test writes a notebook whose cells set everything up, opens its Voila
page and then works the page as a dashboard's user would: the player's controls, the
2013 forms. ``%%jsexec`` code runs when its widget renders in the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from support import voila
from support.lab import serving
from support.player import PlayerView
from support.seed import SEED_CELL

# The 2013 post's examples exactly as the JupyterLab / Notebook 7 tests run them.
from test_jsexec import SEED_CODE_BOX, SEED_FORM, run_in_code_box

from ipyanimagic.limits import FRAME_TIMEOUT_MS

LOAD = "%load_ext ipyanimagic"
SETUP = LOAD + "\n" + SEED_CELL


@pytest.fixture(scope="module")
def voila_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[voila.VoilaServer]:
    base = tmp_path_factory.mktemp("voila")
    yield from serving(lambda: voila.start_voila(base), voila.stop_voila)


@pytest.fixture
def voila_page(
    voila_server: voila.VoilaServer, browser: Any
) -> Iterator[Callable[[list[str]], voila.VoilaPage]]:
    """``open(cells, on_page=None) -> VoilaPage``: the notebook's Voila page in a fresh
    browser context; contexts closed and kernels shut down after the test."""
    opened: list[voila.VoilaPage] = []

    def open_page(cells: list[str], **kwargs: Any) -> voila.VoilaPage:
        vp = voila.open_page(voila_server, browser, cells, **kwargs)
        opened.append(vp)
        return vp

    yield open_page
    for vp in opened:
        voila.close_page(voila_server, vp)


def test_the_player_plays_pauses_and_steps(voila_page):
    vp = voila_page([SETUP, "anim = seed()\n%animate anim --fps 30"])
    p = PlayerView(vp.output(1).locator(".iam-player"))
    p.expect_frame(0)
    expect(p.counter).to_have_text("1 / 100")
    expect(p.status).to_have_text("")

    p.button("Play").click()
    expect(p.canvas).not_to_have_attribute("data-frame", re.compile(r"^[0-4]$"), timeout=10_000)
    expect(p.fps).not_to_have_text("")
    p.button("Pause").click()
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    p.expect_still(stopped := p.shown(), for_ms=500)
    expect(p.counter).to_have_text(f"{stopped + 1} / 100")

    p.button("Next frame").click()
    p.expect_frame(stopped + 1)
    expect(p.counter).to_have_text(f"{stopped + 2} / 100")
    p.button("Previous frame").click()
    p.button("Previous frame").click()
    p.expect_frame(stopped - 1)
    expect(p.counter).to_have_text(f"{stopped} / 100")
    p.button("Last frame").click()
    p.expect_frame(99)
    expect(p.counter).to_have_text("100 / 100")
    expect(p.status).to_have_text("")
    vp.assert_no_page_errors()


def test_a_stopped_kernel_goes_unreported_and_the_player_says_why(voila_page, voila_server):
    # Page timers on Playwright's clock, so the frame timeout can be run through.
    vp = voila_page([SETUP, "anim = seed()\n%animate anim"], on_page=lambda pg: pg.clock.install())
    p = PlayerView(vp.output(1).locator(".iam-player"))
    p.expect_exact(0)  # the poster's preview replaced: no request left unanswered
    voila_server.shutdown_kernel(vp.kernel_id)
    assert voila_server.kernel(vp.kernel_id) is None
    # In JupyterLab the player would now say "disconnected"; Voila 0.5 never tells the
    # page's widgets (measured: nothing in 200 s, kernel shut down or server stopped).
    # The last frame: never asked ahead (frames 1 and 2 may have been, at rest).
    p.button("Last frame").click()
    expect(p.status).to_have_text("waiting for the kernel…")
    vp.page.clock.run_for(FRAME_TIMEOUT_MS + 1000)
    expect(p.status).to_have_text(
        "frame 99: no reply from the kernel (busy, or stopped: Voila does not tell the page; "
        "reload it)"
    )
    p.expect_frame(0)
    vp.assert_no_page_errors()


def test_seed_example_1_the_form_sets_a_variable_and_example_2_reads_it_back(voila_page):
    vp = voila_page([LOAD, "from math import pi, sin", SEED_FORM, SEED_CODE_BOX])
    form, box = vp.output(2), vp.output(3)

    # Example 1: the form sets a Python variable through IPython.notebook.kernel.execute.
    form.locator("#var_value").fill("it works")
    form.get_by_role("button", name="Set Value").click()
    # Example 2 reads it back: kernel.execute with an output callback.
    code, result = box.locator("#code_input"), box.locator("#result_output")
    code.fill("foo")
    # kernel.execute is asynchronous, as in the post: the box asks until foo is set.
    button = box.get_by_role("button", name="Execute")
    for _ in range(20):
        button.click()
        expect(result).not_to_have_value("", timeout=15_000)
        if result.input_value() == "'it works'":
            break
    expect(result).to_have_value("'it works'")
    # No global names: the form's function lives in the output's own scope.
    assert vp.page.evaluate("typeof window.set_value") == "undefined"
    vp.assert_no_page_errors()


def test_seed_example_2_runs_code_and_shows_result_print_and_error(voila_page):
    vp = voila_page([LOAD, "from math import pi, sin", SEED_CODE_BOX])
    run_in_code_box(vp.output(2))
    vp.assert_no_page_errors()
