"""%animate in a real browser: each control does what it says, seen through data-frame."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

SETUP = """
%load_ext ipyanimagic
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import animation

def seed(frames=100, interval=30, fail_at=None, dpi=60):
    fig = plt.figure(figsize=(4, 3), dpi=dpi)
    ax = plt.axes(xlim=(0, 10), ylim=(-2, 2))
    line, = ax.plot([], [], lw=2)
    def init():
        line.set_data([], [])
        return line,
    def animate(i):
        if i == fail_at:
            raise ValueError(f"no frame {i} today")
        x = np.linspace(0, 10, 300)
        y = np.cos(i * 0.02 * np.pi) * np.sin(x - i * 0.02 * np.pi)
        line.set_data(x, y)
        return line,
    return animation.FuncAnimation(fig, animate, init_func=init, frames=frames, interval=interval)
"""


class PlayerView:
    """The controls of one player output, by their accessible names."""

    def __init__(self, nb, cell: int):
        self.nb = nb
        self.out = nb.output(cell)
        self.frame = self.out.locator("canvas.iam-frame")
        self.counter = self.out.locator(".iam-counter")
        self.status = self.out.get_by_role("status")
        self.slider = self.out.get_by_role("slider", name="Frame")

    def button(self, name: str):
        return self.out.get_by_role("button", name=name, exact=True)

    def expect_frame(self, index: int, timeout: float = 15_000):
        expect(self.frame).to_have_attribute("data-frame", str(index), timeout=timeout)

    def shown(self) -> int:
        return int(self.frame.get_attribute("data-frame"))

    def record(self) -> None:
        """Start recording every frame the player shows (a test-only observer)."""
        self.frame.evaluate(
            """(canvas) => {
                canvas.__shown = [];
                new MutationObserver(() => canvas.__shown.push(Number(canvas.dataset.frame)))
                    .observe(canvas, {attributes: true, attributeFilter: ["data-frame"]});
            }"""
        )

    def recorded(self) -> list[int]:
        shown = self.frame.evaluate("(canvas) => canvas.__shown")
        # The observer reports attribute writes; the same frame written twice is one frame.
        return [f for k, f in enumerate(shown) if k == 0 or shown[k - 1] != f]


def open_player(notebook, line: str, app: str = "lab", extra: tuple[str, ...] = (), first=0):
    nb = notebook([SETUP, *extra, line], app=app)
    for i in range(len(extra) + 2):
        nb.run_cell(i)
    view = PlayerView(nb, len(extra) + 1)
    view.expect_frame(first)
    return nb, view


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_step_buttons_first_last_and_counter(notebook, app):
    nb, p = open_player(notebook, "anim = seed()\n%animate anim", app)
    expect(p.counter).to_have_text("1 / 100")
    p.button("Next frame").click()
    p.expect_frame(1)
    p.button("Next frame").click()
    p.expect_frame(2)
    p.button("Previous frame").click()
    p.expect_frame(1)
    p.button("Last frame").click()
    p.expect_frame(99)
    expect(p.counter).to_have_text("100 / 100")
    p.button("First frame").click()
    p.expect_frame(0)
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_play_advances_and_pause_stops(notebook, app):
    nb, p = open_player(notebook, "anim = seed()\n%animate anim --fps 30", app)
    p.button("Play").click()
    expect(p.frame).not_to_have_attribute("data-frame", re.compile(r"^[0-4]$"), timeout=10_000)
    p.button("Pause").click()
    nb.page.wait_for_timeout(300)
    stopped = p.shown()
    nb.page.wait_for_timeout(500)
    assert p.shown() == stopped
    expect(p.out.locator(".iam-fps")).to_have_text("")
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_reverse_plays_backwards_from_the_start_with_loop(notebook, app):
    nb, p = open_player(notebook, "anim = seed(frames=20)\n%animate anim --fps 30 --loop loop", app)
    p.record()
    p.button("Reverse").click()
    nb.page.wait_for_function(
        "(c) => (c.__shown || []).includes(10)", arg=p.frame.element_handle(), timeout=10_000
    )
    p.button("Pause").click()
    # From frame 0 backwards: wraps to 19, then down, one frame at a time.
    assert p.recorded()[:10] == [19, 18, 17, 16, 15, 14, 13, 12, 11, 10]
    nb.assert_no_page_errors()


def test_loop_wraps_from_the_last_frame_to_the_first(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=6)\n%animate anim --fps 30 --loop loop")
    p.record()
    p.button("Play").click()
    nb.page.wait_for_function(
        "(c) => (c.__shown || []).filter((f) => f === 2).length >= 2",
        arg=p.frame.element_handle(),
        timeout=10_000,
    )
    p.button("Pause").click()
    assert p.recorded()[:8] == [1, 2, 3, 4, 5, 0, 1, 2]
    nb.assert_no_page_errors()


def test_once_stops_at_either_end(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=12)\n%animate anim --fps 60 --loop once")
    p.record()
    p.button("Play").click()
    p.expect_frame(11)
    nb.page.wait_for_timeout(400)
    assert p.shown() == 11
    assert p.recorded()[-3:] == [9, 10, 11]
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    # And at the other end: reversing from frame 3 stops at frame 0.
    p.slider.fill("3")
    p.expect_frame(3)
    p.button("Reverse").click()
    p.expect_frame(0)
    nb.page.wait_for_timeout(400)
    assert p.shown() == 0
    assert p.recorded()[-4:] == [3, 2, 1, 0]
    expect(p.button("Reverse")).to_have_attribute("aria-pressed", "false")
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_reflect_turns_around_at_both_ends(notebook, app):
    nb, p = open_player(
        notebook,
        "anim = seed(frames=5)\n%animate anim --fps 30 --loop reflect --start 2",
        app,
        first=2,
    )
    p.record()
    p.button("Play").click()
    nb.page.wait_for_function(
        "(c) => (c.__shown || []).length >= 12", arg=p.frame.element_handle(), timeout=10_000
    )
    p.button("Pause").click()
    assert p.recorded()[:11] == [3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3]
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_the_slider_shows_the_frame_under_the_thumb(notebook, app):
    nb, p = open_player(notebook, "anim = seed()\n%animate anim", app)
    for value in (10, 55, 31, 77):
        p.slider.fill(str(value))
    p.expect_frame(77)
    expect(p.counter).to_have_text("78 / 100")
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_keyboard_space_plays_and_arrows_step(notebook, app):
    nb, p = open_player(notebook, "anim = seed()\n%animate anim --fps 30", app)
    p.out.locator(".iam-player").focus()
    nb.page.keyboard.press("ArrowRight")
    p.expect_frame(1)
    nb.page.keyboard.press("ArrowRight")
    p.expect_frame(2)
    nb.page.keyboard.press("ArrowLeft")
    p.expect_frame(1)
    nb.page.keyboard.press("Space")
    expect(p.button("Play")).to_have_attribute("aria-pressed", "true")
    nb.page.keyboard.press("Space")
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    nb.page.keyboard.press("End")
    p.expect_frame(99)
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_a_failing_frame_shows_in_the_status_and_the_others_still_work(notebook, app):
    nb, p = open_player(notebook, "anim = seed(frames=10, fail_at=3)\n%animate anim --fps 30", app)
    p.button("Play").click()
    expect(p.status).to_have_text("frame 3: ValueError: no frame 3 today", timeout=10_000)
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    details = p.out.locator("details.iam-details")
    expect(details).to_be_visible()
    details.locator("summary").click()
    expect(details.locator("pre")).to_contain_text('raise ValueError(f"no frame {i} today")')
    p.slider.fill("6")
    p.expect_frame(6)
    expect(p.status).to_have_text("")
    nb.assert_no_page_errors()


def test_two_players_do_not_interfere(notebook):
    nb = notebook([SETUP, "a = seed()\n%animate a", "b = seed(frames=30)\n%animate b"])
    for i in range(3):
        nb.run_cell(i)
    first, second = PlayerView(nb, 1), PlayerView(nb, 2)
    first.expect_frame(0)
    second.expect_frame(0)
    second.button("Last frame").click()
    second.expect_frame(29)
    first.button("Next frame").click()
    first.expect_frame(1)
    assert second.shown() == 29
    expect(first.counter).to_have_text("2 / 100")
    expect(second.counter).to_have_text("30 / 30")
    nb.assert_no_page_errors()


def test_no_duplicate_static_figure_under_inline(notebook):
    nb, p = open_player(notebook, "anim = seed()\n%animate anim")
    out = p.out
    expect(out.locator("img")).to_have_count(0)
    expect(out.locator("canvas.iam-frame")).to_have_count(1)
    nb.assert_no_page_errors()


def test_rerunning_the_cell_fifty_times_keeps_figures_and_registry_bounded(notebook):
    nb = notebook(
        [
            SETUP,
            "anim = seed(frames=5)\n%animate anim",
            "from ipyanimagic import registry\nprint(len(plt.get_fignums()), len(registry.keys()))",
        ]
    )
    nb.run_cell(0)
    for _ in range(50):
        nb.run_cell(1)
    PlayerView(nb, 1).expect_frame(0)
    nb.run_cell(2)
    nb.wait_for_text(2, "0 1")
    nb.assert_no_page_errors()


def test_loop_mode_and_speed_controls_change_playback(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=10)\n%animate anim --fps 5 --loop loop")
    p.out.get_by_role("combobox", name="Loop mode").select_option("once")
    speed = p.out.get_by_role("spinbutton", name="Frames per second")
    speed.fill("60")
    speed.press("Enter")
    p.button("Play").click()
    # At 60 fps ten frames take well under the 5 fps pace; "once" stops at the end.
    p.expect_frame(9, timeout=5_000)
    nb.page.wait_for_timeout(300)
    assert p.shown() == 9
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    nb.run_cell(1)  # the controls wrote back to the widget: re-run shows a fresh player
    nb.assert_no_page_errors()


def test_controls_write_back_to_the_python_object(notebook):
    nb = notebook(
        [
            SETUP,
            "import ipyanimagic\nplayer = ipyanimagic.animate(seed(frames=10), fps=5)\nplayer",
            "print(player.loop, player.fps)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    p = PlayerView(nb, 1)
    p.expect_frame(0)
    p.out.get_by_role("combobox", name="Loop mode").select_option("reflect")
    speed = p.out.get_by_role("spinbutton", name="Frames per second")
    speed.fill("12")
    speed.press("Enter")
    nb.page.wait_for_timeout(300)
    nb.run_cell(2)
    nb.wait_for_text(2, "reflect 12.0")


def test_playing_shows_a_live_fps_readout_and_the_buffered_bar(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=40)\n%animate anim --fps 20")
    p.button("Play").click()
    expect(p.out.locator(".iam-fps")).to_have_text(re.compile(r"^\d+\.\d fps$"), timeout=5_000)
    bar = p.out.locator("canvas.iam-buffered")
    expect(bar).to_have_attribute("data-ranges", re.compile(r"\[\[0,\d+\]"), timeout=5_000)
    p.button("Pause").click()
    nb.assert_no_page_errors()


def test_linked_players_follow_each_other_and_python_sees_the_frame(notebook):
    nb = notebook(
        [
            SETUP,
            "import ipyanimagic, ipywidgets as widgets\n"
            "left = ipyanimagic.animate(seed(frames=30), label='left')\n"
            "right = ipyanimagic.animate(seed(frames=30), label='right')\n"
            "link = widgets.jslink((left, 'current'), (right, 'current'))\n"
            "widgets.HBox([left, right])",
            "left.current = 17",
            "print('frames', left.current, right.current)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    out = nb.output(1)
    left, right = (out.locator("canvas.iam-frame").nth(k) for k in (0, 1))
    expect(left).to_have_attribute("data-frame", "0", timeout=15_000)
    out.get_by_role("button", name="Next frame", exact=True).first.click()
    expect(left).to_have_attribute("data-frame", "1")
    expect(right).to_have_attribute("data-frame", "1")
    nb.run_cell(2)  # from Python: both move
    expect(left).to_have_attribute("data-frame", "17")
    expect(right).to_have_attribute("data-frame", "17")
    out.get_by_role("button", name="Last frame", exact=True).last.click()  # the right one
    expect(left).to_have_attribute("data-frame", "29")
    nb.page.wait_for_timeout(300)
    nb.run_cell(3)
    nb.wait_for_text(3, "frames 29 29")
    nb.assert_no_page_errors()


def test_a_screenshot_of_the_player_for_the_readme(notebook, tmp_path):
    """Takes the README's picture; writes docs/img/player.png when UPDATE_SCREENSHOTS=1."""
    import os
    from pathlib import Path

    from PIL import Image

    nb, p = open_player(notebook, "anim = seed(dpi=120)\n%animate anim --start 30", first=30)
    p.button("Play").click()
    expect(p.out.locator(".iam-fps")).to_have_text(re.compile(r"fps$"), timeout=5_000)
    nb.page.wait_for_timeout(600)
    p.button("Pause").click()
    target = tmp_path / "player.png"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = Path(__file__).resolve().parents[2] / "docs" / "img" / "player.png"
        target.parent.mkdir(exist_ok=True)
    p.out.locator(".iam-player").screenshot(path=str(target))
    with Image.open(target) as img:
        assert img.width >= 240 and img.height >= 180
        assert len(img.convert("L").getcolors(maxcolors=100000) or []) > 20  # not blank
    nb.assert_no_page_errors()


def test_the_first_frame_comes_with_the_display_without_a_request(notebook):
    nb = notebook(
        [
            SETUP,
            "import ipyanimagic\nplayer = ipyanimagic.animate(seed(), start=7)\nplayer",
            "s = player.stats()\nprint('rendered', s['frames_rendered'], 'hits', s['cache_hits'])",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    PlayerView(nb, 1).expect_frame(7)
    nb.page.wait_for_timeout(500)
    nb.run_cell(2)
    # One frame was ever made (the poster, for the display); the page asked for nothing.
    nb.wait_for_text(2, "rendered 1 hits 0")
    nb.assert_no_page_errors()
