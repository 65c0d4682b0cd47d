"""Process pools of the kernel: their workers ignore interrupts, and all of them,
with the fork server and the resource tracker, end on request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future

import psutil
import pytest

from ipyanimagic.workers import processes


def test_a_worker_ignores_the_interrupt_sent_to_the_kernels_process_group():
    pool = processes.spawn_pool(1)
    try:
        pid = pool.submit(os.getpid).result(timeout=60)
        os.kill(pid, signal.SIGINT)
        assert pool.submit(os.getpid).result(timeout=60) == pid
    finally:
        processes.terminate(pool)


def test_the_initializer_runs_in_each_worker(tmp_path):
    pool = processes.spawn_pool(1, initializer=os.chdir, initargs=(str(tmp_path),))
    try:
        assert pool.submit(os.getcwd).result(timeout=60) == str(tmp_path)
    finally:
        processes.terminate(pool)


# In a process of its own: ending the resource tracker is for a process about to exit.
END_ALL = """
import json, os
from multiprocessing import forkserver, resource_tracker
from ipyanimagic.workers import processes

pool = processes.spawn_pool(2)
pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(4)}
pids.add(processes.shared_pool().submit(os.getpid).result(timeout=60))
helpers = [forkserver._forkserver._forkserver_pid, resource_tracker._resource_tracker._pid]
processes.end_all()
print(json.dumps({"pids": sorted(pids), "helpers": helpers}))
"""


def test_end_all_ends_the_pools_the_shared_process_the_fork_server_and_the_tracker():
    out = subprocess.run(
        [sys.executable, "-c", END_ALL], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert len(seen["pids"]) >= 2 and None not in seen["helpers"]
    # The fork server and the tracker were waited for: gone. The workers were sent
    # SIGTERM: gone, or going.
    assert not [p for p in seen["helpers"] if psutil.pid_exists(p)]
    _gone, alive = psutil.wait_procs(
        [psutil.Process(p) for p in seen["pids"] if psutil.pid_exists(p)], timeout=30
    )
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_a_failure_to_submit_is_the_futures_failure():
    def refuse():
        raise RuntimeError("cannot schedule new futures after shutdown")

    failed = processes.submit_off_main(refuse)
    assert isinstance(failed.exception(timeout=10), RuntimeError)


def test_the_submission_runs_on_a_thread_of_its_own():
    """The caller is the kernel's main thread: it must not wait for a fork server."""
    seen: list[threading.Thread] = []

    def submit() -> Future[int]:
        seen.append(threading.current_thread())
        done: Future[int] = Future()
        done.set_result(3)
        return done

    assert processes.submit_off_main(submit).result(timeout=10) == 3
    assert seen and seen[0] is not threading.current_thread()


# Bytes glibc holds in mmapped blocks while an 8 MB frame-sized array lives, minus after
# it is freed: 8 MB when each such buffer is mapped (and unmapped) on its own, 0 when it
# comes from the heap, where the next frame reuses it. (Not page faults: with
# transparent huge pages a fresh mapping faults a few times or thousands, by machine.)
PROBE = """
import ctypes
import numpy as np

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = MallInfo2

def mapped_alone():
    np.ones(1 << 20).sum()
    a = np.ones(1 << 20)
    alive = _libc.mallinfo2().hblkhd
    del a
    return alive - _libc.mallinfo2().hblkhd
"""

MAPPED_IN_A_WORKER = """
import json, os
from ipyanimagic.workers import processes
import probe

pool = processes.spawn_pool(1)
print(json.dumps({"worker": pool.submit(probe.mapped_alone).result(timeout=60),
                  "here": probe.mapped_alone()}))
processes.end_all()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_workers_frame_buffers_come_from_the_heap_whatever_malloc_trim_threshold_says(
    tmp_path,
):
    (tmp_path / "probe.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "MALLOC_TRIM_THRESHOLD_": "65536"}
    out = subprocess.run(
        [sys.executable, "-c", MAPPED_IN_A_WORKER],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    # The setting does what Dask means it to in a process of its own (this one): every
    # large buffer mapped alone...
    assert seen["here"] >= 8 << 20, seen
    # ...while our workers take theirs from the heap and reuse them.
    assert seen["worker"] == 0, seen


def test_a_purity_check_whose_process_died_is_measured_again_in_a_fresh_one(tmp_path):
    """A shared checker process killed under the check (out of memory, a user's kill)
    says nothing of the animation: the verdict is measured, not "the check failed"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ipyanimagic.frames.source import frame_source
    from ipyanimagic.workers import pool, portable

    died = tmp_path / "died once"
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    (line,) = ax.plot([0, 1], [0, 0])

    def step(i):
        if os.environ.get(portable.WORKER_ENV) and not died.exists():
            died.touch()
            os._exit(1)  # the checker process dies mid-check
        line.set_ydata([0, i])

    try:
        payload = portable.dumps(frame_source(step, fig=fig, frames=6))
        verdict = pool.check_purity(payload, 6).result(timeout=120)
    finally:
        plt.close(fig)
        processes.end_shared_pool()
    assert died.exists(), "the first check's process died"
    assert verdict.pure is True and verdict.how == "measured", verdict
