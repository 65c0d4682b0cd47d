"""The player widget: its traits, and the methods the page calls for frames.

The page side (templates/player/player.js and the modules it imports) owns the clock and asks
for frames through the bridge; the widget answers from its :class:`FramePipeline`
(draw on the main thread, encode on the encoder thread, cache). :func:`animate` makes
players; export.py writes them to files.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import traitlets
from matplotlib.figure import Figure

from .. import futures
from ..bridge.dispatcher import WithBuffers, expose
from ..bridge.transport import BridgeWidget
from ..errors import ReportedError, describe
from ..esm import player_css, player_loader_esm
from ..frames.encode import preview_png
from ..frames.pipeline import EncodedFrame, FramePipeline
from ..frames.purity import Purity
from ..frames.sequential import InOrder
from ..frames.source import FrameSource
from ..limits import CACHE_MB_DEFAULT, LOOP_MODES, PLAYER_FORMATS, QUALITY_DEFAULT
from . import ownership
from .embed import Embedded, display_embedded, embed_player
from .export import export_html, save_movie
from .options import check_batch, check_format, check_quality, check_scale, page_report
from .supply import FrameSupply

__all__ = ["Player"]


class Player(BridgeWidget):
    """A matplotlib animation in the page, with its frames rendered on demand.

    Create it with :func:`ipyanimagic.animate`. ``close()`` releases the figure.
    """

    _esm = player_loader_esm()
    _css = player_css()

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
    format = traitlets.Enum(PLAYER_FORMATS, default_value="auto").tag(sync=True)
    quality = traitlets.Int(QUALITY_DEFAULT).tag(sync=True)
    label = traitlets.Unicode("Animation").tag(sync=True)
    purity = traitlets.Unicode(
        "", help="whether frames depend on the ones before: the status line's tooltip"
    ).tag(sync=True)
    note = traitlets.Unicode(
        "", help="the kernel's status line: frames being drawn in order, workers not used"
    ).tag(sync=True)
    poster = traitlets.Bytes(
        b"", help="PNG of the start frame, sent with the display: no round trip for it"
    ).tag(sync=True)
    poster_exact = traitlets.Bool(
        True, help="the poster is the frame; else a smaller preview the page replaces"
    ).tag(sync=True)
    embed_id = traitlets.Unicode(
        "",
        help="with embed(): this widget's model id, which marks the kernel-less copy in its "
        "display; where that copy plays (no kernel), the widget's view makes way for it",
    ).tag(sync=True)

    #: How frames that must be drawn in order are made (live.py: captured by a loop).
    _in_order: type[InOrder] = InOrder

    def __init__(
        self,
        source: FrameSource,
        *,
        cache_mb: float = CACHE_MB_DEFAULT,
        blit: bool = True,
        dpi: float | None = None,
        pure: bool | None = None,
        workers: int | None = None,
        executor: Any = None,
        **kwargs: Any,
    ) -> None:
        # dpi: the user's choice (``--dpi``), set on the figure by animate(); frames are
        # then drawn at it, not at the page's devicePixelRatio.
        self.pipeline = FramePipeline(
            source,
            blit=blit,
            cache_mb=cache_mb,
            on_change=self._sync_count,
            fixed_dpi=dpi is not None,
        )
        self._page_stats: dict[str, float | int] = {}
        count = source.count
        kwargs.setdefault("current", kwargs.get("start", 0))
        super().__init__(count=-1 if count is None else count, known=source.known, **kwargs)
        # Which way frames are made (in order, kernel, workers): supply.py.
        self.supply = FrameSupply(
            self.pipeline,
            pure=pure,
            workers=workers,
            executor=executor,
            start=self.start,
            on_note=self._set_note,
            on_verdict=self._set_purity,
            in_order=self._in_order,
        )

    def __repr__(self) -> str:
        return f"<Player {self.label!r} frames={self.count if self.count >= 0 else '?'}>"

    @property
    def figure(self) -> Figure | None:
        return self.pipeline.figure

    def _set_note(self, text: str) -> None:
        if not self.pipeline.closed and self.note != text:
            self.note = text

    def _set_purity(self, verdict: Purity) -> None:
        if not self.pipeline.closed:
            self.purity = verdict.describe()

    def _sync_count(self) -> None:
        """Show what drawing taught the source: the count of a generator that ran out."""
        if self.pipeline.closed:
            return
        source = self.pipeline.source
        if source.count is not None and self.count != source.count:
            self.count = source.count
        if self.known != source.known:
            self.known = source.known

    # -- what the page calls ------------------------------------------------------------

    def _request(self, format: Any, quality: Any, scale: Any) -> tuple[str, int, float]:
        fmt = check_format(format)
        q = check_quality(self.quality if quality is None else quality)
        s = check_scale(scale)
        self.pipeline.check_open()
        return fmt, q, s

    def _meta(self, frame: EncodedFrame) -> dict[str, Any]:
        return {**frame.meta, "count": self.count, "known": self.known}

    @expose
    def frame(
        self,
        index: int,
        format: str = "png",
        quality: int | None = None,
        scale: float = 1.0,
    ) -> Future[Any]:
        """Frame ``index`` encoded as ``format``: metadata, and the bytes as a buffer.

        ``scale``: the page's devicePixelRatio; the frame is drawn at the figure's dpi
        times it (the metadata's ``scale`` says what it was drawn at). Drawn here, on
        the main thread; encoded on the encoder thread (Pillow releases the GIL), so the
        next request's drawing overlaps this one's encoding.
        """
        fmt, q, s = self._request(format, quality, scale)
        return futures.then(
            self.supply.frame(index, fmt, q, s),
            lambda f: WithBuffers(self._meta(f), [f.data]),
        )

    @expose
    def frames(
        self,
        indices: list[int],
        format: str = "jpeg",
        quality: int | None = None,
        scale: float = 1.0,
    ) -> Future[Any]:
        """Several frames in one reply: ``{"frames": [meta, ...], "error": ...}`` + buffers.

        Why: each round trip through a default Jupyter Server costs ~45 ms whatever it
        carries, so a playing player asks for a few frames at a time. Frames are drawn in
        order; at the first that fails the batch stops, and ``error`` says which and why
        (``{"index", "type", "message", "traceback"}``) while the frames before it arrive.
        """
        fmt, q, s = self._request(format, quality, scale)
        pending: list[Future[EncodedFrame | Exception]] = []
        asked: list[int] = []
        error: dict[str, Any] | None = None
        for index in check_batch(indices):
            try:
                # A frame drawn elsewhere (a worker, a run in order) may fail later.
                pending.append(futures.then(self.supply.frame(index, fmt, q, s), _same, _same))
                asked.append(index)
            except Exception as exc:
                error = _describe_frame_error(index, exc)
                break

        def reply(done: list[EncodedFrame | Exception]) -> WithBuffers:
            frames: list[EncodedFrame] = []
            failed = error
            for index, item in zip(asked, done, strict=False):
                if isinstance(item, Exception):
                    failed = _describe_frame_error(index, item)
                    break
                frames.append(item)
            metas = [self._meta(f) for f in frames]
            return WithBuffers({"frames": metas, "error": failed}, [f.data for f in frames])

        return futures.gather(pending, reply)

    @expose(thread_safe=True)
    def buffered(self) -> list[list[int]]:
        """Ranges ``[first, last]`` of frames the kernel holds encoded (answered at once)."""
        return self.pipeline.cached_ranges()

    @expose(thread_safe=True)
    def stats(self) -> dict[str, Any]:
        """Kernel-side counters (frames rendered, mean render / encode ms, cache use) and
        the page's last report."""
        return {
            **self.pipeline.stats(),
            **self.supply.stats(),
            "page": dict(self._page_stats),
        }

    @expose(thread_safe=True)
    def report(self, stats: dict[str, Any]) -> None:
        """The page's side of :meth:`stats`: frames shown, round trip, fps, window."""
        self._page_stats = page_report(stats)

    # -- display -----------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None or self.pipeline.closed:
            return bundle
        data, metadata = bundle
        # A picture of the first frame for places without a live kernel (nbviewer,
        # GitHub, exported HTML); JupyterLab prefers the widget view.
        try:
            meta, picture = self.picture()
        except Exception:
            return bundle
        data = {**data, "image/png": base64.b64encode(picture).decode("ascii")}
        metadata = {
            **(metadata or {}),
            "image/png": {"width": meta["width"], "height": meta["height"]},
        }
        if self._embedded is not None:
            # embed(): where a player that plays without a kernel goes (nbconvert's HTML,
            # nbviewer); its data and script follow in a second output (embed.py).
            data["text/html"] = self._embedded.place
        return data, metadata

    def picture(self) -> tuple[dict[str, Any], bytes]:
        """The start frame's metadata and its picture for the display (the poster, the
        output's PNG, the embedded player's place): the PNG, or its 256-colour preview
        when that is much smaller and looks the same (frames/encode.py)."""
        meta, png = self.supply.frame_now(self.start, "png", 0)
        if self._preview_of is None or self._preview_of[0] != png:
            # Once per start frame: each display and embed() asks again.
            self._preview_of = (png, preview_png(png))
        preview = self._preview_of[1]
        picture = png if preview is None else preview
        if self.poster != picture:
            with self.hold_sync():  # reaches the page before the display message does
                self.poster = picture
                self.poster_exact = preview is None
        return meta, picture

    #: The start frame's PNG and its preview (None: the PNG itself), as last made.
    _preview_of: tuple[bytes, bytes | None] | None = None

    @property
    def _ipython_display_(self) -> Callable[[], None] | None:
        """With embed(): IPython displays the player as two outputs (embed.py); without,
        None, and IPython uses ``_repr_mimebundle_`` as for any widget."""
        if self._embedded is None:
            return None
        return lambda: display_embedded(self)

    # -- export --------------------------------------------------------------------

    #: ``player.save_html(path, frames="all", *, format, quality, max_mb, progress)``
    save_html = export_html
    #: ``player.save(path, *, fps, dpi, progress)``: GIF, MP4, WebM
    save = save_movie
    #: ``player.embed(frames="all", *, format, quality, max_mb, scale)``: the display
    #: also carries a player that plays without a kernel (embed.py)
    embed = embed_player
    _embedded: Embedded | None = None

    # -- life cycle --------------------------------------------------------------

    def close(self) -> None:
        """Close the player and release its figure, cached frames and workers."""
        self.supply.close()
        source = self.pipeline.close()
        if source is not None:
            ownership.release(source, self)
        super().close()


def _same(value: Any) -> Any:
    return value


def _describe_frame_error(index: int, exc: Exception) -> dict[str, Any]:
    """What the page shows of a frame that failed: its index, type, message, traceback."""
    reported = exc if isinstance(exc, ReportedError) else None
    if reported is not None and reported.frame is not None:
        index = reported.frame
    return {
        # A bad index from the page (NaN, say) cannot travel back as JSON: say null.
        "index": index if _is_json(index) else None,
        "type": reported.kind if reported else type(exc).__name__,
        "message": reported.message if reported else describe(exc),
        "traceback": reported.traceback if reported else [],
    }


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
