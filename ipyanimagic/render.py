"""Draw a frame of a figure into an RGBA buffer, straight from Agg (no savefig).

The figure keeps its own canvas when that is Agg-based (inline backend, ipympl);
otherwise an Agg canvas is attached. Artists that a blitting animation marked
``animated`` are drawn too: a full draw must show everything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from .frames import FrameSource

__all__ = ["FrameRenderer", "RenderedFrame"]


@dataclass
class RenderedFrame:
    index: int
    #: (height, width, 4) uint8, a view of the canvas buffer: valid until the next render.
    rgba: np.ndarray
    render_ms: float


class FrameRenderer:
    """Renders frames of one :class:`FrameSource`; call only on the main thread."""

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        figure = source.figure
        if not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)  # attaches itself as figure.canvas
        self.canvas: FigureCanvasAgg = figure.canvas

    def render(self, index: int) -> RenderedFrame:
        t0 = time.perf_counter()
        artists = self.source.draw(index)
        for artist in artists:
            if artist.get_animated():
                artist.set_animated(False)
        self.canvas.draw()
        rgba = np.asarray(self.canvas.buffer_rgba())
        return RenderedFrame(index, rgba, (time.perf_counter() - t0) * 1000)
