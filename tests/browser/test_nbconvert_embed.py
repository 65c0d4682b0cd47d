"""A notebook whose player was embedded (``%animate --embed``) plays in
``jupyter nbconvert --to html`` output, opened from disk with the network blocked, whether
the notebook holds the widgets' state or not; live front ends show the live widget only.

The notebook is executed by nbclient both ways: with the widget state stored (the default
of ``nbconvert --execute``, Jupyter Book and nbsphinx builds), nbconvert renders the
player's widget view (a script element with the view's JSON, for
``@jupyter-widgets/html-manager`` from a CDN: offline nothing) and not its ``text/html``;
without it (a notebook saved from JupyterLab or Notebook 7), the ``text/html``. Either
way the carrier output after the player's mounts the kernel-less player there (see
ipyanimagic/player/embed.py). Without ``--embed`` the output keeps the widget and the
poster PNG only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from playwright.sync_api import expect
from support import lab, voila
from support.player import PlayerView
from support.seed import SEED_CELL

SETUP = "%load_ext ipyanimagic\n%matplotlib inline\n" + SEED_CELL
EMBEDDED = "%animate seed(frames=30) --fps 30 --embed"
PLAIN = "%animate seed(frames=30)"
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module", params=[False, True], ids=["no-widget-state", "widget-state"])
def saved(request, tmp_path_factory):
    """A notebook with an embedded and a plain player, run in a real kernel (nbclient),
    with or without the widget state stored, saved and converted to HTML:
    ``(notebook path, notebook, html path, stored)``."""
    stored = request.param
    folder = tmp_path_factory.mktemp("embedded")
    nb = lab.new_notebook([SETUP, EMBEDDED, PLAIN])
    NotebookClient(
        nb, timeout=120, kernel_name="python3", store_widget_state=stored,
        resources={"metadata": {"path": str(folder)}},
    ).execute()  # fmt: skip
    path = folder / "embedded.ipynb"
    nbformat.write(nb, path)
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(folder), str(path)],
        check=True, capture_output=True, timeout=120,
        env=lab.throwaway_env(folder / "nbconvert"),
    )  # fmt: skip
    return path, nb, folder / "embedded.html", stored


def offline_page(browser, html: Path) -> tuple[Any, Any, list[str], list[str]]:
    """``html`` opened from disk in a fresh context where every request but file:// fails:
    ``(context, page, page errors, blocked URLs)``."""
    context = browser.new_context()
    blocked: list[str] = []

    def block_network(route):
        blocked.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!file:).*"), block_network)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    return context, page, errors, blocked


def test_the_embedded_player_is_two_outputs_and_its_frames_are_in_the_notebook_once(saved):
    _, nb, html, stored = saved
    own, carrier = nb.cells[1].outputs
    [plain] = nb.cells[2].outputs
    model_id = own["data"][VIEW]["model_id"]
    # The player's output: the widget, the poster, and the place of the kernel-less player.
    assert {"image/png", "text/html", VIEW} <= set(own["data"])
    assert f'data-ipyanimagic-model="{model_id}"' in own["data"]["text/html"]
    assert len(own["data"]["text/html"]) < 2 * len(own["data"]["image/png"]) + 1000
    # The carrier: only text/html, with the frames, naming the same model.
    assert set(carrier["data"]) == {"text/html"}
    assert "ipyanimagic-embed-carrier" in carrier["data"]["text/html"]
    assert f'"model": "{model_id}"' in carrier["data"]["text/html"]
    # Without --embed: the widget and the poster only, and small.
    assert "text/html" not in plain["data"] and "image/png" in plain["data"]
    assert sum(len(str(v)) for v in plain["data"].values()) < 20_000
    page = html.read_text(encoding="utf-8")
    if stored:
        # nbconvert renders the widget view, not the text/html (the measured cause).
        state = nb.metadata.widgets[STATE]["state"]
        assert state[model_id]["state"]["embed_id"] == model_id
        assert 'class="ipyanimagic-embed"' not in page
        assert re.search(rf'<script type="{re.escape(VIEW)}">\s*\{{"model_id": "{model_id}"', page)
    else:
        assert "widgets" not in nb.metadata
        assert 'class="ipyanimagic-embed"' in page
    assert page.count('class="ipyanimagic-data"') == 1  # the frames, once


def test_an_embedded_player_plays_in_nbconvert_html_without_kernel_or_network(browser, saved):
    _, _, html, stored = saved
    context, page, errors, blocked = offline_page(browser, html)
    try:
        players = page.locator(".iam-player")
        expect(players).to_have_count(1)  # the embedded one; the plain one is no player
        copy = page.locator("[data-ipyanimagic-embedded] .iam-player")
        expect(copy).to_have_count(1)
        p = PlayerView(copy)
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
        # The embedded player's poster made way for it; the plain player's output is
        # its poster picture without widget state, its (unrendered) widget view with it.
        expect(page.locator("img[src^='data:image/png']")).to_have_count(0 if stored else 1)
        # The carrier's output row shows nothing.
        expect(page.locator(".jp-OutputArea-child:has(.ipyanimagic-embed-carrier)")).to_be_hidden()
        assert blocked and all(not url.startswith("file:") for url in blocked)
        # nbconvert's own require.js, MathJax (and html-manager) were blocked; nothing failed.
        assert errors == []
    finally:
        context.close()


# What @jupyter-widgets/html-manager does with a page's saved widget state, reduced to
# what concerns the player: for each view script of an anywidget model, a new
# `.widget-subarea` before it, the model's `_esm` imported, and its `render` run on a
# model that has the saved state and no kernel (`send` goes nowhere). The real manager
# comes from a CDN (blocked here); this runs the same module the same way.
_RENDER_LIKE_HTML_MANAGER = """
async ({ VIEW, STATE, override }) => {
  const saved = JSON.parse(document.querySelector(`script[type="${STATE}"]`).textContent).state;
  const modelOf = (state) => ({
    get: (name) => state[name],
    set: (name, value) => { state[name] = value; },
    save_changes() {}, on() {}, off() {}, send() {},
  });
  const views = [];
  for (const script of document.querySelectorAll(`script[type="${VIEW}"]`)) {
    const id = JSON.parse(script.textContent).model_id;
    const state = { ...saved[id].state };
    if (override?.model === id) state.embed_id = override.embedId;
    const url = URL.createObjectURL(new Blob([state._esm], { type: "text/javascript" }));
    const widget = (await import(url)).default;
    const el = document.createElement("div");
    const subarea = document.createElement("div");
    subarea.className = "widget-subarea";
    subarea.append(el);
    script.before(subarea);
    widget.render({ model: modelOf(state), el });
    views.push({ id, players: el.querySelectorAll(".iam-player").length });
  }
  return views;
}
"""


@pytest.mark.parametrize("saved", [True], ids=["widget-state"], indirect=True)
def test_without_a_kernel_the_widget_view_of_an_embedded_player_makes_way_for_it(browser, saved):
    """Where a widget manager renders the views from saved state (online), the embedded
    player's view would wait for a kernel forever next to the copy that plays: it makes
    way, at once, or when a copy mounts after it rendered. (Without widget state
    nbconvert loads no widget manager.)"""
    _, nb, html, _ = saved
    embedded_id = nb.cells[1].outputs[0]["data"][VIEW]["model_id"]
    plain_id = nb.cells[2].outputs[0]["data"][VIEW]["model_id"]
    context, page, errors, _ = offline_page(browser, html)
    try:
        expect(page.locator("[data-ipyanimagic-embedded] .iam-player")).to_have_count(1)
        args = {"VIEW": VIEW, "STATE": STATE, "override": None}
        views = page.evaluate(_RENDER_LIKE_HTML_MANAGER, args)
        assert views == [{"id": embedded_id, "players": 0}, {"id": plain_id, "players": 1}]
        expect(page.locator(".iam-player")).to_have_count(2)  # the copy, the plain view
        # A view that rendered before its copy mounted: it ends and empties itself.
        page.locator(".widget-subarea").evaluate_all("(all) => all.forEach((e) => e.remove())")
        late = {"model": embedded_id, "embedId": "late"}
        views = page.evaluate(_RENDER_LIKE_HTML_MANAGER, {**args, "override": late})
        assert views == [{"id": embedded_id, "players": 1}, {"id": plain_id, "players": 1}]
        page.evaluate(
            "() => document.dispatchEvent(new CustomEvent('ipyanimagic-embedded',"
            " { detail: { embedId: 'late' } }))"
        )
        expect(page.locator(".iam-player")).to_have_count(2)  # the copy, the plain view
        expect(page.locator(".widget-subarea .iam-player")).to_have_count(1)
        # The copy still plays.
        p = PlayerView(page.locator("[data-ipyanimagic-embedded] .iam-player"))
        p.button("Next frame").click()
        p.expect_frame(1)
        assert errors == []
    finally:
        context.close()


def check_only_the_live_widget_shows(output, page_errors_ok) -> None:
    """In a live front end the embedded player's cell shows the live widget, which plays
    from the kernel; the carrier mounts nothing and its row is hidden."""
    expect(output.locator(".iam-player")).to_have_count(1, timeout=60_000)
    expect(output.locator(".ipyanimagic-embed")).to_have_count(0)
    expect(output.locator("[data-ipyanimagic-embedded]")).to_have_count(0)
    expect(output.locator(".ipyanimagic-embed-carrier")).to_have_count(1)
    expect(output.locator(".jp-OutputArea-child:has(.ipyanimagic-embed-carrier)")).to_be_hidden()
    p = PlayerView(output.locator(".iam-player"))
    p.expect_frame(0)
    expect(p.counter).to_have_text("1 / 30")
    p.button("Next frame").click()
    p.expect_frame(1)
    p.button("Last frame").click()
    p.expect_frame(29)
    expect(p.status).to_have_text("")
    page_errors_ok()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_a_running_notebook_shows_the_live_widget_only(notebook, app):
    nb = notebook([SETUP, EMBEDDED], app=app)
    nb.run_cell(0, timeout=60)
    nb.run_cell(1, timeout=60)
    check_only_the_live_widget_shows(nb.output(1), nb.assert_no_page_errors)


@pytest.fixture(scope="module")
def voila_server(tmp_path_factory) -> Iterator[voila.VoilaServer]:
    base = tmp_path_factory.mktemp("voila")
    yield from lab.serving(lambda: voila.start_voila(base), voila.stop_voila)


def test_a_voila_dashboard_shows_the_live_widget_only(voila_server, browser):
    vp = voila.open_page(voila_server, browser, [SETUP, EMBEDDED])
    try:
        check_only_the_live_widget_shows(vp.output(1), vp.assert_no_page_errors)
    finally:
        voila.close_page(voila_server, vp)


def test_a_reopened_notebook_shows_the_poster_of_an_embedded_player(jupyter_server, browser, saved):
    """JupyterLab does not run the scripts of a notebook it did not run (untrusted): the
    embedded player's output shows its poster picture there, as a plain one does."""
    path, _, _, stored = saved
    name = f"reopened-{'state' if stored else 'nostate'}.ipynb"
    (jupyter_server.root / name).write_bytes(path.read_bytes())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(lab.notebook_url(jupyter_server, name))
        cells = page.locator(lab.PANEL_SELECTOR).locator(".jp-CodeCell")
        for i in (1, 2):
            picture = cells.nth(i).locator(".jp-OutputArea-output img")
            expect(picture).to_have_count(1, timeout=60_000)
            expect(picture).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
            assert picture.evaluate("img => img.complete && img.naturalWidth") == 200
        # Nothing of the embedded player ran or shows as text (the carrier neither).
        outputs = cells.nth(1).locator(".jp-OutputArea-output")
        expect(outputs).to_have_count(2)
        expect(cells.nth(1).locator(".iam-player")).to_have_count(0)
        expect(outputs).to_have_text(["", ""])
    finally:
        context.close()
        lab.delete_sessions(jupyter_server, name)


def test_the_carrier_data_is_json_in_an_element(saved):
    """The frames, state and controls travel as JSON in a script element of type
    application/json: no value in script source."""
    _, nb, _, _ = saved
    carrier = nb.cells[1].outputs[1]["data"]["text/html"]
    found = re.search(r'class="ipyanimagic-data">(.*?)</script>', carrier, re.S)
    assert found
    data = json.loads(found.group(1))
    assert sorted(map(int, data["frames"]["frames"])) == list(range(30))
    assert data["state"]["key"] == "offline"  # the live widget's key is not in the output
