"""Who draws a player's frames: in order, in the kernel at random, or on workers.

Why its own module: the player widget answers the page; which of three ways a frame is
made depends on a verdict that arrives later (``purity.py``) and on workers that may
fail their check, and every frame request, the poster and the export must agree on it.

- Until the verdict is known, and for an animation that remembers: in order, kept
  (``sequential.py``). Frames drawn in order are right whatever the verdict says.
- Pure, without workers: random access in the kernel (``FramePipeline``).
- Pure, with workers (``workers=N`` or ``executor=``): ``parallel.py``, once the first
  worker frames matched the kernel's; otherwise the kernel, with the reason in one line.

The verdict is measured off the first-frame path: the copy is pickled and sent to a
worker process a moment after the player is made, and the answer handled on the main
loop when it comes. Outside a kernel (no loop to come back on) it is waited for.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from .. import futures
from ..errors import ReportedError
from ..frames.pipeline import EncodedFrame, FramePipeline
from ..frames.purity import PROBES, Purity, stated, unknown
from ..frames.sequential import InOrder
from ..mainthread import call_on_main, main_loop
from ..workers import portable
from ..workers.parallel import Parallel
from ..workers.pool import CHECK_TIMEOUT_S, WorkerPool, check_purity

__all__ = ["FrameSupply"]

#: Seconds after the player is made before the copy is pickled and checked (in a kernel):
#: the poster and the display go first.
START_DELAY_S = 0.3
#: Items of generated frame data shipped to workers (a generator is pulled that far).
GENERATED_FOR_WORKERS = 1000


class FrameSupply:
    """The frames of one player, from whichever source the verdict allows."""

    def __init__(
        self,
        pipeline: FramePipeline,
        *,
        pure: bool | None = None,
        workers: int | None = None,
        executor: Any = None,
        start: int = 0,
        on_note: Callable[[str], None] = lambda _text: None,
        on_verdict: Callable[[Purity], None] = lambda _v: None,
        in_order: type[InOrder] = InOrder,
    ) -> None:
        self.pipeline = pipeline
        # ``in_order``: a live player's frames are a run in order its user's loop drives.
        self.in_order = in_order(pipeline, on_note=self._progress)
        self.verdict: Purity = stated(pure) if pure is not None else unknown()
        self.parallel: Parallel | None = None
        self.pool: WorkerPool | None = None
        #: Why workers were asked for and are not used, in one line.
        self.fallback: str | None = None
        self._workers = workers
        self._executor = executor
        self._wants_workers = bool(workers) or executor is not None
        self._start_frame = start
        self._on_note = on_note
        self._on_verdict = on_verdict
        self._progress_note = ""
        self._started = False
        self._checking: Future[Purity] | None = None
        self._verifying: Future[list[dict[str, Any]]] | None = None
        self._budget = int(pipeline.budget_bytes)
        self._shipped = 0
        self._notes: list[str] = []  # what the status line says when nothing runs
        self.closed = False

    def begin(self) -> None:
        """Start measuring, once the figure is the player's (``animate`` calls it after
        ``ownership.adopt``: a draw before that would start matplotlib's own timer)."""
        loop = main_loop()
        if loop is None:
            # No kernel loop to come back on (plain IPython, a script, the unit tests):
            # the verdict is waited for here, so what follows does not depend on timing.
            self.settle()
        else:
            loop.call_later(START_DELAY_S, _weakly(self, "start"))

    # -- the verdict and the workers -----------------------------------------------------

    def start(self) -> None:
        """Copy the animation and start the check (main thread; once)."""
        if self._started or self.closed:
            return
        self._started = True
        needs_copy = self.verdict.pure is None or (self.verdict.pure and self._wants_workers)
        if not needs_copy:
            self._settled()
            return
        source = self.pipeline.source
        # Frame data travels with the copy, which pulls a generator on its own copy of it
        # (the check's frames); workers of an animation said to be pure draw the user's
        # own data, up to GENERATED_FOR_WORKERS items (later frames: the kernel).
        if self._wants_workers and self.verdict.pure:
            source.learn(GENERATED_FOR_WORKERS)
        known = source.pull(GENERATED_FOR_WORKERS if self._wants_workers else PROBES)
        self._shipped = known
        try:
            payload = portable.dumps(source)
        except portable.NotPortable as exc:
            self.fallback = str(exc) if self._wants_workers else None
            if self.verdict.pure is None:
                # The status line's tooltip: why, and the one thing the user can say.
                why = f"{exc}; say pure=True if it does not remember"
                self.verdict = Purity(False, "no copy", why)
            self._settled()
            return
        if self._wants_workers and self.verdict.pure is not False:
            try:
                self.pool = WorkerPool(self._executor, payload=payload, workers=self._workers)
            except Exception as exc:
                self.fallback = f"the workers could not start: {exc}"
        if self.verdict.pure is None:
            self._checking = check_purity(payload, max(1, known), self.pool)
            if main_loop() is not None:
                judged = _weakly(self, "_judged")
                self._checking.add_done_callback(lambda f: call_on_main(lambda: judged(f.result())))
        else:
            self._settled()

    def _judged(self, verdict: Purity) -> None:
        if self.closed or self.verdict.pure is not None:
            return
        self.verdict = verdict
        self._settled()

    def _settled(self) -> None:
        """The verdict is known: pick the way frames are made."""
        verdict = self.verdict
        self._on_verdict(verdict)
        if verdict.pure and self.pool is not None and self.parallel is None:
            parallel = Parallel(
                self.pipeline, self.pool, budget_bytes=self._budget, shipped=self._shipped
            )
            checked = [self._start_frame, self._start_frame + 1]
            count = self.pipeline.source.count
            if count is not None:
                checked = [i for i in checked if i < count] or [0]
            try:
                self._verifying = parallel.ask_check(checked, 1.0)
            except Exception as exc:
                self._use_kernel(f"the workers could not start: {exc}")
                return
            if main_loop() is not None:
                verified = _weakly(self, "_verified")
                self._verifying.add_done_callback(
                    lambda f: call_on_main(lambda: verified(parallel, f))
                )
            return
        if not verdict.pure:
            self.in_order.final = True
            if self.pool is not None:
                self._use_kernel("this animation remembers: its frames are drawn in order")
            elif self._wants_workers and self.fallback:
                self._use_kernel(self.fallback)
            if not verdict.restartable and verdict.how == "measured":
                self._add_note(
                    "this animation does not restart (its init draw does not reset it): "
                    "frames come from one run, in order"
                )
        elif self._wants_workers and self.fallback:
            self._use_kernel(self.fallback)

    def _verified(self, parallel: Parallel, task: Future[list[dict[str, Any]]]) -> None:
        if self.closed or self.parallel is not None:
            return
        try:
            reason = parallel.compare(task.result(), 1.0)
        except Exception as exc:
            first = (str(exc).splitlines() or [""])[0]
            reason = f"the workers failed: {type(exc).__name__}: {first}"
        if reason is None:
            self.parallel = parallel
        else:
            self._use_kernel(reason)

    def _use_kernel(self, reason: str) -> None:
        self.fallback = reason
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        self._add_note(f"workers not used: {reason}")

    def _add_note(self, text: str) -> None:
        self._notes.append(text)
        self._show_note()

    def _progress(self, text: str) -> None:
        self._progress_note = text
        self._show_note()

    def _show_note(self) -> None:
        if not self.closed:
            self._on_note(self._progress_note or "; ".join(self._notes))

    def settle(self, timeout: float = CHECK_TIMEOUT_S) -> Purity:
        """Wait for the verdict and the workers' check, here (export from a cell: the
        main loop cannot run the callbacks while the cell holds it)."""
        self.start()
        if self._checking is not None and self.verdict.pure is None:
            try:
                self._judged(self._checking.result(timeout))
            except FutureTimeout:
                self._judged(Purity(False, "no copy", f"no verdict in {timeout:g} s"))
        if self._verifying is not None and self.parallel is None and self.pool is not None:
            with contextlib.suppress(Exception):
                self._verifying.result(timeout)
            parallel = Parallel(
                self.pipeline, self.pool, budget_bytes=self._budget, shipped=self._shipped
            )
            self._verified(parallel, self._verifying)
        return self.verdict

    # -- frames ---------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """ "in order", "kernel" (random access) or "workers"."""
        if not self.verdict.pure:
            return "in order"
        return "workers" if self.parallel is not None else "kernel"

    def frame(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> Future[EncodedFrame]:
        if self.verdict.pure is None:
            return self._in_order_until_judged(index, fmt, quality, scale)
        if not self.verdict.pure:
            return self.in_order.frame(index, fmt, quality, scale)
        if self.parallel is not None:
            return self.parallel.frame(index, fmt, quality, scale)
        return self.pipeline.frame(index, fmt, quality, scale)

    def _in_order_until_judged(
        self, index: int, fmt: str, quality: int, scale: float
    ) -> Future[EncodedFrame]:
        """Frame ``index`` in order while the verdict is pending; if an earlier frame
        fails on the way (so the run cannot reach it), asked again once the verdict is
        in: a pure animation draws it at random, one that remembers gives that error."""
        first = self.in_order.frame(index, fmt, quality, scale)
        if self._checking is None and not self._started and main_loop() is not None:
            # The page asked before the check's delayed start (Play at once): start it
            # now, so that a frame failing on the way is asked again once it is judged.
            self.start()
        checking = self._checking
        if checking is None or main_loop() is None:
            return first

        def blocked() -> BaseException | None:
            exc = first.exception() if first.done() else None
            stopped_earlier = isinstance(exc, ReportedError) and exc.frame not in (None, index)
            return exc if stopped_earlier else None

        def again() -> None:
            exc = blocked()
            if out.done() or exc is None:
                return
            if self.verdict.pure is None and not self.closed:
                # The check's own callback may still wait in the loop's queue: this one
                # ran at once, on the main thread, when the run failed after the check.
                self._judged(checking.result())
            if self.closed or not self.verdict.pure:
                out.set_exception(exc)
            else:
                futures.forward(self.frame(index, fmt, quality, scale), out)

        def drive() -> None:
            # A cell waiting on the frame holds the main loop the verdict comes back on.
            if isinstance(first, futures.Driven):
                first.drive()
            if threading.current_thread() is threading.main_thread() and blocked():
                self.settle()
                again()

        out: Future[EncodedFrame] = futures.Driven(drive)

        def settled(f: Future[EncodedFrame]) -> None:
            if blocked() is None:
                futures.forward(f, out)
            else:  # after _judged, which was registered first, on the main loop too
                checking.add_done_callback(lambda _c: call_on_main(again))

        first.add_done_callback(settled)
        return out

    def frame_now(self, index: int, fmt: str, quality: int, scale: float = 1.0) -> EncodedFrame:
        """Frame ``index`` on this thread (the poster)."""
        if not self.verdict.pure:
            return self.in_order.frame_now(index, fmt, quality, scale)
        return self.pipeline.frame_now(index, fmt, quality, scale)

    def frames_in_order(
        self, indices: Sequence[int], fmt: str, quality: int, scale: float = 1.0
    ) -> Iterator[EncodedFrame]:
        """Every frame of ``indices``, in order (export): the workers kept busy, or the
        run in order, or the kernel."""
        if self.parallel is not None and self.verdict.pure:
            yield from self.parallel.frames_in_order(indices, fmt, quality, scale)
            return
        for index in indices:
            yield self.frame_now(index, fmt, quality, scale)

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "purity": self.verdict.as_dict(),
            "frames_from": self.mode,
            "workers_fallback": self.fallback,
            "in_order": self.in_order.stats(),
        }
        if self.parallel is not None:
            out["parallel"] = self.parallel.stats()
        return out

    def close(self) -> None:
        """Release the workers and the kept frames' file."""
        self.closed = True
        if self.parallel is not None:
            self.parallel.close()
        elif self.pool is not None:
            self.pool.close()
        self.pool = None
        self.in_order.close()


def _weakly(supply: FrameSupply, method: str) -> Callable[..., None]:
    """``supply.method``, without keeping the supply (and its player) alive meanwhile:
    a closed player is freed at once, not when its check comes back."""
    ref = weakref.ref(supply)

    def call(*args: Any) -> None:
        target = ref()
        if target is not None and not target.closed:
            getattr(target, method)(*args)

    return call
