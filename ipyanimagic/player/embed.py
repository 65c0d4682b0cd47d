"""A player that plays where there is no kernel, carried by its own notebook outputs.

Opt-in (``player.embed()``, ``animate(..., embed=True)``, ``%animate --embed``): the
player's display then also carries the exported file's player (same engine, the offline
bridge) and its frames, so that a saved notebook shown without a kernel
(``jupyter nbconvert --to html``, nbviewer, Jupyter Book, nbsphinx) shows a player that
plays, instead of a picture of the first frame.

Why two outputs. A viewer without a kernel renders one type of each output. nbconvert's
HTML exporter renders the widget view only when the notebook's metadata holds that
widget's state, and then through ``@jupyter-widgets/html-manager`` loaded from a CDN,
which runs the widget's own code with no kernel behind it (online: a player waiting for
a kernel forever; offline: nothing at all); the output's ``text/html`` is then not in
the page. Without that state it falls back to the next type of the bundle: ``text/html``.
Whether the state is there is decided after the cell ran (``nbconvert --execute`` and
nbclient store it by default, as Jupyter Book and nbsphinx builds do; JupyterLab and
Notebook 7 do not, "Save Widget State Automatically" being off), so the display works
either way:

- the player's own output (``Player._repr_mimebundle_``): the widget view, the poster
  PNG, and as ``text/html`` only the *place* of the kernel-less player, which names
  the widget's model and shows the poster until a script mounts a player there;
- right after it, the *carrier* (``text/html``, rendered by every viewer): the frames
  as JSON, the styles and the script (embed_page.js), which mounts a player in every
  place of its model, or where the viewer rendered the widget view instead, next to
  that view's ``<script type="application/vnd.jupyter.widget-view+json">``. Its own
  output row is hidden. The data is in the notebook once.

In a live front end (JupyterLab, Notebook 7, Voila) the first output is the live widget
and the carrier finds neither a place nor a view script: nothing else shows. Where the
html-manager renders the widget view from saved state, the view makes way for the
kernel-less copy (``Player.embed_id``, player_widget.js).

The same size estimate and limit (``max_mb``) as ``save_html``; frames at ``scale=1``
by default (the figure's own pixels) since they live inside the notebook.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..esm import controls_html, embed_module, player_css
from ..templates import render
from .export import Offline, offline_player

if TYPE_CHECKING:
    from .widget import Player

__all__ = [
    "EMBED_SCALE",
    "Embedded",
    "display_embedded",
    "embed_carrier",
    "embed_place",
    "embed_player",
]

#: Pixels per figure pixel of embedded frames (save_html's default is 2).
EMBED_SCALE = 1.0


@dataclass(frozen=True)
class Embedded:
    """The two ``text/html`` parts of an embedded player's display (player/embed.html)."""

    #: the player's own output: where the kernel-less player goes, the poster until then
    place: str
    #: the output after it: the data, the styles and the script
    carrier: str


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
    poster_b64 = base64.b64encode(player.picture()[1]).decode("ascii")
    model_id = player.model_id
    player._embedded = Embedded(
        place=embed_place(model_id=model_id, label=player.label, poster=poster_b64),
        carrier=embed_carrier(model_id=model_id, state=state, frames=embedded),
    )
    player.embed_id = model_id


def embed_place(*, model_id: str, label: str, poster: str) -> str:
    """The player's own ``text/html``: where the kernel-less player of ``model_id`` goes,
    and until then (or where no script runs) ``poster``, a base64 PNG of the start frame."""
    return render("player/embed.html", part="place", model_id=model_id, label=label, poster=poster)


def embed_carrier(*, model_id: str, state: dict[str, object], frames: dict[str, object]) -> str:
    """The ``text/html`` of the output after the player's: data as JSON, styles, script.

    ``state`` and ``frames`` as ``export_page`` takes them; ``model_id``: the widget's,
    which its place and its widget view name.
    """
    return render(
        "player/embed.html",
        part="carrier",
        data={"model": model_id, "state": state, "frames": frames, "controls": controls_html()},
        css=player_css(),
        module=embed_module(),
    )


def display_embedded(player: Player) -> None:
    """Display an embedded player: its own output, then the carrier (``_ipython_display_``).

    IPython passes no ``display()`` options to ``_ipython_display_``: a ``display_id``
    or ``include`` given with the player is not applied.
    """
    from IPython.display import publish_display_data

    bundle = player._repr_mimebundle_()
    if bundle is None:
        return
    data, metadata = bundle
    publish_display_data(data, metadata)
    if player._embedded is not None and not player.pipeline.closed:
        publish_display_data({"text/html": player._embedded.carrier})
