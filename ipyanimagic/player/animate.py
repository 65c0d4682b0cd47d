"""``animate()``: from a matplotlib animation (or a function) to a :class:`Player`.

Why apart from the widget: this is where the user's arguments are checked, defaults
are taken from the animation (speed from its interval, loop mode from ``repeat``, a
label from its title) and the figure changes hands; the widget only plays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from matplotlib.animation import Animation
from matplotlib.figure import Figure

from ..bridge import cellruns
from ..frames.source import FrameSource, frame_source
from ..limits import CACHE_MB_DEFAULT, QUALITY_DEFAULT
from ..mplcompat import suptitle_text
from . import ownership
from .options import PlayerOptionError, check_player_options, default_fps
from .widget import Player

__all__ = ["animate"]


def animate(
    anim: Animation | Callable[..., Any],
    *,
    fps: float | None = None,
    loop: str | None = None,
    autoplay: bool = False,
    start: int = 0,
    format: str = "auto",
    quality: int = QUALITY_DEFAULT,
    dpi: float | None = None,
    cache_mb: float = CACHE_MB_DEFAULT,
    blit: bool = True,
    realtime: bool = False,
    fig: Figure | None = None,
    frames: int | Sequence[Any] | None = None,
    init_func: Callable[[], Any] | None = None,
    fargs: Sequence[Any] | None = None,
    interval: float = 200,
    repeat: bool = True,
    label: str | None = None,
    pure: bool | None = None,
    workers: int | None = None,
    executor: Any = None,
    embed: bool = False,
) -> Player:
    """Make a player for ``anim``; display it or return it from a cell.

    ``anim`` is a ``FuncAnimation`` or ``ArtistAnimation``, or a function ``func(frame)``
    given with ``fig=`` and ``frames=`` (plus optional ``init_func``, ``fargs``,
    ``interval`` ms and ``repeat``). ``fps`` defaults to 1000 / the animation's interval;
    ``loop`` to "loop" if it repeats, else "once". ``format`` "auto" sends JPEG while
    playing and PNG at rest. ``cache_mb`` bounds the kernel's cache of encoded frames.
    ``blit``: redraw only what changes when that gives the same pixels as a full draw
    (checked); False always draws in full. ``realtime``: when the kernel cannot keep up,
    skip frames to keep the animation's clock (default: show every frame, late).

    ``pure``: whether frame i depends on i alone. By default it is measured on a copy
    (``stats()["purity"]``, the status line's tooltip); until then, and for an
    animation that remembers (a trail, an integrated state), frames are drawn in order
    from the start, as ``Animation.save`` draws them, and kept. ``pure=True`` allows
    random access at once; ``pure=False`` always goes in order. ``workers=N`` draws the
    frames of a pure animation in N local processes; ``executor=`` in any
    ``concurrent.futures.Executor`` or a ``distributed.Client`` (both need the
    ``parallel`` extra).

    ``embed``: the display also carries a player with every frame that plays without a
    kernel (``player.embed()``: nbconvert's HTML, nbviewer); ``ExportError`` over
    ``save_html``'s size limit.

    Re-running the cell that made a player closes the old one.
    """
    check_parallel_options(pure, workers, executor)
    check_player_options(fps, loop, start, format, quality, dpi, cache_mb)
    source = frame_source(
        anim,
        fig=fig,
        frames=frames,
        init_func=init_func,
        fargs=fargs,
        interval=interval,
        repeat=repeat,
    )
    if source.count is not None and start >= source.count:
        raise PlayerOptionError(
            f"start must be below the frame count ({source.count}), not {start}"
        )
    if dpi is not None:
        source.figure.set_dpi(dpi)
    player = Player(
        source,
        cache_mb=cache_mb,
        blit=bool(blit),
        dpi=dpi,
        realtime=bool(realtime),
        fps=float(fps if fps is not None else default_fps(source.interval)),
        loop=loop if loop is not None else ("loop" if source.repeat else "once"),
        autoplay=bool(autoplay),
        start=start,
        format=format,
        quality=quality,
        label=label if label is not None else _default_label(source),
        pure=pure,
        workers=workers,
        executor=executor,
    )
    ownership.adopt(source, player)
    player.supply.begin()
    if embed:
        try:
            player.embed()
        except Exception:
            player.close()
            raise
    cellruns.replace_previous_run(player)
    return player


def check_parallel_options(pure: Any, workers: Any, executor: Any) -> None:
    """``PlayerOptionError`` for a ``pure``, ``workers`` or ``executor`` that cannot be."""
    if pure is not None and not isinstance(pure, bool):
        raise PlayerOptionError(f"pure must be True, False or None, not {pure!r}")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise PlayerOptionError(f"workers must be a whole number of at least 1, not {workers!r}")
    if workers is not None and executor is not None:
        raise PlayerOptionError("give workers=N or executor=, not both")
    if pure is False and (workers is not None or executor is not None):
        raise PlayerOptionError(
            "workers draw the frames of a pure animation only; pure=False draws in order"
        )


def _default_label(source: FrameSource) -> str:
    fig = source.figure
    title = suptitle_text(fig)
    if not title:
        for ax in fig.axes:
            title = ax.get_title()
            if title:
                break
    return title or "Animation"
