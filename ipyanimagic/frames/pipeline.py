"""The frame pipeline: draw frame i, encode it, keep it, count what it cost.

Why its own module: the player widget, the export and (later) parallel workers all
need "the encoded bytes of frame i" with the same cache, the same statistics and the
same threading: drawing touches matplotlib, so it runs on the calling (main) thread;
encoding does not, so it runs on one shared encoder thread (Pillow and simplejpeg
release the GIL) while the main thread draws the next frame.

    FrameSource.draw -> FrameRenderer (blit or full) -> pixels copied -> encoder thread
      -> FrameCache.put -> (meta, bytes)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure

from .. import futures
from ..errors import ReportedError
from ..limits import DPI_MAX, MIME
from .cache import CacheKey, FrameCache, index_ranges
from .encode import encode
from .render import FrameRenderer
from .source import FrameOutOfRange, FrameSource

__all__ = ["EncodedFrame", "FramePipeline", "Pixels", "encoder_pool", "frame_meta"]

CLOSED = "this player was closed"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def encoder_pool() -> ThreadPoolExecutor:
    """One encoder thread for all players: with the main thread drawing, two cores busy."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix="ipyanimagic-encode")
        return _pool


class EncodedFrame(NamedTuple):
    """One frame as it travels: metadata for the page and the encoded bytes."""

    meta: dict[str, Any]
    data: bytes


@dataclass(frozen=True)
class Pixels:
    """A drawn frame: a private RGBA copy (the canvas is redrawn by the next frame)."""

    index: int
    rgba: np.ndarray
    render_ms: float
    #: "full" or "blit"
    mode: str
    #: pixels per figure pixel at its own dpi (the page's devicePixelRatio it was drawn for)
    scale: float = 1.0


def _key(index: int, fmt: str, quality: int, scale: float) -> CacheKey:
    return (index, fmt, quality if fmt == "jpeg" else 0, scale)


def frame_meta(pixels: Pixels, fmt: str) -> dict[str, Any]:
    """What the page is told of a frame encoded as ``fmt`` from ``pixels``."""
    height, width = pixels.rgba.shape[:2]
    return {
        "index": pixels.index,
        "mime": MIME[fmt],
        "width": width,
        "height": height,
        "mode": pixels.mode,
        "scale": pixels.scale,
        "render_ms": round(pixels.render_ms, 3),
    }


class FramePipeline:
    """Frames of one :class:`FrameSource`, drawn on the main thread, encoded off it.

    ``on_change`` is called after every draw: drawing may teach the source its frame
    count (a generator ran out), which the owner shows.

    Frames are drawn at the figure's dpi (as it was when the pipeline was made) times a
    ``scale``, the page's devicePixelRatio, so that they are sharp on its screen; each
    resolution has its own cache entries. ``fixed_dpi``: the user chose the dpi, every
    frame is drawn at it whatever the scale asked (``scale`` 1 in the metadata).
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        blit: bool = True,
        cache_mb: float = 16,
        on_change: Callable[[], None] | None = None,
        fixed_dpi: bool = False,
    ) -> None:
        self._source: FrameSource | None = source
        self.base_dpi = float(source.figure.dpi)
        self.fixed_dpi = fixed_dpi
        self._renderer = FrameRenderer(source, blit=blit)
        self._cache = FrameCache(int(cache_mb * 1024 * 1024))
        self._on_change = on_change
        self._lock = threading.Lock()
        self._totals = {"frames": 0, "render_ms": 0.0, "encode_ms": 0.0}
        self._encoding: dict[CacheKey, Future[EncodedFrame]] = {}

    # -- the animation ----------------------------------------------------------------

    @property
    def source(self) -> FrameSource:
        """The frame source; ``RuntimeError`` once the pipeline was closed."""
        if self._source is None:
            raise RuntimeError(CLOSED)
        return self._source

    def check_open(self) -> None:
        """``RuntimeError`` once the pipeline was closed."""
        if self._source is None:
            raise RuntimeError(CLOSED)

    @property
    def closed(self) -> bool:
        return self._source is None

    @property
    def figure(self) -> Figure | None:
        return self._source.figure if self._source is not None else None

    def exhaust(self) -> int:
        """Learn the frame count, pulling a generator to its end; the count."""
        count = self.source.exhaust()
        self._changed()
        return count

    def scale_for(self, scale: float) -> float:
        """The scale frames asked at ``scale`` are drawn at: 1 with a fixed dpi, and never
        past ``DPI_MAX``."""
        if self.fixed_dpi:
            return 1.0
        return min(scale, round(DPI_MAX / self.base_dpi, 2))

    # -- the stages -----------------------------------------------------------------

    def render(self, index: int, scale: float = 1.0) -> Pixels:
        """Draw frame ``index`` at ``scale`` (main thread only); a private copy of its pixels.

        An exception of the user's frame function (``SystemExit`` included) comes out as
        a ``ReportedError`` whose traceback starts in the user's code, not in this
        machinery.
        """
        self.check_open()
        scale = self.scale_for(scale)
        try:
            frame = self._renderer.render(index, self.base_dpi * scale)
        except (FrameOutOfRange, KeyboardInterrupt):
            raise
        except BaseException as exc:  # SystemExit too: a frame's error, never the kernel's
            raise ReportedError.from_exception(exc) from None
        finally:
            self._changed()
        return Pixels(index, frame.rgba.copy(), frame.render_ms, frame.mode, scale)

    def encode(self, pixels: Pixels, fmt: str, quality: int) -> EncodedFrame:
        """Encode drawn pixels (any thread), keep them in the cache, count the cost."""
        t0 = time.perf_counter()
        data = encode(pixels.rgba, fmt, quality)
        encode_ms = (time.perf_counter() - t0) * 1000
        meta = {**frame_meta(pixels, fmt), "encode_ms": round(encode_ms, 3)}
        with self._lock:
            self._totals["frames"] += 1
            self._totals["render_ms"] += pixels.render_ms
            self._totals["encode_ms"] += encode_ms
        self._cache.put(_key(pixels.index, fmt, quality, pixels.scale), meta, data)
        return EncodedFrame(meta, data)

    # -- frames, whole ----------------------------------------------------------------

    def frame(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> Future[EncodedFrame]:
        """Frame ``index``: at once from the cache, else drawn now and encoded later."""
        self.source.check_index(index)
        scale = self.scale_for(scale)
        key = _key(index, fmt, quality, scale)
        hit = self._cache.get(key)
        if hit is not None:
            return futures.done(EncodedFrame(*hit))
        pending = self._encoding.get(key)
        if pending is None:
            pixels = self.render(index, scale)
            pending = encoder_pool().submit(self.encode, pixels, fmt, quality)
            self._encoding[key] = pending
            pending.add_done_callback(lambda _f: self._encoding.pop(key, None))
        return pending

    def frame_now(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> EncodedFrame:
        """Frame ``index``, drawn and encoded on this thread (posters, export)."""
        scale = self.scale_for(scale)
        hit = self._cache.get(_key(index, fmt, quality, scale))
        if hit is not None:
            return EncodedFrame(*hit)
        return self.encode(self.render(index, scale), fmt, quality)

    # -- the seam for frames drawn elsewhere (sequential.py, parallel.py) ---------------

    @property
    def budget_bytes(self) -> int:
        """The cache's budget (``--cache-mb``), which frames drawn ahead must respect."""
        return self._cache.budget

    def cached(self, index: int, fmt: str, quality: int, scale: float) -> EncodedFrame | None:
        """Frame ``index`` from the cache, if it is there (any thread)."""
        hit = self._cache.get(_key(index, fmt, quality, scale))
        return EncodedFrame(*hit) if hit is not None else None

    def put(self, frame: EncodedFrame, fmt: str, quality: int, render_ms: float) -> None:
        """Keep a frame a worker drew and encoded, and count it (any thread)."""
        meta = frame.meta
        with self._lock:
            self._totals["frames"] += 1
            self._totals["render_ms"] += render_ms
            self._totals["encode_ms"] += float(meta.get("encode_ms", 0.0))
        self._cache.put(
            _key(meta["index"], fmt, quality, float(meta.get("scale", 1.0))), meta, frame.data
        )

    def draw_only(self, index: int) -> None:
        """Put the figure in the state of frame ``index`` for someone else to capture.

        (A movie writer grabs the figure itself.) The renderer's blit state no longer
        matches the canvas afterwards, so it starts over with a full draw.
        """
        try:
            self.source.draw(index)
        finally:
            self._renderer.reset()
            self._changed()

    # -- what is kept ---------------------------------------------------------------

    def cached_indices(self) -> list[int]:
        """Frame indices held encoded, in any format, sorted."""
        return self._cache.indices()

    def cached_ranges(self) -> list[list[int]]:
        """The same as ranges ``[first, last]``."""
        return index_ranges(self._cache.indices())

    def stats(self) -> dict[str, Any]:
        """Frames made, mean render / encode ms, how they were drawn, cache use."""
        with self._lock:
            n = int(self._totals["frames"])
            render_ms, encode_ms = self._totals["render_ms"], self._totals["encode_ms"]
        return {
            "frames_rendered": n,
            "render_ms_mean": render_ms / n if n else None,
            "encode_ms_mean": encode_ms / n if n else None,
            "draws": dict(self._renderer.counts),
            "cache_bytes": self._cache.nbytes,
            "cache_frames": len(self._cache),
            "cache_hits": self._cache.hits,
        }

    def close(self) -> FrameSource | None:
        """Drop the cache and the source; the source, for its owner to release."""
        source, self._source = self._source, None
        self._cache.clear()
        return source

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()
