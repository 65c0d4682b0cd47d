"""The animation player: a widget whose frames the kernel renders when the page asks.

``animate(anim, **options)`` adopts a matplotlib animation (or a function, a figure and
a frame count) and returns a :class:`Player`. The page side (templates/player.*) owns
the clock and asks for frames through the bridge; :meth:`Player.frame` draws one with
Agg, encodes it and answers with the bytes as a binary buffer.
"""

from __future__ import annotations

import base64
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import traitlets
from matplotlib.animation import Animation
from matplotlib.figure import Figure

from . import cellruns
from .dispatcher import ReportedError, WithBuffers, describe, expose
from .encode import FORMATS, MIME, encode
from .framecache import FrameCache
from .frames import FrameOutOfRange, FrameSource, FrameSourceError, frame_source
from .render import FrameRenderer
from .templates import render as render_template
from .transport import BridgeWidget

__all__ = ["LOOP_MODES", "Player", "PlayerOptionError", "animate"]

LOOP_MODES = ("once", "loop", "reflect")


_encoder_pool: ThreadPoolExecutor | None = None
_encoder_lock = threading.Lock()


def _encoder() -> ThreadPoolExecutor:
    """One encoder thread for all players: with the main thread drawing, two cores busy."""
    global _encoder_pool
    with _encoder_lock:
        if _encoder_pool is None:
            _encoder_pool = ThreadPoolExecutor(1, thread_name_prefix="ipyanimagic-encode")
        return _encoder_pool


#: Frames one ``frames`` request may ask for.
MAX_BATCH = 16


def _then(pending: Future, func: Callable[[Any], Any]) -> Future:
    """A future of ``func(result)`` (or of the same failure)."""
    out: Future = Future()

    def done(f: Future) -> None:
        try:
            out.set_result(func(f.result()))
        except BaseException as exc:
            out.set_exception(exc)

    pending.add_done_callback(done)
    return out


def _then_all(pending: list[Future], func: Callable[[list[Any]], Any]) -> Future:
    """A future of ``func([results...])`` once all of ``pending`` are done."""
    out: Future = Future()
    remaining = [len(pending)]
    lock = threading.Lock()

    def finish() -> None:
        try:
            out.set_result(func([f.result() for f in pending]))
        except BaseException as exc:
            out.set_exception(exc)

    if not pending:
        finish()
        return out

    def one_done(_f: Future) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            finish()

    for f in pending:
        f.add_done_callback(one_done)
    return out


class PlayerOptionError(ValueError):
    """An option the player cannot take; the message names what is expected."""


def _html() -> str:
    return render_template("player.html")


# What the page reports (templates/player.js, ``report``). Only finite numbers are kept:
# a NaN from a hostile client would make every later stats() reply unsendable.
_PAGE_STATS = frozenset(
    {
        "displayed",
        "requested",
        "received",
        "dropped",
        "rtt_ms",
        "net_rtt_ms",
        "decoded",
        "fps",
        "window",
        "batch",
    }
)


def _is_page_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return abs(v) <= 2**53  # what a JS number holds exactly
    return isinstance(v, float) and math.isfinite(v)


class Player(BridgeWidget):
    """A matplotlib animation in the page, with its frames rendered on demand.

    Create it with :func:`animate`. ``close()`` releases the figure.
    """

    _esm = render_template("player.js", html=_html())
    _css = render_template("player.css")

    count = traitlets.Int(-1, help="frame count, -1 while unknown (a generator)").tag(sync=True)
    known = traitlets.Int(0, help="frames whose data is known so far").tag(sync=True)
    fps = traitlets.Float(5.0).tag(sync=True)
    loop = traitlets.Enum(LOOP_MODES, default_value="loop").tag(sync=True)
    autoplay = traitlets.Bool(False).tag(sync=True)
    realtime = traitlets.Bool(False).tag(sync=True)
    start = traitlets.Int(0).tag(sync=True)
    current = traitlets.Int(
        0, help="the frame shown; set it to show another, jslink it to follow another player"
    ).tag(sync=True)
    format = traitlets.Enum(("auto", *FORMATS), default_value="auto").tag(sync=True)
    quality = traitlets.Int(85).tag(sync=True)
    label = traitlets.Unicode("Animation").tag(sync=True)
    poster = traitlets.Bytes(
        b"", help="PNG of the start frame, sent with the display: no round trip for it"
    ).tag(sync=True)

    def __init__(
        self, source: FrameSource, *, cache_mb: float = 16, blit: bool = True, **kwargs: Any
    ) -> None:
        self._source: FrameSource | None = source
        self._renderer = FrameRenderer(source, blit=blit)
        self._cache = FrameCache(int(cache_mb * 1024 * 1024))
        self._stats_lock = threading.Lock()
        self._stats = {"frames": 0, "render_ms": 0.0, "encode_ms": 0.0}
        self._page_stats: dict[str, Any] = {}
        self._encoding: dict[tuple, Future] = {}
        count = source.count
        kwargs.setdefault("current", kwargs.get("start", 0))
        super().__init__(count=-1 if count is None else count, known=source.known, **kwargs)

    def __repr__(self) -> str:
        return f"<Player {self.label!r} frames={self.count if self.count >= 0 else '?'}>"

    @property
    def figure(self) -> Figure | None:
        return self._source.figure if self._source is not None else None

    # -- frames ------------------------------------------------------------------

    def _draw(self, index: int) -> tuple[np.ndarray, float, str]:
        """Render frame ``index`` on this (the main) thread; a private copy of its pixels."""
        if self._source is None:
            raise RuntimeError("this player was closed")
        try:
            frame = self._renderer.render(index)
        except FrameOutOfRange:
            self._sync_count()  # a generator ran out: the page learns the count
            raise
        except Exception as exc:
            # The traceback starts in the user's frame function, not in our machinery.
            raise ReportedError.from_exception(exc) from None
        finally:
            self._sync_count()
        # The canvas buffer is redrawn by the next frame; the encoder gets its own copy.
        return frame.rgba.copy(), frame.render_ms, frame.mode

    def _encode(
        self, key: tuple, rgba: np.ndarray, render_ms: float, mode: str
    ) -> tuple[dict[str, Any], bytes]:
        index, fmt, quality = key
        t0 = time.perf_counter()
        data = encode(rgba, fmt, quality)
        encode_ms = (time.perf_counter() - t0) * 1000
        height, width = rgba.shape[:2]
        meta = {
            "index": index,
            "mime": MIME[fmt],
            "width": width,
            "height": height,
            "mode": mode,
            "render_ms": round(render_ms, 3),
            "encode_ms": round(encode_ms, 3),
        }
        with self._stats_lock:
            self._stats["frames"] += 1
            self._stats["render_ms"] += render_ms
            self._stats["encode_ms"] += encode_ms
        self._cache.put(key, meta, data)
        return meta, data

    def _key(self, index: int, fmt: str, quality: int) -> tuple:
        return (index, fmt, quality if fmt == "jpeg" else 0)

    def _frame_now(self, index: int, fmt: str, quality: int) -> tuple[dict[str, Any], bytes]:
        """Render and encode on this thread (for the static picture)."""
        key = self._key(index, fmt, quality)
        hit = self._cache.get(key)
        return hit if hit is not None else self._encode(key, *self._draw(index))

    def _sync_count(self) -> None:
        source = self._source
        if source is None:
            return
        if source.count is not None and self.count != source.count:
            self.count = source.count
        if self.known != source.known:
            self.known = source.known

    def _reply(self, meta: dict[str, Any], data: bytes) -> WithBuffers:
        return WithBuffers({**meta, "count": self.count, "known": self.known}, [data])

    def _check_format(self, format: Any, quality: Any) -> int:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        q = self.quality if quality is None else quality
        if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 100:
            raise ValueError(f"quality must be an integer from 1 to 100, not {q!r}")
        if self._source is None:
            raise RuntimeError("this player was closed")
        return q

    def _frame_future(self, index: int, fmt: str, quality: int) -> Future:
        """(meta, bytes) of one frame: at once from the cache, else drawn now, encoded later."""
        assert self._source is not None
        self._source.check_index(index)
        key = self._key(index, fmt, quality)
        hit = self._cache.get(key)
        if hit is not None:
            done: Future = Future()
            done.set_result(hit)
            return done
        pending = self._encoding.get(key)
        if pending is None:
            rgba, render_ms, mode = self._draw(index)
            pending = _encoder().submit(self._encode, key, rgba, render_ms, mode)
            self._encoding[key] = pending
            pending.add_done_callback(lambda _f, key=key: self._encoding.pop(key, None))
        return pending

    @expose
    def frame(self, index: int, format: str = "png", quality: int | None = None) -> Future:
        """Frame ``index`` encoded as ``format``: metadata, and the bytes as a buffer.

        Drawn here, on the main thread; encoded on the encoder thread (Pillow releases
        the GIL), so the next request's drawing overlaps this one's encoding.
        """
        q = self._check_format(format, quality)
        return _then(self._frame_future(index, format, q), lambda r: self._reply(*r))

    @expose
    def frames(
        self, indices: list[int], format: str = "jpeg", quality: int | None = None
    ) -> Future:
        """Several frames in one reply: ``{"frames": [meta, ...], "error": ...}`` + buffers.

        Why: each round trip through a default Jupyter Server costs ~45 ms whatever it
        carries, so a playing player asks for a few frames at a time. Frames are drawn in
        order; at the first that fails the batch stops, and ``error`` says which and why
        (``{"index", "type", "message", "traceback"}``) while the frames before it arrive.
        """
        q = self._check_format(format, quality)
        if not isinstance(indices, list) or not 1 <= len(indices) <= MAX_BATCH:
            raise ValueError(f"indices must be a list of 1 to {MAX_BATCH} frame indices")
        pending: list[Future] = []
        error: dict[str, Any] | None = None
        for index in indices:
            try:
                pending.append(self._frame_future(index, format, q))
            except Exception as exc:
                reported = exc if isinstance(exc, ReportedError) else None
                error = {
                    "index": index,
                    "type": reported.kind if reported else type(exc).__name__,
                    "message": reported.message if reported else describe(exc),
                    "traceback": reported.traceback if reported else [],
                }
                break

        def gather(results: list[tuple[dict[str, Any], bytes]]) -> WithBuffers:
            metas = [{**meta, "count": self.count, "known": self.known} for meta, _ in results]
            return WithBuffers({"frames": metas, "error": error}, [data for _, data in results])

        return _then_all(pending, gather)

    @expose(thread_safe=True)
    def buffered(self) -> list[list[int]]:
        """Ranges ``[first, last]`` of frames the kernel holds encoded (answered at once)."""
        ranges: list[list[int]] = []
        for i in self._cache.indices():
            if ranges and ranges[-1][1] == i - 1:
                ranges[-1][1] = i
            else:
                ranges.append([i, i])
        return ranges

    @expose(thread_safe=True)
    def stats(self) -> dict[str, Any]:
        """Kernel-side counters: frames rendered, mean render / encode ms, cache use."""
        with self._stats_lock:
            n = self._stats["frames"]
            render_ms, encode_ms = self._stats["render_ms"], self._stats["encode_ms"]
        return {
            "frames_rendered": n,
            "render_ms_mean": render_ms / n if n else None,
            "encode_ms_mean": encode_ms / n if n else None,
            "draws": dict(self._renderer.counts),
            "cache_bytes": self._cache.nbytes,
            "cache_frames": len(self._cache),
            "cache_hits": self._cache.hits,
            "page": dict(self._page_stats),
        }

    @expose(thread_safe=True)
    def report(self, stats: dict[str, Any]) -> None:
        """The page's side of :meth:`stats`: frames shown, round trip, fps, window."""
        if not isinstance(stats, dict):
            raise TypeError("stats must be an object")
        self._page_stats = {
            k: v for k, v in stats.items() if k in _PAGE_STATS and _is_page_number(v)
        }

    # -- display -----------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None or self._source is None:
            return bundle
        data, metadata = bundle
        # A picture of the first frame for places without a live kernel (nbviewer,
        # GitHub, exported HTML); JupyterLab prefers the widget view.
        try:
            meta, png = self._frame_now(self.start, "png", 0)
        except Exception:
            return bundle
        if self.poster != png:
            self.poster = png  # reaches the page before the display message does
        data = {**data, "image/png": base64.b64encode(png).decode("ascii")}
        metadata = {
            **(metadata or {}),
            "image/png": {"width": meta["width"], "height": meta["height"]},
        }
        return data, metadata

    # -- export --------------------------------------------------------------------

    def save_html(
        self,
        path: str | Path,
        frames: str = "all",
        *,
        format: str = "png",
        quality: int | None = None,
        max_mb: float = 100,
        progress: bool = True,
    ) -> Path:
        """Write a self-contained HTML file that plays offline, with the same controls.

        ``frames``: "all" (rendered now, with a progress bar) or "cached" (the frames the
        kernel already holds). The size is estimated first; over ``max_mb`` it raises
        :class:`~ipyanimagic.export.ExportError` instead of leaving frames out.
        """
        from .export import export_html

        return export_html(
            self,
            path,
            frames=frames,
            format=format,
            quality=quality,
            max_mb=max_mb,
            progress=progress,
        )

    def save(
        self,
        path: str | Path,
        *,
        fps: float | None = None,
        dpi: float | None = None,
        progress: bool = True,
    ) -> Path:
        """Write a GIF (Pillow) or MP4 / WebM (ffmpeg) of every frame."""
        from .export import save_movie

        return save_movie(self, path, fps=fps, dpi=dpi, progress=progress)

    # -- life cycle --------------------------------------------------------------

    def close(self) -> None:
        """Close the player and release its figure and cached frames."""
        source, self._source = self._source, None
        self._cache.clear()
        if source is not None:
            _release(source, self)
        super().close()


# -- adoption and release -----------------------------------------------------------

_owners: dict[int, Player] = {}  # id(figure) -> the player that owns it now


def _adopt(source: FrameSource, player: Player) -> None:
    figure = source.figure
    _owners[id(figure)] = player
    anim = source.animation
    if anim is not None:
        # We draw the frames ourselves: keep matplotlib's timer from starting on the first
        # draw, and tell it not to warn that the animation "rendered nothing".
        first_draw = getattr(anim, "_first_draw_id", None)
        if first_draw is not None:
            figure.canvas.mpl_disconnect(first_draw)
            anim._first_draw_id = None
        anim._draw_was_started = True
    # Under %matplotlib inline an open figure is also shown as a static picture at the
    # end of the cell; the player is its view now.
    plt.close(figure)


def _release(source: FrameSource, player: Player) -> None:
    figure = source.figure
    if _owners.get(id(figure)) is player:
        del _owners[id(figure)]
        plt.close(figure)


def _check_options(
    fps: float | None,
    loop: str | None,
    start: int,
    fmt: str,
    quality: int,
    dpi: float | None,
    cache_mb: float,
) -> None:
    if fps is not None and (
        isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 240
    ):
        raise PlayerOptionError(f"fps must be a number above 0 and at most 240, not {fps!r}")
    if loop is not None and loop not in LOOP_MODES:
        raise PlayerOptionError(f"loop must be one of {', '.join(LOOP_MODES)}, not {loop!r}")
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise PlayerOptionError(f"start must be a frame index (0 or more), not {start!r}")
    if fmt not in ("auto", *FORMATS):
        raise PlayerOptionError(f"format must be auto, png or jpeg, not {fmt!r}")
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise PlayerOptionError(f"quality must be an integer from 1 to 100, not {quality!r}")
    if dpi is not None and (
        isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 10 <= dpi <= 1000
    ):
        raise PlayerOptionError(f"dpi must be a number from 10 to 1000, not {dpi!r}")
    if (
        isinstance(cache_mb, bool)
        or not isinstance(cache_mb, (int, float))
        or not 0 <= cache_mb <= 65536
    ):
        raise PlayerOptionError(
            f"cache_mb must be a number of megabytes from 0 to 65536, not {cache_mb!r}"
        )


def animate(
    anim: Animation | Callable[..., Any],
    *,
    fps: float | None = None,
    loop: str | None = None,
    autoplay: bool = False,
    start: int = 0,
    format: str = "auto",
    quality: int = 85,
    dpi: float | None = None,
    cache_mb: float = 16,
    blit: bool = True,
    realtime: bool = False,
    fig: Figure | None = None,
    frames: int | Sequence[Any] | None = None,
    init_func: Callable[[], Any] | None = None,
    fargs: Sequence[Any] | None = None,
    interval: float = 200,
    repeat: bool = True,
    label: str | None = None,
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

    Re-running the cell that made a player closes the old one.
    """
    _check_options(fps, loop, start, format, quality, dpi, cache_mb)
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
    if fps is None:
        fps = min(240.0, max(0.1, 1000.0 / source.interval)) if source.interval > 0 else 30.0
    if loop is None:
        loop = "loop" if source.repeat else "once"
    if label is None:
        label = _default_label(source)
    player = Player(
        source,
        cache_mb=cache_mb,
        blit=bool(blit),
        realtime=bool(realtime),
        fps=float(fps),
        loop=loop,
        autoplay=bool(autoplay),
        start=start,
        format=format,
        quality=quality,
        label=label,
    )
    _adopt(source, player)
    cellruns.replace_previous_run(player)
    return player


def _default_label(source: FrameSource) -> str:
    fig = source.figure
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    if not title:
        for ax in fig.axes:
            title = ax.get_title()
            if title:
                break
    return title or "Animation"


__all__ += ["FrameSourceError"]
