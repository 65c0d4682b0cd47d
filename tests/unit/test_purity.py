"""The purity verdict: measured on a copy, for every kind of animation; stated; no copy."""

from __future__ import annotations

import threading

import matplotlib.pyplot as plt
import pytest
from IPython.core.error import UsageError
from matplotlib import animation
from support import zoo

import ipyanimagic
from ipyanimagic.player.options import PlayerOptionError


def make_player(players, make, **kw):
    _, anim = make()
    p = ipyanimagic.animate(anim, **kw)
    players.append(p)
    return p


@pytest.mark.parametrize("name", sorted(zoo.PURE))
def test_pure_animations_are_measured_pure(players, name):
    p = make_player(players, zoo.PURE[name])
    verdict = p.stats()["purity"]
    assert verdict["pure"] is True and verdict["how"] == "measured", verdict
    assert p.stats()["frames_from"] == "kernel"
    assert p.purity.startswith("pure (random access), measured")


@pytest.mark.parametrize("name", sorted(zoo.REMEMBERS))
def test_animations_that_remember_are_measured_so(players, name):
    p = make_player(players, zoo.REMEMBERS[name])
    verdict = p.stats()["purity"]
    assert verdict["pure"] is False and verdict["how"] == "measured", verdict
    assert "differs" in verdict["reason"]
    assert p.stats()["frames_from"] == "in order"
    assert p.purity.startswith("remembers (frames drawn in order), measured")


@pytest.mark.parametrize(
    ("name", "restarts"),
    [("trail", False), ("trail_init", True), ("integrated", False), ("integrated_init", True)],
)
def test_an_init_func_that_resets_the_state_makes_the_start_reproducible(players, name, restarts):
    p = make_player(players, zoo.REMEMBERS[name])
    assert p.stats()["purity"]["restartable"] is restarts
    if not restarts:
        assert "does not restart" in p.note
    else:
        assert p.note == ""


def test_the_check_never_calls_the_users_frame_function(players):
    calls = []
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    ax.set(xlim=(0, 20), ylim=(0, 20))
    (ln,) = ax.plot([], [])

    def step(i):
        calls.append((threading.get_ident(), i))
        ln.set_data(range(len(calls)), range(len(calls)))

    anim = animation.FuncAnimation(fig, step, frames=6)
    p = ipyanimagic.animate(anim)
    players.append(p)
    assert p.stats()["purity"]["pure"] is False  # the copy's calls grew the copy's list
    assert calls == []  # ... and not this one: nothing drawn in the kernel yet


def test_the_user_states_the_verdict(players):
    p = make_player(players, zoo.trail, pure=True)
    assert p.stats()["purity"] == {
        "pure": True, "how": "stated", "reason": "pure=True given", "restartable": True
    }
    assert p.stats()["frames_from"] == "kernel"
    q = make_player(players, zoo.line, pure=False)
    assert q.stats()["purity"]["pure"] is False and q.stats()["frames_from"] == "in order"


def test_an_animation_that_cannot_be_copied_is_drawn_in_order(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    lock = threading.Lock()  # cannot be pickled

    def step(i):
        with lock:
            ax.set_title(str(i))

    p = ipyanimagic.animate(step, fig=fig, frames=4)
    players.append(p)
    verdict = p.stats()["purity"]
    assert verdict["pure"] is False and verdict["how"] == "no copy"
    assert "cannot be pickled: TypeError" in verdict["reason"]
    assert p.stats()["frames_from"] == "in order"
    fig2, ax2 = plt.subplots(figsize=(2, 2), dpi=40)
    q = ipyanimagic.animate(lambda i: (lock, ax2.set_title(str(i))), fig=fig2, frames=4, pure=True)
    players.append(q)
    assert q.stats()["frames_from"] == "kernel"


def test_a_frame_that_fails_on_the_copy_is_judged_by_the_frames_before_it(players):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)

    def draw(i):
        if i == 2:
            raise ValueError("bad frame")
        ax.set_title(str(i))

    p = ipyanimagic.animate(draw, fig=fig, frames=5)
    players.append(p)
    assert p.stats()["purity"]["pure"] is True


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"pure": "yes"}, "pure must be True, False or None"),
        ({"workers": 0}, "workers must be a whole number of at least 1"),
        ({"workers": 1.5}, "workers must be a whole number"),
        ({"workers": 2, "executor": object()}, "not both"),
        ({"pure": False, "workers": 2}, "pure animation only"),
    ],
)
def test_bad_purity_and_worker_options_are_refused(players, kw, message):
    fig, _ = plt.subplots(figsize=(2, 2), dpi=40)
    with pytest.raises(PlayerOptionError, match=message):
        ipyanimagic.animate(lambda i: None, fig=fig, frames=3, **kw)


def test_the_magic_states_the_verdict_and_refuses_contradictions(ip, players):
    from ipyanimagic import registry

    ip.run_line_magic("load_ext", "ipyanimagic")
    _, ip.user_ns["anim"] = zoo.line()
    before = set(registry.keys())
    ip.run_line_magic("animate", "anim --sequential")
    (key,) = set(registry.keys()) - before
    p = registry.get(key)
    players.append(p)
    assert p.stats()["purity"]["how"] == "stated" and p.stats()["purity"]["pure"] is False
    with pytest.raises(UsageError, match="--pure and --sequential contradict"):
        ip.run_line_magic("animate", "anim --pure --sequential")
    with pytest.raises(UsageError, match="workers must be a whole number of at least 1"):
        ip.run_line_magic("animate", "anim --workers 0")
