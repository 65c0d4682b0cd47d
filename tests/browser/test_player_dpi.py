"""Sharp on every screen: the player at devicePixelRatio 1, 1.5 and 2, a ratio that
changes while paused and while playing, a narrow output, and an exported file at 2x.

The seed figure is 4 x 3 inches at 50 dpi: 200 x 150 CSS pixels at every ratio, and
ratio x that many pixels in the canvas, each the reference drawing at 50 x ratio dpi.
"""

from __future__ import annotations

import pytest
from support.player import PlayerView, check_against_reference
from support.seed import SEED_CELL, reference_hashes, seed_animation

import ipyanimagic

SETUP = "%load_ext ipyanimagic\nimport ipyanimagic\n" + SEED_CELL
# Stated pure: frames at any resolution, in any order, from the first request (until the
# kernel has measured whether an animation remembers, it draws frames in order at the
# resolution of the first; see test_the_canvas_has_...: the default, the frames are
# sharpened once it knows).
PURE = "ipyanimagic.animate(seed(frames={frames}), pure=True{extra})"
CSS = (200, 150)
VIEWPORT = {"width": 1280, "height": 900}


def open_player(notebook, line: str, ratio: float = 1, first: int = 0) -> tuple:
    nb = notebook([SETUP, line], device_scale_factor=ratio)
    nb.run_cell(0)
    nb.run_cell(1)
    view = PlayerView.in_output(nb, 1)
    # The poster may be a preview, replaced by the exact frame once the page is quiet
    # (upgrade.js): the tests compare the frames drawn with the kernel's.
    view.expect_exact(first)
    return nb, view


def move_to_screen(page, ratio: float, nudge: list[int] = [0]) -> None:  # noqa: B006
    """What moving the window to a screen of another devicePixelRatio (or zooming) does.

    Chromium's emulation changes devicePixelRatio but re-evaluates media queries (and
    so tells a ``matchMedia`` listener) only when the viewport changes too, as it does
    on a real zoom or screen change: the viewport width moves by one pixel each time.
    """
    nudge[0] ^= 1
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": VIEWPORT["width"] + nudge[0],
            "height": VIEWPORT["height"],
            "deviceScaleFactor": ratio,
            "mobile": False,
        },
    )
    assert page.evaluate("devicePixelRatio") == ratio


def assert_sizes(entries: list[dict]) -> None:
    """Every frame drawn has ratio x CSS pixels and the same CSS box."""
    for e in entries:
        assert (e["width"], e["height"]) == (CSS[0] * e["scale"], CSS[1] * e["scale"]), e
        assert (e["cssWidth"], e["cssHeight"]) == CSS, e


@pytest.mark.parametrize("ratio", [1, 1.5, 2])
def test_the_canvas_has_ratio_times_its_css_size_and_the_pixels_at_that_dpi(notebook, ratio):
    nb, p = open_player(notebook, "anim = seed(frames=10)\n%animate anim", ratio)
    # The poster (drawn at the figure's size) is replaced by a sharp frame, unasked.
    p.expect_scale(ratio)
    assert p.size() == {
        "width": CSS[0] * ratio,
        "height": CSS[1] * ratio,
        "cssWidth": CSS[0],
        "cssHeight": CSS[1],
    }
    p.record()
    for i in (1, 2, 3):
        p.button("Next frame").click()
        p.expect_frame(i)
    drawn = p.drawn()
    assert_sizes(drawn)
    assert check_against_reference(drawn, reference_hashes(4, dpi=50 * ratio)) == {0, 1, 2, 3}
    nb.assert_no_page_errors()


def test_a_ratio_change_while_paused_redraws_the_frame_sharp(notebook):
    nb, p = open_player(notebook, PURE.format(frames=10, extra=", start=3"), 1, first=3)
    p.expect_scale(1)
    p.record()
    move_to_screen(nb.page, 2)
    p.expect_scale(2)
    p.button("Next frame").click()
    p.expect_frame(4)
    move_to_screen(nb.page, 1.5)
    p.expect_scale(1.5)
    drawn = p.drawn()
    assert [(e["frame"], e["scale"]) for e in drawn] == [(3, 1), (3, 2), (4, 2), (4, 1.5)]
    assert_sizes(drawn)
    for e in drawn:
        reference = reference_hashes(e["frame"] + 1, dpi=50 * e["scale"])
        check_against_reference([e], reference)
    nb.assert_no_page_errors()


def test_a_ratio_change_while_playing_never_shows_a_frame_of_the_old_size(notebook):
    nb, p = open_player(notebook, PURE.format(frames=40, extra=", fps=30"), ratio=1)
    p.expect_scale(1)
    p.play_recording(10)
    move_to_screen(nb.page, 1.5)
    p.page.wait_for_function(
        "(c) => c.__record.filter((e) => e.scale === 1.5).length >= 10",
        arg=p.canvas.element_handle(),
        timeout=20_000,
    )
    p.button("Pause").click()
    drawn = p.drawn()
    scales = [e["scale"] for e in drawn]
    first_new = scales.index(1.5)
    assert set(scales[:first_new]) == {1} and set(scales[first_new:]) == {1.5}, scales
    assert_sizes(drawn)
    # It kept playing through the change: later frames, in order.
    frames = [e["frame"] for e in drawn[first_new:]]
    assert len(set(frames)) >= 5
    nb.assert_no_page_errors()


def test_a_narrow_output_scales_the_player_down_keeping_its_aspect_ratio(notebook):
    nb = notebook([SETUP, "anim = seed(frames=5, size=(8, 3), dpi=100)\n%animate anim"])
    nb.run_cell(0)
    nb.run_cell(1)
    p = PlayerView.in_output(nb, 1)
    p.expect_frame(0)
    assert p.size()["cssWidth"] == 800
    output = nb.output(1)
    nb.page.set_viewport_size({"width": 640, "height": VIEWPORT["height"]})  # a narrow window
    nb.page.wait_for_function(
        "([c, out]) => c.getBoundingClientRect().width <= out.getBoundingClientRect().width",
        arg=[p.canvas.element_handle(), output.element_handle()],
    )
    size = p.size()
    assert size["width"] == 800, "the backing store keeps its pixels"
    assert abs(size["cssHeight"] / size["cssWidth"] - 300 / 800) < 0.01, size
    out_box = output.bounding_box()
    for box in (p.root.bounding_box(), p.canvas.bounding_box()):
        assert box["x"] + box["width"] <= out_box["x"] + out_box["width"] + 0.5, (box, out_box)
    # Still a working player.
    p.button("Next frame").click()
    p.expect_frame(1)
    nb.assert_no_page_errors()


def test_an_exported_file_is_sharp_at_ratio_2(browser, tmp_path):
    _, anim = seed_animation(frames=6)
    player = ipyanimagic.animate(anim, label="Sharp")
    try:
        path = player.save_html(tmp_path / "sharp.html", progress=False)
    finally:
        player.close()
    context = browser.new_context(offline=True, viewport=VIEWPORT, device_scale_factor=2)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        p = PlayerView(page.locator(".iam-player"))
        p.expect_frame(0, timeout=10_000)
        p.expect_scale(2)
        p.record()
        for i in (1, 2):
            p.button("Next frame").click()
            p.expect_frame(i)
        drawn = p.drawn()
        assert_sizes(drawn)
        assert check_against_reference(drawn, reference_hashes(3, dpi=100)) == {0, 1, 2}
        assert errors == []
    finally:
        context.close()
