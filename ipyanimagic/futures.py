"""Chaining ``concurrent.futures.Future``: the one helper every deferred reply uses.

Why: a frame is drawn on the main thread and encoded on the encoder thread, and the
reply must leave when the encoding is done, without blocking any thread to wait for
it. The standard library has no "then"; four hand-written copies of one grew here, and
one of them never completed when its input failed. Every chain below completes, with
the result or with the exception, whatever happens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["Driven", "done", "forward", "gather", "then"]

T = TypeVar("T")
R = TypeVar("R")


class Driven(Future[T]):
    """A future that waits on work queued for the kernel's main loop (frames drawn in
    order, in slices). Its ``result()`` asked for on the main thread, by a cell, first
    does that work right there: the loop cannot run it while the cell holds the thread,
    so a plain wait would never end. ``drive`` must be a no-op on other threads.

    ``then`` and ``gather`` pass the drive on to the futures they make.
    """

    def __init__(self, drive: Callable[[], None]) -> None:
        super().__init__()
        self.drive = drive

    def result(self, timeout: float | None = None) -> T:
        if not self.done():
            self.drive()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if not self.done():
            self.drive()
        return super().exception(timeout)


def _like(pending: Sequence[Future[Any]]) -> Future[Any]:
    """A new future, driven when any of ``pending`` is."""
    drives = [f.drive for f in pending if isinstance(f, Driven)]
    if not drives:
        return Future()

    def drive_all() -> None:
        for drive in drives:
            drive()

    return Driven(drive_all)


def done(value: T) -> Future[T]:
    """A future that already holds ``value``."""
    out: Future[T] = Future()
    out.set_result(value)
    return out


def forward(src: Future[T], dst: Future[T]) -> None:
    """``dst`` gets ``src``'s result or failure when it has one (unless it has one)."""

    def copy(f: Future[T]) -> None:
        if dst.done():
            return
        try:
            dst.set_result(f.result())
        except BaseException as exc:  # the failure travels, cancellation included
            dst.set_exception(exc)

    src.add_done_callback(copy)


def _settle(out: Future[R], func: Callable[[], R]) -> None:
    try:
        result = func()
    except BaseException as exc:  # cancellation and SystemExit travel too
        out.set_exception(exc)
    else:
        out.set_result(result)


def then(
    pending: Future[T],
    func: Callable[[T], R],
    on_error: Callable[[BaseException], R] | None = None,
) -> Future[R]:
    """A future of ``func(result)``; if ``pending`` fails, of ``on_error(exception)``, or
    of the same failure when there is no ``on_error``.

    The callbacks run on the thread that completes ``pending`` (or here, if it is done).
    """
    out: Future[R] = _like([pending])

    def finish(f: Future[T]) -> R:
        try:
            result = f.result()
        except BaseException as exc:  # the future's own failure, cancellation included
            if on_error is None:
                raise
            return on_error(exc)
        return func(result)

    pending.add_done_callback(lambda f: _settle(out, lambda: finish(f)))
    return out


def gather(pending: Sequence[Future[Any]], func: Callable[[list[Any]], R]) -> Future[R]:
    """A future of ``func([results, ...])`` once every one of ``pending`` is done.

    The first failure (in ``pending``'s order) becomes the result's failure.
    """
    out: Future[R] = _like(pending)
    if not pending:
        _settle(out, lambda: func([]))
        return out
    remaining = [len(pending)]
    lock = threading.Lock()

    def one_done(_f: Future[Any]) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            _settle(out, lambda: func([f.result() for f in pending]))

    for f in pending:
        f.add_done_callback(one_done)
    return out
