"""An animation as bytes: the copy the purity check and the workers draw on.

Why its own module: three things need an independent copy of the user's animation, made
the same way: the purity check (whatever it draws must not move the user's state), the
worker processes (each draws frames on its own copy) and their pixel check. The copy is
made with cloudpickle, which pickles functions defined in a notebook by value (with the
globals they use: a list a frame function appends to is copied, not shared) and the
figure with the artists those functions hold, in one graph, so they still point at each
other in the copy. cloudpickle is an optional extra (``pip install
ipyanimagic[parallel]``); without it there is no copy, and an animation is treated as
one that remembers unless the user says ``pure=True``.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from types import ModuleType
from typing import Any

from ..frames.source import FrameSource

__all__ = ["NotPortable", "ParallelUnavailable", "dumps", "loads", "require"]

#: Set in the processes of a local worker pool.
WORKER_ENV = "IPYANIMAGIC_WORKER"

MISSING = (
    "{what} needs the optional 'parallel' extra (cloudpickle; dask[distributed] for a "
    "Dask cluster): pip install 'ipyanimagic[parallel]'"
)


class ParallelUnavailable(ImportError):
    """The optional packages for copies and workers are not installed."""


class NotPortable(ValueError):
    """The animation cannot be copied (pickled); the message says why, in one line."""


def require(what: str = "drawing frames in worker processes") -> ModuleType:
    """cloudpickle, or :class:`ParallelUnavailable` with the line that says what to install."""
    try:
        return importlib.import_module("cloudpickle")
    except ImportError:
        raise ParallelUnavailable(MISSING.format(what=what)) from None


def dumps(source: FrameSource) -> bytes:
    """Pickle :meth:`FrameSource.portable` of ``source``; :class:`NotPortable` if it cannot."""
    cloudpickle = require("copying an animation")
    try:
        payload: bytes = cloudpickle.dumps(source.portable())
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise NotPortable(f"cannot be pickled: {type(exc).__name__}: {first}") from None
    return payload


def loads(payload: bytes) -> FrameSource:
    """An independent copy from :func:`dumps`' bytes, drawn with Agg."""
    use_agg()
    cloudpickle = require("copying an animation")
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
