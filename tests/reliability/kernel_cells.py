"""Cells of the kernel life-cycle and fuzz tests, run the way JupyterLab runs them: with
the cell id in the request's metadata (ipyanimagic tracks re-runs of a cell by it)."""

from __future__ import annotations

import json
from typing import Any

from support.kernel import Execution, KernelDriver
from support.seed import SEED_CELL

# The seed animation, small: ``make(frames=20)`` (and everything of ``SEED_CELL``).
MAKE = (
    SEED_CELL
    + """

def make(frames=20):
    return seed(frames=frames, size=(2, 1.5), interval=40)
"""
)

# Defined in the kernel by ``setup``: ``make`` and a census of everything the life cycle
# could leak.
CENSUS = (
    MAKE
    + r"""
%matplotlib inline
import gc, json, psutil, tracemalloc, numpy as np, matplotlib.pyplot as plt
from matplotlib import animation
from matplotlib.figure import Figure
import ipyanimagic, ipywidgets.widgets.widget as _widget_module
from ipyanimagic import registry
from comm import get_comm_manager


def census():
    gc.collect()
    objects = gc.get_objects()
    return {
        "open_figures": len(plt.get_fignums()),
        "registry": len(registry.keys()),
        "comms": len(get_comm_manager().comms),
        "widgets": len(_widget_module._instances),
        "player_objects": sum(isinstance(o, ipyanimagic.Player) for o in objects),
        "jsexec_objects": sum(isinstance(o, ipyanimagic.JsExec) for o in objects),
        "figure_objects": sum(isinstance(o, Figure) for o in objects),
        "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        # Python-level allocations, when tracemalloc runs: exact where RSS is noisy.
        "traced_mb": round(tracemalloc.get_traced_memory()[0] / 2**20, 2),
    }
"""
)


class Cells:
    """``run(code, cell_id)`` as a front end sends it; ``census()`` from the kernel."""

    def __init__(self, driver: KernelDriver) -> None:
        self.driver = driver

    def run(self, code: str, cell_id: str = "cell", timeout: float = 60) -> Execution:
        return self.driver.run(code, cell_id=cell_id, timeout=timeout)

    def ok(self, code: str, cell_id: str = "cell") -> Execution:
        return self.driver.run_ok(code, cell_id=cell_id, timeout=60)

    def census(self) -> dict[str, Any]:
        return json.loads(self.ok("print(json.dumps(census()))", "census").stdout)
