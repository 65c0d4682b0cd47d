"""Pure animations drawn by worker processes: the same pixels, errors, fallbacks, release."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
import pytest
from support import zoo

import ipyanimagic
from ipyanimagic.errors import ReportedError


def gone(pid: int, timeout: float = 30.0) -> bool:
    """Whether process ``pid`` ends within ``timeout`` (its /proc entry goes)."""
    done = threading.Event()
    for _ in range(int(timeout * 20)):
        if not os.path.exists(f"/proc/{pid}") or _zombie(pid):
            return True
        done.wait(0.05)
    return False


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line for line in f)
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("name", sorted(zoo.PURE))
def test_worker_frames_are_the_frames_save_writes(players, name):
    saved = zoo.saved_frames(zoo.PURE[name])
    _, anim = zoo.PURE[name]()
    p = ipyanimagic.animate(anim, workers=2)
    players.append(p)
    assert p.stats()["frames_from"] == "workers", p.stats()["workers_fallback"]
    frames = [p.supply.frame(i, "png", 0).result(timeout=60) for i in range(len(saved))]
    for i, frame in enumerate(frames):
        assert np.array_equal(zoo.decoded(frame), saved[i]), f"{name}: frame {i}"
    by_workers = {f.meta["worker"] for f in frames if "worker" in f.meta}
    assert by_workers and os.getpid() not in by_workers
    assert by_workers <= set(p.stats()["parallel"]["worker_pids"])
    # JPEG too, as a playing page asks (from the workers' own encoder).
    jpeg = p.supply.frame(len(saved) - 2, "jpeg", 85).result(timeout=60)
    assert jpeg.meta["mime"] == "image/jpeg"


def test_workers_read_ahead_in_the_playing_direction(players):
    _, anim = zoo.line()
    p = ipyanimagic.animate(anim, workers=2)
    players.append(p)
    p.supply.frame(8, "jpeg", 85).result(timeout=60)
    p.supply.frame(7, "jpeg", 85).result(timeout=60)  # now going backwards
    sent = p.stats()["parallel"]["sent_to_workers"]
    assert sent > 2  # more than asked: the frames before 7 were asked too
    for i in range(6, 0, -1):
        p.supply.frame(i, "jpeg", 85).result(timeout=60)
    assert p.stats()["parallel"]["drawn_by_workers"] >= 8


def test_an_error_in_frame_k_from_a_worker_is_reported_as_in_the_kernel(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)

    def draw(i):
        if i == 6:
            raise ValueError(f"bad frame {i}")
        ax.set_title(str(i))

    p = ipyanimagic.animate(draw, fig=fig, frames=10, workers=2)
    players.append(p)
    assert p.stats()["frames_from"] == "workers"
    reply = p.frames([4, 5, 6, 7])
    reply = reply.result(timeout=60) if isinstance(reply, Future) else reply
    assert [m["index"] for m in reply.result["frames"]] == [4, 5]
    error = reply.result["error"]
    assert error["index"] == 6 and error["type"] == "ValueError"
    assert error["message"] == "bad frame 6"
    assert 'raise ValueError(f"bad frame {i}")' in "".join(error["traceback"])
    with pytest.raises(ReportedError, match="bad frame 6"):
        p.supply.frame(6, "png", 0).result(timeout=60)
    assert p.supply.frame(9, "png", 0).result(timeout=60).meta["index"] == 9


def test_an_animation_that_cannot_be_pickled_is_drawn_in_the_kernel_with_the_reason(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    lock = threading.Lock()

    def draw(i):
        with lock:
            ax.set_title(str(i))

    p = ipyanimagic.animate(draw, fig=fig, frames=4, workers=2, pure=True)
    players.append(p)
    assert p.stats()["frames_from"] == "kernel"
    assert "cannot be pickled: TypeError" in p.stats()["workers_fallback"]
    assert p.note.startswith("workers not used: cannot be pickled: TypeError")
    assert "\n" not in p.note
    assert p.supply.frame(3, "png", 0).result(timeout=30).meta["index"] == 3


def test_worker_frames_that_differ_from_the_kernels_fall_back_with_the_reason(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)

    def draw(i):
        ax.set_title(f"{i} drawn by {os.getpid()}")  # a worker's pid is not the kernel's

    p = ipyanimagic.animate(draw, fig=fig, frames=4, workers=1)
    players.append(p)
    assert p.stats()["purity"]["pure"] is True
    assert p.stats()["frames_from"] == "kernel"
    assert p.stats()["workers_fallback"] == "frame 0 from a worker differs from the kernel's"
    assert p.note == "workers not used: frame 0 from a worker differs from the kernel's"


def test_workers_of_an_animation_that_remembers_are_released(players):
    _, anim = zoo.trail_init()
    p = ipyanimagic.animate(anim, workers=1)
    players.append(p)
    assert p.stats()["frames_from"] == "in order"
    assert p.supply.pool is None
    assert "remembers" in p.note


def test_workers_end_when_the_player_closes(players):
    _, anim = zoo.line()
    p = ipyanimagic.animate(anim, workers=2)
    p.supply.frame(5, "png", 0).result(timeout=60)
    pids = p.stats()["parallel"]["worker_pids"]
    assert len(pids) == 2
    p.close()
    assert all(gone(pid) for pid in pids)


def test_workers_of_a_rerun_cell_end_fifty_times_over(ip, players):
    pids: list[int] = []
    try:
        made = []
        for run in range(50):
            ip.parent_header = {"metadata": {"cellId": "cell-w"}, "header": {"msg_id": f"r{run}"}}
            _, anim = zoo.line()
            made.append(ipyanimagic.animate(anim, workers=1, pure=True))
            pids += made[-1].stats()["parallel"]["worker_pids"]
        players.append(made[-1])
        last = made[-1].stats()["parallel"]["worker_pids"]
        assert len(pids) == 50
        assert all(gone(pid) for pid in pids if pid not in last)
        assert all(os.path.exists(f"/proc/{pid}") for pid in last)
    finally:
        del ip.parent_header


def test_a_users_executor_draws_the_frames_and_is_left_running(players):
    saved = zoo.saved_frames(zoo.imshow)
    with ProcessPoolExecutor(2) as executor:
        _, anim = zoo.imshow()
        p = ipyanimagic.animate(anim, executor=executor)
        assert p.stats()["frames_from"] == "workers"
        assert p.stats()["parallel"]["workers"] == "ProcessPoolExecutor (2 workers)"
        for i in range(len(saved)):
            frame = p.supply.frame(i, "png", 0).result(timeout=60)
            assert np.array_equal(zoo.decoded(frame), saved[i])
        p.close()
        assert executor.submit(int, "7").result(timeout=30) == 7  # still the user's
