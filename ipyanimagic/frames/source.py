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

The frame function is called, and generators made and pulled, as ``Animation.save``
does: first the init draw, ``init_func()``, or when there is none the frame function on
the first item of a *fresh* sequence (matplotlib's ``_init_draw``:
``next(self.new_frame_seq())``); then the frames, from another fresh sequence made after
the init draw, each item pulled just before its frame is drawn (``new_saved_frame_seq``,
``_draw_next_frame``). A generator often shares state with the frame function (one
random generator, the gallery's strip chart): an item pulled ahead of its frame, or a
sequence made in another order, moves that state under the frame function and changes
every frame after it. So nothing here pulls the user's generator ahead of drawing but a
jump (random access, which only a pure animation gets), :meth:`FrameSource.exhaust` (the
count, for an export) and :meth:`FrameSource.learn` (data for workers; the copy of an
iterator given as ``frames``, which cannot travel); even then the init draw's item is
pulled first.

For an animation whose frames depend on the ones before (a func that appends to a line,
say) only the frames drawn in that order are right; ``sequential.py`` keeps to it, and
``purity.py`` measures whether an animation needs it. :meth:`FrameSource.portable`
makes the copy those two and the workers use (pickled with cloudpickle): it carries the
frame data known so far and the generator function, and pulls the rest on its own copy
of it, never on the user's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from matplotlib.animation import Animation, ArtistAnimation, FuncAnimation
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from ..mplcompat import artist_animation_parts, func_animation_parts, is_stopped
from .data import FrameData, FrameOutOfRange, SequenceData

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


class FrameSource:
    """One animation, as the player sees it: a figure and 'draw frame i'."""

    def __init__(
        self,
        figure: Figure,
        # Takes a frame's data (what ``FrameData.get`` returns), not its index.
        draw: Callable[[Any], Sequence[Artist] | None],
        data: FrameData,
        *,
        interval: float = 200.0,
        repeat: bool = True,
        blit: bool = False,
        init: Callable[[], Any] | None = None,
        animation: Animation | None = None,
        first: tuple[Any, ...] | None = None,
    ) -> None:
        self.figure = figure
        self._draw = draw
        self._data = data
        self.interval = float(interval)
        self.repeat = bool(repeat)
        self.blit = bool(blit)
        self._init = init
        self._initialized = False
        #: The init draw's data (without ``init_func``): ``(item,)``, ``()`` for an empty
        #: sequence, None until pulled. Pulled at the init draw, or before it when frame
        #: data is pulled first (save pulls the init draw's sequence first); an init draw
        #: again (a copy's restart) draws the same item, pulling nothing.
        self._first: tuple[Any, ...] | None = first
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
        """Pull generated frame data to its end (bounded by ``save_count``); the count.

        Ahead of drawing (the export needs the count): the init draw's item is pulled
        first, as save pulls it, but a frame function sharing the generator's state sees
        it moved before frame 0."""
        i = self.known
        while self.count is None:
            self._pulling_ahead()
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

        The first call makes the init draw first, as ``Animation.save`` does; then the
        frame's data is pulled (a generator: just now, for a frame drawn in order).
        """
        self.check_index(index)
        if not self._initialized:
            self._init_draw()
        data = self._data.get(index)
        artists = self._draw_data(data)
        return list(artists) if artists else []

    def _init_draw(self) -> None:
        """matplotlib's ``_init_draw``: ``init_func()``, or without one the frame
        function on the first item of a fresh sequence, drawn but not saved."""
        self._initialized = True
        if self._init is not None:
            self._init()
            return
        if self._first is None:
            self._first = self._data.first()
        if self._first:  # an empty sequence: matplotlib warns and skips the init draw
            self._draw_data(self._first[0])

    def _pulling_ahead(self) -> None:
        """Frame data is pulled before the init draw: pull the init draw's item first,
        as save does (it makes and pulls that sequence before the frames' one)."""
        if (
            not self._initialized
            and self._init is None
            and self._first is None
            and self._data.generated
        ):
            self._first = self._data.first()

    def pull(self, count: int) -> int:
        """How many of the first ``count`` frames a copy made now (:meth:`portable`) can
        draw: for a generator, the copy pulls its own copy of it, and the user's is not
        advanced (an item pulled ahead of its frame moves state the frame function may
        share). An iterator given as ``frames`` (a generator object, not a function)
        cannot travel: its items are pulled that far here (:meth:`learn`) for the copy.
        The frames known, or that a copy may draw."""
        data = self._data
        if data.generated and data.own_sequences and self.count is None:
            limit = data.limit
            return max(self.known, count if limit is None else min(count, limit))
        return self.learn(count)

    def learn(self, count: int) -> int:
        """Learn the data of the first ``count`` frames: a generator is pulled that far
        (after the init draw's item), no further; the frames known. What a copy needs
        for workers drawing the user's own data (pulled ahead of drawing: for an
        animation known to be pure)."""
        for i in range(self.known, count):
            self._pulling_ahead()
            try:
                self._data.get(i)
            except FrameOutOfRange:
                break
        return self.known

    def restart(self) -> None:
        """Make the next draw start with the init draw again (the purity check's copy,
        a worker's); on the same data as the first time."""
        self._initialized = False

    def portable(self) -> FrameSource:
        """A copy's blueprint: figure, frame function, init and the frame data known
        now, without the matplotlib ``Animation`` (its timer cannot travel). Pickle it
        with cloudpickle (``workers/portable.py``); unpickled, it is an independent animation
        whose calls move none of this one's state. A generator function travels too: the
        copy pulls the frame data it does not know from its own sequences, as save
        would from the state the copy was taken in (the init draw's item, once pulled
        here, travels with it)."""
        copy = FrameSource(
            self.figure,
            self._draw,
            self._data.for_copy(),
            interval=self.interval,
            repeat=self.repeat,
            blit=self.blit,
            init=self._init,
            first=self._first,
        )
        return copy

    def _draw_data(self, data: Any) -> Sequence[Artist] | None:
        return self._draw(data)


def _func_animation_source(anim: FuncAnimation) -> FrameSource:
    parts = func_animation_parts(anim)
    data: FrameData
    if parts.save_count is not None and parts.sized:
        # matplotlib's adapter of an int or a sized iterable: no state, read at once.
        data = SequenceData(list(itertools.islice(parts.make_iter(), parts.save_count)))
    else:
        data = FrameData(
            parts.make_iter,
            parts.save_count or DEFAULT_MAX_GENERATED,
            None,
            own_sequences=parts.own_sequences,
        )
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
        SequenceData(frames),
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
            SequenceData(seq),
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
