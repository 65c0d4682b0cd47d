"""Running cells in a real kernel the way JupyterLab does: with the cell id in the
request's metadata (ipyanimagic tracks re-runs of a cell by it)."""

from __future__ import annotations

import json
import time
from typing import Any

# A small animation; needs np, plt and animation.
MAKE = """
def make(frames=20):
    fig = plt.figure(figsize=(2, 1.5), dpi=50)
    ax = fig.add_subplot(xlim=(0, 1), ylim=(-1, 1))
    (line,) = ax.plot([], [])
    x = np.linspace(0, 1, 50)

    def step(i):
        line.set_data(x, np.sin(6 * x + i))
        return (line,)

    return animation.FuncAnimation(fig, step, frames=frames, interval=40)
"""

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

    def __init__(self, driver: Any) -> None:
        self.kc = driver.kc

    def run(self, code: str, cell_id: str = "cell", timeout: float = 60) -> dict[str, Any]:
        kc = self.kc
        msg = kc.session.msg(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        msg["metadata"] = {"cellId": cell_id}
        kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        deadline = time.monotonic() + timeout
        while True:
            reply = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        stdout: list[str] = []
        errors: list[str] = []
        displays: list[dict[str, Any]] = []
        while True:
            m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            kind = m["msg_type"]
            if kind == "stream":
                stdout.append(m["content"]["text"])
            elif kind == "error":
                errors.append(f"{m['content']['ename']}: {m['content']['evalue']}")
            elif kind in ("display_data", "update_display_data", "execute_result"):
                displays.append(m["content"])
            elif kind == "status" and m["content"]["execution_state"] == "idle":
                break
        return {
            "status": reply["content"]["status"],
            "stdout": "".join(stdout),
            "errors": errors,
            "displays": displays,
        }

    def ok(self, code: str, cell_id: str = "cell") -> dict[str, Any]:
        out = self.run(code, cell_id)
        assert out["status"] == "ok" and not out["errors"], out
        return out

    def census(self) -> dict[str, Any]:
        return json.loads(self.ok("print(json.dumps(census()))", "census")["stdout"])
