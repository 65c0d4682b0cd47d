"""player.embed(): the display also carries a player that plays without a kernel, in two
outputs: the player's own (the widget, the poster, and as ``text/html`` the place of the
kernel-less player) and the carrier after it (the frames, the styles, the script)."""

from __future__ import annotations

import base64
import html as htmllib
import json
import re

import pytest
from IPython.display import display
from IPython.utils.capture import capture_output
from support.seed import seed_animation

import ipyanimagic
from ipyanimagic.player.export import ExportError

from .test_player import frame

VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def player():
    _, anim = seed_animation(frames=12)
    p = ipyanimagic.animate(anim, label="Seed <b>demo</b>")
    yield p
    p.close()


def carried_data(player) -> dict:
    """The data the carrier output brings (the JSON element's content)."""
    found = re.search(r'class="ipyanimagic-data">(.*?)</script>', player._embedded.carrier, re.S)
    assert found, "no data element in the carrier"
    return json.loads(found.group(1))


def test_without_embed_the_display_is_the_widget_and_a_poster(player):
    data, _ = player._repr_mimebundle_()
    assert "text/html" not in data
    assert "image/png" in data and VIEW in data
    assert player._ipython_display_ is None  # IPython displays it as any widget
    assert player.embed_id == ""


def test_embed_names_the_place_of_a_kernel_less_player_in_the_players_output(player):
    player.embed()
    data, _ = player._repr_mimebundle_()
    # The live widget stays first in the bundle's choice; the place is the fallback.
    assert VIEW in data
    place = data["text/html"]
    model_id = data[VIEW]["model_id"]
    assert player.embed_id == model_id  # what the widget's view looks for (player_widget.js)
    assert re.fullmatch(
        rf'<div class="ipyanimagic-embed" data-ipyanimagic-model="{model_id}">\n'
        r'<img class="ipyanimagic-embed-poster" alt="[^"]*" src="data:image/png;base64,[^"]+">\n'
        r"</div>\n?",
        place,
    )
    # The label is escaped text; the poster shows where no script runs.
    assert 'alt="Seed &lt;b&gt;demo&lt;/b&gt;"' in place
    poster = re.search(r'src="data:image/png;base64,([^"]+)"', place).group(1)
    # The same picture as the output's PNG and the widget's poster (the start frame, or
    # its 256-colour preview).
    assert htmllib.unescape(poster) == player._repr_mimebundle_()[0]["image/png"]
    assert base64.b64decode(htmllib.unescape(poster)) == player.poster
    assert "<script" not in place  # no frames, no code: those are in the carrier


def test_the_carrier_brings_every_frame_the_styles_and_the_script(player):
    player.embed()
    carrier = player._embedded.carrier
    content = carried_data(player)
    assert content["model"] == player.model_id
    assert sorted(map(int, content["frames"]["frames"])) == list(range(12))
    assert content["frames"]["ranges"] == [[0, 11]]
    assert content["state"]["count"] == 12 and content["state"]["scale"] == 1
    assert content["state"]["key"] == "offline"  # the live widget's key stays out
    png = base64.b64decode(content["frames"]["frames"]["5"]["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'class="iam-player"' not in carrier  # the controls are data, made by the script
    assert "mountEmbedded(document);" in carrier
    assert carrier.startswith('<div class="ipyanimagic-embed-carrier" hidden>')
    assert not re.search(r"(src|href)=\"https?:", carrier)
    assert "<img" not in carrier  # nothing of it shows


def test_displaying_an_embedded_player_gives_its_output_then_the_carrier(ip, player):
    player.embed()
    with capture_output() as shown:
        display(player)
    own, carrier = shown.outputs
    assert own.data == player._repr_mimebundle_()[0]
    assert own.metadata["image/png"] == player._repr_mimebundle_()[1]["image/png"]
    assert carrier.data == {"text/html": player._embedded.carrier}
    # A closed player displays as a closed widget does, without the carrier.
    player.close()
    with capture_output() as shown:
        display(player)
    assert len(shown.outputs) <= 1


def test_embed_cached_carries_only_the_frames_played_so_far(player):
    for i in (0, 1, 2):
        frame(player, i)
    player.embed(frames="cached")
    assert sorted(map(int, carried_data(player)["frames"]["frames"])) == [0, 1, 2]


def test_an_embed_over_the_limit_is_refused_and_the_display_stays_small(player):
    with pytest.raises(ExportError, match=r"embedded player would be about .* MB .*max_mb"):
        player.embed(max_mb=0.001)
    assert "text/html" not in player._repr_mimebundle_()[0]
    assert player._ipython_display_ is None and player.embed_id == ""


def test_animate_embed_true_embeds_every_frame():
    _, anim = seed_animation(frames=6)
    p = ipyanimagic.animate(anim, embed=True)
    try:
        assert sorted(map(int, carried_data(p)["frames"]["frames"])) == list(range(6))
    finally:
        p.close()


def test_the_magic_embed_option_shows_a_player_carrying_the_embed(ip, monkeypatch):
    shown = []
    monkeypatch.setattr("ipyanimagic.magics.display", shown.append)
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.user_ns["anim"] = seed_animation(frames=4)[1]
    ip.run_line_magic("animate", "anim --embed")
    try:
        [player] = shown
        assert "ipyanimagic-embed" in player._repr_mimebundle_()[0]["text/html"]
        assert player._ipython_display_ is not None
    finally:
        for p in shown:
            p.close()
