"""Animations that remember: every frame is the one ``Animation.save`` writes there.

The reference is what a frame-grabbing movie writer receives from ``Animation.save`` on
an independent making of the same animation (``support.zoo.saved_frames``).
"""

from __future__ import annotations

import io
import os
import random
import threading
from concurrent.futures import Future

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import animation
from PIL import Image
from support import zoo

import ipyanimagic
from ipyanimagic import mainthread
from ipyanimagic.bridge.dispatcher import prepare
from ipyanimagic.frames import sequential
from ipyanimagic.frames.sequential import IN_FLIGHT, Superseded
from ipyanimagic.player import supply

EVERY_KIND = {**zoo.PURE, **zoo.REMEMBERS}


def shown(player, index, fmt="png") -> np.ndarray:
    """Frame ``index`` as the page gets it (the exposed method; a deferred reply)."""
    reply = player.frame(index, format=fmt)
    reply = reply.result(timeout=60) if isinstance(reply, Future) else reply
    return np.asarray(Image.open(io.BytesIO(bytes(reply.buffers[0]))).convert("RGBA"))


@pytest.mark.parametrize("name", sorted(EVERY_KIND))
def test_frames_played_forward_are_the_frames_save_writes(players, name):
    saved = zoo.saved_frames(EVERY_KIND[name])
    _, anim = EVERY_KIND[name]()
    p = ipyanimagic.animate(anim)
    players.append(p)
    p._repr_mimebundle_()  # the poster first, as a display does
    for i in range(len(saved)):
        assert np.array_equal(shown(p, i), saved[i]), f"{name}: frame {i}"


@pytest.mark.parametrize("name", sorted(EVERY_KIND))
def test_frames_under_random_access_are_the_frames_save_writes(players, name):
    saved = zoo.saved_frames(EVERY_KIND[name])
    _, anim = EVERY_KIND[name]()
    p = ipyanimagic.animate(anim, start=3)
    players.append(p)
    p._repr_mimebundle_()
    order = random.Random(name).choices(range(len(saved)), k=30)
    for i in order:
        assert np.array_equal(shown(p, i), saved[i]), f"{name}: frame {i} after {order}"


def test_the_frame_function_is_called_as_save_calls_it(players):
    def counted(init: bool):
        calls: list[object] = []
        fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
        ax.set(xlim=(0, 20), ylim=(-1, 1))
        (ln,) = ax.plot([], [])
        xs: list[int] = []

        def start():
            calls.append("init")
            xs.clear()
            return (ln,)

        def step(i):
            calls.append(i)
            xs.append(i)
            ln.set_data(xs, np.zeros(len(xs)))
            return (ln,)

        anim = animation.FuncAnimation(fig, step, frames=8, init_func=start if init else None)
        return calls, anim

    for init in (False, True):
        saved_calls, anim = counted(init)
        anim.save("unused", writer=zoo.GrabWriter())
        calls, anim = counted(init)
        p = ipyanimagic.animate(anim)
        players.append(p)
        p._repr_mimebundle_()  # poster: frame 0, in the run
        for i in [5, 2, 7, 0, 3, 6, 1, 4]:
            shown(p, i)
            shown(p, i, "jpeg")
        assert calls == saved_calls == ([] if init else [0]) + (["init"] if init else []) + list(
            range(8)
        )


def test_kept_frames_past_the_cache_budget_come_from_a_temporary_file(players):
    saved = zoo.saved_frames(zoo.trail)
    _, anim = zoo.trail()
    p = ipyanimagic.animate(anim, cache_mb=0.001)  # about one kilobyte: nothing stays
    players.append(p)
    shown(p, len(saved) - 1)
    stats = p.stats()["in_order"]
    assert stats["kept_frames"] == len(saved) and stats["kept_file_bytes"] > 0
    kept = p.supply.in_order.kept.file
    # No name on disk: closing the player, or the kernel's end however it ends, frees it.
    assert os.fstat(kept.fileno()).st_nlink == 0
    assert os.fstat(kept.fileno()).st_size == stats["kept_file_bytes"]
    for i in reversed(range(len(saved))):
        assert np.array_equal(shown(p, i), saved[i])
    assert p.stats()["cache_frames"] <= 1
    p.close()
    assert kept.closed and p.supply.in_order.kept.file is None


def test_a_jump_ahead_draws_the_frames_between_and_says_so(players, monkeypatch):
    _, anim = zoo.trail_init()
    p = ipyanimagic.animate(anim)
    players.append(p)
    notes: list[str] = []
    p.observe(lambda change: notes.append(change["new"]), names="note")
    run = p.supply.in_order
    import ipyanimagic.frames.sequential as sequential

    monkeypatch.setattr(sequential, "SLICE_S", 0.0)  # one frame per slice
    shown(p, 9)
    assert run.next == 10
    assert "drawing frames in order: 1 of 10" in notes and notes[-1] == ""


def _long_trail(frames: int):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    ax.set(xlim=(0, frames), ylim=(0, frames))
    (ln,) = ax.plot([], [])
    xs: list[int] = []

    def step(i):
        xs.append(i)
        ln.set_data(xs, xs)
        return (ln,)

    return animation.FuncAnimation(fig, step, frames=frames)


def _held(run, monkeypatch, indices):
    """Requests queued while the run is held, as a busy kernel loop would hold it."""
    monkeypatch.setattr(run, "_schedule", lambda: None)
    asked = [run.frame(i, "png", 0) for i in indices]
    monkeypatch.undo()
    run._schedule()
    return asked


def test_a_newer_jump_supersedes_an_older_one(players, monkeypatch):
    p = ipyanimagic.animate(_long_trail(80), pure=False)
    players.append(p)
    run = p.supply.in_order
    far_index = 6 + IN_FLIGHT + 1
    far, near = _held(run, monkeypatch, [far_index, 6])
    assert near.result(timeout=30).meta["index"] == 6
    with pytest.raises(Superseded, match=f"frame {far_index}: a newer jump went to frame 6"):
        far.result(timeout=30)
    assert run.next == 7


def test_frames_a_page_has_in_flight_are_not_superseded(players, monkeypatch):
    # Playing backwards from frame 0 with loop: the page asks 19, 18, 17, ...
    p = ipyanimagic.animate(_long_trail(20), pure=False)
    players.append(p)
    asked = _held(p.supply.in_order, monkeypatch, [19, 18, 17, 16])
    assert [f.result(timeout=30).meta["index"] for f in asked] == [19, 18, 17, 16]


def test_an_error_in_frame_k_stops_the_run_there_and_leaves_the_frames_before(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    ax.set(xlim=(0, 10), ylim=(0, 10))
    (ln,) = ax.plot([], [])
    xs: list[int] = []

    def step(i):
        if i == 4:
            raise ValueError("bad frame 4")
        xs.append(i)
        ln.set_data(xs, xs)

    p = ipyanimagic.animate(step, fig=fig, frames=8, pure=False)
    players.append(p)
    reply = p.frames([2, 3, 4, 5])
    reply = reply.result(timeout=30)
    assert [m["index"] for m in reply.result["frames"]] == [2, 3]
    assert reply.result["error"]["index"] == 4
    assert reply.result["error"]["message"] == "bad frame 4"
    assert shown(p, 1).shape[2] == 4  # a kept frame still works


def failing_at_3(players, error: type[BaseException] = ValueError, frames: int = 12):
    """A player of an animation that remembers whose frame 3 raises ``error``."""
    fig, _ax = plt.subplots(figsize=(2, 2), dpi=40)

    def step(i):
        if i == 3:
            raise error("no frame 3 today")

    p = ipyanimagic.animate(step, fig=fig, frames=frames, pure=False)
    players.append(p)
    return p


@pytest.mark.parametrize("error", [ValueError, SystemExit])
def test_a_request_past_a_failing_frame_is_told_which_frame_failed(players, error):
    p = failing_at_3(players, error)
    reply = p.frames([5, 6]).result(timeout=30)
    assert reply.result["frames"] == []
    assert reply.result["error"]["index"] == 3
    assert reply.result["error"]["type"] == error.__name__
    assert reply.result["error"]["message"] == "no frame 3 today"


def test_a_single_frame_past_a_failing_frame_is_told_which_frame_failed(players):
    p = failing_at_3(players)
    call = prepare({"id": 9, "key": p.key, "method": "frame", "args": {"index": 9}})
    reply = call.run()
    reply = reply.result(timeout=30) if isinstance(reply, Future) else reply
    assert reply.content["ok"] is False
    assert reply.content["error"]["frame"] == 3
    assert reply.content["error"]["message"] == "no frame 3 today"


class QueuedLoop:
    """The kernel's main loop as the supply sees it, run by the test: callbacks wait in
    a queue (from any thread) until ``run_until`` runs them here, in order."""

    def __init__(self) -> None:
        self.jobs: list = []
        self.added = threading.Condition()

    def add_callback(self, job, *args) -> None:
        with self.added:
            self.jobs.append(lambda: job(*args))
            self.added.notify_all()

    def call_later(self, _delay, job, *args) -> None:
        self.add_callback(job, *args)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        with self.added:
            assert self.added.wait_for(lambda: len(self.jobs) >= count, timeout)

    def run_until(self, future: Future, timeout: float = 60) -> None:
        future.add_done_callback(lambda _f: self.add_callback(lambda: None))
        while not future.done():
            self.run_next(timeout)

    def run_next(self, timeout: float = 60) -> None:
        self.wait_for(1, timeout)
        with self.added:
            job = self.jobs.pop(0)
        job()


def test_a_request_past_a_failing_frame_waits_for_a_verdict_still_in_the_queue(
    players, monkeypatch
):
    # The check finishes while the run in order is on its way to the failing frame: the
    # verdict's callback is queued behind the run's slice, so the slice fails first.
    loop = QueuedLoop()
    for module in (mainthread, supply, sequential):
        monkeypatch.setattr(module, "main_loop", lambda: loop)
    # One frame per slice: with warm, fast draws a 50 ms slice drew frames 0..3 at once,
    # failing at 3 before the test could queue the verdict behind it.
    monkeypatch.setattr(sequential, "SLICE_S", 0.0)
    measured: list[Future] = []
    held: Future = Future()  # the check as the supply sees it: finished by the test
    real_check = supply.check_purity
    monkeypatch.setattr(
        supply, "check_purity", lambda *a, **k: (measured.append(real_check(*a, **k)), held)[1]
    )
    fig, _ax = plt.subplots(figsize=(2, 2), dpi=40)

    def step(i):
        if i == 3:
            raise ValueError("no frame 3 today")

    p = ipyanimagic.animate(step, fig=fig, frames=10)  # the verdict is measured
    players.append(p)
    loop.run_next()  # the check's start, a little after the display
    reply = p.frames([5, 6])
    while p.supply.in_order.next < 3:
        loop.run_next()  # the run's slices, up to the one that draws frame 3
    assert len(loop.jobs) == 1
    finish = threading.Thread(target=held.set_result, args=(measured[0].result(60),))
    finish.start()
    finish.join()
    assert len(loop.jobs) == 2  # the verdict, behind the failing slice
    loop.run_until(reply)
    assert p.supply.verdict.pure is True
    assert reply.result().result["error"] is None
    assert [m["index"] for m in reply.result().result["frames"]] == [5, 6]


def test_frames_come_at_the_scale_the_page_asks_kept_ones_resampled(players):
    _, anim = zoo.trail_init()
    p = ipyanimagic.animate(anim)
    players.append(p)
    p._repr_mimebundle_()  # the poster: frame 0, drawn at scale 1
    run = p.supply.in_order
    zero = run.frame(0, "png", 0, 2.0).result(timeout=30)  # kept at 1, asked at 2
    one = run.frame(1, "jpeg", 85, 2.0).result(timeout=30)  # drawn at 2
    poster = run.frame(0, "png", 0, 1.0).result(timeout=30)
    assert poster.meta["scale"] == 1.0
    assert zero.meta["scale"] == one.meta["scale"] == 2.0
    assert (zero.meta["width"], zero.meta["height"]) == (
        2 * poster.meta["width"], 2 * poster.meta["height"]
    )
    # (matplotlib rounds a figure's size at 2x its dpi its own way: within a pixel)
    assert abs(one.meta["width"] - zero.meta["width"]) <= 1
    assert abs(one.meta["height"] - zero.meta["height"]) <= 1
    assert zoo.decoded(zero).shape[:2] == (zero.meta["height"], zero.meta["width"])


def test_a_run_ahead_waits_for_the_keeper_instead_of_holding_every_frame(players, monkeypatch):
    """Each drawn frame waiting for its lossless copy holds its pixels: a run ahead stops
    KEEP_BACKLOG frames ahead of the keeper, and goes on as the copies are made."""
    gate = threading.Event()
    keeper = sequential.keeper_pool()

    class Gated:
        def submit(self, fn, *args):
            return keeper.submit(lambda: (gate.wait(60), fn(*args))[1])

    monkeypatch.setattr(sequential, "keeper_pool", Gated)
    _, anim = zoo.trail()
    p = ipyanimagic.animate(anim, pure=False)
    players.append(p)
    run = p.supply.in_order
    last = zoo.FRAMES - 1  # more frames than the backlog
    assert last > sequential.KEEP_BACKLOG
    ahead = threading.Thread(target=run.frame_now, args=(last, "png", 0))
    ahead.start()
    try:
        stopped = threading.Event()
        while run.next < sequential.KEEP_BACKLOG and not stopped.wait(0.01):
            pass
        ahead.join(0.5)  # it could go on only by holding more frames than the backlog
        assert ahead.is_alive()
        assert run.next == sequential.KEEP_BACKLOG
    finally:
        gate.set()
    ahead.join(60)
    assert not ahead.is_alive() and run.next == zoo.FRAMES
    assert run.kept.get(last) is not None
