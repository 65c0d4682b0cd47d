"""The stop button during the package's own work on the cell's thread is held to the
end of that work, then raised there (ipyanimagic.interrupts)."""

from __future__ import annotations

import signal
import threading

import pytest

from ipyanimagic import interrupts


def test_an_interrupt_inside_the_block_comes_out_at_its_end():
    ran_on = []
    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        signal.raise_signal(signal.SIGINT)
        ran_on.append("after the signal")
    assert ran_on == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_block_without_an_interrupt_leaves_the_handler_as_it_was():
    with interrupts.deferred():
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):  # and the next interrupt lands at once
        signal.raise_signal(signal.SIGINT)


def test_an_error_of_the_block_travels_and_the_interrupt_comes_after_it():
    with pytest.raises(KeyboardInterrupt) as caught, interrupts.deferred():
        signal.raise_signal(signal.SIGINT)
        raise ValueError("the block's own error")
    assert isinstance(caught.value.__context__, ValueError)


def test_nested_blocks_hold_it_to_the_outermost_end():
    steps = []
    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        with interrupts.deferred():
            signal.raise_signal(signal.SIGINT)
        steps.append("between the ends")
    assert steps == ["between the ends"]


def test_off_the_main_thread_and_with_sigint_ignored_it_does_nothing():
    seen: list[BaseException | None] = []

    def elsewhere() -> None:
        try:
            with interrupts.deferred():  # signal.signal would raise ValueError here
                seen.append(None)
        except BaseException as exc:
            seen.append(exc)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(30)
    assert seen == [None]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts.deferred():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)  # ignored, as it would be without us
    finally:
        signal.signal(signal.SIGINT, previous)
