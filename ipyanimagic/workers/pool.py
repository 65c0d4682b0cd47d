"""Processes that draw frames on their own copy of an animation, and the purity check.

Why: one kernel thread draws one frame at a time; a frame that takes 100 ms plays at
10 frames per second however many cores the machine has. A pure animation's frames can
be drawn anywhere, in any order: on worker processes, each with its own copy of the
figure and frame function (``portable.py``), shipped once per worker.

Three kinds of executor, one interface (``concurrent.futures.Executor.submit``):

- ``workers=N``: a local process pool (started by a fork server, so no copy of the
  kernel's threads),
  the copy installed by the pool's initializer: shipped once per process;
- ``executor=``: any ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor`` of the
  user's, say); the copy travels with each task and is unpickled once per process;
- a ``distributed.Client`` (recognised by its ``get_executor`` and ``scatter``, not by
  importing Dask): its executor, with the copy scattered to every worker once.

In a worker, frames are drawn by the same :class:`FrameRenderer` as in the kernel (auto
blit included) and encoded by the same :func:`encode`; an exception of the frame
function comes back as data (index, type, message, user traceback), never as a broken
pool. The functions named ``task_*`` run in the workers.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .. import futures
from ..frames.encode import encode
from ..frames.purity import Purity, measure
from ..limits import MIME
from .portable import WORKER_ENV, loads
from .processes import end_shared_pool, shared_pool, spawn_pool, submit_off_main, terminate

__all__ = ["CHECK_TIMEOUT_S", "WorkerPool", "check_purity"]

#: Seconds the purity check may take before the animation is taken to remember.
CHECK_TIMEOUT_S = 60.0
#: Copies one worker process keeps (a Dask worker serves several players).
KEPT_COPIES = 4

# -- in the worker processes --------------------------------------------------------

_copies: OrderedDict[str, Any] = OrderedDict()  # token -> (FrameSource, FrameRenderer)
_copies_lock = threading.Lock()


def _install(token: str, payload: bytes) -> Any:
    """The copy for ``token``, unpickled once per process."""
    with _copies_lock:
        if token in _copies:
            _copies.move_to_end(token)
            return _copies[token]
    from ..frames.render import FrameRenderer

    source = loads(payload)
    entry = (source, FrameRenderer(source, blit=True))
    with _copies_lock:
        _copies[token] = entry
        while len(_copies) > KEPT_COPIES:
            _copies.popitem(last=False)
    return entry


def task_init(token: str, payload: bytes) -> None:
    """A local pool's initializer: mark the process, install the copy, and draw its
    first frame once (a fresh process's first draw loads fonts and caches: several
    times a later one's cost, better paid before the player asks)."""
    os.environ[WORKER_ENV] = "1"
    source, renderer = _install(token, payload)
    with contextlib.suppress(Exception):
        renderer.render(0)
    source.restart()  # a pure animation: the copy is as good as new
    renderer.reset()


def task_frames(
    token: str,
    payload: bytes | None,
    indices: Sequence[int],
    fmt: str,
    quality: int,
    dpi: float | None,
) -> list[dict[str, Any]]:
    """Draw and encode ``indices`` on this worker's copy, in order.

    Each item: ``{"index", "meta", "data"}``, or for a frame that failed ``{"index",
    "error": {"type", "message", "traceback"}}`` (and the batch stops there).
    """
    from ..errors import ReportedError

    with _copies_lock:
        installed = _copies.get(token)
    if installed is None:
        if payload is None:
            raise RuntimeError("this worker has no copy of the animation")
        installed = _install(token, payload)
    _, renderer = installed
    out: list[dict[str, Any]] = []
    for index in indices:
        try:
            frame = renderer.render(index, dpi)
        except Exception as exc:
            rep = ReportedError.from_exception(exc)
            out.append(
                {
                    "index": index,
                    "error": {"type": rep.kind, "message": rep.message, "traceback": rep.traceback},
                }
            )
            break
        t0 = time.perf_counter()
        data = encode(frame.rgba, fmt, quality)
        height, width = frame.rgba.shape[:2]
        meta = {
            "index": index,
            "mime": MIME[fmt],
            "width": width,
            "height": height,
            "mode": frame.mode,
            "render_ms": round(frame.render_ms, 3),
            "encode_ms": round((time.perf_counter() - t0) * 1000, 3),
            "worker": os.getpid(),
        }
        out.append({"index": index, "meta": meta, "data": data})
    return out


def task_purity(payload: bytes, count: int) -> dict[str, Any]:
    """The purity verdict, measured on two fresh copies in this process."""
    os.environ[WORKER_ENV] = "1"
    return measure(loads(payload), loads(payload), count).as_dict()


# -- in the kernel ------------------------------------------------------------------------


def _is_dask_client(obj: Any) -> bool:
    return all(hasattr(obj, name) for name in ("get_executor", "scatter", "submit"))


class WorkerPool:
    """The workers drawing one player's frames: submit batches, close when done."""

    def __init__(self, executor: Any, *, payload: bytes, workers: int | None = None) -> None:
        self.token = secrets.token_hex(8)
        self._payload = payload
        self._handle: Any = payload
        self._owned: Executor | None = None
        self._client: Any = None
        if executor is None:
            n = int(workers or 1)
            pool = spawn_pool(n, initializer=task_init, initargs=(self.token, payload))
            self._owned = pool
            self._executor: Executor = pool
            self._handle = None  # installed by the initializer
            self.size = n
            self.kind = f"{n} local worker process{'es' if n != 1 else ''}"
        elif _is_dask_client(executor):
            self._client = executor
            self._executor = executor.get_executor()
            # Once to every worker; tasks name it, Dask hands each worker its copy.
            self._handle = executor.scatter(payload, broadcast=True, hash=False)
            info = executor.scheduler_info() if hasattr(executor, "scheduler_info") else {}
            self.size = max(1, len(info.get("workers", {})) or 1)
            self.kind = f"Dask ({self.size} worker{'s' if self.size != 1 else ''})"
        elif isinstance(executor, Executor):
            self._executor = executor
            self.size = max(1, int(getattr(executor, "_max_workers", 0) or workers or 2))
            self.kind = f"{type(executor).__name__} ({self.size} workers)"
        else:
            raise TypeError(
                "executor must be a concurrent.futures.Executor or a distributed.Client, "
                f"not {type(executor).__name__}"
            )
        self.closed = False

    def draw(
        self, indices: Sequence[int], fmt: str, quality: int, dpi: float | None
    ) -> Future[list[dict[str, Any]]]:
        """Frames ``indices`` drawn and encoded by one worker, in order."""
        if self.closed:
            raise RuntimeError("the workers were released")
        return self._executor.submit(
            task_frames, self.token, self._handle, list(indices), fmt, quality, dpi
        )

    def purity(self, count: int) -> Future[Purity]:
        """The purity verdict, measured on a worker."""
        future = self._executor.submit(task_purity, self._payload, count)
        return futures.then(future, lambda d: Purity(**d))

    def pids(self) -> list[int]:
        """The process ids of a local pool's workers (started so far); [] otherwise."""
        if self._owned is None:
            return []
        return sorted(getattr(self._owned, "_processes", None) or {})

    def close(self) -> None:
        """Release the workers (a local pool's processes end; a user's executor stays)."""
        if self.closed:
            return
        self.closed = True
        if self._owned is not None:
            terminate(self._owned)
        if self._client is not None:
            with contextlib.suppress(Exception):  # the cluster may be gone already
                self._handle.release()
        self._handle = None


# -- the shared checker: the purity verdict when there are no workers ---------------------


def check_purity(payload: bytes, count: int, pool: WorkerPool | None = None) -> Future[Purity]:
    """The verdict, measured in a worker process; an animation whose check fails or takes
    longer than :data:`CHECK_TIMEOUT_S` is taken to remember (the reason says why).

    A shared process that died under the check (killed, out of memory: seen once in CI
    on a loaded machine) proves nothing about the animation: the check runs once more in
    a fresh one before it counts as failed."""
    result: Future[Purity] = Future()
    used: list[ProcessPoolExecutor] = []

    def submit() -> Future[Purity]:
        if pool is not None:
            return pool.purity(count)
        shared = shared_pool()
        used.append(shared)
        raw = shared.submit(task_purity, payload, count)
        return futures.then(raw, lambda d: Purity(**d))

    def start() -> None:
        # Not on this (the main) thread: the first task waits for the fork server to start.
        submit_off_main(submit).add_done_callback(finish)

    def finish(f: Future[Purity]) -> None:
        if result.done():
            return
        try:
            verdict = f.result()
        except BrokenProcessPool:
            if pool is None and len(used) == 1:
                end_shared_pool(used[0])
                start()
                return
            verdict = Purity(False, "no copy", "the check failed: its process died")
        except Exception as exc:
            first = (str(exc).splitlines() or [""])[0]
            verdict = Purity(False, "no copy", f"the check failed: {type(exc).__name__}: {first}")
        _set(result, verdict)

    start()

    def too_long() -> None:
        if not result.done():
            if pool is None:
                end_shared_pool()  # a frame function that never returns holds it
            _set(
                result,
                Purity(False, "no copy", f"the check took longer than {CHECK_TIMEOUT_S:g} s"),
            )

    timer = threading.Timer(CHECK_TIMEOUT_S, too_long)
    timer.daemon = True
    timer.start()
    result.add_done_callback(lambda _f: timer.cancel())
    return result


def _set(future: Future[Purity], verdict: Purity) -> None:
    with contextlib.suppress(Exception):  # set by the other path meanwhile
        future.set_result(verdict)
