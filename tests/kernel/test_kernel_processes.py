"""The kernel's worker processes live through its interrupts and end before it does."""

from __future__ import annotations

import json

from jupyter_client.manager import start_new_kernel

PLAYER_WITH_WORKERS = """
import ipyanimagic, matplotlib.pyplot as plt, json, os
fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
ax.set(xlim=(0, 20), ylim=(0, 20))
(ln,) = ax.plot([], [])
p = ipyanimagic.animate(lambda i: ln.set_data([0, i], [0, i]), fig=fig, frames=20, workers=2)
p.supply.settle()

def from_workers(indices, scale):
    # A scale not asked before: every frame is drawn now, none was drawn ahead.
    for i in indices:
        p.supply.frame(i, "png", 0, scale).result(timeout=60)
    stats = p.supply.parallel.stats()
    return {"from": p.supply.mode, "pids": stats["worker_pids"],
            "drawn": stats["drawn_by_workers"]}
"""


def test_a_kernel_interrupt_leaves_the_worker_processes_drawing(kernel):
    kernel.run_ok(PLAYER_WITH_WORKERS)
    before = json.loads(kernel.run_ok("print(json.dumps(from_workers(range(8), 1.0)))").stdout)
    assert before["from"] == "workers"
    # The stop button on a long cell: SIGINT to the kernel's whole process group.
    long_cell = kernel.start("import time\nprint('running', flush=True)\ntime.sleep(60)")
    kernel.wait_for_output(long_cell, "running")
    kernel.km.interrupt_kernel()
    kernel.wait(long_cell)
    assert long_cell.errors and long_cell.errors[0]["ename"] == "KeyboardInterrupt"
    after = json.loads(kernel.run_ok("print(json.dumps(from_workers(range(8), 1.5)))").stdout)
    assert after["from"] == "workers"
    assert after["pids"] == before["pids"]
    assert after["drawn"] >= before["drawn"] + 8
    kernel.run_ok("p.close()")


def test_a_kernel_that_started_workers_has_none_left_when_it_shuts_down(tmp_path):
    """ipykernel ends its children before it exits, waiting seconds for any that stay
    (multiprocessing's resource tracker ignores SIGTERM): none may be left by then."""
    log = tmp_path / "kernel.log"
    with open(log, "wb") as err:
        km, kc = start_new_kernel(
            kernel_name="python3", startup_timeout=60, extra_arguments=["--debug"], stderr=err
        )
        try:
            code = PLAYER_WITH_WORKERS + "from_workers(range(4), 1.0)"
            reply = kc.execute_interactive(code, timeout=120, output_hook=lambda _m: None)
            assert reply["content"]["status"] == "ok", reply["content"]
            kc.shutdown()
            km.finish_shutdown()
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)
    text = log.read_text(errors="replace")
    assert "Kernel has no children." in text, text[-3000:]
    assert "Will sleep" not in text, text[-3000:]
