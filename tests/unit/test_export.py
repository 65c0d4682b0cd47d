"""Export: offline HTML (estimated before work), GIF / MP4 through matplotlib's writers."""

from __future__ import annotations

import base64
import json
import re

import pytest
from matplotlib import animation
from PIL import Image
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


def embedded(path):
    html = path.read_text()
    data = re.search(r'id="ipyanimagic-frames">(.*?)</script>', html, re.S).group(1)
    return html, json.loads(data)


def test_the_html_file_embeds_every_frame_and_fetches_nothing(player, tmp_path):
    html, data = embedded(player.save_html(tmp_path / "a.html", progress=False))
    assert sorted(map(int, data["frames"])) == list(range(12))
    assert data["ranges"] == [[0, 11]]
    png = base64.b64decode(data["frames"]["3"]["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "default-src 'none'" in html
    assert not re.search(r"(src|href)=\"https?:", html)
    assert "<title>Seed &lt;b&gt;demo&lt;/b&gt;</title>" in html


def test_cached_exports_only_what_the_kernel_holds(player, tmp_path):
    for i in (2, 3, 7):
        frame(player, i)
    _, data = embedded(player.save_html(tmp_path / "c.html", frames="cached", progress=False))
    assert sorted(map(int, data["frames"])) == [2, 3, 7]
    assert data["ranges"] == [[2, 3], [7, 7]]


def test_a_file_over_the_limit_is_refused_before_any_work(player, tmp_path):
    with pytest.raises(ExportError, match=r"about .* MB .*12 frames.*max_mb"):
        player.save_html(tmp_path / "big.html", max_mb=0.001, progress=False)
    assert not (tmp_path / "big.html").exists()
    assert player.stats()["frames_rendered"] <= 2  # the estimate, nothing more


def test_jpeg_export_is_smaller(player, tmp_path):
    png = player.save_html(tmp_path / "p.html", progress=False).stat().st_size
    jpeg = player.save_html(tmp_path / "j.html", format="jpeg", progress=False).stat().st_size
    assert jpeg < png


def test_export_shows_progress_in_a_terminal(player, tmp_path, capsys):
    player.save_html(tmp_path / "a.html")
    err = capsys.readouterr().err
    assert "exporting a.html" in err and "12/12" in err and "100%" in err


def test_save_writes_a_gif_of_every_frame(player, tmp_path):
    out = player.save(tmp_path / "a.gif", progress=False)
    with Image.open(out) as gif:
        assert gif.n_frames == 12


def test_save_as_mp4_needs_ffmpeg_and_says_so(player, tmp_path):
    if animation.writers.is_available("ffmpeg"):
        assert player.save(tmp_path / "a.mp4", progress=False).stat().st_size > 0
    else:
        with pytest.raises(ExportError, match="ffmpeg"):
            player.save(tmp_path / "a.mp4", progress=False)


def test_an_unknown_movie_format_is_refused(player, tmp_path):
    with pytest.raises(ExportError, match=r"\.gif"):
        player.save(tmp_path / "a.xyz", progress=False)


def test_the_magic_exports_with_the_player(ip, monkeypatch, tmp_path, capsys):
    shown = []
    monkeypatch.setattr("ipyanimagic.magics.display", shown.append)
    ip.run_line_magic("load_ext", "ipyanimagic")
    _, ip.user_ns["anim"] = seed_animation(frames=5)
    target = tmp_path / "out.html"
    ip.run_line_magic("animate", f"anim --export {target}")
    (p,) = shown
    try:
        assert target.exists() and f"wrote {target}" in capsys.readouterr().out
    finally:
        p.close()
