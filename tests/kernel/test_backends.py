"""%animate under the matplotlib backends a JupyterLab user has: the player is the only
thing the cell shows (no second, static or interactive copy of the figure)."""

from __future__ import annotations

import json

import pytest
from support.seed import SEED_CELL

CELL = """
%load_ext ipyanimagic
import json
import ipyanimagic
fig, anim = seed_animation(20, size=(3, 2))
p = ipyanimagic.animate(anim)
f = p.frame(3)
f = f.result(30) if hasattr(f, "result") else f
print(json.dumps([p.model_id, f.result["width"], type(fig.canvas).__name__]))
display(p)
"""


@pytest.mark.parametrize("backend", ["inline", "widget"])
def test_the_player_is_the_only_view_of_its_figure(kernel, backend):
    res = kernel.run_ok(f"%matplotlib {backend}\n{SEED_CELL}\n{CELL}")
    model_id, width, canvas = json.loads(res.stdout.strip().splitlines()[-1])
    assert width == 150
    if backend == "widget":
        assert canvas == "Canvas"  # ipympl's: the test really ran under it
    views = [d["data"].get("application/vnd.jupyter.widget-view+json", {}) for d in res.displays]
    assert [v.get("model_id") for v in views] == [model_id], res.displays
    assert kernel.run("print(plt.get_fignums())").stdout == "[]\n"
