"""Frames drawn by blitting are pixel-identical to full draws, and blitting is used."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import animation
from support.seed import seed_animation

from ipyanimagic.frames.render import FrameRenderer
from ipyanimagic.frames.source import frame_source

FRAMES = 24


def seed(blit=False, grid=False, ticks_in=False):
    """The seed animation, its line crossing the spines (amplitude 2.2, ylim 2)."""
    fig, anim = seed_animation(FRAMES, size=(3.2, 2.4), dpi=100, amplitude=2.2, blit=blit)
    (ax,) = fig.axes
    if grid:
        ax.grid(True)
    if ticks_in:
        ax.tick_params(direction="in", length=8)
    return anim


def imshow_with_title():
    fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
    rng = np.random.default_rng(0)
    data = rng.random((64, 64))
    im = ax.imshow(data)

    def step(i):
        im.set_data(np.roll(data, i, axis=0))
        ax.set_title(f"frame {i}")
        return (im,)

    return animation.FuncAnimation(fig, step, frames=FRAMES)


def returns_nothing():
    fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, FRAMES)
    (line,) = ax.plot([], [], "o-")
    note = ax.text(0.1, 0.9, "", transform=ax.transAxes)

    def step(i):
        line.set_data([0, 0.5, 1], [0, i / 2, i])
        note.set_text(f"{i}")

    return animation.FuncAnimation(fig, step, frames=FRAMES)


def rescaling():
    fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
    (line,) = ax.plot([], [])

    def step(i):
        line.set_data([0, 1], [0, i + 1])
        ax.set_ylim(0, i + 1)  # the axes change every frame: no blitting possible
        return (line,)

    return animation.FuncAnimation(fig, step, frames=FRAMES)


def recreating():
    fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)

    def step(i):
        ax.clear()
        ax.plot([0, 1], [i, 0])

    return animation.FuncAnimation(fig, step, frames=FRAMES)


def artists():
    fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
    frames = [[ax.plot([0, 1], [0, k], color="C1")[0]] for k in range(FRAMES)]
    return animation.ArtistAnimation(fig, frames)


def two_axes(width=6.4):
    fig, (a, b) = plt.subplots(1, 2, figsize=(width, 2.4), dpi=100)
    (la,) = a.plot([], [])
    (lb,) = b.plot([], [])
    for ax in (a, b):
        ax.set_xlim(0, 1)
        ax.set_ylim(-1, 1)

    def step(i):
        la.set_data([0, 1], [0, np.sin(i / 3)])
        lb.set_data([0, 1], [np.cos(i / 3), 0])
        return la, lb

    return animation.FuncAnimation(fig, step, frames=FRAMES)


CASES = {
    "seed": (seed, True),
    "seed blit=True": (lambda: seed(blit=True), True),
    "grid over the data": (lambda: seed(grid=True), True),
    "ticks pointing in": (lambda: seed(ticks_in=True), True),
    "imshow and a changing title": (imshow_with_title, True),
    "func returns nothing": (returns_nothing, True),
    "rescaling axes": (rescaling, False),
    "artists recreated each frame": (recreating, False),
    "ArtistAnimation": (artists, True),
    "two axes": (two_axes, True),
    # Cramped: the right axes' tick labels overlap the left axes' spine, so a blitted
    # frame would differ from a full draw; the check notices and keeps full draws.
    "two cramped axes": (lambda: two_axes(width=2.0), False),
}


@pytest.mark.parametrize("name", CASES)
def test_every_frame_matches_a_full_draw(name):
    make, blits = CASES[name]
    fast_anim, ref_anim = make(), make()
    fast = FrameRenderer(frame_source(fast_anim))
    full = FrameRenderer(frame_source(ref_anim), blit=False)
    order = [*range(FRAMES), 5, 0, 17, 3]  # forward, then random access
    for i in order:
        got = fast.render(i).rgba.copy()
        want = full.render(i).rgba
        assert np.array_equal(got, want), f"{name}: frame {i} differs"
    assert full.counts["blit"] == 0
    if blits:
        assert fast.counts["blit"] >= len(order) - 4, fast.counts
    else:
        assert fast.counts["blit"] == 0, fast.counts
    for a in (fast_anim, ref_anim):
        a._draw_was_started = True
    plt.close("all")


def test_a_frame_that_changes_more_than_the_layer_is_drawn_in_full_and_stays_exact():
    fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
    band = ax.axhspan(2, 4, color="0.9", zorder=1)  # below the line: in the background
    (line,) = ax.plot([], [])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 10)

    def step(i):
        line.set_data([0, 1], [0, i])
        if i == 6:
            band.set_color("orange")  # not returned, not in the layer
        return (line,)

    anims = [animation.FuncAnimation(fig, step, frames=10)]
    fast = FrameRenderer(frame_source(anims[0]))
    modes = [fast.render(i).mode for i in range(10)]
    assert modes[6] == "full" and "blit" in modes[3:6] and "blit" in modes[8:]
    ref_fig, ref_ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
    ref_ax.set_xlim(0, 1)
    ref_ax.set_ylim(0, 10)
    ref_ax.axhspan(2, 4, color="orange", zorder=1)
    ref_ax.plot([0, 1], [0, 9])
    ref_fig.canvas.draw()
    assert np.array_equal(fast.render(9).rgba, np.asarray(ref_fig.canvas.buffer_rgba()))
    anims[0]._draw_was_started = True
    plt.close("all")
