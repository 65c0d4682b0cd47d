"""Export of animations that remember (in order, kept frames) and of pure ones by workers.

The reference is ``Animation.save`` on an independent making of the same animation:
the frames a frame-grabbing writer receives, or the GIF / MP4 its own writers write.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import animation
from PIL import Image, ImageSequence
from support import zoo

import ipyanimagic


def html_frames(path) -> dict[int, np.ndarray]:
    text = path.read_text()
    data = json.loads(re.search(r'id="ipyanimagic-frames">(.*?)</script>', text, re.S).group(1))
    return {
        int(i): np.asarray(Image.open(io.BytesIO(base64.b64decode(f["data"]))).convert("RGBA"))
        for i, f in data["frames"].items()
    }


def gif_frames(path) -> list[np.ndarray]:
    with Image.open(path) as gif:
        return [np.asarray(f.convert("RGBA")) for f in ImageSequence.Iterator(gif)]


@pytest.mark.parametrize("name", ["trail", "integrated_init", "random_walk", "generator_state"])
def test_html_export_of_an_animation_that_remembers_has_the_frames_save_writes(
    players, tmp_path, name
):
    saved = zoo.saved_frames(zoo.REMEMBERS[name])
    _, anim = zoo.REMEMBERS[name]()
    p = ipyanimagic.animate(anim)
    players.append(p)
    p.supply.frame(7, "png", 0).result(timeout=30)  # the player ran part of the way first
    frames = html_frames(p.save_html(tmp_path / "a.html", progress=False, scale=1))
    assert sorted(frames) == list(range(len(saved)))
    for i, rgba in frames.items():
        assert np.array_equal(rgba, saved[i]), f"{name}: frame {i}"


def test_a_gif_of_an_animation_that_remembers_is_the_gif_save_writes(players, tmp_path):
    fig, anim = zoo.trail()
    anim.save(tmp_path / "theirs.gif", writer=animation.PillowWriter(fps=5))
    plt.close(fig)
    _, anim = zoo.trail()
    p = ipyanimagic.animate(anim, fps=5)
    players.append(p)
    p.supply.frame(4, "png", 0).result(timeout=30)
    ours = gif_frames(p.save(tmp_path / "ours.gif", progress=False))
    theirs = gif_frames(tmp_path / "theirs.gif")
    assert len(ours) == len(theirs) == zoo.FRAMES
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_export_with_workers_has_the_kernels_frames_and_uses_the_workers(players, tmp_path):
    saved = zoo.saved_frames(zoo.imshow)
    _, anim = zoo.imshow()
    p = ipyanimagic.animate(anim, workers=2)
    players.append(p)
    assert p.stats()["frames_from"] == "workers"
    frames = html_frames(p.save_html(tmp_path / "a.html", progress=False, scale=1))
    assert all(np.array_equal(frames[i], saved[i]) for i in range(len(saved)))
    assert p.stats()["parallel"]["drawn_by_workers"] >= len(saved) - 2
    gif = gif_frames(p.save(tmp_path / "a.gif", progress=False))
    assert len(gif) == len(saved)


def test_mp4_export_with_ffmpeg_has_every_frame(players, tmp_path):
    assert animation.writers.is_available("ffmpeg"), "scripts/setup installs Debian's ffmpeg"

    def probe(path):
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
             "-show_entries", "stream=nb_read_frames,width,height", "-of", "json", str(path)],
            capture_output=True, text=True, check=True, timeout=60,
        )
        stream = json.loads(out.stdout)["streams"][0]
        return int(stream["nb_read_frames"]), stream["width"], stream["height"]

    fig, anim = zoo.line()
    anim.save(tmp_path / "theirs.mp4", writer=animation.FFMpegWriter(fps=5))
    plt.close(fig)
    theirs = probe(tmp_path / "theirs.mp4")
    assert theirs[0] == zoo.FRAMES
    for name, kw in [("trail", {}), ("line", {"workers": 2})]:
        _, anim = {**zoo.PURE, **zoo.REMEMBERS}[name]()
        p = ipyanimagic.animate(anim, **kw)
        players.append(p)
        assert probe(p.save(tmp_path / f"{name}.mp4", progress=False)) == theirs, name
