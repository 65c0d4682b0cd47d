"""futures.py: every chain completes, and a driven future does its own work when a cell
waits on it on the main thread (the loop that would do it cannot run meanwhile)."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from ipyanimagic import futures


def _driven_by_work() -> tuple[futures.Driven[int], list[str]]:
    calls: list[str] = []
    out: futures.Driven[int] = futures.Driven(lambda: None)

    def drive() -> None:
        calls.append(threading.current_thread().name)
        if threading.current_thread() is threading.main_thread() and not out.done():
            out.set_result(7)

    out.drive = drive
    return out, calls


def test_a_driven_future_does_its_work_when_waited_on_the_main_thread():
    out, calls = _driven_by_work()
    assert out.result(timeout=1) == 7
    assert calls == [threading.main_thread().name]


def test_then_and_gather_pass_the_drive_on():
    first, _ = _driven_by_work()
    chained = futures.then(first, lambda v: v + 1)
    assert isinstance(chained, futures.Driven)
    assert chained.result(timeout=1) == 8
    second, _ = _driven_by_work()
    plain: Future[int] = futures.done(1)
    both = futures.gather([plain, second], sum)
    assert both.result(timeout=1) == 8


def test_a_driven_future_waited_on_another_thread_waits_for_the_work():
    out, calls = _driven_by_work()
    seen: list[BaseException] = []

    def wait() -> None:
        try:
            out.result(timeout=0.05)
        except BaseException as exc:  # the timeout, since nothing did the work
            seen.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    t.join()
    assert len(seen) == 1 and calls and calls[0] != threading.main_thread().name
    out.set_result(1)
    assert out.result() == 1


def test_then_completes_with_the_failure_when_its_input_fails():
    failed: Future[int] = Future()
    chained = futures.then(failed, lambda v: v)
    failed.set_exception(ValueError("no"))
    with pytest.raises(ValueError, match="no"):
        chained.result(timeout=1)
