"""Random access to the frames of a matplotlib animation.

matplotlib's animations are built to be played forward by a timer. A player that steps
back, reverses and seeks needs "make the figure show frame i" for any i. This module
adapts the three kinds of input to that:

- ``FuncAnimation``: frame data from ``frames`` (an int, a sequence, a generator or
  None); frame i is drawn by ``func(frame_data[i], *fargs)``.
- ``ArtistAnimation``: frame i makes its artists visible and hides the rest.
- a plain callable ``func(i)`` with a figure and a frame count.

Frame data from a generator (or ``frames=None``) is pulled only as far as asked and kept
so that earlier frames can be shown again; at most ``save_count`` items are kept (the
matplotlib argument that bounds how many frames of such an animation are saved; default
here 1000). Frames past that bound do not exist for the player.

The frame function is called as ``Animation.save`` calls it: before the first frame,
the init draw (``init_func()``, or when there is none the frame function on the first
frame's data, as matplotlib's ``_init_draw`` does), then each frame. For an animation
whose frames depend on the ones before (a func that appends to a line, say) only the
frames drawn in that order are right; ``sequential.py`` keeps to it, and ``purity.py``
measures whether an animation needs it. :meth:`FrameSource.portable` makes the copy
those two and the workers use (pickled with cloudpickle).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from matplotlib.animation import Animation, ArtistAnimation, FuncAnimation
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from ..mplcompat import artist_animation_parts, func_animation_parts, is_stopped

__all__ = [
    "DEFAULT_MAX_GENERATED",
    "FrameOutOfRange",
    "FrameSource",
    "FrameSourceError",
    "frame_source",
]

#: Frames kept from a generator when the animation gives no ``save_count``.
DEFAULT_MAX_GENERATED = 1000


class FrameSourceError(ValueError):
    """The object cannot be played; the message says what was expected."""


class FrameOutOfRange(IndexError):
    """A frame index past the end (or before the start) of the animation."""


class _FrameData:
    """Frame data with random access, pulling a generator only as far as needed."""

    def __init__(
        self, make_iter: Callable[[], Iterator[Any]], limit: int | None, known: int | None
    ) -> None:
        self._lock = threading.Lock()
        self._seen: list[Any] = []
        self._iter: Iterator[Any] | None = None
        self._make_iter = make_iter
        self._limit = limit
        self._count = known

    @property
    def count(self) -> int | None:
        """Number of frames if known (a sequence, or an exhausted generator), else None."""
        return self._count

    @property
    def known(self) -> int:
        """Frames whose data is known so far."""
        return self._count if self._count is not None else len(self._seen)

    def get(self, index: int) -> Any:
        with self._lock:
            if self._iter is None:
                self._iter = self._make_iter()
            while len(self._seen) <= index:
                if self._limit is not None and len(self._seen) >= self._limit:
                    self._finish()
                    break
                try:
                    self._seen.append(next(self._iter))
                except StopIteration:
                    self._finish()
                    break
            if index >= len(self._seen):
                raise FrameOutOfRange(f"frame {index} is out of range (0..{len(self._seen) - 1})")
            return self._seen[index]

    def _finish(self) -> None:
        self._count = len(self._seen)

    def known_items(self) -> list[Any]:
        """The frame data known so far (all of it once the count is known)."""
        with self._lock:
            return list(self._seen)


class _SequenceData(_FrameData):
    def __init__(self, seq: Sequence[Any]):
        super().__init__(lambda: iter(seq), None, len(seq))
        self._sequence = seq

    def get(self, index: int) -> Any:
        if not 0 <= index < len(self._sequence):
            raise FrameOutOfRange(f"frame {index} is out of range (0..{len(self._sequence) - 1})")
        return self._sequence[index]

    def known_items(self) -> list[Any]:
        return list(self._sequence)

    def __reduce__(self) -> tuple[Any, ...]:
        # The lock and the iterator factory stay behind; the sequence is the data.
        return (_SequenceData, (self._sequence,))


class FrameSource:
    """One animation, as the player sees it: a figure and 'draw frame i'."""

    def __init__(
        self,
        figure: Figure,
        # Takes a frame's data (what ``_FrameData.get`` returns), not its index.
        draw: Callable[[Any], Sequence[Artist] | None],
        data: _FrameData,
        *,
        interval: float = 200.0,
        repeat: bool = True,
        blit: bool = False,
        init: Callable[[], Any] | None = None,
        animation: Animation | None = None,
    ) -> None:
        self.figure = figure
        self._draw = draw
        self._data = data
        self.interval = float(interval)
        self.repeat = bool(repeat)
        self.blit = bool(blit)
        self._init = init
        self._initialized = False
        self.animation = animation

    @property
    def count(self) -> int | None:
        return self._data.count

    @property
    def known(self) -> int:
        return self._data.known

    def check_index(self, index: Any) -> int:
        """Validate a frame index from the page; ``IndexError``/``TypeError`` otherwise."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"a frame index must be an integer, not {type(index).__name__}")
        if index < 0:
            raise FrameOutOfRange(f"frame {index} is out of range (frames start at 0)")
        count = self.count
        if count is not None and index >= count:
            raise FrameOutOfRange(f"frame {index} is out of range (0..{count - 1})")
        return index

    def exhaust(self) -> int:
        """Pull generated frame data to its end (bounded by ``save_count``); the count."""
        i = self.known
        while self.count is None:
            try:
                self._data.get(i)
            except FrameOutOfRange:
                break
            i += 1
        return self.count or 0

    @property
    def initialized(self) -> bool:
        """Whether the init draw happened (it comes before the first frame)."""
        return self._initialized

    def draw(self, index: int) -> list[Artist]:
        """Put the figure in the state of frame ``index``; return the artists it changed.

        The first call makes the init draw first, as ``Animation.save`` does.
        """
        self.check_index(index)
        data = self._data.get(index)
        if not self._initialized:
            self._initialized = True
            if self._init is not None:
                self._init()
            else:
                # matplotlib's _init_draw without an init_func: the frame function on
                # the first frame's data, drawn but not saved.
                self._draw_data(self._data.get(0))
        artists = self._draw_data(data)
        return list(artists) if artists else []

    def pull(self, count: int) -> int:
        """Learn the data of the first ``count`` frames (a generator is pulled that far,
        no further); the frames known."""
        for i in range(self.known, count):
            try:
                self._data.get(i)
            except FrameOutOfRange:
                break
        return self.known

    def restart(self) -> None:
        """Make the next draw start with the init draw again (the purity check's copy)."""
        self._initialized = False

    def portable(self) -> FrameSource:
        """A copy's blueprint: figure, frame function, init and the frame data known
        now, without the matplotlib ``Animation`` (its timer cannot travel). Pickle it
        with cloudpickle (``workers/portable.py``); unpickled, it is an independent animation
        whose calls move none of this one's state."""
        copy = FrameSource(
            self.figure,
            self._draw,
            _SequenceData(self._data.known_items()),
            interval=self.interval,
            repeat=self.repeat,
            blit=self.blit,
            init=self._init,
        )
        return copy

    def _draw_data(self, data: Any) -> Sequence[Artist] | None:
        return self._draw(data)


def _func_animation_source(anim: FuncAnimation) -> FrameSource:
    parts = func_animation_parts(anim)
    data: _FrameData
    if parts.save_count is not None and parts.sized:
        data = _SequenceData(list(itertools.islice(parts.make_iter(), parts.save_count)))
    else:
        data = _FrameData(parts.make_iter, parts.save_count or DEFAULT_MAX_GENERATED, None)
    func, fargs = parts.func, parts.fargs

    def draw(frame_data: Any) -> Sequence[Artist] | None:
        return func(frame_data, *fargs)  # type: ignore[no-any-return]

    return FrameSource(
        parts.figure,
        draw,
        data,
        interval=parts.interval,
        repeat=parts.repeat,
        blit=parts.blit,
        init=parts.init_func,
        animation=anim,
    )


def _artist_animation_source(anim: ArtistAnimation) -> FrameSource:
    parts = artist_animation_parts(anim)
    frames = parts.frames
    every = [a for f in frames for a in f]
    shown: list[Artist] = []

    def init() -> None:
        for artist in every:
            artist.set_visible(False)

    def draw(artists: list[Artist]) -> list[Artist]:
        for artist in shown:
            artist.set_visible(False)
        for artist in artists:
            artist.set_visible(True)
        shown[:] = artists
        return artists

    return FrameSource(
        parts.figure,
        draw,
        _SequenceData(frames),
        interval=parts.interval,
        repeat=parts.repeat,
        blit=parts.blit,
        init=init,
        animation=anim,
    )


def frame_source(
    obj: Any,
    *,
    fig: Figure | None = None,
    frames: int | Sequence[Any] | None = None,
    init_func: Callable[[], Any] | None = None,
    fargs: Sequence[Any] | None = None,
    interval: float = 200.0,
    repeat: bool = True,
) -> FrameSource:
    """Adapt ``obj`` (an Animation, or a callable with ``fig`` and ``frames``) for the player."""
    if isinstance(obj, FuncAnimation):
        _check_alive(obj)
        return _func_animation_source(obj)
    if isinstance(obj, ArtistAnimation):
        _check_alive(obj)
        return _artist_animation_source(obj)
    if isinstance(obj, Animation):
        raise FrameSourceError(
            f"a {type(obj).__name__} cannot be played: use FuncAnimation or ArtistAnimation"
        )
    if callable(obj):
        if not isinstance(fig, Figure):
            raise FrameSourceError(
                "animating a function needs fig=<matplotlib Figure> and frames=<count or sequence>"
            )
        if frames is None:
            raise FrameSourceError("animating a function needs frames=<count or sequence>")
        if isinstance(frames, bool) or not isinstance(frames, (int, Sequence)):
            raise FrameSourceError(
                f"frames must be a count or a sequence, not {type(frames).__name__}"
            )
        if isinstance(frames, int) and frames < 1:
            raise FrameSourceError(f"frames must be at least 1, not {frames}")
        seq = range(frames) if isinstance(frames, int) else frames
        extra = tuple(fargs or ())
        return FrameSource(
            fig,
            lambda data: obj(data, *extra),
            _SequenceData(seq),
            interval=interval,
            repeat=repeat,
            init=init_func,
        )
    raise FrameSourceError(
        "expected a matplotlib animation (FuncAnimation or ArtistAnimation) or a "
        f"function with fig= and frames=, not {type(obj).__name__}"
    )


def _check_alive(anim: Animation) -> None:
    if is_stopped(anim):
        raise FrameSourceError(
            "this animation was stopped because its figure was closed; "
            "create the figure and the animation again"
        )
