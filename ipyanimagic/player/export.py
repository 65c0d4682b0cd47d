"""Take a player out of the notebook: a self-contained HTML file, or a GIF / MP4.

The HTML file carries the same controls and engine as the live player, with the frames
embedded and nothing fetched from anywhere (a strict Content-Security-Policy says so).
The size is estimated before any work starts; past ``max_mb`` it is an error that says
how to get a smaller file, instead of frames silently left out.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from ..esm import export_page
from ..frames.cache import index_ranges
from ..frames.source import FrameOutOfRange
from ..limits import EXPORT_SCALE_DEFAULT
from .options import check_format, check_quality, check_scale
from .progress import progress_bar

if TYPE_CHECKING:
    from .widget import Player

__all__ = ["ExportError", "Offline", "export_html", "offline_player", "save_movie"]


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why and what to change."""


def _frames_to_export(player: Player, which: str, scale: float) -> list[int]:
    """The frames to write, the verdict settled first (``scale``: the export's, at which
    an animation that remembers draws the frames it had not drawn yet)."""
    pipeline = player.pipeline
    if pipeline.closed:
        raise ExportError("this player was closed")
    if which == "cached":
        return pipeline.cached_indices()
    if which != "all":
        raise ExportError(f"frames must be 'all' or 'cached', not {which!r}")
    supply = player.supply
    supply.settle()
    if not supply.verdict.pure:
        # The count of a generator, learnt by drawing in order to its end (the frames are
        # written from those): pulled ahead of drawing, a generator that shares state with
        # the frame function would move it under every frame, as save never does.
        source, i = pipeline.source, pipeline.source.known
        while source.count is None:
            try:
                supply.frame_now(i, "png", 0, scale)
            except FrameOutOfRange:
                break
            i += 1
    # A generator is pulled to its end (bounded by save_count) to learn the count.
    return list(range(pipeline.exhaust()))


@dataclass(frozen=True)
class Offline:
    """What a kernel-less copy of a player is asked to carry: ``save_html``'s and
    ``embed``'s options, checked by :func:`offline_player`; ``what`` names the result
    in its errors and its progress bar."""

    frames: str
    format: str
    quality: int | None
    max_mb: float
    scale: float
    progress: bool
    what: str


def offline_player(player: Player, ask: Offline) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a player needs to play without a kernel: ``(state, frames)`` for
    ``export_page`` (a file) or ``embed.py`` (a notebook output).

    Options as :func:`export_html`. The size is estimated first; over ``max_mb`` it
    raises :class:`ExportError` instead of leaving frames out.
    """
    what, max_mb = ask.what, ask.max_mb
    format = check_format(ask.format, ExportError)
    q = check_quality(player.quality if ask.quality is None else ask.quality, ExportError)
    scale = check_scale(ask.scale, ExportError)
    pipeline = player.pipeline
    indices = _frames_to_export(player, ask.frames, scale)
    # Frames come the way the player makes them (supply.py): an animation that
    # remembers in order (kept frames read back), a pure one from its workers if any.
    supply = player.supply
    if not indices:
        raise ExportError("there are no frames to export (frames='cached' before playing?)")
    # Estimate from the first and a middle frame: base64 adds a third.
    sample = sorted({indices[0], indices[len(indices) // 2]})
    sizes = [len(supply.frame_now(i, format, q, scale)[1]) for i in sample]
    estimate_mb = max(sizes) * len(indices) * 4 / 3 / 1e6 + 0.1
    if estimate_mb > max_mb:
        raise ExportError(
            f"{what} would be about {estimate_mb:.1f} MB ({len(indices)} frames), over "
            f"max_mb={max_mb:g}; raise max_mb, or use format='jpeg', scale=1, a lower dpi, "
            "or frames='cached'"
        )
    embedded: dict[int, dict[str, str]] = {}
    drawn_at = pipeline.scale_for(scale)
    made = supply.frames_in_order(indices, format, q, scale)
    for i in progress_bar(indices, f"exporting {what}", enabled=ask.progress):
        meta, data = next(made)
        # (Kept frames of an in-order run have the resolution they were drawn at.)
        drawn_at = float(meta.get("scale", drawn_at))
        embedded[i] = {"mime": meta["mime"], "data": base64.b64encode(data).decode("ascii")}
    count = player.count if player.count >= 0 else len(indices)
    state = {
        "key": "offline",
        "label": player.label,
        "count": count,
        "known": count,
        "fps": player.fps,
        "loop": player.loop,
        "autoplay": False,
        "realtime": player.realtime,
        "start": indices[0] if player.start not in embedded else player.start,
        "format": format,
        "quality": q,
        # The resolution the frames were drawn at: the player shows them at the
        # figure's size, whatever the screen's devicePixelRatio.
        "scale": drawn_at,
    }
    return state, {
        "frames": {str(i): f for i, f in embedded.items()},
        "ranges": index_ranges(indices),
    }


def export_html(
    player: Player,
    path: str | Path,
    frames: str = "all",
    *,
    format: str = "png",
    quality: int | None = None,
    max_mb: float = 100,
    progress: bool = True,
    scale: float = EXPORT_SCALE_DEFAULT,
) -> Path:
    """Write a self-contained HTML file that plays offline, with the same controls.

    ``frames``: "all" (rendered now, with a progress bar) or "cached" (the frames the
    kernel already holds, at whatever resolution; they are drawn again at ``scale``).
    ``scale``: the resolution, in pixels per pixel of the figure (default 2: sharp on a
    laptop's screen; the player keeps the figure's size on the page, and the file
    records the scale). The size is estimated first; over ``max_mb`` it raises
    :class:`ExportError` instead of leaving frames out. Returns the file's path.
    """
    out = Path(path)
    state, embedded = offline_player(
        player, Offline(frames, format, quality, max_mb, scale, progress, out.name)
    )
    html = export_page(label=player.label, state=state, frames=embedded)
    out.write_text(html, encoding="utf-8")
    return out


def save_movie(
    player: Player,
    path: str | Path,
    *,
    fps: float | None = None,
    dpi: float | None = None,
    progress: bool = True,
) -> Path:
    """Write a GIF (Pillow) or MP4 / WebM (ffmpeg) of every frame, with matplotlib's
    writers; returns the file's path."""
    from matplotlib import animation

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".gif":
        writer_name = "pillow"
    elif suffix in (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"):
        writer_name = "ffmpeg"
    else:
        raise ExportError(f"cannot tell the format of {out.name!r}: use .gif, .mp4 or .webm")
    if not animation.writers.is_available(writer_name):
        raise ExportError(
            f"saving {suffix} needs {writer_name}, which is not installed here"
            + (" (Debian: apt-get install ffmpeg)" if writer_name == "ffmpeg" else "")
            + "; .gif works with Pillow"
        )
    pipeline = player.pipeline
    scale = (dpi / pipeline.base_dpi) if dpi else 1.0
    indices = _frames_to_export(player, "all", scale)
    figure = pipeline.source.figure
    # matplotlib's stubs say fps: int; its writers take any positive number (ffmpeg's -r,
    # Pillow's frame duration), and the player's fps is a float.
    writer = animation.writers[writer_name](fps=fps or player.fps)  # type: ignore[arg-type]
    supply = player.supply
    if supply.mode != "kernel":
        # In order (kept frames) or from the workers: the writer gets their pixels.
        made = supply.frames_in_order(indices, "png", 0, scale)
        pixels = (_rgba(next(made).data) for _ in indices)
        write_pixels(writer, out, progress_bar(pixels, f"saving {out.name}", enabled=progress))
        return out
    # The figure's own dpi: the player may have left it at a page's devicePixelRatio.
    with writer.saving(figure, str(out), dpi or pipeline.base_dpi):
        for i in progress_bar(indices, f"saving {out.name}", enabled=progress):
            pipeline.draw_only(i)
            writer.grab_frame()
    return out


def _rgba(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))


def write_pixels(writer: Any, out: Path, frames: Iterator[np.ndarray]) -> None:
    """Give a matplotlib movie writer frames that are already pixels: a figure of
    exactly their size shows each one with ``figimage`` (pixel for pixel, checked by
    the tests), and the writer grabs that figure."""
    from matplotlib.figure import Figure

    first = next(frames, None)
    if first is None:
        return
    height, width = first.shape[:2]
    dpi = 64.0  # a power of two: width / dpi * dpi is exactly width again
    holder = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    image = holder.figimage(first, 0, 0, origin="upper", resize=False)
    with writer.saving(holder, str(out), dpi):
        writer.grab_frame()
        for rgba in frames:
            image.set_data(rgba)
            writer.grab_frame()
