"""Every private matplotlib attribute the package reads still means what it meant.

Run against the newest matplotlib (the main environment) and the oldest the package
supports (``scripts/test``'s second environment): when a matplotlib release renames one
of them, this file says which.
"""

from __future__ import annotations

import gc
import itertools
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import animation

from ipyanimagic import mplcompat


@pytest.fixture
def fig():
    figure, ax = plt.subplots(figsize=(3, 2), dpi=50)
    (line,) = ax.plot([], [])
    ax.set_xlim(0, 10)
    ax.set_ylim(-1, 1)
    figure.line = line
    yield figure
    plt.close(figure)


def _func(i, *extra):
    return []


def _init():
    return []


@pytest.mark.parametrize(
    ("frames", "sized", "count"),
    [
        (7, True, 7),
        ([3, 1, 4], True, 3),
        (np.arange(5), True, 5),
        (range(4), True, 4),
        (lambda: (i for i in range(6)), False, None),
        (None, False, None),
    ],
    ids=["int", "list", "array", "range", "generator-function", "none"],
)
@pytest.mark.parametrize("repeat", [True, False])
def test_func_animation_parts_describe_the_animation(fig, frames, sized, count, repeat):
    kwargs = {"save_count": 9} if not sized else {}
    anim = animation.FuncAnimation(
        fig,
        _func,
        frames=frames,
        init_func=_init,
        fargs=(1, 2),
        interval=40,
        repeat=repeat,
        blit=False,
        cache_frame_data=False,
        **kwargs,
    )
    parts = mplcompat.func_animation_parts(anim)
    assert parts.figure is fig
    assert parts.func is _func and parts.init_func is _init and parts.fargs == (1, 2)
    assert parts.interval == 40 and parts.repeat is repeat and parts.blit is False
    assert parts.sized is sized
    if count is not None:
        assert parts.save_count == count
        assert len(list(itertools.islice(parts.make_iter(), 100))) == count
    else:
        assert parts.save_count == 9
        assert next(parts.make_iter()) == 0
    # A fresh iterator each time: the player may start over.
    assert next(parts.make_iter()) == next(parts.make_iter())
    mplcompat.detach_from_timer(anim)


def test_an_unbounded_counter_is_not_sized(fig):
    anim = animation.FuncAnimation(
        fig, _func, frames=itertools.count, save_count=5, cache_frame_data=False
    )
    assert mplcompat.func_animation_parts(anim).sized is False
    mplcompat.detach_from_timer(anim)


def test_artist_animation_parts_list_the_artists_of_each_frame(fig):
    ax = fig.axes[0]
    frames = [[ax.plot([0, i], [0, 1])[0]] for i in range(3)]
    anim = animation.ArtistAnimation(fig, frames, interval=25, repeat=False, blit=True)
    parts = mplcompat.artist_animation_parts(anim)
    assert parts.figure is fig
    assert parts.frames == [list(f) for f in frames]
    assert parts.interval == 25 and parts.repeat is False and parts.blit is True
    mplcompat.detach_from_timer(anim)


def test_a_detached_animation_neither_starts_its_timer_nor_warns(fig):
    anim = animation.FuncAnimation(fig, _func, frames=3, cache_frame_data=False)
    started = []
    anim.event_source.start = lambda *a: started.append(a)  # what the first draw calls
    mplcompat.detach_from_timer(anim)
    fig.canvas.draw()
    assert started == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Animation was deleted without rendering"
        del anim
        gc.collect()


def test_an_animation_whose_figure_was_closed_is_stopped():
    figure = plt.figure()
    anim = animation.FuncAnimation(figure, _func, frames=3, cache_frame_data=False)
    mplcompat.detach_from_timer(anim)
    assert not mplcompat.is_stopped(anim)
    anim._stop()  # what closing the figure's window does
    assert mplcompat.is_stopped(anim)
    plt.close(figure)


def test_suptitle_text(fig):
    assert mplcompat.suptitle_text(fig) == ""
    fig.suptitle("Waves")
    assert mplcompat.suptitle_text(fig) == "Waves"


def test_axis_artists_are_the_axes_axis_objects(fig):
    ax = fig.axes[0]
    assert mplcompat.axis_artists(ax) == [ax.xaxis, ax.yaxis]
    ax3 = fig.add_subplot(projection="3d")
    assert mplcompat.axis_artists(ax3) == [ax3.xaxis, ax3.yaxis, ax3.zaxis]


def test_hidden_from_draw_leaves_artists_out_of_a_full_draw_and_restores_them(fig):
    line = fig.line
    line.set_data([0, 10], [-1, 1])
    line.set_linewidth(8)
    fig.canvas.draw()
    shown = np.asarray(fig.canvas.buffer_rgba()).copy()
    with mplcompat.hidden_from_draw([line]):
        fig.canvas.draw()
        hidden = np.asarray(fig.canvas.buffer_rgba()).copy()
    assert line.get_animated() is False
    fig.canvas.draw()
    assert not np.array_equal(shown, hidden)
    assert np.array_equal(shown, np.asarray(fig.canvas.buffer_rgba()))


def test_the_matplotlib_under_test_is_one_the_package_supports():
    major, minor = (int(p) for p in matplotlib.__version__.split(".")[:2])
    assert (major, minor) >= (3, 7)
