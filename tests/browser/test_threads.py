"""The threading rule in the browser, with JupyterLab's commsOverSubshells on and off."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from support import lab

PROBE = """
import threading, time
import ipyanimagic
from ipyanimagic import expose

class Probe(ipyanimagic.BridgeWidget):
    _esm = "export default {}"

    @expose(thread_safe=True)
    def where_now(self):
        return [threading.current_thread().name, time.time()]

probe = Probe()

def where_main():
    return [threading.current_thread().name, time.time()]
"""

CALLER = """%%jsexec --template
element.innerHTML = '<button>Ask</button><pre class="report"></pre>';
element.querySelector('button').onclick = async () => {
  const probe = python.request({{ probe.key|tojson }}, 'where_now');
  const main = python.call('where_main');
  const [p, m] = await Promise.all([probe, main]);
  element.querySelector('.report').textContent = JSON.stringify({probe: p, main: m});
};
"""

# Says it is running (the test clicks only then), then keeps the main thread busy.
LONG_CELL = (
    "import time\nprint('long cell started', flush=True)\ntime.sleep(2)\ncell_done = time.time()"
)


# A JupyterLab before 4.4 (the old-stack run) has no commsOverSubshells setting: every
# comm message reaches the kernel's main shell thread, the one mode there is (None).
MODES = ["perCommTarget", "disabled"] if lab.has_comms_over_subshells() else [None]


@pytest.fixture(params=MODES)
def comms_mode(request):
    if request.param is not None:
        request.getfixturevalue("comms_over_subshells")(request.param)
    return request.param


def test_calls_made_while_a_cell_runs_run_on_the_main_thread_after_it(notebook, comms_mode):
    nb = notebook(["%load_ext ipyanimagic", PROBE, CALLER, LONG_CELL, "print(repr(cell_done))"])
    if comms_mode is not None:
        nb.wait_for_comms_over_subshells(comms_mode, timeout=30)
    for i in range(3):
        nb.run_cell(i)
    # Start the long cell without waiting for it, then click while it runs.
    nb.start_cell(3)
    nb.wait_for_text(3, "long cell started")
    nb.output(2).get_by_role("button", name="Ask").click()
    report = nb.output(2).locator("pre.report")
    expect(report).not_to_be_empty(timeout=20_000)
    result = json.loads(report.inner_text())
    expect(nb.cell(3).locator(".jp-InputPrompt")).to_have_text("[4]:", timeout=20_000)
    nb.run_cell(4)
    cell_done = float(nb.output(4).inner_text().strip())
    main_thread, main_at = result["main"]
    assert main_thread == "MainThread"
    assert main_at >= cell_done
    probe_thread, _ = result["probe"]
    print(f"commsOverSubshells={comms_mode}: comm handled on {probe_thread}")
    nb.assert_no_page_errors()
