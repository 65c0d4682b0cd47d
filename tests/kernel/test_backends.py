"""%animate under the matplotlib backends a JupyterLab user has: the player is the only
thing the cell shows (no second, static or interactive copy of the figure)."""

from __future__ import annotations

import json

import pytest

CELL = """
%matplotlib {backend}
%load_ext ipyanimagic
import json
import numpy as np, matplotlib.pyplot as plt
from matplotlib import animation
import ipyanimagic
fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
(line,) = ax.plot([], [])
ax.set(xlim=(0, 10), ylim=(-1, 1))
x = np.linspace(0, 10, 100)
def step(i):
    line.set_data(x, np.sin(x - i / 5))
    return (line,)
anim = animation.FuncAnimation(fig, step, frames=20)
p = ipyanimagic.animate(anim)
f = p.frame(3)
f = f.result(30) if hasattr(f, "result") else f
print(json.dumps([p.model_id, f.result["width"], type(fig.canvas).__name__]))
display(p)
"""


@pytest.mark.parametrize("backend", ["inline", "widget"])
def test_the_player_is_the_only_view_of_its_figure(kernel, backend):
    kernel.stray.clear()
    res = kernel.run(CELL.format(backend=backend))
    assert res["status"] == "ok", res
    model_id, width, canvas = json.loads(res["stdout"].strip().splitlines()[-1])
    assert width == 150
    if backend == "widget":
        assert canvas == "Canvas"  # ipympl's: the test really ran under it
    shown = [
        m["content"]["data"]
        for m in kernel.stray
        if m["msg_type"] in ("display_data", "execute_result")
    ]
    views = [d.get("application/vnd.jupyter.widget-view+json", {}).get("model_id") for d in shown]
    assert views == [model_id], shown
    assert kernel.run("print(plt.get_fignums())")["stdout"] == "[]\n"
