"""A notebook whose player was embedded (``%animate --embed``) plays in
``jupyter nbconvert --to html`` output, opened from disk with the network blocked.

The notebook is executed by nbclient without saving widget state, as a notebook saved
from JupyterLab or Notebook 7 is by default: nbconvert then renders the player's
``text/html`` (the embedded player) in place of the widget (see ipyanimagic/player/embed.py).
Without ``--embed`` the output keeps only the poster PNG.
"""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from playwright.sync_api import expect
from support import lab
from support.player import PlayerView
from support.seed import SEED_CELL

SETUP = "%load_ext ipyanimagic\n%matplotlib inline\n" + SEED_CELL
EMBEDDED = "%animate seed(frames=30) --fps 30 --embed"
PLAIN = "%animate seed(frames=30)"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A notebook with an embedded and a plain player, run in a real kernel (nbclient)
    and saved without widget state: ``(path, notebook)``."""
    folder = tmp_path_factory.mktemp("embedded")
    nb = lab.new_notebook([SETUP, EMBEDDED, PLAIN])
    NotebookClient(
        nb, timeout=120, kernel_name="python3", store_widget_state=False,
        resources={"metadata": {"path": str(folder)}},
    ).execute()  # fmt: skip
    path = folder / "embedded.ipynb"
    nbformat.write(nb, path)
    return path, nb


def test_an_embedded_player_plays_in_nbconvert_html_without_kernel_or_network(
    browser, saved, tmp_path
):
    path, nb = saved
    embedded, plain = (nb.cells[i].outputs[-1]["data"] for i in (1, 2))
    assert "text/html" in embedded and "ipyanimagic-embed" in embedded["text/html"]
    # Without --embed: the widget and the poster only, and small.
    assert "text/html" not in plain and "image/png" in plain
    assert sum(len(str(v)) for v in plain.values()) < 20_000

    convert = [sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(tmp_path)]
    subprocess.run(
        [*convert, str(path)],
        check=True, capture_output=True, timeout=120,
        env=lab.throwaway_env(tmp_path / "nbconvert"),
    )  # fmt: skip
    html = tmp_path / "embedded.html"
    context = browser.new_context()
    blocked: list[str] = []

    def block_network(route):
        blocked.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!file:).*"), block_network)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(html.as_uri())
        players = page.locator(".iam-player")
        expect(players).to_have_count(1)  # the embedded one; the plain one is a picture
        p = PlayerView(players.first)
        p.expect_frame(0, timeout=10_000)
        expect(p.counter).to_have_text("1 / 30")
        p.button("Next frame").click()
        p.expect_frame(1)
        p.button("Play").click()
        expect(p.canvas).not_to_have_attribute("data-frame", re.compile(r"^[01]$"), timeout=10_000)
        p.button("Pause").click()
        expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
        p.slider.fill("17")
        p.expect_frame(17)
        expect(p.counter).to_have_text("18 / 30")
        # The plain player's output is its poster picture.
        expect(page.locator("img[src^='data:image/png']")).to_have_count(1)
        assert all(not url.startswith("file:") for url in blocked)
        # nbconvert's own require.js and MathJax were blocked; nothing failed for it.
        assert errors == []
    finally:
        context.close()


def test_a_reopened_notebook_shows_the_poster_of_an_embedded_player(jupyter_server, browser, saved):
    """JupyterLab does not run the scripts of a notebook it did not run (untrusted): the
    embedded player's output shows its poster picture there, as a plain one does."""
    path, _ = saved
    (jupyter_server.root / "reopened.ipynb").write_bytes(path.read_bytes())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(lab.notebook_url(jupyter_server, "reopened.ipynb"))
        cells = page.locator(lab.PANEL_SELECTOR).locator(".jp-CodeCell")
        for i in (1, 2):
            picture = cells.nth(i).locator(".jp-OutputArea-output img")
            expect(picture).to_have_count(1, timeout=60_000)
            expect(picture).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
            assert picture.evaluate("img => img.complete && img.naturalWidth") == 200
        # Nothing of the embedded player ran or shows as text.
        expect(cells.nth(1).locator(".iam-player")).to_have_count(0)
        expect(cells.nth(1).locator(".jp-OutputArea-output")).to_have_text("")
    finally:
        context.close()
        lab.delete_sessions(jupyter_server, "reopened.ipynb")
