"""Take a player out of the notebook: a self-contained HTML file, or a GIF / MP4.

The HTML file carries the same controls and engine as the live player, with the frames
embedded and nothing fetched from anywhere (a strict Content-Security-Policy says so).
The size is estimated before any work starts; past ``max_mb`` it is an error that says
how to get a smaller file, instead of frames silently left out.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .encode import MIME
from .frames import FrameOutOfRange
from .progress import Progress
from .templates import render as render_template

if TYPE_CHECKING:
    from .player import Player

__all__ = ["ExportError", "export_html", "save_movie"]


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why and what to change."""


def _frames_to_export(player: Player, which: str) -> list[int]:
    source = player._source
    if source is None:
        raise ExportError("this player was closed")
    if which == "cached":
        return player._cache.indices()
    if which != "all":
        raise ExportError(f"frames must be 'all' or 'cached', not {which!r}")
    count = source.count
    if count is None:
        # A generator: pull it to its end (bounded by save_count) to learn the count.
        i = source.known
        while True:
            try:
                source._data.get(i)
            except FrameOutOfRange:
                break
            i += 1
        count = source.count or 0
        player._sync_count()
    return list(range(count))


def export_html(
    player: Player,
    path: str | Path,
    *,
    frames: str = "all",
    format: str = "png",
    quality: int | None = None,
    max_mb: float = 100,
    progress: bool = True,
) -> Path:
    """Write ``player`` as one offline HTML file; return its path."""
    if format not in MIME:
        raise ExportError(f"format must be png or jpeg, not {format!r}")
    q = player.quality if quality is None else int(quality)
    indices = _frames_to_export(player, frames)
    if not indices:
        raise ExportError("there are no frames to export (frames='cached' before playing?)")
    # Estimate from the first and a middle frame: base64 adds a third.
    sample = sorted({indices[0], indices[len(indices) // 2]})
    sizes = [len(player._frame_now(i, format, q)[1]) for i in sample]
    estimate_mb = max(sizes) * len(indices) * 4 / 3 / 1e6 + 0.1
    if estimate_mb > max_mb:
        raise ExportError(
            f"the file would be about {estimate_mb:.1f} MB ({len(indices)} frames), over "
            f"max_mb={max_mb:g}; raise max_mb, or use format='jpeg', a lower dpi, or "
            "frames='cached'"
        )
    embedded: dict[int, dict[str, str]] = {}
    with Progress(len(indices), f"exporting {Path(path).name}", enabled=progress) as bar:
        for n, i in enumerate(indices):
            meta, data = player._frame_now(i, format, q)
            embedded[i] = {"mime": meta["mime"], "data": base64.b64encode(data).decode("ascii")}
            bar.update(n + 1)
    ranges: list[list[int]] = []
    for i in indices:
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
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
    }
    html = render_template(
        "export.html",
        label=player.label,
        css=player._css,
        module=player._esm,
        state=state,
        frames={"frames": {str(i): f for i, f in embedded.items()}, "ranges": ranges},
    )
    out = Path(path)
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
    """Write every frame to a GIF (Pillow) or MP4/WebM/... (ffmpeg) with matplotlib's writers."""
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
    source = player._source
    if source is None:
        raise ExportError("this player was closed")
    indices = _frames_to_export(player, "all")
    writer: Any = animation.writers[writer_name](fps=fps or player.fps)
    with (
        Progress(len(indices), f"saving {out.name}", enabled=progress) as bar,
        writer.saving(source.figure, str(out), dpi or source.figure.dpi),
    ):
        for n, i in enumerate(indices):
            source.draw(i)
            writer.grab_frame()
            bar.update(n + 1)
    player._renderer.reset()  # the figure was drawn behind the renderer's back
    return out
