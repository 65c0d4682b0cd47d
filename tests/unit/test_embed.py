"""player.embed(): the display also carries a player that plays without a kernel."""

from __future__ import annotations

import base64
import html as htmllib
import json
import re

import pytest
from support.seed import seed_animation

import ipyanimagic
from ipyanimagic.player.export import ExportError

from .test_player import frame


@pytest.fixture
def player():
    _, anim = seed_animation(frames=12)
    p = ipyanimagic.animate(anim, label="Seed <b>demo</b>")
    yield p
    p.close()


def embedded_data(bundle_html: str) -> dict:
    found = re.search(r'class="ipyanimagic-data">(.*?)</script>', bundle_html, re.S)
    assert found, "no data element in the fragment"
    return json.loads(found.group(1))


def test_without_embed_the_display_is_the_widget_and_a_poster(player):
    data, _ = player._repr_mimebundle_()
    assert "text/html" not in data
    assert "image/png" in data and "application/vnd.jupyter.widget-view+json" in data


def test_embed_adds_a_self_contained_player_with_every_frame_to_the_display(player):
    player.embed()
    data, _ = player._repr_mimebundle_()
    # The live widget stays first in the bundle's choice; the fragment is the fallback.
    assert "application/vnd.jupyter.widget-view+json" in data
    fragment = data["text/html"]
    content = embedded_data(fragment)
    assert sorted(map(int, content["frames"]["frames"])) == list(range(12))
    assert content["frames"]["ranges"] == [[0, 11]]
    assert content["state"]["count"] == 12 and content["state"]["scale"] == 1
    png = base64.b64decode(content["frames"]["frames"]["5"]["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'class="iam-player"' not in fragment  # the controls are data, made by the script
    assert "mountEmbedded(document);" in fragment
    assert not re.search(r"(src|href)=\"https?:", fragment)
    # The label is escaped text; the poster shows where no script runs.
    assert 'alt="Seed &lt;b&gt;demo&lt;/b&gt;"' in fragment
    poster = re.search(r'src="data:image/png;base64,([^"]+)"', fragment).group(1)
    assert htmllib.unescape(poster) == content["frames"]["frames"]["0"]["data"]


def test_embed_cached_carries_only_the_frames_played_so_far(player):
    for i in (0, 1, 2):
        frame(player, i)
    player.embed(frames="cached")
    content = embedded_data(player._repr_mimebundle_()[0]["text/html"])
    assert sorted(map(int, content["frames"]["frames"])) == [0, 1, 2]


def test_an_embed_over_the_limit_is_refused_and_the_display_stays_small(player):
    with pytest.raises(ExportError, match=r"embedded player would be about .* MB .*max_mb"):
        player.embed(max_mb=0.001)
    assert "text/html" not in player._repr_mimebundle_()[0]


def test_animate_embed_true_embeds_every_frame():
    _, anim = seed_animation(frames=6)
    p = ipyanimagic.animate(anim, embed=True)
    try:
        content = embedded_data(p._repr_mimebundle_()[0]["text/html"])
        assert sorted(map(int, content["frames"]["frames"])) == list(range(6))
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
    finally:
        for p in shown:
            p.close()
