"""Frames of an animation that remembers: drawn in order from the start, and kept.

Why: when frame i depends on the frames before it (a trail, an integrated state, a
random walk), the only right frame i is the one drawn after the init draw and frames
0 .. i-1, in that order, as ``Animation.save`` draws it. So here:

- the frame function is called exactly in that order, once per frame, never again;
- each frame is kept, losslessly (``history.py``: the cache, and a temporary file);
- a request for a kept frame (a step or a jump back) reads it;
- a request ahead of the run (a jump forward) makes the run go on to it, in small
  slices on the kernel's main loop, so that the page's other requests are answered
  between slices; the status line shows the progress; a newer jump ahead takes over
  (requests farther past it than a page has in flight are told they were superseded).

Each frame is drawn at the resolution (the page's devicePixelRatio, ``scale``) of the
request that made the run reach it, and kept at it. Asked at another: while the verdict
is pending it comes at its own scale (if the animation turns out pure the page asks
again and gets it drawn at its scale); once the animation is known to remember
(``final``), it is resampled to the scale asked, since it can never be drawn again.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from PIL import Image

from .. import futures
from ..errors import ReportedError
from ..limits import MAX_BATCH, MAX_WINDOW
from ..mainthread import main_loop
from .encode import encode
from .history import KeptFrames
from .pipeline import EncodedFrame, FramePipeline, Pixels, encoder_pool, frame_meta

__all__ = ["InOrder", "Superseded", "resampled", "resampled_frame"]

#: Frames a page can have asked for at once (requests in flight x frames per request).
IN_FLIGHT = MAX_BATCH * MAX_WINDOW
#: Seconds of drawing per slice of a run ahead, before the loop answers other requests.
SLICE_S = 0.05
#: Frames drawn whose lossless copy is not made yet, at most: a run ahead draws faster
#: than the keeper encodes, and each waiting frame holds its pixels (a jump to frame
#: 1999 held 1.2 GB at 1x before; at 2x it would have been four times that).
KEEP_BACKLOG = 8


_keeper: ThreadPoolExecutor | None = None
_keeper_lock = threading.Lock()


def keeper_pool() -> ThreadPoolExecutor:
    """One thread that makes the lossless copies of frames drawn in order, for all
    players: beside the encoder thread, so that a playing page's JPEG never waits behind
    a PNG (a 1280x960 PNG takes 3x its JPEG)."""
    global _keeper
    with _keeper_lock:
        if _keeper is None:
            _keeper = ThreadPoolExecutor(1, thread_name_prefix="ipyanimagic-keep")
        return _keeper


#: A request for a frame: format, quality, scale, and the future that answers it.
Want = tuple[str, int, float, Future[EncodedFrame]]


class Superseded(RuntimeError):
    """A request past a newer jump: the run stopped short of it."""


def resampled(rgba: np.ndarray, drawn: float, wanted: float) -> np.ndarray:
    """``rgba`` drawn at scale ``drawn``, resized to what scale ``wanted`` would give."""
    if drawn == wanted:
        return rgba
    height, width = rgba.shape[:2]
    size = (max(1, round(width * wanted / drawn)), max(1, round(height * wanted / drawn)))
    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS))


def resampled_frame(pixels: Pixels, fmt: str, quality: int, scale: float) -> EncodedFrame:
    """``pixels`` encoded at another ``scale`` (any thread; not cached): a frame that
    can never be drawn again at that scale (kept, or captured live)."""
    rgba = resampled(pixels.rgba, pixels.scale, scale)
    sent = Pixels(pixels.index, rgba, pixels.render_ms, pixels.mode, scale)
    meta = {**frame_meta(sent, fmt), "resampled_from": pixels.scale}
    return EncodedFrame(meta, encode(rgba, fmt, quality))


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


class InOrder:
    """Frames of one pipeline's animation, drawn only in order; see the module doc."""

    def __init__(self, pipeline: FramePipeline, *, on_note: Callable[[str], None]) -> None:
        self.pipeline = pipeline
        self.kept = KeptFrames()
        #: The next frame the run draws.
        self.next = 0
        self._on_note = on_note
        self._goal_scale = 1.0
        #: The animation is known to remember: these frames are the only ones there are.
        self.final = False
        self._png: dict[int, Future[EncodedFrame]] = {}  # kept frames being encoded
        self._backlog = threading.BoundedSemaphore(KEEP_BACKLOG)
        self._waiting: dict[int, list[Want]] = {}
        self._goal = -1
        self._scheduled = False
        self._started_at = 0.0
        self.closed = False

    # -- requests --------------------------------------------------------------------

    def frame(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> Future[EncodedFrame]:
        """Frame ``index``: kept, drawn now (the next), or when the run gets there."""
        self.pipeline.source.check_index(index)
        scale = self.pipeline.scale_for(scale)
        if index < self.next:
            return self._kept(index, fmt, quality, scale)
        if index == self.next and self._goal < index:
            drawn: Future[EncodedFrame] = Future()
            self._draw_one(scale, [(fmt, quality, scale, drawn)])
            return drawn
        waiter: Future[EncodedFrame] = futures.Driven(self._run_here)
        self._waiting.setdefault(index, []).append((fmt, quality, scale, waiter))
        self._go_to(index, scale)
        return waiter

    def frame_now(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> EncodedFrame:
        """Frame ``index``, the run taken to it on this thread (poster, export, a cell)."""
        self.pipeline.source.check_index(index)
        scale = self.pipeline.scale_for(scale)
        while self.next <= index:
            self._draw_one(scale)
        return self._kept(index, fmt, quality, scale).result()

    # -- the run -----------------------------------------------------------------------

    def _draw_one(self, scale: float, wants: Sequence[Want] = ()) -> Future[EncodedFrame]:
        """Draw frame ``next`` (main thread) at ``scale``, keep it; the future of its PNG.

        ``wants``: requests for this frame, answered from the pixels drawn. One in another
        format at this scale (JPEG while playing) is encoded from them first, before the
        lossless copy: no PNG decoded again, and the reply goes out first.
        """
        index = self.next
        self._backlog.acquire()  # the keeper is KEEP_BACKLOG frames behind: wait for it
        try:
            pixels = self.pipeline.render(index, scale)
        except BaseException:
            self._backlog.release()
            raise
        self.next = index + 1
        later = []
        for want in wants:
            fmt, quality, wanted, waiter = want
            if fmt != "png" and wanted == pixels.scale:
                job = encoder_pool().submit(self.pipeline.encode, pixels, fmt, quality)
                futures.forward(job, waiter)
            else:
                later.append(want)
        png = keeper_pool().submit(self._keep, pixels)
        for fmt, quality, wanted, waiter in later:
            futures.forward(self._as(png, fmt, quality, wanted), waiter)
        self._png[index] = png
        png.add_done_callback(lambda _f: self._png.pop(index, None))
        return png

    def _keep(self, pixels: Pixels) -> EncodedFrame:
        try:
            frame = self.pipeline.encode(pixels, "png", 0)
            self.kept.put(pixels.index, frame.meta, frame.data)
        finally:
            self._backlog.release()
        return frame

    def _kept(self, index: int, fmt: str, quality: int, scale: float) -> Future[EncodedFrame]:
        hit = self.pipeline.cached(index, fmt, quality, scale)
        if hit is not None:
            return futures.done(hit)
        pending = self._png.get(index)
        if pending is not None:
            return self._as(pending, fmt, quality, scale)
        kept = self.kept.get(index)
        if kept is None:
            raise RuntimeError(f"frame {index} was drawn but is not kept (closed player?)")
        return self._as(futures.done(EncodedFrame(*kept)), fmt, quality, scale)

    def _as(
        self, png: Future[EncodedFrame], fmt: str, quality: int, scale: float
    ) -> Future[EncodedFrame]:
        """The kept frame as ``fmt`` at ``scale``: the PNG itself, or made from its
        pixels (resampled when it was drawn at another scale)."""

        def convert(frame: EncodedFrame) -> EncodedFrame:
            meta = frame.meta
            drawn = float(meta.get("scale", 1.0))
            pixels = Pixels(
                meta["index"],
                _decode(frame.data),
                float(meta.get("render_ms", 0.0)),
                str(meta.get("mode", "full")),
                drawn,
            )
            if drawn != scale and self.final:
                # Resampled, and not cached: it can never be drawn again at this scale.
                return resampled_frame(pixels, fmt, quality, scale)
            return self.pipeline.encode(pixels, fmt, quality)

        out: Future[EncodedFrame] = Future()

        def chained(f: Future[EncodedFrame]) -> None:
            try:
                frame = f.result()
            except BaseException as exc:
                out.set_exception(exc)
                return
            drawn = float(frame.meta.get("scale", 1.0))
            if fmt == "png" and (drawn == scale or not self.final):
                out.set_result(frame)
                return
            futures.forward(encoder_pool().submit(convert, frame), out)

        png.add_done_callback(chained)
        return out

    def _go_to(self, index: int, scale: float) -> None:
        """Make ``index`` the run's goal; requests past it are superseded."""
        if self._goal < self.next:
            self._started_at = time.perf_counter()
        # Requests just past this one are the page's own frames in flight (a player
        # playing backwards asks 19, 18, 17, ...): still wanted, the run passes them.
        # Only requests farther than the page can have in flight are an older jump.
        for later in [i for i in self._waiting if i > index + IN_FLIGHT]:
            for *_, waiter in self._waiting.pop(later):
                waiter.set_exception(
                    Superseded(f"frame {later}: a newer jump went to frame {index} first")
                )
        self._goal = max([index, *self._waiting])
        self._goal_scale = scale
        self._schedule()

    def _run_here(self) -> None:
        """Take the run to its goal on this thread if it is the main thread: a cell
        waiting on a frame ahead holds the loop that would draw the slices."""
        if threading.current_thread() is not threading.main_thread():
            return
        while self.next <= self._goal and not self.closed:
            self._slice()

    def _schedule(self) -> None:
        if self._scheduled or self.closed:
            return
        loop = main_loop()
        if loop is None:
            # No kernel loop to come back on (plain IPython, tests): run it through here.
            while self.next <= self._goal and not self.closed:
                self._slice()
            return
        self._scheduled = True
        loop.add_callback(self._run)

    def _run(self) -> None:
        self._scheduled = False
        if self.closed:
            return
        self._slice()
        if self.next <= self._goal:
            self._schedule()

    def _slice(self) -> None:
        """Draw frames toward the goal for up to SLICE_S seconds (main thread)."""
        deadline = time.perf_counter() + SLICE_S
        while self.next <= self._goal and not self.closed:
            index = self.next
            try:
                self._draw_one(self._goal_scale, self._waiting.get(index, ()))
            except BaseException as exc:  # an interrupt too: this runs as a loop callback
                # Frame `index` failed: its requests and those past it get the error
                # (naming frame `index`, the one the page should show as failed), the
                # run stops there (asked again, it is drawn again from the same state).
                if isinstance(exc, ReportedError) and exc.frame is None:
                    exc.frame = index
                self._goal = index - 1
                for waiters in [self._waiting.pop(i) for i in list(self._waiting)]:
                    for *_, waiter in waiters:
                        waiter.set_exception(exc)
                self._on_note("")
                return
            self._waiting.pop(index, None)  # answered by _draw_one
            if time.perf_counter() >= deadline:
                break
        if self.next <= self._goal:
            self._on_note(f"drawing frames in order: {self.next} of {self._goal + 1}")
        else:
            self._on_note("")

    # -- what is kept ------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return {
            "next": self.next,
            "kept_frames": len(self.kept),
            "kept_file_bytes": self.kept.nbytes,
            "running_to": self._goal if self._goal >= self.next else None,
        }

    def close(self) -> None:
        """Stop the run, fail its waiting requests, remove the kept frames' file."""
        self.closed = True
        for waiters in self._waiting.values():
            for *_, waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(RuntimeError("this player was closed"))
        self._waiting.clear()
        self.kept.close()
