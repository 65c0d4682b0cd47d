"""The player's kernel side: every kind of animation, every bad input, the life cycle."""

from __future__ import annotations

import gc
import io
import math
import warnings
from concurrent.futures import Future
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from IPython.core.error import UsageError
from matplotlib import animation
from PIL import Image
from support.seed import seed_animation

import ipyanimagic
from ipyanimagic import registry
from ipyanimagic.bridge.dispatcher import dispatch
from ipyanimagic.errors import ReportedError
from ipyanimagic.frames.source import FrameOutOfRange, FrameSourceError
from ipyanimagic.limits import MAX_BATCH
from ipyanimagic.player.options import PlayerOptionError


def frame(player, i, **kw):
    """Call the exposed method as the dispatcher does, waiting for a deferred reply."""
    reply = player.frame(i, **kw)
    return reply.result(timeout=30) if isinstance(reply, Future) else reply


def pixels(player, i, fmt="png"):
    reply = frame(player, i, format=fmt)
    meta, (data,) = reply.result, reply.buffers
    img = np.asarray(Image.open(io.BytesIO(bytes(data))).convert("RGBA"))
    assert img.shape[:2] == (meta["height"], meta["width"])
    return img


def play(made, obj, **kw):
    p = ipyanimagic.animate(obj, **kw)
    made.append(p)
    return p


def test_the_seed_animation_renders_distinct_frames_as_png_and_jpeg(players):
    _, anim = seed_animation()
    p = play(players, anim)
    assert p.count == 100 and p.fps == pytest.approx(1000 / 30)
    a, b = pixels(p, 0), pixels(p, 25)
    assert a.shape == (150, 200, 4)
    assert (a != b).any()
    assert (pixels(p, 0) == a).all()  # random access: frame 0 again is frame 0
    jpeg = frame(p, 10, format="jpeg")
    assert jpeg.result["mime"] == "image/jpeg" and bytes(jpeg.buffers[0])[:2] == b"\xff\xd8"


def test_frames_from_any_order_match_frames_drawn_in_order(players):
    _, anim = seed_animation(frames=20)
    p = play(players, anim, cache_mb=0)
    in_order = [pixels(p, i) for i in range(0, 20, 5)]
    shuffled = {i: pixels(p, i) for i in (15, 0, 10, 5)}
    for k, i in enumerate(range(0, 20, 5)):
        assert (shuffled[i] == in_order[k]).all()


def test_blit_animations_render_the_same_pixels_as_without_blit(players):
    _, plain = seed_animation(frames=10)
    _, blitted = seed_animation(frames=10, blit=True)
    p, q = play(players, plain), play(players, blitted)
    for i in (0, 3, 9):
        assert (pixels(p, i) == pixels(q, i)).all()


@pytest.mark.parametrize(
    "frames, count",
    [
        (7, 7),
        ([0.0, 0.5, 1.0], 3),
        (np.arange(4), 4),
        (range(2, 8), 6),
    ],
    ids=["int", "list", "array", "range"],
)
def test_sized_frames_give_a_known_count(players, frames, count):
    _, anim = seed_animation(frames=frames)
    p = play(players, anim)
    assert p.count == count
    pixels(p, count - 1)
    with pytest.raises(FrameOutOfRange):
        p.frame(count)


def test_generator_frames_are_pulled_on_demand_kept_and_bounded(players):
    pulled = []

    def gen():
        for i in range(12):
            pulled.append(i)
            yield i

    _, anim = seed_animation(frames=gen, save_count=None, cache_frame_data=False)
    p = play(players, anim)
    assert p.count == -1
    pixels(p, 4)
    assert pulled == [0, 1, 2, 3, 4]
    pixels(p, 1)  # back: from the kept data, not a new generator
    assert pulled == [0, 1, 2, 3, 4]
    assert p.known == 5
    with pytest.raises(FrameOutOfRange):
        p.frame(20)
    assert p.count == 12  # exhausted: the count is known now


def test_infinite_frames_stop_at_save_count(players):
    _, anim = seed_animation(frames=None, save_count=6)
    p = play(players, anim)
    pixels(p, 5)
    with pytest.raises(FrameOutOfRange):
        p.frame(6)
    assert p.count == 6


def test_fargs_are_passed_to_the_frame_function(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    seen = []

    def draw(i, scale, offset):
        seen.append((i, scale, offset))
        ax.clear()
        ax.plot([0, 1], [offset, i * scale])

    anim = animation.FuncAnimation(fig, draw, frames=3, fargs=(2, 5))
    p = play(players, anim)
    pixels(p, 2)
    assert seen[-1] == (2, 2, 5)


def test_artist_animations_show_one_frame_of_artists(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    frames = [[ax.imshow(np.full((4, 4), v), vmin=0, vmax=3, cmap="gray")] for v in range(4)]
    anim = animation.ArtistAnimation(fig, frames, interval=100, repeat=False)
    p = play(players, anim)
    assert p.count == 4 and p.loop == "once" and p.fps == 10
    centre = [pixels(p, i)[40, 40, 0] for i in range(4)]
    assert centre == sorted(centre) and len(set(centre)) == 4


def test_a_plain_function_animates_with_fig_and_frames(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    (line,) = ax.plot([], [])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 10)

    def draw(i):
        line.set_data([0, 1], [0, i])

    p = play(players, draw, fig=fig, frames=10, interval=50)
    assert p.count == 10 and p.fps == 20
    assert (pixels(p, 1) != pixels(p, 9)).any()


def test_an_exception_in_one_frame_leaves_the_others_working(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)

    def draw(i):
        if i == 3:
            raise ValueError(f"bad frame {i}")
        ax.set_title(str(i))

    p = play(players, draw, fig=fig, frames=6)
    with pytest.raises(ReportedError) as info:
        p.frame(3)
    assert info.value.kind == "ValueError" and info.value.message == "bad frame 3"
    tb = "".join(info.value.traceback)
    assert 'raise ValueError(f"bad frame {i}")' in tb
    assert str(Path(ipyanimagic.__file__).parent) not in tb  # starts in the user's code
    pixels(p, 2)
    pixels(p, 4)


def test_the_dispatcher_answers_bad_frame_requests_with_errors(players):
    _, anim = seed_animation(frames=5)
    p = play(players, anim)

    def ask(**args):
        return dispatch({"id": 1, "key": p.key, "method": "frame", "args": args}).content

    assert ask(index=2)["ok"] is True
    for args, kind in [
        ({"index": "3"}, "TypeError"),
        ({"index": 2.5}, "TypeError"),
        ({"index": True}, "TypeError"),
        ({"index": -1}, "FrameOutOfRange"),
        ({"index": 10**12}, "FrameOutOfRange"),
        ({"index": 1, "format": "gif"}, "ValueError"),
        ({"index": 1, "format": "jpeg", "quality": 0}, "ValueError"),
        ({}, "BadArguments"),
    ]:
        content = ask(**args)
        assert content["ok"] is False and content["error"]["type"] == kind, (args, content)
    assert ask(index=4)["ok"] is True


def test_buffered_lists_the_cached_frames_as_ranges(players):
    _, anim = seed_animation(frames=10)
    p = play(players, anim)
    for i in (0, 1, 2, 5, 7, 8):
        frame(p, i)
    assert p.buffered() == [[0, 2], [5, 5], [7, 8]]


def test_the_cache_stays_within_its_budget(players):
    _, anim = seed_animation(frames=40)
    p = play(players, anim, cache_mb=0.02)  # about 20 KB: a few frames
    for i in range(40):
        frame(p, i)
    stats = p.stats()
    assert 0 < stats["cache_bytes"] <= 0.02 * 1024 * 1024
    assert stats["frames_rendered"] == 40


def test_adopting_closes_the_figure_so_inline_shows_no_duplicate(players):
    fig, anim = seed_animation()
    assert fig.number in plt.get_fignums()
    play(players, anim)
    assert fig.number not in plt.get_fignums()


def test_no_animation_was_deleted_warning(players):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, anim = seed_animation()
        p = play(players, anim)
        del anim
        gc.collect()
    assert not [w for w in caught if "deleted without rendering" in str(w.message)]
    assert p.count == 100


def test_the_display_bundle_carries_a_png_of_the_first_frame(players):
    _, anim = seed_animation()
    p = play(players, anim, start=3)
    data, metadata = p._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    png = Image.open(io.BytesIO(__import__("base64").b64decode(data["image/png"])))
    assert png.size == (200, 150) and metadata["image/png"]["width"] == 200


def test_the_poster_of_a_line_figure_is_a_smaller_preview_of_exactly_its_first_frame(players):
    """A figure of lines and text: 256 colours show it to the eye in a fraction of the
    bytes; the page replaces it with the exact frame (poster_exact is False)."""
    import base64

    _, anim = seed_animation()
    p = play(players, anim, start=3)
    data, _metadata = p._repr_mimebundle_()
    exact = frame(p, 3, format="png").buffers[0]
    assert p.poster == base64.b64decode(data["image/png"]), "one picture for both"
    assert not p.poster_exact and len(p.poster) <= 0.6 * len(exact)
    shown = np.asarray(Image.open(io.BytesIO(p.poster)).convert("RGBA"), np.int16)
    frame3 = np.asarray(Image.open(io.BytesIO(bytes(exact))).convert("RGBA"), np.int16)
    assert shown.shape == frame3.shape
    assert np.abs(shown - frame3).mean() < 2, "the same picture to the eye"


def test_the_poster_of_a_noisy_image_is_the_exact_frame(players):
    """Where 256 colours would not be much smaller (noise, a photograph), the poster is
    the frame itself and the page keeps it as the lossless frame."""
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=100)
    noise = np.random.default_rng(0).random((150, 200, 3))
    image = ax.imshow(noise, interpolation="nearest")
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)

    def update(k):
        image.set_data(np.roll(noise, k, axis=1))
        return (image,)

    anim = animation.FuncAnimation(fig, update, frames=3)
    p = play(players, anim)
    p._repr_mimebundle_()
    assert p.poster_exact
    assert p.poster == bytes(frame(p, 0, format="png").buffers[0])


def test_closing_releases_the_key_the_figure_and_the_cache(players):
    _, anim = seed_animation()
    p = ipyanimagic.animate(anim)
    frame(p, 0)
    key = p.key
    p.close()
    assert key not in registry.keys()
    assert p.figure is None and p.stats()["cache_bytes"] == 0
    content = dispatch({"id": 1, "key": key, "method": "frame", "args": {"index": 0}}).content
    assert content["error"]["type"] == "UnknownKey"


def test_rerunning_a_cell_closes_its_previous_player(ip, players):
    try:
        before = len(registry.keys())
        made = []
        for run in range(50):
            ip.parent_header = {"metadata": {"cellId": "cell-1"}, "header": {"msg_id": f"r{run}"}}
            _, anim = seed_animation(frames=5)
            made.append(ipyanimagic.animate(anim))
        assert len(registry.keys()) == before + 1
        assert [p.figure is None for p in made] == [True] * 49 + [False]
        assert len(plt.get_fignums()) == 0
        players.append(made[-1])
    finally:
        del ip.parent_header


def test_rerunning_a_jsexec_cell_closes_its_previous_widget(ip):
    try:
        made = []
        for run in range(5):
            ip.parent_header = {"metadata": {"cellId": "js-cell"}, "header": {"msg_id": f"r{run}"}}
            made.append(ipyanimagic.jsexec("element.textContent = 'hi';"))
        assert [w.key in registry.keys() for w in made] == [False] * 4 + [True]
        assert [w.comm is None for w in made] == [True] * 4 + [False]
    finally:
        made[-1].close()
        del ip.parent_header


def test_the_page_report_keeps_only_finite_numbers_it_knows(players):
    p = play(players, seed_animation(frames=3)[1])
    report = {
        "displayed": 5,
        "fps": 29.5,
        "net_rtt_ms": 48.0,
        "decoded": 3,
        "rtt_ms": math.nan,
        "dropped": True,
        "requested": math.inf,
        "received": 10**400,
        "other": 1,
    }
    assert dispatch({"id": 1, "key": p.key, "method": "report", "args": {"stats": report}}).content[
        "ok"
    ]
    page = p.stats()["page"]
    assert page == {"displayed": 5, "fps": 29.5, "net_rtt_ms": 48.0, "decoded": 3}
    content = dispatch({"id": 2, "key": p.key, "method": "stats"}).content
    assert content["ok"] and content["result"]["page"] == page


def test_players_made_by_one_run_of_a_cell_live_together(ip, players):
    try:
        ip.parent_header = {"metadata": {"cellId": "cell-2"}, "header": {"msg_id": "run-a"}}
        first = [ipyanimagic.animate(seed_animation(frames=3)[1]) for _ in range(3)]
        assert all(p.figure is not None for p in first)
        ip.parent_header = {"metadata": {"cellId": "cell-2"}, "header": {"msg_id": "run-b"}}
        second = ipyanimagic.animate(seed_animation(frames=3)[1])
        assert all(p.figure is None for p in first) and second.figure is not None
        players.append(second)
    finally:
        del ip.parent_header


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fps": 0}, "fps"),
        ({"fps": "fast"}, "fps"),
        ({"loop": "bounce"}, "loop"),
        ({"start": -1}, "start"),
        ({"start": 100}, "start"),
        ({"format": "gif"}, "format"),
        ({"quality": 101}, "quality"),
        ({"dpi": 0}, "dpi"),
        ({"cache_mb": -1}, "cache_mb"),
    ],
)
def test_bad_options_are_refused_with_their_name(kwargs, message):
    _, anim = seed_animation()
    before = len(registry.keys())
    with pytest.raises(PlayerOptionError, match=message):
        ipyanimagic.animate(anim, **kwargs)
    assert len(registry.keys()) == before
    anim._draw_was_started = True


@pytest.mark.parametrize(
    "obj, kwargs, message",
    [
        (42, {}, "expected a matplotlib animation"),
        ("anim", {}, "expected a matplotlib animation"),
        (lambda i: None, {}, "fig="),
        (lambda i: None, {"fig": "figure", "frames": 3}, "fig="),
        (lambda i: None, {"fig": plt.figure, "frames": None}, "fig="),
    ],
)
def test_things_that_are_not_animations_are_refused(obj, kwargs, message):
    with pytest.raises(FrameSourceError, match=message):
        ipyanimagic.animate(obj, **kwargs)


def test_a_function_without_frames_is_refused():
    fig = plt.figure()
    with pytest.raises(FrameSourceError, match="frames="):
        ipyanimagic.animate(lambda i: None, fig=fig)
    plt.close(fig)


def test_an_animation_stopped_by_closing_its_figure_is_refused():
    _, anim = seed_animation()
    anim._stop()  # what matplotlib does on the figure's close_event
    with pytest.raises(FrameSourceError, match="closed"):
        ipyanimagic.animate(anim)
    anim._draw_was_started = True


def test_the_magic_shows_a_player(ip, monkeypatch, players):
    shown = []
    monkeypatch.setattr("ipyanimagic.magics.display", shown.append)
    ip.run_line_magic("load_ext", "ipyanimagic")
    _, ip.user_ns["anim"] = seed_animation()
    ip.run_line_magic(
        "animate", "anim --fps 12 --loop reflect --autoplay --start 4 --format jpeg --realtime"
    )
    (p,) = shown
    players.append(p)
    assert (p.fps, p.loop, p.autoplay, p.start, p.format, p.realtime) == (
        12,
        "reflect",
        True,
        4,
        "jpeg",
        True,
    )


@pytest.mark.parametrize(
    "setup, line, message",
    [
        ("x = 42", "x", "expected a matplotlib animation"),
        ("", "surely_undefined_anim", "not defined"),
        ("_, anim = __seed()", "anim --fps -3", "fps"),
        ("_, anim = __seed()", "anim --loop bounce", "loop"),
        ("_, anim = __seed()", "anim --quality high", "quality"),
        ("", "", "animation"),
    ],
)
def test_the_magic_turns_bad_input_into_one_line_usage_errors(ip, setup, line, message):
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.user_ns["__seed"] = seed_animation
    ip.run_cell(setup)
    with pytest.raises(UsageError, match=message) as info:
        ip.run_line_magic("animate", line)
    assert "\n" not in str(info.value).strip()
    anim = ip.user_ns.pop("anim", None)
    if anim is not None:
        anim._draw_was_started = True  # refused, never rendered: keep matplotlib quiet
    plt.close("all")


def test_animate_help_lists_every_option(ip):
    ip.run_line_magic("load_ext", "ipyanimagic")
    doc = ip.magics_manager.magics["line"]["animate"].__doc__
    for option in [
        "--fps",
        "--loop",
        "--autoplay",
        "--start",
        "--format",
        "--quality",
        "--dpi",
        "--cache-mb",
    ]:
        assert option in doc
    assert "default" in doc


def test_frames_answers_several_frames_in_one_reply(players):
    _, anim = seed_animation(frames=10)
    p = play(players, anim)
    reply = p.frames([3, 4, 5], format="jpeg").result(timeout=30)
    assert [m["index"] for m in reply.result["frames"]] == [3, 4, 5]
    assert reply.result["error"] is None
    assert len(reply.buffers) == 3 and all(bytes(b)[:2] == b"\xff\xd8" for b in reply.buffers)


def test_frames_stops_at_the_first_failure_and_says_which(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)

    def draw(i):
        if i == 2:
            raise KeyError("no data for 2")
        ax.set_title(str(i))

    p = play(players, draw, fig=fig, frames=5)
    reply = p.frames([0, 1, 2, 3], format="png").result(timeout=30)
    assert [m["index"] for m in reply.result["frames"]] == [0, 1]
    err = reply.result["error"]
    assert (err["index"], err["type"]) == (2, "KeyError")
    assert 'raise KeyError("no data for 2")' in "".join(err["traceback"])
    past_end = p.frames([4, 5], format="png").result(timeout=30).result
    assert [m["index"] for m in past_end["frames"]] == [4]
    assert past_end["error"]["type"] == "FrameOutOfRange"


def test_a_batch_stopped_by_an_index_that_is_not_json_says_null(players):
    _, anim = seed_animation(frames=20)
    p = play(players, anim)
    content = dispatch(
        {"id": 1, "key": p.key, "method": "frames", "args": {"indices": [2, math.nan]}}
    ).content
    assert content["ok"], content
    assert [m["index"] for m in content["result"]["frames"]] == [2]
    assert content["result"]["error"]["index"] is None
    assert content["result"]["error"]["type"] == "TypeError"


@pytest.mark.parametrize("indices", [[], list(range(MAX_BATCH + 1)), "0,1", None, [0, "1"]])
def test_frames_refuses_a_bad_list(players, indices):
    _, anim = seed_animation(frames=20)
    p = play(players, anim)
    content = dispatch(
        {"id": 1, "key": p.key, "method": "frames", "args": {"indices": indices}}
    ).content
    if indices == [0, "1"]:
        assert content["ok"] and content["result"]["error"]["type"] == "TypeError"
    else:
        assert content["error"]["type"] == "ValueError"
