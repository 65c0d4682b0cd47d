"""Live players: each capture is exactly the figure at that moment, kept, and served
from any thread while capture goes on; afterwards an ordinary player.

The reference for a frame is a full draw (``savefig``) of a twin figure that went
through the same steps: drawing the captured figure itself would clear the stale flags
the capture's blit reads (and, like any draw by the user, make the next capture full).
"""

from __future__ import annotations

import io
import signal
import threading
from concurrent.futures import Future

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import ipyanimagic
from ipyanimagic import futures
from ipyanimagic.bridge.dispatcher import prepare
from ipyanimagic.frames import live as live_frames
from ipyanimagic.player.options import PlayerOptionError


def decoded(reply) -> np.ndarray:
    reply = reply.result(timeout=30) if isinstance(reply, Future) else reply
    return np.asarray(Image.open(io.BytesIO(bytes(reply.buffers[0]))).convert("RGBA"))


def full_draw(fig) -> np.ndarray:
    out = io.BytesIO()
    fig.savefig(out, format="rgba", dpi=fig.dpi)
    width, height = (round(v) for v in fig.bbox.size)
    return np.frombuffer(out.getvalue(), np.uint8).reshape(height, width, 4)


def sine_figure():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
    x = np.linspace(0, 6, 100)
    (line,) = ax.plot(x, np.sin(x))
    ax.set_ylim(-1.5, 1.5)
    return fig, ax, line, x


def call(player, method, **args):
    """A page request, through the dispatcher, on this thread; the reply's content."""
    c = prepare({"id": 1, "key": player.key, "method": method, "args": args})
    assert c.thread_safe, f"{method} must be answered without the main thread"
    reply = c.run()
    return reply.result(timeout=30) if isinstance(reply, Future) else reply


def test_each_captured_frame_is_the_figure_as_it_was_at_capture(players):
    fig, ax, line, x = sine_figure()
    twin, twin_ax, twin_line, _ = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    expected = []
    for k in range(12):
        for a, ln in ((ax, line), (twin_ax, twin_line)):
            ln.set_ydata(np.sin(x + k / 3))
            a.set_title(f"step {k}")
        assert p.frame() == k
        expected.append(full_draw(twin))
    p.stop()
    assert p.count == 12 and not p.live
    for k in range(12):
        assert np.array_equal(decoded(p.page_frame(k)), expected[k]), f"frame {k}"
    draws = p.pipeline.stats()["draws"]
    assert draws["blit"] > 0, "only the changed artists are drawn once the layer settles"


def test_a_draw_by_someone_else_between_captures_does_not_make_a_wrong_blit(players):
    fig, ax, line, x = sine_figure()
    (other,) = ax.plot(x, np.cos(x), zorder=1)  # below the line: outside its layer
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    for k in range(4):
        line.set_ydata(np.sin(x + k))
        p.frame()
    # The user draws the figure themselves (saving a picture: the stale flags are
    # cleared), after changing an artist outside the layer the captures learned.
    other.set_ydata(np.cos(x + 1))
    fig.savefig(io.BytesIO(), format="png")
    line.set_ydata(np.sin(x + 9))
    p.frame()
    expected = full_draw(fig)
    p.stop()
    assert np.array_equal(decoded(p.page_frame(4)), expected)


def test_frames_are_served_from_another_thread_while_capture_goes_on(players):
    fig, _ax, line, x = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    line.set_ydata(np.cos(x))
    p.frame()
    first = full_draw(fig)
    got: list[np.ndarray] = []
    errors: list[BaseException] = []
    asked = threading.Event()

    def page() -> None:
        try:
            reply = call(p, "frame", index=0)
            got.append(np.asarray(Image.open(io.BytesIO(bytes(reply.buffers[0]))).convert("RGBA")))
        except BaseException as exc:
            errors.append(exc)
        finally:
            asked.set()

    threading.Thread(target=page).start()
    for k in range(5):  # the loop goes on meanwhile
        line.set_ydata(np.sin(x * k))
        p.frame()
    assert asked.wait(30)
    assert not errors and np.array_equal(got[0], first)
    assert p.live, "capture goes on until stop()"


def test_a_frame_not_captured_yet_is_out_of_range_and_says_so(players):
    fig, *_ = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    reply = call(p, "frame", index=3)
    assert reply.content["ok"] is False
    assert reply.content["error"]["type"] == "FrameOutOfRange"
    assert "not captured yet (1 so far)" in reply.content["error"]["message"]


def test_a_follow_request_waits_for_the_next_capture_then_gets_the_newest(players):
    fig, _ax, line, x = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    reply = p.newest(after=0, format="png")
    assert not reply.done(), "nothing newer than frame 0 yet: the request waits"
    line.set_ydata(np.cos(x))
    p.frame()
    expected = full_draw(fig)
    got = reply.result(timeout=30)
    assert got.result["index"] == 1 and got.result["known"] == 2 and got.result["live"]
    assert np.array_equal(decoded(got), expected)
    # Asked after several captures: the newest one, not the next.
    for _ in range(3):
        p.frame()
    assert p.newest(after=1, format="png").result(timeout=30).result["index"] == 4


def test_two_waiting_requests_of_one_page_bring_consecutive_captures_not_one_frame_twice(
    players,
):
    fig, _ax, line, x = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    first = p.newest(after=0, format="png", follower="page-a")
    second = p.newest(after=0, format="png", follower="page-a")
    other = p.newest(after=0, format="png", follower="page-b")
    line.set_ydata(np.cos(x))
    p.frame()
    assert first.result(timeout=30).result["index"] == 1
    assert other.result(timeout=30).result["index"] == 1, "another page gets its own"
    assert not second.done(), "frame 1 went to this page's other request: it waits"
    line.set_ydata(np.sin(2 * x))
    p.frame()
    expected = full_draw(fig)
    got = second.result(timeout=30)
    assert got.result["index"] == 2 and np.array_equal(decoded(got), expected)
    # The page looked back and asks again from an older frame: answered past what it was
    # sent, at the next capture; a peek is answered at once.
    third = p.newest(after=0, format="png", follower="page-a")
    assert p.newest(after=0, peek=True, follower="page-a").result(timeout=30).result["known"] == 3
    assert not third.done()
    p.frame()
    assert third.result(timeout=30).result["index"] == 3


def test_a_page_gets_its_frames_spacing_apart_and_the_last_one_even_if_capture_stops(players):
    """Frames for one page no closer than its spacing: a burst of captures brings one
    frame at once and the newest when due, without waiting for another capture."""
    fig, _ax, line, x = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    first = p.newest(after=0, follower="page", spacing=400)
    second = p.newest(after=0, follower="page", spacing=400)
    for k in range(3):  # a burst: frames 1, 2, 3
        line.set_ydata(np.sin(x + k))
        p.frame()
    assert first.result(timeout=30).result["index"] == 1
    assert not second.done(), "frame 1 was sent just now: the next waits for its spacing"
    got = second.result(timeout=30)  # no capture since: the timer answers it when due
    assert got.result["index"] == 3 and got.buffers
    assert got.result["waited_ms"] >= 100, "the reply says how long it waited here"
    with pytest.raises(TypeError, match="spacing"):
        p.newest(after=0, spacing=-1)


def test_a_peek_says_how_many_frames_without_sending_one(players):
    fig, *_ = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    p.frame()
    got = p.newest(after=-1, peek=True).result(timeout=30)
    assert got.result["known"] == 2 and not got.buffers


def test_stop_answers_waiting_followers_and_ends_capture(players):
    fig, *_ = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    waiting = p.newest(after=0)
    p.stop()
    got = waiting.result(timeout=30)
    assert got.result["live"] is False and got.result["known"] == 1 and not got.buffers
    with pytest.raises(RuntimeError, match="stopped capturing"):
        p.frame()


def test_a_follow_request_is_answered_with_the_state_when_nothing_comes(players, monkeypatch):
    monkeypatch.setattr(live_frames, "POLL_S", 0.05)
    fig, *_ = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    got = p.newest(after=0).result(timeout=30)
    assert got.result["live"] is True and got.result["known"] == 1 and not got.buffers


def test_a_loop_over_an_iterable_captures_after_each_step_and_counts_steps(players):
    fig, _ax, line, x = sine_figure()
    loop = ipyanimagic.live(range(7), fig, display=False)
    players.append(loop.player)
    assert loop.player.total == 7 and loop.player.unit == "steps"
    for k in loop:
        line.set_ydata(np.sin(x + k))
    assert loop.player.count == 7 and not loop.player.live


def test_an_exception_in_the_loop_ends_capture_with_the_frames_so_far(players):
    fig, _ax, line, x = sine_figure()
    loop = ipyanimagic.live(range(10), fig, display=False)
    players.append(loop.player)
    with pytest.raises(ZeroDivisionError):
        for k in loop:
            if k == 4:
                raise ZeroDivisionError("step 4")
            line.set_ydata(np.sin(x + k))
    assert loop.player.count == 4 and not loop.player.live
    assert call(loop.player, "frame", index=3).content["ok"]


def test_a_with_block_ends_capture(players):
    fig, *_ = sine_figure()
    with ipyanimagic.live(fig, display=False) as p:
        players.append(p)
        p.frame()
    assert not p.live and p.count == 1


def test_after_capture_it_exports_every_frame(players, tmp_path):
    fig, _ax, line, x = sine_figure()
    with ipyanimagic.live(fig, display=False) as p:
        players.append(p)
        for k in range(5):
            line.set_ydata(np.sin(x + k))
            p.frame()
    out = tmp_path / "live.html"
    p.save_html(out)
    assert out.stat().st_size > 0
    assert p.run.stats()["kept_frames"] == 5


def test_frames_past_the_cache_budget_are_read_back_from_the_kept_file(players):
    fig, _ax, line, x = sine_figure()
    p = ipyanimagic.live(fig, display=False, cache_mb=0)
    players.append(p)
    expected = []
    for k in range(6):
        line.set_ydata(np.sin(x + k))
        p.frame()
        expected.append(full_draw(fig))
    p.stop()
    assert p.pipeline.stats()["cache_bytes"] == 0
    for k in (5, 0, 3):
        assert np.array_equal(decoded(p.page_frame(k)), expected[k])


def test_wrong_arguments_say_what_was_expected():
    with pytest.raises(PlayerOptionError, match="a figure or an iterable"):
        ipyanimagic.live(3, display=False)
    with pytest.raises(PlayerOptionError, match="fps"):
        ipyanimagic.live(plt.figure(), fps=-1, display=False)
    plt.close("all")


def test_after_capture_it_saves_a_gif_and_embeds_every_frame(players, tmp_path):
    fig, _ax, line, x = sine_figure()
    with ipyanimagic.live(fig, display=False) as p:
        players.append(p)
        for k in range(4):
            line.set_ydata(np.sin(x + k))
            p.frame()
    gif = p.save(tmp_path / "live.gif")
    with Image.open(gif) as image:
        assert image.n_frames == 4
    p.embed()
    data, _meta = p._repr_mimebundle_()
    assert "image/png" in data and "text/html" in data, "a poster and the embedded place"


def test_a_thread_captures_its_figure_while_the_main_thread_plots_another(players):
    """Each figure is touched by one thread: the capturing thread draws its own figure
    only; the main thread's plotting of another figure is left alone, and both are
    exact."""
    fig, _ax, line, x = sine_figure()
    twin, _tax, twin_line, _ = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    expected: list[np.ndarray] = []
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            for k in range(30):
                line.set_ydata(np.sin(x + k / 4))
                twin_line.set_ydata(np.sin(x + k / 4))
                p.frame()
                expected.append(full_draw(twin))
        except BaseException as exc:
            errors.append(exc)

    other, other_ax = plt.subplots(figsize=(3, 2), dpi=40)
    worker = threading.Thread(target=loop)
    worker.start()
    pictures = []
    while worker.is_alive():  # the main thread plots meanwhile
        other_ax.plot(np.random.default_rng(len(pictures)).random(20))
        pictures.append(full_draw(other))
    worker.join(60)
    assert not errors, errors
    p.stop()
    assert pictures, "the main thread drew while the thread captured"
    for k, want in enumerate(expected):
        assert np.array_equal(decoded(p.page_frame(k)), want), f"frame {k}"


def test_a_thread_capturing_goes_on_after_the_cell_that_started_it_ends(players):
    """A simulation thread outlives its cell: the cell's end pauses the players the cell
    captured into, not the thread's, which ends with its own ``stop()``."""
    from ipyanimagic.player import live as live_player

    fig, _ax, line, x = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    started, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def simulate() -> None:
        try:
            p.frame()
            started.set()
            assert go_on.wait(30)
            line.set_ydata(np.cos(x))
            p.frame()
            p.stop()
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=simulate)
    worker.start()
    assert started.wait(30)
    live_player._end_capture()  # the cell that started the thread ends
    assert p.live, "the thread's player is still capturing"
    go_on.set()
    worker.join(30)
    assert not errors, errors
    assert p.count == 2 and not p.live


def test_one_loop_updates_two_live_figures_each_kept_exactly(players):
    fig_a, _ax, line_a, x = sine_figure()
    fig_b, _bx, line_b, _ = sine_figure()
    twin, _tx, twin_line, _ = sine_figure()
    a = ipyanimagic.live(fig_a, display=False)
    b = ipyanimagic.live(fig_b, display=False)
    players.extend([a, b])
    expected_a, expected_b = [], []
    for k in range(12):
        line_a.set_ydata(np.sin(x + k / 3))
        a.frame()
        twin_line.set_ydata(np.sin(x + k / 3))
        expected_a.append(full_draw(twin))
        if k % 3 == 0:  # the second figure changes and is captured every third step
            line_b.set_ydata(np.cos(x * (1 + k / 10)))
            b.frame()
            twin_line.set_ydata(np.cos(x * (1 + k / 10)))
            expected_b.append(full_draw(twin))
    a.stop()
    b.stop()
    assert (a.count, b.count) == (12, 4)
    for k, want in enumerate(expected_a):
        assert np.array_equal(decoded(a.page_frame(k)), want), f"a: frame {k}"
    for k, want in enumerate(expected_b):
        assert np.array_equal(decoded(b.page_frame(k)), want), f"b: frame {k}"


def test_the_stop_button_while_a_capture_answers_a_page_stops_the_loop_after_it(
    players, monkeypatch
):
    """The capture hands its frame to a waiting request in callbacks on this thread,
    which carry any failure into the request's future: an interrupt landing there was
    the request's failure, and the loop went on. It now comes out of ``frame()``, once
    the frame is captured and sent."""
    fig, _ax, line, _x = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    waiting = p.newest(after=0, format="png")

    class RightHere:
        """Encodes on this thread: the reply's callbacks run inside the capture."""

        def submit(self, fn, *args):
            out: Future = Future()
            out.set_result(fn(*args))
            return out

    real_then = futures.then

    def pressed_inside(pending, func, on_error=None):
        def handing_over(value):
            signal.raise_signal(signal.SIGINT)  # the stop button, exactly here
            return func(value)

        return real_then(pending, handing_over, on_error)

    monkeypatch.setattr(live_frames, "encoder_pool", RightHere)
    monkeypatch.setattr(futures, "then", pressed_inside)
    line.set_ydata(np.zeros_like(_x))
    with pytest.raises(KeyboardInterrupt):
        p.frame()
    monkeypatch.undo()
    assert p.run.next == 2, "the frame was captured before the interrupt came out"
    assert waiting.result(timeout=30).result["index"] == 1


def test_a_page_over_a_slow_link_is_sent_the_newest_frame_at_a_lower_resolution(players):
    """``send_scale``: the frame travels resampled to that share of the page's ratio,
    the capture (and what is kept) stays at the page's ratio."""
    fig, _ax, line, x = sine_figure()
    p = ipyanimagic.live(fig, display=False)
    players.append(p)
    p.frame()
    full = call(p, "newest", after=-1, format="jpeg", scale=2.0)
    line.set_ydata(np.cos(x))
    p.frame()  # captured at 2.0, the page's ratio
    half = call(p, "newest", after=0, format="jpeg", quality=40, scale=2.0, send_scale=1.0)
    meta = half.content["result"]
    assert meta["index"] == 1 and meta["scale"] == 1.0 and meta["resampled_from"] == 2.0
    assert (meta["width"], meta["height"]) == (200, 150)
    assert full.content["result"]["width"] == 400 and len(half.buffers[0]) < len(full.buffers[0])
    assert np.asarray(Image.open(io.BytesIO(bytes(half.buffers[0])))).shape[:2] == (150, 200)
    kept = call(p, "frame", index=1, format="png", scale=2.0).content["result"]
    assert kept["width"] == 400 and "resampled_from" not in kept
    # Not lower than the page's ratio: sent as captured.
    same = call(p, "newest", after=-1, format="jpeg", scale=2.0, send_scale=2.0)
    assert same.content["result"]["width"] == 400
    bad = call(p, "newest", after=-1, send_scale="half").content
    assert bad["ok"] is False and "scale" in bad["error"]["message"]
