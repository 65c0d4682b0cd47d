"""In a real kernel: the verdict arrives on the main loop, a run in order goes in slices
between the page's requests, and worker processes draw and are released."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support import zoo

TESTS = Path(__file__).resolve().parents[1]

PRELUDE = """
import sys
sys.path.insert(0, {tests!r})
get_ipython().extension_manager.load_extension("ipyanimagic")
%matplotlib inline
import ipyanimagic, json, os
from support import zoo
"""
SETUP = PRELUDE + """
_, anim = zoo.{name}()
w = ipyanimagic.animate(anim{extra})
display(w)
"""


def png(kernel, reply) -> np.ndarray:
    """The one frame a ``frame`` reply carries, as RGBA."""
    (data,) = kernel.buffers_of[id(reply)]
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def wait_for_verdict(kernel, comm_id, key, timeout=90.0):
    """The player's stats once its purity verdict is known (asked the way the page asks)."""
    done = threading.Event()
    for _ in range(int(timeout * 4)):
        stats = kernel.request(comm_id, key, "stats")["result"]
        if stats["purity"]["pure"] is not None:
            return stats
        done.wait(0.25)
    raise TimeoutError(f"no verdict in {timeout} s: {stats['purity']}")


def test_random_access_in_a_kernel_shows_the_frames_save_writes(kernel):
    saved = zoo.saved_frames(zoo.random_walk)
    comm_id, key = kernel.open_widget(SETUP.format(tests=str(TESTS), name="random_walk", extra=""))
    stats = wait_for_verdict(kernel, comm_id, key)
    assert stats["purity"]["pure"] is False and stats["frames_from"] == "in order"
    for i in [9, 2, 11, 0, 5, 5, 10, 3]:
        reply = kernel.request(comm_id, key, "frame", {"index": i}, timeout=60)
        assert reply["ok"], reply
        assert np.array_equal(png(kernel, reply), saved[i]), f"frame {i}"
    reply = kernel.request(comm_id, key, "frames", {"indices": [6, 7, 8], "format": "png"})
    assert [m["index"] for m in reply["result"]["frames"]] == [6, 7, 8]
    kernel.run_ok("w.close()")


def test_a_long_jump_ahead_leaves_the_kernel_answering_in_between(kernel):
    slow = """
import time
_, anim = zoo.trail_init()
step = anim._func
def slow_step(i):
    time.sleep(0.15)
    return step(i)
anim._func = slow_step
w = ipyanimagic.animate(anim, pure=False)
display(w)
"""
    comm_id, key = kernel.open_widget(PRELUDE.format(tests=str(TESTS)) + slow)
    far = 11  # about 12 x 0.15 s of drawing, in slices
    kernel.send_custom(comm_id, {"id": 901, "key": key, "method": "frame", "args": {"index": far}})
    kernel.send_custom(comm_id, {"id": 902, "key": key, "method": "echo", "args": {"value": 1}})
    first, second = kernel.replies(comm_id, 2, timeout=60)
    # The echo (main thread) was answered between slices, before the far frame.
    assert (first["id"], second["id"]) == (902, 901), (first, second)
    assert second["ok"] and second["result"]["index"] == far
    stats = kernel.request(comm_id, key, "stats")["result"]
    assert stats["in_order"]["next"] == far + 1
    kernel.run_ok("w.close()")


def test_workers_in_a_kernel_draw_and_are_released(kernel):
    saved = zoo.saved_frames(zoo.imshow)
    comm_id, key = kernel.open_widget(
        SETUP.format(tests=str(TESTS), name="imshow", extra=", workers=2")
    )
    stats = wait_for_verdict(kernel, comm_id, key)
    assert stats["purity"]["pure"] is True
    for _ in range(120):
        stats = kernel.request(comm_id, key, "stats")["result"]
        if stats["frames_from"] == "workers":
            break
        threading.Event().wait(0.25)
    assert stats["frames_from"] == "workers", stats["workers_fallback"]
    got = {}
    for batch in ([2, 3, 4, 5], [6, 7, 8, 9], [10, 11]):
        reply = kernel.request(
            comm_id, key, "frames", {"indices": batch, "format": "png"}, timeout=60
        )
        assert reply["ok"] and reply["result"]["error"] is None, reply
        buffers = kernel.buffers_of[id(reply)]
        for meta, data in zip(reply["result"]["frames"], buffers, strict=True):
            got[meta["index"]] = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
    assert all(np.array_equal(got[i], saved[i]) for i in got)
    pids = kernel.request(comm_id, key, "stats")["result"]["parallel"]["worker_pids"]
    assert len(pids) == 2
    res = kernel.run_ok(
        "w.close()\n"
        "import time\n"
        f"pids = {pids!r}\n"
        "deadline = time.monotonic() + 30\n"
        "while time.monotonic() < deadline and any(os.path.exists(f'/proc/{p}') for p in pids):\n"
        "    time.sleep(0.1)\n"
        "print(json.dumps([os.path.exists(f'/proc/{p}') for p in pids]))"
    )
    assert json.loads(res.stdout.strip().splitlines()[-1]) == [False, False]


@pytest.fixture(autouse=True)
def _closed(kernel):
    yield
    kernel.run("import matplotlib.pyplot as plt; plt.close('all')")
