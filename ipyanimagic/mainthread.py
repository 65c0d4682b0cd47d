"""Run dispatcher work on the kernel's main thread.

Why: with ipykernel >= 7 and JupyterLab >= 4.4 (setting ``commsOverSubshells``, on by
default) widget comm messages are handled on a subshell thread, concurrently with the
cell running on the main thread. Matplotlib is not thread-safe (its font and mathtext
caches, ``Gcf``, ``_get_renderer``); locks around a few calls were tried elsewhere and
only moved the corruption (ipympl #610). The rule here is therefore simple and total:
every request that may touch matplotlib or user code runs on the main thread, queued on
the main event loop. While a cell blocks the main thread, such requests wait for it;
they never run beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["call_on_main", "main_loop"]

_fallback_lock = threading.RLock()


def main_loop() -> Any | None:
    """The running kernel's main-thread IOLoop, or None outside a kernel."""
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:  # pragma: no cover - plain IPython without ipykernel
        return None
    if not Kernel.initialized():
        return None
    return getattr(Kernel.instance(), "io_loop", None)


def call_on_main(job: Callable[[], None]) -> None:
    """Run ``job`` on the main thread: now if we are on it, else queued on its loop.

    Outside a kernel there is no loop to queue on; the job then runs here, under a
    process-wide lock so that two such jobs at least never overlap.
    """
    if threading.current_thread() is threading.main_thread():
        job()
        return
    loop = main_loop()
    if loop is None:
        with _fallback_lock:
            job()
        return
    # tornado's add_callback is the documented thread-safe way into its loop.
    loop.add_callback(job)
