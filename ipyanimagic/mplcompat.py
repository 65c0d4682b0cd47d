"""Every access to matplotlib's private attributes, in one place.

Why: matplotlib's animations are built to be played forward by a timer, and offer no
public way to ask "what would frame i be" or "which artists does a full draw paint
after this one". The player needs both, so it reads a few private attributes. Keeping
all of them here means a matplotlib release that renames one breaks one module, and
``tests/unit/test_mplcompat.py`` (run against the oldest and the newest matplotlib the
package supports) says which. Nothing else in the package may touch ``_``-names of
matplotlib objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

from matplotlib.animation import Animation, ArtistAnimation, FuncAnimation
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "ArtistAnimationParts",
    "FuncAnimationParts",
    "artist_animation_parts",
    "axis_artists",
    "detach_from_timer",
    "func_animation_parts",
    "hidden_from_draw",
    "is_stopped",
    "set_dpi_quietly",
    "suptitle_text",
]


@dataclass(frozen=True)
class FuncAnimationParts:
    """What a ``FuncAnimation`` was made of."""

    figure: Figure
    #: Makes a fresh iterator over the frame data (matplotlib's own ``frames`` adapter).
    make_iter: Callable[[], Iterator[Any]]
    #: Frames matplotlib would save, or None (unbounded generator, no save_count).
    save_count: int | None
    #: Whether ``frames`` was an int or a sized sequence (so ``save_count`` is its length).
    sized: bool
    #: Whether ``make_iter`` is the user's (a generator function, any callable) or
    #: ``itertools.count``: a copy of it makes a sequence of its own. matplotlib's
    #: adapter of an iterable (an iterator, a generator object) holds the animation and
    #: that one iterable: not for a copy.
    own_sequences: bool
    func: Callable[..., Any]
    fargs: tuple[Any, ...]
    init_func: Callable[[], Any] | None
    interval: float
    repeat: bool
    blit: bool


@dataclass(frozen=True)
class ArtistAnimationParts:
    """What an ``ArtistAnimation`` was made of."""

    figure: Figure
    frames: list[list[Artist]]
    interval: float
    repeat: bool
    blit: bool


# The private attributes read or written here, as matplotlib sets them. Its type stubs
# leave them out; these protocols say what this module relies on, and ``cast`` (no
# runtime effect) applies them.


class _AnimationInternals(Protocol):
    _fig: Figure
    _blit: bool
    _first_draw_id: int | None
    _draw_was_started: bool


class _FuncAnimationInternals(_AnimationInternals, Protocol):
    _iter_gen: Callable[[], Iterator[Any]]
    _save_count: int | None
    _func: Callable[..., Any]
    _args: Sequence[Any] | None
    _init_func: Callable[[], Any] | None


class _ArtistAnimationInternals(_AnimationInternals, Protocol):
    _framedata: Iterable[Iterable[Artist]]


class _ArtistInternals(Protocol):
    _animated: bool


class _FigureInternals(Protocol):
    def _set_dpi(self, dpi: float, forward: bool = True) -> None: ...


def func_animation_parts(anim: FuncAnimation) -> FuncAnimationParts:
    internals = cast(_FuncAnimationInternals, anim)
    make_iter = internals._iter_gen
    adapter = _is_adapter(make_iter)
    return FuncAnimationParts(
        figure=internals._fig,
        make_iter=make_iter,
        save_count=internals._save_count,
        sized=adapter and _is_sized(make_iter),
        own_sequences=not adapter,
        func=internals._func,
        fargs=tuple(internals._args or ()),
        init_func=internals._init_func,
        interval=float(getattr(anim, "_interval", 200)),
        repeat=bool(getattr(anim, "_repeat", True)),
        blit=bool(internals._blit),
    )


def _is_adapter(make_iter: Callable[[], Iterator[Any]]) -> bool:
    """Whether ``make_iter`` is one matplotlib's ``FuncAnimation`` made of ``frames``
    (an int or an iterable), not the user's callable nor ``itertools.count``."""
    return getattr(make_iter, "__module__", None) == FuncAnimation.__module__ and (
        getattr(make_iter, "__qualname__", "").startswith("FuncAnimation.__init__.")
    )


def _is_sized(make_iter: Callable[[], Iterator[Any]]) -> bool:
    """Whether matplotlib made ``make_iter`` from an int or a sized iterable.

    matplotlib: int -> ``lambda: iter(range(n))``; a sized iterable -> ``lambda:
    iter(frames)`` (with repeat=True, a generator function holding it as a default
    argument). Only asked of those (``_is_adapter``): a generator function of the user's
    whose closure holds a number or a list is not sized.
    """
    if make_iter is itertools.count:
        return False
    values = list(getattr(make_iter, "__defaults__", None) or ())
    for cell in getattr(make_iter, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # pragma: no cover - empty cell
            continue
    return any(
        (isinstance(v, int) and not isinstance(v, bool)) or hasattr(v, "__len__") for v in values
    )


def artist_animation_parts(anim: ArtistAnimation) -> ArtistAnimationParts:
    internals = cast(_ArtistAnimationInternals, anim)
    return ArtistAnimationParts(
        figure=internals._fig,
        frames=[list(f) for f in internals._framedata],
        interval=float(getattr(anim, "_interval", 200)),
        repeat=bool(getattr(anim, "_repeat", True)),
        blit=bool(internals._blit),
    )


def is_stopped(anim: Animation) -> bool:
    """Whether matplotlib stopped the animation for good (its figure was closed)."""
    return getattr(anim, "event_source", True) is None


def detach_from_timer(anim: Animation) -> None:
    """Keep matplotlib's timer from starting on the first draw, and from warning.

    The player draws the frames itself: the animation's own timer must never run, and
    matplotlib must not warn that the animation was "deleted without rendering".
    """
    internals = cast(_AnimationInternals, anim)
    first_draw = getattr(anim, "_first_draw_id", None)
    if first_draw is not None:
        internals._fig.canvas.mpl_disconnect(first_draw)
        internals._first_draw_id = None
    internals._draw_was_started = True


def set_dpi_quietly(figure: Figure, dpi: float) -> None:
    """Set the figure's dpi without asking a window or widget to resize.

    ``Figure.dpi = ...`` forwards the new pixel size to the canvas' manager (ipympl would
    resize its widget); rendering at another resolution must not.
    """
    if figure.dpi != dpi:
        cast(_FigureInternals, figure)._set_dpi(dpi, forward=False)


def suptitle_text(figure: Figure) -> str:
    """The figure's suptitle, or ""."""
    suptitle = getattr(figure, "_suptitle", None)
    return suptitle.get_text() if suptitle is not None else ""


def axis_artists(ax: Axes) -> list[Artist]:
    """The Axis objects of ``ax`` (x, y, and z for 3D axes)."""
    axis_map = getattr(ax, "_axis_map", None)
    if axis_map is not None:
        return list(axis_map.values())
    return [ax.xaxis, ax.yaxis]  # pragma: no cover - matplotlib < 3.5


@contextmanager
def hidden_from_draw(artists: Sequence[Artist] | Iterable[Artist]) -> Iterator[None]:
    """Mark ``artists`` animated, so that ``canvas.draw()`` leaves them out.

    Set directly, not with ``set_animated``: that calls ``pchanged()`` and marks the
    figure stale, and nothing else needs to know about this short-lived flag.
    """
    flags = [(cast(_ArtistInternals, a), a.get_animated()) for a in artists]
    for artist, _ in flags:
        artist._animated = True
    try:
        yield
    finally:
        for artist, flag in flags:
            artist._animated = flag
