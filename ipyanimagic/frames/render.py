"""Draw a frame of a figure into an RGBA buffer, straight from Agg (no savefig).

Two ways to make a frame, chosen per frame:

- **full**: ``canvas.draw()``, everything. About 94% of that is ticks and labels.
- **blit**: restore a saved background, then draw only the *layer*: the artists that
  change, plus every artist a full draw would paint over them (spines, texts, lines
  above them in z-order). Pixel-identical to a full draw, and 10-30x cheaper.

Which artists change is read from matplotlib's own ``stale`` flags after the frame
function ran, so this works for ``blit=False`` animations too (the 2013 post's is one).
A frame blits only when every stale artist is in the layer, and the axes limits, the
children of the axes and the figure size are what they were when the background was
saved; otherwise it is drawn in full, and the next frames learn the new layer.

Exactness is checked, not assumed: whenever a background is saved, the blitted image is
compared with a full draw of the same frame, pixel for pixel. If they differ (an
unusual figure, say gridlines over the data), the layer grows to the axis artists; if
they still differ, the renderer stays on full draws for good. ``mode`` on each
:class:`RenderedFrame` says which way it was made.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import BboxBase

from ..mplcompat import axis_artists, hidden_from_draw, set_dpi_quietly
from .source import FrameSource

__all__ = ["FrameRenderer", "RenderedFrame"]

#: Give up blitting after this many backgrounds that did not match a full draw.
MAX_INEXACT = 2

#: Per axes: id, view limits, position, ids of its children.
_AxesSignature = tuple[int, tuple[float, ...], tuple[float, ...], tuple[int, ...]]
#: What a saved background depends on: figure bounds, dpi, and each axes' signature.
_Signature = tuple[tuple[float, ...], float, tuple[_AxesSignature, ...]]


class _AggCanvas(Protocol):
    """The ``FigureCanvasAgg`` methods used here, typed (backend_agg is not annotated)."""

    def draw(self) -> None: ...

    def buffer_rgba(self) -> memoryview: ...

    def get_renderer(self) -> RendererBase: ...

    def copy_from_bbox(self, bbox: BboxBase) -> object: ...  # an opaque Agg BufferRegion

    def restore_region(self, region: object) -> None: ...


@dataclass
class RenderedFrame:
    index: int
    #: (height, width, 4) uint8, a view of the canvas buffer: valid until the next render.
    rgba: np.ndarray
    render_ms: float
    #: "full" or "blit"
    mode: str = "full"


@dataclass
class _BlitState:
    """A saved background and the layer to draw over it."""

    background: object
    layer: list[Artist]
    members: set[int]
    signature: _Signature
    stats: dict[str, int] = field(default_factory=dict)


def _draw_order(ax: Axes) -> list[Artist]:
    """The artists of ``ax`` in the order ``Axes.draw`` paints them (after the patch)."""
    artists = ax.get_children()
    artists.remove(ax.patch)
    if not (ax.axison and ax.get_frame_on()):
        for spine in ax.spines.values():
            artists.remove(spine)
    if not ax.axison:
        for axis in axis_artists(ax):
            artists.remove(axis)
    return sorted(artists, key=attrgetter("zorder"))


class FrameRenderer:
    """Renders frames of one :class:`FrameSource`; call only on the main thread."""

    def __init__(self, source: FrameSource, *, blit: bool = True) -> None:
        self.source = source
        self.figure = figure = source.figure
        canvas = figure.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(figure)  # attaches itself as figure.canvas
        self.canvas: FigureCanvasAgg = canvas
        self.blit_enabled = blit
        self._state: _BlitState | None = None
        self._previous_changed: set[int] | None = None
        self._inexact = 0
        self._with_axis = False
        self.counts = {"full": 0, "blit": 0, "backgrounds": 0, "inexact": 0}
        # A draw by anyone else (a live loop's user calling canvas.draw(), savefig)
        # clears the stale flags this renderer reads: the next frame is drawn in full.
        self._rendering = False
        canvas.mpl_connect("draw_event", self._drawn_elsewhere)

    # -- public ----------------------------------------------------------------------

    def render(self, index: int, dpi: float | None = None) -> RenderedFrame:
        """Draw frame ``index``, at ``dpi`` when given (the figure's dpi is set to it).

        The blit background is for one resolution: a frame at another dpi than the last
        one starts over with a full draw.
        """
        self._rendering = True
        try:
            return self._render(index, dpi)
        finally:
            self._rendering = False

    def _render(self, index: int, dpi: float | None) -> RenderedFrame:
        t0 = time.perf_counter()
        if dpi is not None and dpi != self.figure.dpi:
            set_dpi_quietly(self.figure, dpi)
            self.reset()
        returned = [a for a in self.source.draw(index) if isinstance(a, Artist)]
        for artist in returned:
            # A full draw skips animated artists; ours must show everything.
            if artist.get_animated():
                artist.set_animated(False)
        changed = self._stale_artists()
        state = self._state
        if state is not None and self._fits(state, changed, returned):
            rgba = self._blit(state)
            mode = "blit"
        else:
            rgba = self._full(changed, returned)
            mode = "full"
        self.counts[mode] += 1
        return RenderedFrame(index, rgba, (time.perf_counter() - t0) * 1000, mode)

    def _drawn_elsewhere(self, _event: object) -> None:
        if not self._rendering:
            self.reset()

    def reset(self) -> None:
        """Forget the background (the next frame is drawn in full)."""
        self._state = None
        self._previous_changed = None

    # -- which artists changed ------------------------------------------------------------

    def _stale_artists(self) -> dict[int, Artist]:
        changed: dict[int, Artist] = {}
        figure = self.figure
        for child in figure.get_children():
            if isinstance(child, Axes):
                if child.patch.stale:
                    changed[id(child.patch)] = child.patch
                for artist in child.get_children():
                    if artist.stale:
                        changed[id(artist)] = artist
            elif child.stale:
                changed[id(child)] = child
        return changed

    def _signature(self) -> _Signature:
        figure = self.figure
        axes = tuple(
            (
                id(ax),
                tuple(ax.viewLim.bounds),
                tuple(ax.get_position().bounds),
                tuple(id(c) for c in ax.get_children()),
            )
            for ax in figure.axes
        )
        return (tuple(figure.bbox.bounds), figure.dpi, axes)

    def _fits(self, state: _BlitState, changed: dict[int, Artist], returned: list[Artist]) -> bool:
        if not changed.keys() <= state.members:
            return False
        if any(id(a) not in state.members for a in returned):
            return False
        return self._signature() == state.signature

    # -- drawing ---------------------------------------------------------------------------

    def _blit(self, state: _BlitState) -> np.ndarray:
        canvas: _AggCanvas = self.canvas
        canvas.restore_region(state.background)
        renderer = canvas.get_renderer()
        for artist in state.layer:
            artist.draw(renderer)
        return np.asarray(canvas.buffer_rgba())

    def _full(self, changed: dict[int, Artist], returned: list[Artist]) -> np.ndarray:
        canvas: _AggCanvas = self.canvas
        self._state = None
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        if not self.blit_enabled or self._inexact >= MAX_INEXACT:
            return rgba
        moving = dict(changed)
        for artist in returned:
            moving[id(artist)] = artist
        # Learn the layer when the set of changing artists is small and settled: the
        # same as last frame, or what the frame function said it changed.
        settled = (
            self._previous_changed is not None and changed.keys() == self._previous_changed
        ) or (returned and changed.keys() <= {id(a) for a in returned})
        self._previous_changed = set(changed)
        if not moving or not settled:
            return rgba
        full: np.ndarray = rgba.copy()  # annotated: mypy sees ndarray.copy() as Any
        blitted = self._save_background(moving.values())
        if blitted is not None and np.array_equal(blitted, full):
            return blitted
        # Not exact: next time with the axis artists in the layer; then give up.
        self._state = None
        self._inexact += 1
        self.counts["inexact"] += 1
        self._with_axis = True
        return full

    def _layer(self, moving: Iterable[Artist]) -> list[Artist]:
        members = {id(a) for a in moving}
        layer: list[Artist] = []
        placed: set[int] = set()
        for ax in sorted(self.figure.axes, key=attrgetter("zorder")):
            order = _draw_order(ax)
            first = next((k for k, a in enumerate(order) if id(a) in members), None)
            if first is None:
                continue
            for artist in order[first:]:
                if isinstance(artist, Axis) and id(artist) not in members and not self._with_axis:
                    continue  # ticks and labels lie outside the data area, where the layer is
                layer.append(artist)
                placed.add(id(artist))
        # Changed artists that belong to the figure itself go last, as Figure.draw does.
        for artist in moving:
            if id(artist) not in placed:
                layer.append(artist)
                placed.add(id(artist))
        return layer

    def _save_background(self, moving: Iterable[Artist]) -> np.ndarray | None:
        moving = list(moving)
        layer = self._layer(moving)
        canvas: _AggCanvas = self.canvas
        with hidden_from_draw(layer):
            canvas.draw()
        background = canvas.copy_from_bbox(self.figure.bbox)
        self.counts["backgrounds"] += 1
        state = _BlitState(
            background,
            layer,
            {id(a) for a in layer} | {id(a) for a in moving},
            self._signature(),
        )
        self._state = state
        return self._blit(state)
