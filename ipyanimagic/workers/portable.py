"""An animation as bytes: the copy the purity check and the workers draw on.

Why its own module: three things need an independent copy of the user's animation, made
the same way: the purity check (whatever it draws must not move the user's state), the
worker processes (each draws frames on its own copy) and their pixel check. The copy is
made with cloudpickle, which pickles functions defined in a notebook by value (with the
globals they use: a list a frame function appends to is copied, not shared) and the
figure with the artists those functions hold, in one graph, so they still point at each
other in the copy. cloudpickle is a dependency, not an extra: without a copy nothing can
be measured, and every animation would be drawn in order from the start as one that
remembers (a jump to frame 1990 drew 1990 frames). An animation that still cannot be
copied (it holds a lock, an open file) is drawn in order, and its verdict says why.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

import cloudpickle

from ..frames.source import FrameSource

__all__ = ["NotPortable", "dumps", "loads"]

#: Set in the processes of a local worker pool.
WORKER_ENV = "IPYANIMAGIC_WORKER"


class NotPortable(ValueError):
    """The animation cannot be copied (pickled); the message says why, in one line."""


def dumps(source: FrameSource) -> bytes:
    """Pickle :meth:`FrameSource.portable` of ``source``; :class:`NotPortable` if it cannot."""
    try:
        payload: bytes = cloudpickle.dumps(source.portable())
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise NotPortable(f"cannot be pickled: {type(exc).__name__}: {first}") from None
    return payload


def loads(payload: bytes) -> FrameSource:
    """An independent copy from :func:`dumps`' bytes, drawn with Agg."""
    use_agg()
    source: Any = cloudpickle.loads(payload)
    if not isinstance(source, FrameSource):
        raise TypeError(f"expected a pickled FrameSource, not {type(source).__name__}")
    return source


def use_agg() -> None:
    """In a worker process, draw with Agg: the kernel's inline or widget backend (named
    in MPLBACKEND, which workers inherit) has no place there. A process that is not a
    child (the kernel itself, with a thread pool as executor) is left alone."""
    if multiprocessing.parent_process() is None and os.environ.get(WORKER_ENV) != "1":
        return
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("agg", force=True)
