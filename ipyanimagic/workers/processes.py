"""The kernel's own worker processes: started off its main thread, ended before it exits.

Why its own module: two costs of process pools land on the user, not on the pool.

- Starting: a pool's first task starts the fork server, which imports matplotlib and
  this package before it forks (about 1.3 s on a quiet 2-core machine). ``submit``
  blocks until then; on the kernel's main thread that held the first frame request a
  user made after a display (the purity check starts 0.3 s after it). Hence
  :func:`submit_off_main`: a short-lived thread waits for it instead.
- Interrupts: the kernel's interrupt is sent to its process group; our workers ignore
  it (a worker it reached died and broke its pool; the kernel ends its work itself).
- Ending: ipykernel, asked to shut down or restart, sends SIGTERM to the children in
  its process group and waits up to about 4.4 s for them to go before SIGKILL.
  multiprocessing's resource tracker (started with any fork-server pool) ignores
  SIGTERM, so every kernel that had shown a player took seconds longer to shut down or
  restart. :func:`end_at_kernel_exit` hooks the shell's ``exit_now`` (set by the
  kernel's ``do_shutdown``, before that wait) and ends our pools, the fork server and
  the tracker (closing its pipe ends it, after it cleans up what was left).
- Memory: a worker allocates and frees the same large buffers every frame (an
  imshow frame: several 1-10 MB arrays). A ``MALLOC_TRIM_THRESHOLD_`` in the
  environment (Dask's LocalCluster puts 65536 in the kernel's, for its own workers)
  turns off glibc's adaptive mmap threshold: each of those buffers was then mapped and
  unmapped, its pages faulted in again every frame, and an imshow frame took 35 ms
  instead of 19. :func:`_keep_freed_buffers` restores the reuse in our workers only.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

from .. import futures

__all__ = [
    "end_all",
    "end_at_kernel_exit",
    "end_shared_pool",
    "shared_pool",
    "spawn_pool",
    "submit_off_main",
    "terminate",
]

T = TypeVar("T")

#: The module the fork server imports once, before it forks any worker.
PRELOAD = "ipyanimagic.workers.pool"

_shared: ProcessPoolExecutor | None = None
_pools: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
_ended: list[ProcessPoolExecutor] = []
_hooked: set[int] = set()  # id() of shells whose exit_now we observe
_lock = threading.Lock()


def spawn_pool(
    workers: int,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A process pool started through the fork server, ended when the kernel exits.

    Its workers ignore SIGINT: the kernel's interrupt (the stop button) goes to the
    kernel's whole process group, and a worker it reached died with the pool broken.
    """
    # Not a fork of the kernel: that would copy its threads (ZMQ, the IOLoop) mid-flight.
    # A fork server is a clean single-threaded process started once, with matplotlib
    # and the worker module already imported: a worker starts in a fraction of a spawn's.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    _start_fork_server_deaf_to_sigint()
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(initializer, initargs)
    )
    with _lock:
        _pools.add(pool)
    end_at_kernel_exit()
    return pool


def _start_fork_server_deaf_to_sigint() -> None:
    """Start the fork server with SIGINT ignored (main thread only; once).

    Why: the fork server gives each worker the SIGINT handler it had when it started;
    started from the kernel, that is Python's KeyboardInterrupt, so a worker still
    importing when the stop button's SIGINT reached the process group died before
    ``_start_worker`` could ignore it (a broken pool, seen on a loaded machine). A process
    started with SIGINT ignored keeps it ignored, and so do the workers it forks.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # signal.signal works on the main thread only; _start_worker still runs
    from multiprocessing import forkserver

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


#: glibc's mallopt parameters, and the values our workers use: buffers up to the largest
#: mmap threshold glibc allows (32 MiB on 64-bit) come from the heap, and freed memory
#: is handed back once 64 MiB of it sits at the heap's top (glibc's own adaptive
#: settings reach about this after the first large frees, when nothing overrides them).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 32 << 20, 64 << 20


def _keep_freed_buffers() -> None:
    """Let a worker reuse the frame buffers it frees (the module doc's "Memory")."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc; musl has none
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def _start_worker(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _keep_freed_buffers()
    if initializer is not None:
        initializer(*initargs)


def terminate(pool: Executor) -> None:
    """Shut a process pool down now, ending processes a hung frame function holds."""
    processes = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.is_alive():
            process.terminate()


def shared_pool() -> ProcessPoolExecutor:
    """One process for the short tasks of every player (the purity check), started on
    first use and kept: a check costs a fork, not a start of Python and matplotlib."""
    global _shared
    with _lock:
        pool = _shared
    if pool is None:
        made = spawn_pool(1)
        with _lock:
            if _shared is None:
                _shared = made
            pool = _shared
        if pool is not made:
            terminate(made)
    return pool


def end_shared_pool(only: Executor | None = None) -> None:
    """End the shared process (a task that never returns holds it, or it died); the
    next :func:`shared_pool` starts another. ``only``: if it is still that pool (two
    checks that saw one pool die must not end the fresh one the first started)."""
    global _shared
    with _lock:
        if only is not None and _shared is not only:
            return
        pool, _shared = _shared, None
    if pool is not None:
        terminate(pool)


def submit_off_main(submit: Callable[[], Future[T]]) -> Future[T]:
    """``submit()``'s future, with ``submit`` called on a thread of its own (it may
    wait for the fork server to start); a failure to submit is the future's failure."""
    out: Future[T] = Future()

    def run() -> None:
        try:
            inner = submit()
        except BaseException as exc:
            out.set_exception(exc)
            return
        futures.forward(inner, out)

    threading.Thread(target=run, name="ipyanimagic-submit", daemon=True).start()
    return out


def end_at_kernel_exit() -> None:
    """In an IPython kernel, end this kernel's processes when it is asked to shut down
    (once per shell; nothing outside IPython, where Python's own exit does it)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "observe"):
        return
    with _lock:
        if id(shell) in _hooked:
            return
        _hooked.add(id(shell))
    shell.observe(_on_exit_now, names=["exit_now"])


def _on_exit_now(change: dict[str, Any]) -> None:
    if change.get("new"):
        end_all()


def end_all() -> None:
    """End every pool started here, then the fork server and the resource tracker."""
    global _shared
    with _lock:
        pools = [p for p in (_shared, *_pools) if p is not None]
        _shared = None
        _pools.clear()
        # Kept until the process exits: a pool freed now would free its semaphores,
        # whose finalizers start a new resource tracker (a child ipykernel waits for).
        _ended.extend(pools)
    for pool in pools:
        with contextlib.suppress(Exception):
            terminate(pool)
    gc.collect()  # the same for pools already closed and not yet collected
    # Private but long-standing (3.8 - 3.13): closing the "alive" pipe is how each ends.
    from multiprocessing import forkserver, resource_tracker

    for name, module in (("_forkserver", forkserver), ("_resource_tracker", resource_tracker)):
        stop = getattr(getattr(module, name, None), "_stop", None)
        if stop is not None:
            with contextlib.suppress(Exception):
                stop()
