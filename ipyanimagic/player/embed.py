"""A player that plays where there is no kernel, carried by its own notebook output.

Opt-in (``player.embed()``, ``animate(..., embed=True)``, ``%animate --embed``): the
player's display bundle then also carries a ``text/html`` fragment with the exported
file's player (same engine, the offline bridge) and the frames in it, so that a saved
notebook played back without a kernel (``jupyter nbconvert --to html``, nbviewer) shows
a player that plays, instead of a picture of the first frame.

Why ``text/html`` and not the saved widget state: nbconvert's HTML exporter renders a
widget output only when the notebook's metadata holds that widget's state, and then
with the widget manager loaded from a CDN (no network, no player); a notebook saved
from JupyterLab or Notebook 7 holds none by default ("Save Widget State Automatically"
is off), and nbconvert then falls back to the next type of the bundle in its order:
``text/html``. A live front end prefers the widget view to ``text/html``, so in a
running notebook the live widget shows, never both.

The same size estimate and limit (``max_mb``) as ``save_html``; frames at ``scale=1``
by default (the figure's own pixels) since they live inside the notebook.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from ..esm import controls_html, embed_module, player_css
from ..templates import render
from .export import Offline, offline_player

if TYPE_CHECKING:
    from .widget import Player

__all__ = ["EMBED_SCALE", "embed_fragment", "embed_player"]

#: Pixels per figure pixel of embedded frames (save_html's default is 2).
EMBED_SCALE = 1.0


def embed_player(
    player: Player,
    frames: str = "all",
    *,
    format: str = "png",
    quality: int | None = None,
    max_mb: float = 100,
    scale: float = EMBED_SCALE,
) -> None:
    """Carry a kernel-less copy of the player in its display from now on.

    ``frames``: "all" (rendered now) or "cached" (those the kernel holds: the frames
    played so far). Options as ``save_html``; over ``max_mb`` it raises
    ``ExportError`` and the display stays as it was. Displays made before this call
    keep what they had: display the player again to carry the copy.
    """
    state, embedded = offline_player(
        player, Offline(frames, format, quality, max_mb, scale, False, "the embedded player")
    )
    start = state["start"]
    poster = embedded["frames"].get(str(start))
    if poster is None or poster["mime"] != "image/png":
        png = player.supply.frame_now(start, "png", 0)[1]
        poster_b64 = base64.b64encode(png).decode("ascii")
    else:
        poster_b64 = poster["data"]
    player._embedded_html = embed_fragment(
        label=player.label, state=state, frames=embedded, poster=poster_b64
    )


def embed_fragment(
    *, label: str, state: dict[str, object], frames: dict[str, object], poster: str
) -> str:
    """The ``text/html`` fragment (player/embed.html): poster, data as JSON, styles, script.

    ``state`` and ``frames`` as ``export_page`` takes them; ``poster``: base64 PNG of
    the start frame, shown until the script runs or where scripts do not run.
    """
    return render(
        "player/embed.html",
        label=label,
        poster=poster,
        data={"state": state, "frames": frames, "controls": controls_html()},
        css=player_css(),
        module=embed_module(),
    )
