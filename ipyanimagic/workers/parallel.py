"""Frames of a pure animation, drawn by workers ahead of the player.

Why: with frames that take 20 ms to seconds, one kernel thread is the bottleneck; the
frames of a pure animation can be drawn anywhere, in any order. Here, for each request,
the workers (``pool.py``) are kept busy on the frames after it in the direction the
player is going, in small batches, as far ahead as the cache budget allows; replies
are sent from the thread that receives the workers' results, so the kernel's main
thread only answers requests. Before any worker frame is shown, the first ones are
compared with the same frames drawn in the kernel, pixel for pixel; if they differ
(fonts, a backend, a global the copy does not have) the player draws in the kernel
again and says why in one line.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

import numpy as np
from PIL import Image

from .. import futures
from ..errors import ReportedError
from ..frames.pipeline import EncodedFrame, FramePipeline
from ..mainthread import call_on_main
from .pool import WorkerPool

__all__ = ["Parallel"]

#: Frames per task: enough to amortise a task's overhead, few enough to spread them.
BATCH = 2
#: Tasks in flight per worker, at most.
TASKS_PER_WORKER = 3
#: Frames compared with the kernel's before the workers' are used.
CHECKED = 2

_Key = tuple[int, str, int, float]


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


class Parallel:
    """One player's frames from a :class:`WorkerPool`; see the module doc."""

    def __init__(
        self, pipeline: FramePipeline, pool: WorkerPool, *, budget_bytes: int, shipped: int
    ) -> None:
        self.pipeline = pipeline
        self.pool = pool
        #: Frames whose data the workers' copies have (later ones: drawn in the kernel).
        self.shipped = shipped
        self._budget = max(1, budget_bytes)
        self._lock = threading.Lock()
        self._pending: dict[_Key, Future[EncodedFrame]] = {}
        self._tasks = 0
        self._last = -1
        self._direction = 1
        self._frame_bytes = 0
        self.sent_to_workers = 0
        self.drawn_by_workers = 0

    # -- checking -------------------------------------------------------------------

    def ask_check(self, indices: Sequence[int], scale: float) -> Future[list[dict[str, Any]]]:
        """The workers' PNGs of ``indices``, for :meth:`compare` (any thread)."""
        dpi = self.pipeline.base_dpi * self.pipeline.scale_for(scale)
        return self.pool.draw(list(indices), "png", 0, dpi)

    def compare(self, items: list[dict[str, Any]], scale: float) -> str | None:
        """None if the workers' frames are the kernel's pixel for pixel, else why not in
        one line. Main thread: the kernel draws the same frames itself."""
        scale = self.pipeline.scale_for(scale)
        for item in items:
            if "error" in item:
                err = item["error"]
                return f"frame {item['index']} failed in a worker: {err['type']}: {err['message']}"
            mine = self.pipeline.frame_now(item["index"], "png", 0, scale)
            if not np.array_equal(_pixels(mine.data), _pixels(item["data"])):
                return f"frame {item['index']} from a worker differs from the kernel's"
        return None

    # -- frames ---------------------------------------------------------------------------

    def frame(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> Future[EncodedFrame]:
        """Frame ``index``: from the cache, on its way, or asked of the workers now; and
        the frames after it (in the playing direction) asked too."""
        self.pipeline.source.check_index(index)
        if index >= self.shipped:
            return self.pipeline.frame(index, fmt, quality, scale)
        scale = self.pipeline.scale_for(scale)
        hit = self.pipeline.cached(index, fmt, quality, scale)
        if hit is not None:
            self._read_ahead(index, fmt, quality, scale)
            return futures.done(hit)
        with self._lock:
            if index != self._last:
                self._direction = 1 if index > self._last else -1
            self._last = index
        wanted = self._submit([index], fmt, quality, scale)
        self._read_ahead(index, fmt, quality, scale)
        return wanted[index]

    def frames_in_order(
        self, indices: Sequence[int], fmt: str, quality: int, scale: float = 1.0
    ) -> Iterator[EncodedFrame]:
        """Every frame of ``indices``, in order, the workers kept busy (export)."""
        scale = self.pipeline.scale_for(scale)
        window = max(2, self.pool.size * TASKS_PER_WORKER * BATCH)
        queued: dict[int, Future[EncodedFrame]] = {}
        position = 0
        for k, index in enumerate(indices):
            if index >= self.shipped:
                yield self.pipeline.frame_now(index, fmt, quality, scale)
                continue
            while position < len(indices) and position < k + window:
                chunk = [i for i in indices[position : position + BATCH] if i < self.shipped]
                queued.update(self._submit(chunk, fmt, quality, scale, force=True))
                position += len(chunk)
            yield queued.pop(index).result()

    def _read_ahead(self, index: int, fmt: str, quality: int, scale: float) -> None:
        count = min(self.pipeline.source.count or self.shipped, self.shipped)
        with self._lock:
            direction = self._direction
            per_frame = self._frame_bytes
        ahead = self.pool.size * TASKS_PER_WORKER * BATCH
        if per_frame:
            # Within the cache budget: what is drawn ahead must not push out what is due.
            ahead = min(ahead, max(1, self._budget // (2 * per_frame)))
        wanted = [index + direction * k for k in range(1, ahead + 1)]
        wanted = [i for i in wanted if 0 <= i < count]
        missing = [
            i
            for i in wanted
            if (i, fmt, quality, scale) not in self._pending
            and self.pipeline.cached(i, fmt, quality, scale) is None
        ]
        for start in range(0, len(missing), BATCH):
            with self._lock:
                if self._tasks >= self.pool.size * TASKS_PER_WORKER:
                    return
            self._submit(missing[start : start + BATCH], fmt, quality, scale)

    def _submit(
        self,
        indices: list[int],
        fmt: str,
        quality: int,
        scale: float,
        *,
        force: bool = False,
    ) -> dict[int, Future[EncodedFrame]]:
        """Futures of ``indices``: on their way already, or asked of one worker now."""
        out: dict[int, Future[EncodedFrame]] = {}
        new: list[int] = []
        with self._lock:
            for i in indices:
                key = (i, fmt, quality, scale)
                pending = self._pending.get(key)
                if pending is None:
                    pending = Future()
                    self._pending[key] = pending
                    new.append(i)
                out[i] = pending
            if new:
                self._tasks += 1
                self.sent_to_workers += len(new)
        if new:
            dpi = self.pipeline.base_dpi * scale
            try:
                task = self.pool.draw(new, fmt, quality, dpi)
            except Exception as exc:
                self._fail(new, fmt, quality, scale, exc)
                return out
            task.add_done_callback(lambda f: self._arrived(f, new, fmt, quality, scale))
        return out

    def _arrived(
        self,
        task: Future[list[dict[str, Any]]],
        indices: list[int],
        fmt: str,
        quality: int,
        scale: float,
    ) -> None:
        """A worker's batch (on the executor's thread): keep, answer, count."""
        with self._lock:
            self._tasks -= 1
        try:
            items = task.result()
        except Exception as exc:
            self._fail(indices, fmt, quality, scale, exc)
            return
        done: set[int] = set()
        for item in items:
            index = item["index"]
            done.add(index)
            key = (index, fmt, quality, scale)
            with self._lock:
                pending = self._pending.pop(key, None)
            if "error" in item:
                if pending is not None:
                    # Drawn again in the kernel (it is pure): the error, if it is one,
                    # comes with the user's own traceback and source lines, as today.
                    call_on_main(partial(self._in_kernel, index, fmt, quality, scale, pending))
                continue
            meta = {**item["meta"], "scale": scale}
            frame = EncodedFrame(meta, item["data"])
            self.pipeline.put(frame, fmt, quality, float(meta.get("render_ms", 0.0)))
            with self._lock:
                self.drawn_by_workers += 1
                size = len(item["data"])
                self._frame_bytes = (
                    size if not self._frame_bytes else ((self._frame_bytes * 7 + size) // 8)
                )
            if pending is not None:
                pending.set_result(frame)
        # Frames after a failed one were not drawn: forget them (asked again, they go
        # to a worker again).
        rest = [i for i in indices if i not in done]
        if rest:
            self._fail(rest, fmt, quality, scale, None)

    def _in_kernel(
        self, index: int, fmt: str, quality: int, scale: float, pending: Future[EncodedFrame]
    ) -> None:
        try:
            frame = self.pipeline.frame_now(index, fmt, quality, scale)
        except Exception as exc:
            pending.set_exception(exc)
        else:
            pending.set_result(frame)

    def _fail(
        self,
        indices: list[int],
        fmt: str,
        quality: int,
        scale: float,
        exc: BaseException | None,
    ) -> None:
        for i in indices:
            with self._lock:
                pending = self._pending.pop((i, fmt, quality, scale), None)
            if pending is None or pending.done():
                continue
            if exc is None:
                pending.set_exception(
                    ReportedError("NotDrawn", f"frame {i} was not drawn: a frame before it failed")
                )
            else:
                pending.set_exception(exc)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "workers": self.pool.kind,
                "worker_pids": self.pool.pids(),
                "sent_to_workers": self.sent_to_workers,
                "drawn_by_workers": self.drawn_by_workers,
                "tasks_in_flight": self._tasks,
            }

    def close(self) -> None:
        """Release the workers; requests still on their way fail."""
        self.pool.close()
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(RuntimeError("this player was closed"))
