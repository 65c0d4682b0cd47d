"""``live()``: a player for a figure a running loop changes, scrubbable while it runs.

Why: training loops and simulations watch a figure change; what people use
(``clear_output`` + ``display``, a display handle's ``update``) sends a full PNG per
step, flickers and forgets every earlier state. Here each step's figure is captured as
a frame (frames/live.py: drawn with the exact auto-blit on the loop's thread, kept
losslessly off it), the page follows the newest at its own pace, and the user can step
or drag back through every frame captured so far while the loop goes on. Once capture
ends (the loop, the ``with`` block or the cell) it is an ordinary player: play, step,
loop modes, export.

The page's requests for frames are served without the main thread, which the loop
holds: thread-safe methods, answered where the kernel reads its shell socket
(``BridgeWidget.serve_while_busy``) or on a subshell thread.

Why one module (~350 lines): its one job is what the user holds of a live run: the
widget (``LivePlayer``: capture, stop and pause, what the page calls), the two ways in
(``live()`` and the loop it may return) and the one rule that ends capture with the
cell. They share the player's life cycle (a capture resumes a paused player and
registers it to end with its cell; the end of a cell pauses it); split, each part would
reach into the others' state. The frames themselves are frames/live.py's.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

import traitlets
from matplotlib.figure import Figure

from .. import futures
from ..bridge import cellruns, replywait, restore
from ..bridge.dispatcher import WithBuffers, expose
from ..frames.live import LiveRun, LiveSource
from ..frames.purity import Purity
from ..limits import CACHE_MB_DEFAULT, QUALITY_DEFAULT
from ..shell import get_shell
from . import ownership
from .options import PlayerOptionError, check_player_options, check_scale
from .widget import Player

__all__ = ["LiveLoop", "LivePlayer", "live"]

T = TypeVar("T")

#: The tooltip of a live player's status line (where an animation's purity goes).
ABOUT = "live: frames captured from running code, kept in the kernel, all of them"


class LivePlayer(Player):
    """A player whose frames are captured from a figure while code changes it.

    Make it with :func:`live`. ``frame()`` captures the figure as it is now;
    ``stop()`` (or the end of the ``with`` block, the loop, or the cell) ends capture.
    """

    _in_order = LiveRun

    live = traitlets.Bool(True, help="frames are being captured").tag(sync=True)
    unit = traitlets.Unicode("frames", help="what the status line counts").tag(sync=True)
    total = traitlets.Int(-1, help="steps the loop will take, -1 when unknown").tag(sync=True)

    def __init__(self, source: LiveSource, **kwargs: Any) -> None:
        super().__init__(source, pure=False, **kwargs)
        run = self.supply.in_order
        assert isinstance(run, LiveRun)
        self.run: LiveRun = run
        self.purity = ABOUT
        #: Captured by the thread that runs cells (the end of a cell pauses it), or by a
        #: thread of the user's (a simulation thread: only ``stop()`` ends it).
        self.captured_by_cells = True

    def _set_purity(self, verdict: Purity) -> None:
        """A live player's tooltip says what it is, not a verdict nobody measured."""

    def _sync_count(self) -> None:
        """Counts reach the page with its follow replies while capturing (a trait change
        per frame would be a comm message per frame); the final count at :meth:`stop`."""
        if not self.live:
            super()._sync_count()

    # -- the user's side -----------------------------------------------------------------

    def frame(self) -> int:  # type: ignore[override]  # the page's "frame" is page_frame
        """Capture the figure as it is now as the next frame; its index.

        On this thread (the user's artists change here): drawn with the player's exact
        auto-blit, encoded and kept off it. ``RuntimeError`` after :meth:`stop`.
        """
        if not self.live and not self.pipeline.closed and not self.run.finished:
            self.run.resume()  # captured again after a pause (a cell that captured ended)
            with self.hold_sync():
                self.count = -1
                self.live = True
            _end_with_cell(self)
        self.captured_by_cells = threading.current_thread() is threading.main_thread()
        index = self.run.capture()
        # ipykernel 6 reads the shell channel on the main thread, which this loop holds:
        # the page's requests are read here, at each capture (elsewhere: nothing to do).
        replywait.pump()
        return index

    def stop(self) -> None:
        """End capture for good: the player keeps every frame and becomes an ordinary
        player; ``frame()`` raises from now on."""
        self._end(finished=True)

    def pause(self) -> None:
        """End this run of captures (the end of a cell does it): an ordinary player
        until ``frame()`` captures again."""
        self._end(finished=False)

    def _end(self, *, finished: bool) -> None:
        if self.pipeline.closed:
            return
        was_live = self.run.capturing
        count = self.run.end(finished=finished)
        if not was_live and not self.live:
            return
        with self.hold_sync():
            self.count = count
            self.known = count
            self.live = False

    def __enter__(self) -> LivePlayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the page calls (thread-safe: the loop holds the main thread) -------------

    @expose(thread_safe=True, name="frame")
    def page_frame(
        self, index: int, format: str = "png", quality: int | None = None, scale: float = 1.0
    ) -> Future[Any]:
        """A captured frame (see :meth:`Player.frame`), from what is kept."""
        return Player.frame(self, index, format, quality, scale)

    @expose(thread_safe=True, name="frames")
    def page_frames(
        self,
        indices: list[int],
        format: str = "jpeg",
        quality: int | None = None,
        scale: float = 1.0,
    ) -> Future[Any]:
        """Captured frames (see :meth:`Player.frames`), from what is kept."""
        return Player.frames(self, indices, format, quality, scale)

    @expose(thread_safe=True)
    def newest(
        self,
        after: int = -1,
        format: str = "jpeg",
        quality: int | None = None,
        scale: float = 1.0,
        peek: bool = False,
        follower: str | None = None,
        spacing: float = 0,
        send_scale: float | None = None,
    ) -> Future[Any]:
        """The newest frame once one past ``after`` is captured (a long poll): its
        metadata with ``known``, ``live`` and ``rate`` (steps/s), and its bytes; without
        bytes when ``peek``, or when capture ended or nothing came for a while.
        ``follower`` names the page, so its requests waiting together bring different
        frames, ``spacing`` ms apart at least (frames/live.py). ``send_scale``: the
        scale the frame travels at, when lower than ``scale`` (a slow link)."""
        fmt, q, s = self._request(format, quality, scale)
        if send_scale is not None:
            send_scale = check_scale(send_scale)
        if isinstance(after, bool) or not isinstance(after, int):
            raise TypeError(f"after must be a frame index, not {type(after).__name__}")
        if follower is not None and not isinstance(follower, str):
            raise TypeError(f"follower must be a string, not {type(follower).__name__}")
        if isinstance(spacing, bool) or not isinstance(spacing, (int, float)) or spacing < 0:
            raise TypeError(f"spacing must be a number of ms >= 0, not {spacing!r}")
        return futures.then(
            self.run.newest(
                after,
                fmt,
                q,
                s,
                peek=bool(peek),
                follower=follower,
                spacing=spacing / 1000,
                send_scale=send_scale,
            ),
            lambda got: WithBuffers(got[0], [got[1]] if got[1] is not None else []),
        )

    # -- display and life cycle --------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        if self.live or self.run.next == 0:
            # No picture while capturing: the frames live in the kernel (nothing grows
            # in the notebook per frame). Displayed again afterwards, it is a player.
            return super(Player, self)._repr_mimebundle_(**kwargs)
        return super()._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        self.run.end()
        super().close()


class LiveLoop(Generic[T]):
    """``for item in live(iterable, fig)``: the iterable's items, a frame after each step.

    A step ended by ``break`` or an exception is not captured; capture ends with the
    loop (or the cell).
    """

    def __init__(self, iterable: Iterable[T], player: LivePlayer) -> None:
        self.iterable = iterable
        self.player = player

    def __iter__(self) -> Iterator[T]:
        player = self.player
        try:
            for item in self.iterable:
                yield item
                player.frame()
        finally:
            player.stop()

    def __len__(self) -> int:
        return len(self.iterable)  # type: ignore[arg-type]


def live(
    what: Figure | Iterable[T] | None = None,
    figure: Figure | None = None,
    *,
    fps: float | None = None,
    label: str | None = None,
    cache_mb: float = CACHE_MB_DEFAULT,
    dpi: float | None = None,
    format: str = "auto",
    quality: int | None = None,
    display: bool = True,
) -> Any:
    """A live player for a figure that running code changes; shown at once.

    ``live(fig)`` returns the :class:`LivePlayer`; ``player.frame()`` captures a frame.
    ``for x in live(iterable, fig)`` captures a frame after each step (and counts the
    steps, with steps/s, in the status line); ``with live(fig) as player:`` ends
    capture with the block (``player.stop()`` too). Without a figure: pyplot's current
    one. The end of a cell that captured frames (an exception, the stop button
    included) pauses it: an ordinary player (play, step, export) with every frame
    captured, until ``frame()`` in a later cell adds more.

    ``fps``: the speed it plays at afterwards (default 10, or the capture rate).
    ``cache_mb``: encoded frames kept in memory; beyond it they go to a temporary file
    (removed with the player). Re-running the cell closes the player it made before.
    """
    iterable: Iterable[T] | None = None
    if isinstance(what, Figure):
        if figure is not None:
            raise PlayerOptionError("give the figure once: live(fig) or live(iterable, fig)")
        fig = what
    else:
        if what is not None:
            if not isinstance(what, Iterable):
                raise PlayerOptionError(
                    f"live() takes a figure or an iterable, not {type(what).__name__}"
                )
            iterable = what
        fig = figure if figure is not None else _current_figure()
    if not isinstance(fig, Figure):
        raise PlayerOptionError(f"figure must be a matplotlib Figure, not {type(fig).__name__}")
    check_player_options(
        fps, "once", 0, format, QUALITY_DEFAULT if quality is None else quality, dpi, cache_mb
    )
    if dpi is not None:
        fig.set_dpi(dpi)
    source = LiveSource(fig)
    kwargs: dict[str, Any] = {}
    if quality is not None:
        kwargs["quality"] = quality
    player = LivePlayer(
        source,
        cache_mb=cache_mb,
        dpi=dpi,
        fps=float(fps) if fps is not None else 10.0,
        loop="once",
        format=format,
        label=label if label is not None else (_title(fig) or "Live"),
        **kwargs,
    )
    if iterable is not None:
        player.unit = "steps"
        size = _length(iterable)
        if size is not None:
            player.total = size
    ownership.adopt(source, player)
    if player.serve_while_busy():
        # A page reloaded (or a second tab) gets its widgets while the loop runs.
        restore.restore_while(_any_capturing)
    cellruns.replace_previous_run(player)
    _end_with_cell(player)
    if display:
        from IPython.display import display as show

        show(player)
    return LiveLoop(iterable, player) if iterable is not None else player


def _current_figure() -> Figure:
    import matplotlib.pyplot as plt

    return plt.gcf()


def _title(fig: Figure) -> str:
    for ax in fig.axes:
        if ax.get_title():
            return str(ax.get_title())
    return ""


def _length(iterable: Iterable[Any]) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None


# Players still capturing, ended when the cell that runs ends (an exception, the stop
# button, or a loop without ``with`` and without ``stop()``).
_capturing: weakref.WeakSet[LivePlayer] = weakref.WeakSet()
_hooked: set[int] = set()


def _end_with_cell(player: LivePlayer) -> None:
    _capturing.add(player)
    shell = get_shell()
    if shell is None or id(shell) in _hooked:
        return
    _hooked.add(id(shell))
    shell.events.register("post_run_cell", _end_capture)


def _any_capturing() -> bool:
    return any(player.run.capturing for player in list(_capturing))


def _end_capture(*_args: Any) -> None:
    """A cell ended: players that captured frames pause (ordinary players until they
    capture again); one still without frames waits for them, live; one a thread of the
    user's captures goes on until its ``stop()`` (the cell that started the thread ends
    long before the thread)."""
    for player in list(_capturing):
        if not player.pipeline.closed and (player.run.next == 0 or not player.captured_by_cells):
            continue
        _capturing.discard(player)
        player.pause()
