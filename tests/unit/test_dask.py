"""A real Dask cluster draws a pure animation's frames: ``animate(anim, executor=client)``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from support import zoo

import ipyanimagic

distributed = pytest.importorskip("distributed", reason="the 'parallel' extra is in 'test'")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("name", ["imshow", "line_blit", "artists"])
def test_a_local_cluster_draws_the_frames_save_writes(client, name):
    saved = zoo.saved_frames(zoo.PURE[name])
    _, anim = zoo.PURE[name]()
    p = ipyanimagic.animate(anim, executor=client)
    try:
        stats = p.stats()
        assert stats["frames_from"] == "workers", stats["workers_fallback"]
        assert stats["parallel"]["workers"] == "Dask (2 workers)"
        frames = [p.supply.frame(i, "png", 0).result(timeout=120) for i in range(len(saved))]
        for i, frame in enumerate(frames):
            assert np.array_equal(zoo.decoded(frame), saved[i]), f"{name}: frame {i}"
        workers = {f.meta["worker"] for f in frames if "worker" in f.meta}
        cluster_pids = set(client.run(lambda: __import__("os").getpid()).values())
        assert workers and workers <= cluster_pids
    finally:
        p.close()
        plt.close("all")
    # The copy scattered to the workers is released with the player.
    assert p.supply.pool is None


def test_a_local_cluster_checks_purity_and_leaves_a_remembering_animation_in_order(client):
    _, anim = zoo.random_walk()
    p = ipyanimagic.animate(anim, executor=client)
    try:
        assert p.stats()["purity"]["pure"] is False
        assert p.stats()["frames_from"] == "in order"
        assert "remembers" in p.note
    finally:
        p.close()
        plt.close("all")
