"""%animate in a real browser: each control does what it says, seen through data-frame."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from support.player import PlayerView
from support.seed import SEED_CELL
from support.traffic import CommTraffic

SETUP = "%load_ext ipyanimagic\n" + SEED_CELL  # defines seed(frames=..., fail_at=...)


def open_player(notebook, line: str, app: str = "lab", extra: tuple[str, ...] = (), first=0):
    nb = notebook([SETUP, *extra, line], app=app)
    for i in range(len(extra) + 2):
        nb.run_cell(i)
    view = PlayerView.in_output(nb, len(extra) + 1)
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
    expect(p.canvas).not_to_have_attribute("data-frame", re.compile(r"^[0-4]$"), timeout=10_000)
    p.button("Pause").click()
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    p.expect_still(p.shown(), for_ms=500)
    expect(p.fps).to_have_text("")
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_reverse_plays_backwards_from_the_start_with_loop(notebook, app):
    nb, p = open_player(notebook, "anim = seed(frames=20)\n%animate anim --fps 30 --loop loop", app)
    p.record()
    p.button("Reverse").click()
    p.wait_for_shown("frames.includes(10)")
    p.button("Pause").click()
    # From frame 0 backwards: wraps to 19, then down, one frame at a time.
    assert p.frames_shown()[:10] == [19, 18, 17, 16, 15, 14, 13, 12, 11, 10]
    nb.assert_no_page_errors()


def test_loop_wraps_from_the_last_frame_to_the_first(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=6)\n%animate anim --fps 30 --loop loop")
    p.record()
    p.button("Play").click()
    p.wait_for_shown("frames.filter((f) => f === 2).length >= 2")
    p.button("Pause").click()
    assert p.frames_shown()[:8] == [1, 2, 3, 4, 5, 0, 1, 2]
    nb.assert_no_page_errors()


def test_once_stops_at_either_end(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=12)\n%animate anim --fps 60 --loop once")
    p.record()
    p.button("Play").click()
    p.expect_still(11, for_ms=400)
    assert p.frames_shown()[-3:] == [9, 10, 11]
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    # And at the other end: reversing from frame 3 stops at frame 0.
    p.slider.fill("3")
    p.expect_frame(3)
    p.button("Reverse").click()
    p.expect_still(0, for_ms=400)
    assert p.frames_shown()[-4:] == [3, 2, 1, 0]
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
    p.wait_for_shown("frames.length >= 12")
    p.button("Pause").click()
    assert p.frames_shown()[:11] == [3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3]
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_the_slider_shows_the_frame_under_the_thumb(notebook, app):
    nb, p = open_player(notebook, "anim = seed()\n%animate anim", app)
    for value in (10, 55, 31, 77):
        p.slider.fill(str(value))
    p.expect_frame(77)
    expect(p.counter).to_have_text("78 / 100")
    nb.assert_no_page_errors()


def test_the_kernel_learns_the_frame_under_the_thumb_when_it_is_let_go(notebook):
    # Not once per frame while it is held: each such message also brings the kernel's
    # echo and two status messages for the page to handle, in the middle of the drag.
    listening: list[CommTraffic] = []
    nb = notebook(
        [
            SETUP,
            "import ipyanimagic\nplayer = ipyanimagic.animate(seed(), pure=True)\nplayer",
            "print('at', player.current)",
        ],
        on_page=lambda page: listening.append(CommTraffic(page)),
    )
    nb.run_cell(0)
    nb.run_cell(1)
    p = PlayerView.in_output(nb, 1)
    p.expect_frame(0)
    traffic = listening[-1]
    p.slider.scroll_into_view_if_needed()
    box = p.slider.bounding_box()
    y = box["y"] + box["height"] / 2
    mouse = nb.page.mouse
    mouse.move(box["x"] + 2, y)
    mouse.down()
    for k in range(1, 11):
        mouse.move(box["x"] + 2 + (box["width"] - 4) * k / 10, y)
    p.expect_frame(99)  # the thumb at the end, still held
    assert traffic.sent_states("current") == []
    mouse.up()
    nb.run_cell_until(2, "at 99")
    assert traffic.sent_states("current")[-1] == 99
    nb.assert_no_page_errors()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_keyboard_space_plays_and_arrows_step(notebook, app):
    nb, p = open_player(notebook, "anim = seed()\n%animate anim --fps 30", app)
    p.root.focus()
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
    expect(p.details).to_be_visible()
    p.details.locator("summary").click()
    expect(p.details.locator("pre")).to_contain_text('raise ValueError(f"no frame {i} today")')
    p.slider.fill("6")
    p.expect_frame(6)
    expect(p.status).to_have_text("")
    nb.assert_no_page_errors()


def test_past_a_failing_frame_an_animation_drawn_in_order_says_why_nothing_shows(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=10, fail_at=5)\n%animate anim --sequential")
    p.slider.fill("4")
    p.expect_frame(4)
    p.button("Next frame").click()
    expect(p.status).to_have_text("frame 5: ValueError: no frame 5 today")
    p.button("Next frame").click()
    expect(p.status).to_have_text(
        "frames after 5 cannot be drawn: this animation is drawn in order and frame 5 "
        "failed (ValueError: no frame 5 today)"
    )
    assert p.shown() == 4
    p.button("Previous frame").click()  # back from the frame asked for: frame 5, again
    expect(p.status).to_have_text("frame 5: ValueError: no frame 5 today")
    p.button("First frame").click()
    p.expect_frame(0)
    expect(p.status).to_have_text("")
    nb.assert_no_page_errors()


def test_two_players_do_not_interfere(notebook):
    nb = notebook([SETUP, "a = seed()\n%animate a", "b = seed(frames=30)\n%animate b"])
    for i in range(3):
        nb.run_cell(i)
    first, second = PlayerView.in_output(nb, 1), PlayerView.in_output(nb, 2)
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
    nb, _ = open_player(notebook, "anim = seed()\n%animate anim")
    out = nb.output(1)
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
    PlayerView.in_output(nb, 1).expect_frame(0)
    nb.run_cell(2)
    nb.wait_for_text(2, "0 1")
    nb.assert_no_page_errors()


def test_loop_mode_and_speed_controls_change_playback(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=10)\n%animate anim --fps 5 --loop loop")
    p.loop_mode.select_option("once")
    p.set_speed(60)
    p.button("Play").click()
    # At 60 fps ten frames take well under the 5 fps pace; "once" stops at the end.
    p.expect_frame(9, timeout=5_000)
    p.expect_still(9, for_ms=300)
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
    p = PlayerView.in_output(nb, 1)
    p.expect_frame(0)
    p.loop_mode.select_option("reflect")
    p.set_speed(12)
    # The page syncs the traits on its own time: ask the kernel until it has them.
    nb.run_cell_until(2, "reflect 12.0")


def test_playing_shows_a_live_fps_readout_and_the_buffered_bar(notebook):
    nb, p = open_player(notebook, "anim = seed(frames=40)\n%animate anim --fps 20")
    p.button("Play").click()
    expect(p.fps).to_have_text(re.compile(r"^\d+\.\d fps$"), timeout=5_000)
    expect(p.buffered).to_have_attribute("data-ranges", re.compile(r"\[\[0,\d+\]"), timeout=5_000)
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
    left, right = (PlayerView(nb.output(1).locator(".iam-player").nth(k)) for k in (0, 1))
    left.expect_frame(0)
    left.button("Next frame").click()
    left.expect_frame(1)
    right.expect_frame(1)
    nb.run_cell(2)  # from Python: both move
    left.expect_frame(17)
    right.expect_frame(17)
    right.button("Last frame").click()
    left.expect_frame(29)
    # Both trait changes reach the kernel on their own time: ask until it has them.
    nb.run_cell_until(3, "frames 29 29")
    nb.assert_no_page_errors()


def test_a_screenshot_of_the_player_for_the_readme(notebook, tmp_path):
    """Takes the README's picture; writes docs/img/player.png when UPDATE_SCREENSHOTS=1."""
    import os
    from pathlib import Path

    from PIL import Image

    nb, p = open_player(notebook, "anim = seed(dpi=120)\n%animate anim --start 30", first=30)
    p.record()
    p.button("Play").click()
    expect(p.fps).to_have_text(re.compile(r"fps$"), timeout=5_000)
    p.wait_for_shown("frames.includes(55)")
    p.button("Pause").click()
    target = tmp_path / "player.png"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = Path(__file__).resolve().parents[2] / "docs" / "img" / "player.png"
        target.parent.mkdir(exist_ok=True)
    p.root.screenshot(path=str(target))
    with Image.open(target) as img:
        assert img.width >= 240 and img.height >= 180
        assert len(img.convert("L").getcolors(maxcolors=100000) or []) > 20  # not blank
    nb.assert_no_page_errors()


def test_at_rest_the_next_frames_in_the_step_direction_are_drawn_ahead(notebook):
    nb = notebook(
        [
            SETUP,
            "import ipyanimagic\nplayer = ipyanimagic.animate(seed(frames=20), pure=True)\nplayer",
            "print('kept', player.buffered())",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    p = PlayerView.in_output(nb, 1)
    p.expect_frame(0)
    # Two steps: frames are light when the lowest drawing time measured says so (one
    # slow first draw on a busy machine does not make them heavy).
    for i in (1, 2):
        p.button("Next frame").click()
        p.expect_frame(i)
    # Frames 3 and 4 were asked for before anyone clicked again.
    nb.run_cell_until(2, "kept [[0, 4]]")
    p.button("Last frame").click()
    p.expect_frame(19)
    p.button("Previous frame").click()
    p.expect_frame(18)
    nb.run_cell_until(2, "kept [[0, 4], [16, 19]]")
    nb.assert_no_page_errors()


def test_the_first_frame_comes_with_the_display_and_its_exact_pixels_from_the_cache(notebook):
    """The poster shows at once; for this figure of lines it is a 256-colour preview
    (frames/encode.py), so the page asks once for the exact frame, which the kernel made
    for the display and kept: one frame drawn in all."""
    nb = notebook(
        [
            SETUP,
            # pure=True: an animation not yet measured is drawn in order from frame 0 (issue
            # 14), so the poster of frame 7 would cost 8 frames; this is about the page.
            "import ipyanimagic\nplayer = ipyanimagic.animate(seed(), start=7, pure=True)\nplayer",
            "s = player.stats()\nprint('rendered', s['frames_rendered'], 'hits', s['cache_hits'])",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    # Shown at once, and nothing else for a while: a page that asked for frames ahead
    # would have.
    PlayerView.in_output(nb, 1).expect_still(7, for_ms=500)
    # One frame was made for the display; the exact one came from the cache; the two
    # after it were asked ahead, as at rest after any step (AHEAD_AT_REST).
    nb.run_cell_until(2, "rendered 3 hits 1")
    nb.assert_no_page_errors()
