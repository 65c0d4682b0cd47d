"""Frames captured from a figure while the user's code changes it: a live run.

Why: the most common animation in a notebook is a loop (training a model, stepping a
simulation) that changes a figure and wants to watch it. Its frames exist only when the
loop gets there and can never be drawn again: they are a run in order (sequential.py)
whose frames are drawn by the loop's own calls, not by the player. So here:

- :meth:`LiveRun.capture` draws the figure as it is now, on the calling thread (the
  cell's: the user's artists are changing there), with the player's exact auto-blit
  (render.py), and keeps the frame losslessly off that thread (the keeper thread, the
  cache, the temporary file): all of them, with memory bounded by the cache budget.
- Requests for captured frames (a step, the slider) are answered from what is kept, on
  whatever thread asks: no matplotlib, no main thread, so a page scrubs back while the
  loop still runs.
- :meth:`LiveRun.newest` is how a page follows: answered at once when a frame newer
  than the page has exists, else at the next capture (a long poll). Frames therefore
  travel at the page's pace, one reply per request, whatever the capture rate: nothing
  per frame reaches the notebook or the kernel's IOPub rate limit. A page keeps several
  requests waiting (follow.js) so that a reply's round trip does not set its frame rate
  (with one, a page showed half its display rate); the requests name the page
  (``follower``) and say how far apart its frames should be (``spacing``, the page's
  frame interval): each is answered with a frame newer than the page was last sent, no
  sooner than ``spacing`` after the last one, so they bring frames spread over time,
  never the same frame twice and never a burst the page could not show.

Why one module (~400 lines): its one job is a live run's frames, captured on one thread
and handed out on others. Capture and the follow requests share one state (the count,
the newest pixels, the requests waiting and what each page was sent) under one lock: a
capture decides which waiting request it answers, and a request decides whether to
wait from what the captures left. Split, that state and its lock would be shared
across modules.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from matplotlib.figure import Figure

from .. import futures, interrupts
from ..limits import LIVE_POLL_MS
from .data import SequenceData
from .pipeline import EncodedFrame, FramePipeline, Pixels, encoder_pool
from .sequential import InOrder, keeper_pool, resampled_frame
from .source import FrameOutOfRange, FrameSource

__all__ = ["LiveRun", "LiveSource", "Newest"]

#: Seconds a follow request waits for a newer frame before it is answered with the
#: state alone (the page asks again): no request waits on the page's own timeout.
POLL_S = LIVE_POLL_MS / 1000
#: Captures the steps/s figure is measured over (at most this many, the last 3 s).
RATE_WINDOW = 60
RATE_SECONDS = 3.0

#: A follow request's answer: the state (and the frame's metadata), and the frame's bytes
#: (None: the state alone).
Newest = tuple[dict[str, Any], bytes | None]


def _no_draw(_data: Any) -> None:
    return None


class LiveSource(FrameSource):
    """A figure whose frames are what it looks like at each capture.

    Drawing frame i changes nothing (the user's code already put the figure in that
    state); the count is unknown while capturing and fixed by :meth:`end`.
    """

    def __init__(self, figure: Figure) -> None:
        super().__init__(figure, _no_draw, SequenceData(()), init=lambda: None)
        self._captured = 0
        self._count: int | None = None

    @property
    def count(self) -> int | None:
        return self._count

    @property
    def known(self) -> int:
        return self._captured

    def draw(self, index: int) -> list[Any]:
        self.check_index(index)
        return []

    def exhaust(self) -> int:
        return self._captured

    def captured(self, count: int) -> None:
        self._captured = count

    def end(self) -> None:
        self._count = self._captured

    def resume(self) -> None:
        self._count = None


class _Follower:
    """One page's follow request: answered with the newest frame past ``after``."""

    def __init__(
        self,
        after: int,
        fmt: str,
        quality: int,
        scale: float,
        peek: bool,
        out: Future[Newest],
        page: str | None = None,
        spacing: float = 0.0,
        send_scale: float | None = None,
    ) -> None:
        self.after = after
        #: The scale the frame travels at (below ``scale`` over a slow link), or None:
        #: ``scale``.
        self.send_scale = send_scale
        self.page = page
        self.spacing = spacing
        self.fmt = fmt
        self.quality = quality
        self.scale = scale
        self.peek = peek
        self.out = out
        self.timer: threading.Timer | None = None
        #: When it came (``time.monotonic()``): the reply says how long it waited here,
        #: so that the page can tell the link's round trip from the long poll.
        self.since = time.monotonic()
        #: Its timer answers it when due (a newer frame came too soon after the last).
        self.timed_to_due = False


class LiveRun(InOrder):
    """The frames of a live figure, captured by the user's code; see the module doc."""

    def __init__(self, pipeline: FramePipeline, *, on_note: Callable[[str], None]) -> None:
        super().__init__(pipeline, on_note=on_note)
        source = pipeline.source
        if not isinstance(source, LiveSource):
            raise TypeError("a live run needs a LiveSource")
        self.source = source
        #: Captured frames can never be drawn again: another scale is resampled.
        self.final = True
        #: The scale frames are captured at: the page's devicePixelRatio, as last asked.
        self.scale = 1.0
        self.capturing = True
        #: Capture ended for good (``stop()``, closed); a pause (a cell's end) resumes.
        self.finished = False
        self._state_lock = threading.Lock()
        self._last: Pixels | None = None
        self._followers: list[_Follower] = []
        #: The newest frame each following page was sent (by its ``follower`` name), and
        #: when (``time.monotonic()``).
        self._sent: dict[str, int] = {}
        self._sent_at: dict[str, float] = {}
        self._times: deque[float] = deque(maxlen=RATE_WINDOW)

    # -- capture (the user's thread) ----------------------------------------------------

    def capture(self) -> int:
        """Draw the figure as it is now as the next frame, keep it; its index.

        Waits while the keeper is KEEP_BACKLOG frames behind (every frame is kept, and
        each waiting one holds its pixels); an interrupt lands meanwhile.
        """
        if not self.capturing:
            raise RuntimeError(
                "this live player has stopped capturing"
                if self.finished
                else "this live player is paused: resume() first"
            )
        index = self.next
        self._backlog.acquire()
        # From here to the end, an interrupt waits for the capture to finish (a frame
        # half drawn, half counted or half handed to a page would swallow it or leave
        # the run inconsistent: interrupts.py); the draw is bounded, the wait above is not.
        with interrupts.deferred():
            try:
                pixels = self.pipeline.render(index, self.scale)
            except BaseException:
                self._backlog.release()
                raise
            with self._state_lock:
                # The lossless copy is known (pending) before the frame counts as captured,
                # so a request for it between the two never finds it missing.
                png = keeper_pool().submit(self._keep, pixels)
                self._png[index] = png
                png.add_done_callback(lambda _f: self._png.pop(index, None))
                self.next = index + 1
                self.source.captured(index + 1)
                self._last = pixels
                now = time.monotonic()
                self._times.append(now)
                ready: list[_Follower] = []
                waiting: list[_Follower] = []
                early: list[_Follower] = []
                pages: set[str] = set()
                for f in self._followers:
                    once = f.page is None or f.peek or f.page not in pages
                    if not once or self._after(f) >= index:
                        waiting.append(f)
                    elif self._due(f) > now:
                        waiting.append(f)
                        if not f.timed_to_due:
                            early.append(f)
                    else:
                        ready.append(f)
                        if f.page is not None and not f.peek:
                            pages.add(f.page)
                self._followers = waiting
            for follower in ready:
                self._answer(follower)
            for follower in early:
                self._answer_when_due(follower)
        return index

    def resume(self) -> None:
        """Capture again after a pause: frames are added after those kept."""
        with self._state_lock:
            if self.finished:
                raise RuntimeError("this live player has stopped capturing")
            self.capturing = True
            self.source.resume()

    def end(self, *, finished: bool = True) -> int:
        """Stop capturing; the frame count. ``finished=False``: a pause (the cell
        ended), :meth:`resume` may follow. Followers get the state at once."""
        with self._state_lock:
            self.finished = self.finished or finished
            if not self.capturing:
                return self.next
            self.capturing = False
            self.source.end()
            waiting, self._followers = self._followers, []
        for follower in waiting:
            self._answer(follower)
        return self.next

    # -- requests (any thread) ------------------------------------------------------------

    def frame(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> Future[EncodedFrame]:
        """A captured frame (any thread); ``FrameOutOfRange`` for one not captured yet."""
        self.pipeline.source.check_index(index)
        scale = self.pipeline.scale_for(scale)
        if index >= self.next:
            raise FrameOutOfRange(
                f"frame {index} is not captured yet ({self.next} so far)"
                if self.capturing
                else f"frame {index} is out of range (0..{self.next - 1})"
            )
        return self._kept(index, fmt, quality, scale)

    def frame_now(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> EncodedFrame:
        return self.frame(index, fmt, quality, scale).result()

    def newest(
        self,
        after: int,
        fmt: str,
        quality: int,
        scale: float,
        *,
        peek: bool = False,
        follower: str | None = None,
        spacing: float = 0.0,
        send_scale: float | None = None,
    ) -> Future[Newest]:
        """The newest frame once there is one past ``after`` (or capture ended, or
        POLL_S passed: then the state alone). ``peek``: the state alone, no frame.
        ``follower`` names the page: past the frame it was last sent, too, and no sooner
        than ``spacing`` seconds after it.

        The page's ratio (``scale``) becomes the scale of the next captures; the frame
        travels at ``send_scale`` when that is lower (resampled: a page over a slow link
        follows at a share of its resolution, follow.js), the capture stays at ``scale``.
        """
        scale = self.pipeline.scale_for(scale)
        if not peek:
            self.scale = scale
        if send_scale is not None and send_scale >= scale:
            send_scale = None
        out: Future[Newest] = Future()
        request = _Follower(
            after, fmt, quality, scale, peek, out, follower, max(0.0, spacing), send_scale
        )
        with self._state_lock:
            newer = self.next - 1 > self._after(request)
            early = newer and self._due(request) > time.monotonic()
            waits = self.capturing and (not newer or early)
            if waits:
                self._followers.append(request)
        if not waits:
            self._answer(request)
        elif early:
            self._answer_when_due(request)
        else:
            self._set_timer(request, POLL_S)
        return out

    def state(self) -> dict[str, Any]:
        """What the status line shows: frames captured, capturing or not, steps/s."""
        return {"known": self.next, "live": self.capturing, "rate": self.rate()}

    def rate(self) -> float | None:
        """Captures per second over the last few seconds (None: too few to tell)."""
        times = list(self._times)
        if len(times) < 2 or time.monotonic() - times[-1] > RATE_SECONDS:
            return None
        recent = [t for t in times if times[-1] - t <= RATE_SECONDS]
        span = recent[-1] - recent[0]
        return round((len(recent) - 1) / span, 2) if len(recent) >= 2 and span > 0 else None

    def _after(self, follower: _Follower) -> int:
        """The frame a request wants one past: the page's, or the one it was last sent
        (another of its requests was answered meanwhile). Holding ``_state_lock``."""
        if follower.page is None or follower.peek:
            return follower.after
        return max(follower.after, self._sent.get(follower.page, -1))

    def _due(self, follower: _Follower) -> float:
        """When a request may be answered with a frame (``time.monotonic()``): its
        page's spacing after the page's last frame. Holding ``_state_lock``."""
        if follower.page is None or follower.peek or follower.page not in self._sent_at:
            return 0.0
        return self._sent_at[follower.page] + follower.spacing

    def _answer_when_due(self, follower: _Follower) -> None:
        """A newer frame is there but the page's last came too recently: answered when
        due (by a capture before then if one comes: it carries the newest)."""
        with self._state_lock:
            wait = self._due(follower) - time.monotonic()
            follower.timed_to_due = True
        self._set_timer(follower, max(0.0, wait))

    def _set_timer(self, follower: _Follower, seconds: float) -> None:
        if follower.timer is not None:
            follower.timer.cancel()
        timer = threading.Timer(seconds, self._expire, (follower,))
        timer.daemon = True
        follower.timer = timer
        timer.start()
        if follower.out.done():  # answered before the timer was set
            timer.cancel()

    def _expire(self, follower: _Follower) -> None:
        with self._state_lock:
            if follower not in self._followers:
                return
            self._followers.remove(follower)
        self._answer(follower)

    def _answer(self, follower: _Follower) -> None:
        if follower.timer is not None:
            follower.timer.cancel()
        if follower.out.done():
            return
        with self._state_lock:
            newest = self.next - 1
            stale = follower.peek or newest <= self._after(follower)
            if not stale and follower.page is not None:
                self._sent[follower.page] = newest
                self._sent_at[follower.page] = time.monotonic()
        state = {**self.state(), "waited_ms": round((time.monotonic() - follower.since) * 1000, 1)}
        if stale:
            follower.out.set_result(({**state, "index": newest}, None))
            return
        last = self._last
        sent_at = follower.send_scale
        if last is not None and last.index == newest and last.scale == follower.scale:
            # Encoded from the pixels still at hand (JPEG while following): no PNG decoded.
            if sent_at is None:
                made = encoder_pool().submit(
                    self.pipeline.encode, last, follower.fmt, follower.quality
                )
            else:
                made = encoder_pool().submit(
                    resampled_frame, last, follower.fmt, follower.quality, sent_at
                )
        else:
            made = self._kept(newest, follower.fmt, follower.quality, sent_at or follower.scale)

        def with_state(frame: EncodedFrame) -> Newest:
            return ({**frame.meta, **state}, frame.data)

        futures.forward(futures.then(made, with_state), follower.out)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "capturing": self.capturing, "rate": self.rate()}

    def close(self) -> None:
        self.end()
        super().close()
