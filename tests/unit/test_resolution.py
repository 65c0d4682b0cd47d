"""Frames at the page's devicePixelRatio: drawn at the figure's dpi x scale, each
resolution cached apart, blitting exact at every one, ``--dpi`` an override, the export
sharp by default."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from support.seed import reference_rgba, seed_animation

from ipyanimagic.bridge.dispatcher import dispatch
from ipyanimagic.limits import SCALE_MAX
from ipyanimagic.player.export import ExportError

from .test_player import frame, play


def rgba(player, i, scale, fmt="png"):
    reply = frame(player, i, format=fmt, scale=scale)
    meta, (data,) = reply.result, reply.buffers
    img = np.asarray(Image.open(io.BytesIO(bytes(data))).convert("RGBA"))
    assert img.shape[:2] == (meta["height"], meta["width"])
    return meta, img


@pytest.mark.parametrize("scale", [1, 1.5, 2])
def test_frames_are_drawn_at_the_figure_dpi_times_the_scale(players, scale):
    _, anim = seed_animation(frames=10)  # 4 x 3 inches at 50 dpi: 200 x 150
    p = play(players, anim)
    for i in (0, 3, 4, 5, 9):  # a full draw, then blits
        meta, img = rgba(p, i, scale)
        assert (meta["width"], meta["height"]) == (200 * scale, 150 * scale)
        assert meta["scale"] == scale
        assert (img == reference_rgba(i, dpi=50 * scale)).all(), i
    assert p.stats()["draws"]["blit"] > 0


def test_each_resolution_is_cached_apart_and_switching_stays_exact(players):
    _, anim = seed_animation(frames=10)
    p = play(players, anim)
    for scale in (1, 2, 1, 2, 1.5):
        for i in (2, 3, 4):
            _, img = rgba(p, i, scale)
            assert img.shape[1] == 200 * scale
            assert (img == reference_rgba(i, dpi=50 * scale)).all(), (scale, i)
    stats = p.stats()
    assert stats["frames_rendered"] == 9  # three frames at three resolutions, then hits
    assert stats["cache_hits"] >= 6


def test_batches_take_the_scale_too(players):
    _, anim = seed_animation(frames=10)
    p = play(players, anim)
    reply = p.frames([1, 2], format="jpeg", scale=2).result(timeout=30)
    assert [(m["width"], m["scale"]) for m in reply.result["frames"]] == [(400, 2), (400, 2)]


def test_an_explicit_dpi_is_drawn_whatever_the_scale(players):
    _, anim = seed_animation(frames=10)
    p = play(players, anim, dpi=80)  # 320 x 240
    for scale in (1, 2):
        meta, img = rgba(p, 3, scale)
        assert (meta["width"], meta["height"], meta["scale"]) == (320, 240, 1)
        assert (img == reference_rgba(3, dpi=80)).all()


def test_a_figure_at_a_high_dpi_is_not_drawn_past_the_dpi_limit(players):
    _, anim = seed_animation(frames=3, dpi=400)  # 1600 x 1200; x 4 would be 4000 dpi
    p = play(players, anim)
    meta = frame(p, 1, format="jpeg", scale=SCALE_MAX).result
    assert meta["scale"] == 2.5 and meta["width"] == 4000


def test_the_page_scale_is_checked(players):
    _, anim = seed_animation(frames=5)
    p = play(players, anim)

    def ask(**args):
        return dispatch({"id": 1, "key": p.key, "method": "frame", "args": args}).content

    for scale in (0, -1, 100, "2", True, None, float("nan"), float("inf")):
        content = ask(index=1, scale=scale)
        assert content["ok"] is False, scale
        assert "scale must be a number" in content["error"]["message"]
    ok = ask(index=1, scale=1.100000023841858)  # browser zoom 110%
    assert ok["ok"] is True and ok["result"]["scale"] == 1.1


def test_the_poster_stays_at_the_figure_size(players):
    _, anim = seed_animation(frames=5)
    p = play(players, anim)
    frame(p, 0, format="png", scale=2)  # the page asked at 2 before the display
    _, meta = p._repr_mimebundle_()
    assert meta["image/png"] == {"width": 200, "height": 150}
    assert Image.open(io.BytesIO(p.poster)).size == (200, 150)


def test_the_export_is_drawn_at_scale_2_and_records_it(players, tmp_path):
    _, anim = seed_animation(frames=4)
    p = play(players, anim)
    html = p.save_html(tmp_path / "a.html", progress=False).read_text()
    state = json.loads(re.search(r'id="ipyanimagic-state">(.*?)</script>', html, re.S)[1])
    frames = json.loads(re.search(r'id="ipyanimagic-frames">(.*?)</script>', html, re.S)[1])
    assert state["scale"] == 2

    png = Image.open(io.BytesIO(base64.b64decode(frames["frames"]["2"]["data"])))
    assert png.size == (400, 300)
    expected = reference_rgba(2, dpi=100)
    assert hashlib.sha256(np.asarray(png.convert("RGBA")).tobytes()).hexdigest() == (
        hashlib.sha256(expected.tobytes()).hexdigest()
    )
    one = p.save_html(tmp_path / "b.html", scale=1, progress=False).read_text()
    assert '"scale": 1' in one
    with pytest.raises(ExportError, match="scale must be a number"):
        p.save_html(tmp_path / "c.html", scale=0, progress=False)


def test_a_movie_is_saved_at_the_figure_dpi_after_frames_at_another(players, tmp_path):
    _, anim = seed_animation(frames=3)
    p = play(players, anim)
    frame(p, 1, format="png", scale=2)
    gif = p.save(tmp_path / "a.gif", progress=False)
    assert Image.open(gif).size == (200, 150)
