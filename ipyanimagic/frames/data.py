"""An animation's frame data by index: a sequence, or a generator pulled on demand.

Why its own module: how frame data is made and pulled decides whether frames match
``Animation.save`` (see ``source.py``): a generator often shares state with the frame
function, so its items are pulled only when a frame needs them, from fresh sequences made
in save's order, and a copy pulls its own sequences, never the user's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["FrameData", "FrameOutOfRange", "SequenceData"]


class FrameOutOfRange(IndexError):
    """A frame index past the end (or before the start) of the animation."""


class FrameData:
    """Frame data with random access, pulling a generator only as far as needed.

    ``make_iter`` makes a fresh sequence (matplotlib's ``new_frame_seq``). The frames'
    sequence is made at the first :meth:`get`; :meth:`first` makes another one for the
    init draw. A copy's data (``skip`` > 0) knows its first ``skip`` items already: its
    own fresh sequence passes over as many before it yields the next one.
    """

    def __init__(
        self,
        make_iter: Callable[[], Iterator[Any]],
        limit: int | None,
        known: int | None,
        seen: Sequence[Any] = (),
        skip: int = 0,
        own_sequences: bool = True,
    ) -> None:
        self._lock = threading.Lock()
        self._seen: list[Any] = list(seen)
        self._iter: Iterator[Any] | None = None
        self._make_iter = make_iter
        self._limit = limit
        self._count = known
        self._skip = skip
        #: make_iter is the user's (or itertools.count): a copy can pull its own.
        self.own_sequences = own_sequences

    @property
    def count(self) -> int | None:
        """Number of frames if known (a sequence, or an exhausted generator), else None."""
        return self._count

    @property
    def known(self) -> int:
        """Frames whose data is known so far."""
        return self._count if self._count is not None else len(self._seen)

    @property
    def limit(self) -> int | None:
        """At most this many frames (``save_count``), or None."""
        return self._limit

    @property
    def generated(self) -> bool:
        """Whether items come from a generator pulled on demand (not a sequence)."""
        return True

    def first(self) -> tuple[Any, ...]:
        """The init draw's data: ``(item,)`` from a fresh sequence, or ``()`` when it is
        empty (matplotlib then warns and draws nothing)."""
        with self._lock:
            try:
                return (next(self._make_iter()),)
            except StopIteration:
                return ()

    def get(self, index: int) -> Any:
        with self._lock:
            while len(self._seen) <= index and self._count is None:
                if self._limit is not None and len(self._seen) >= self._limit:
                    self._finish()
                    break
                try:
                    self._seen.append(next(self._frames()))
                except StopIteration:
                    self._finish()
                    break
            if index >= len(self._seen):
                raise FrameOutOfRange(f"frame {index} is out of range (0..{len(self._seen) - 1})")
            return self._seen[index]

    def _frames(self) -> Iterator[Any]:
        """The frames' sequence, made on first use (a copy's passes over what it knows)."""
        if self._iter is None:
            self._iter = self._make_iter()
            for _ in range(self._skip):
                next(self._iter)  # StopIteration: shorter this time; ends where it is
        return self._iter

    def _finish(self) -> None:
        self._count = len(self._seen)

    def known_items(self) -> list[Any]:
        """The frame data known so far (all of it once the count is known)."""
        with self._lock:
            return list(self._seen)

    def for_copy(self) -> FrameData:
        """The data of a copy: what is known, and the rest pulled on the copy's own
        sequences (the user's generator is never pulled for it). When the copy cannot
        make sequences of its own (matplotlib's adapter of one iterator), or all is
        known, what is known is all it has."""
        items = self.known_items()
        if self._count is not None or not self.own_sequences:
            return SequenceData(items)
        return FrameData(self._make_iter, self._limit, None, items, len(items))

    def __reduce__(self) -> tuple[Any, ...]:
        # The lock and the sequences being pulled stay behind (a generator cannot be
        # pickled): the copy makes its own, passing over what it knows.
        items = self.known_items()
        return (
            FrameData,
            (self._make_iter, self._limit, self._count, items, len(items), self.own_sequences),
        )


class SequenceData(FrameData):
    def __init__(self, seq: Sequence[Any]):
        super().__init__(lambda: iter(seq), None, len(seq))
        self._sequence = seq

    @property
    def generated(self) -> bool:
        return False

    def first(self) -> tuple[Any, ...]:
        return (self._sequence[0],) if len(self._sequence) else ()

    def get(self, index: int) -> Any:
        if not 0 <= index < len(self._sequence):
            raise FrameOutOfRange(f"frame {index} is out of range (0..{len(self._sequence) - 1})")
        return self._sequence[index]

    def known_items(self) -> list[Any]:
        return list(self._sequence)

    def for_copy(self) -> FrameData:
        return SequenceData(self._sequence)

    def __reduce__(self) -> tuple[Any, ...]:
        # The lock and the iterator factory stay behind; the sequence is the data.
        return (SequenceData, (self._sequence,))
