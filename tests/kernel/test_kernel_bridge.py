"""The bridge in a real kernel: comm transport, the threading rule, output capture."""

from __future__ import annotations

import time

import pytest

# A cell that says it is running (flushed at once), then keeps the main thread busy.
STARTED = "cell started"


@pytest.fixture(scope="module")
def widget(kernel):
    return kernel.open_widget("import ipyanimagic\nw = ipyanimagic.JsExec('')")


def test_a_request_over_the_comm_gets_its_reply(kernel, widget):
    comm_id, key = widget
    reply = kernel.request(comm_id, key, "exec", {"code": "x_from_js = 6 * 7\nx_from_js"})
    assert reply["ok"] is True
    assert reply["result"]["result"] == "42"
    assert kernel.run("print(x_from_js)").stdout == "42\n"


def test_malformed_requests_each_get_one_error_reply_and_the_kernel_keeps_working(kernel, widget):
    comm_id, key = widget
    bad = [
        "garbage",
        {"id": 1},
        {"id": 2, "key": "unknown", "method": "exec"},
        {"id": 3, "key": key, "method": "_runner"},
        {"id": 4, "key": key, "method": "exec", "args": {"nope": 1}},
        {"id": 5, "key": key, "method": "eval", "args": {"expr": "1/0"}},
    ]
    for content in bad:
        kernel.send_custom(comm_id, content)
    replies = kernel.replies(comm_id, len(bad))
    assert [r["id"] for r in replies] == [None, 1, 2, 3, 4, 5]
    assert [r["error"]["type"] for r in replies] == [
        "ProtocolError",
        "ProtocolError",
        "UnknownKey",
        "UnknownMethod",
        "BadArguments",
        "ZeroDivisionError",
    ]
    assert kernel.run("print(1 + 1)").stdout == "2\n"
    assert kernel.request(comm_id, key, "eval", {"expr": "2 + 2"})["result"] == 4


def test_printed_output_goes_back_with_the_reply_not_to_the_kernel_log(kernel, widget):
    comm_id, key = widget
    kernel.run("def chatty(n):\n    print('working on', n)\n    return n + 1")
    kernel.stray.clear()
    reply = kernel.request(comm_id, key, "call", {"name": "chatty", "args": [41]})
    assert reply["result"] == 42
    assert reply["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "working on 41\n"}
    ]
    streams = [m for m in kernel.stray if m["msg_type"] == "stream"]
    assert streams == []


def test_requests_on_the_main_shell_run_on_the_main_thread(kernel, widget):
    comm_id, key = widget
    reply = kernel.request(
        comm_id, key, "eval", {"expr": "__import__('threading').current_thread().name"}
    )
    assert reply["result"] == "MainThread"


PROBE = """
import threading, time
import ipyanimagic
from ipyanimagic import expose

class Probe(ipyanimagic.BridgeWidget):
    _esm = "export default {}"

    @expose(thread_safe=True)
    def where_now(self):
        return threading.current_thread().name, time.time()

probe = Probe()
"""


def test_requests_on_a_subshell_run_on_the_main_thread_after_the_running_cell(kernel):
    """The threading rule: never beside a running cell, always on the main thread."""
    subshell = kernel.create_subshell()
    probe_comm, probe_key = kernel.open_widget(PROBE + "w = probe", subshell)
    comm_id, key = kernel.open_widget("w = ipyanimagic.JsExec('')", subshell)
    cell = kernel.start(
        f"import time\nprint({STARTED!r}, flush=True)\n"
        "time.sleep(1.5)\ncell_finished_at = time.time()"
    )
    kernel.wait_for_output(cell, STARTED)  # the cell runs on the main thread now
    sent_at = time.time()
    # The subshell really does answer while the cell runs (so the test below means
    # something): a thread-safe method runs at once, on the subshell's thread.
    probe_thread, probe_at = kernel.request(
        probe_comm, probe_key, "where_now", subshell_id=subshell
    )["result"]
    assert probe_thread != "MainThread"
    # Everything else waits for the main thread.
    reply = kernel.request(
        comm_id,
        key,
        "eval",
        {"expr": "(__import__('threading').current_thread().name, __import__('time').time())"},
        subshell_id=subshell,
    )
    thread_name, ran_at = reply["result"]
    assert thread_name == "MainThread"
    finished = kernel.request(comm_id, key, "get", {"name": "cell_finished_at"})["result"]
    assert sent_at < probe_at < finished <= ran_at
    assert kernel.wait(cell).status == "ok", cell


def test_closing_the_widget_unregisters_it(kernel):
    _comm_id, key = kernel.open_widget("import ipyanimagic\nw = ipyanimagic.JsExec('')")
    res = kernel.run(
        "from ipyanimagic import registry\n"
        f"before = {key!r} in registry.keys()\n"
        "w.close()\n"
        f"print(before, {key!r} in registry.keys())"
    )
    assert res.stdout == "True False\n"


def test_a_comm_message_during_a_cell_leaves_the_cells_figures_alone(kernel):
    """comm's handle_msg would trigger post_execute on the subshell thread, and
    matplotlib-inline's flush_figures would show and close the running cell's figure."""
    subshell = kernel.create_subshell()
    probe_comm, probe_key = kernel.open_widget(PROBE + "w = probe", subshell)
    kernel.run("%matplotlib inline\nimport matplotlib.pyplot as plt")
    cell = kernel.start(
        "import time\nfig = plt.figure()\nplt.plot([1, 3, 2])\n"
        f"print({STARTED!r}, flush=True)\ntime.sleep(1.5)\nprint(plt.get_fignums())"
    )
    kernel.wait_for_output(cell, STARTED)  # the cell has drawn and sleeps
    thread, _ = kernel.request(probe_comm, probe_key, "where_now", subshell_id=subshell)["result"]
    assert thread != "MainThread"  # handled beside the running cell
    kernel.wait(cell)
    assert cell.stdout == f"{STARTED}\n[1]\n", "the cell's figure was closed while the cell ran"
    pictures = [d for d in cell.displays if "image/png" in d.get("data", {})]
    assert len(pictures) == 1, "the cell's figure is not shown under the cell"


def test_kernel_execute_shows_the_figures_its_code_drew(kernel, widget):
    """As a cell would: the inline figure comes back as a display_data output."""
    comm_id, key = widget
    kernel.run("%matplotlib inline\nimport matplotlib.pyplot as plt")
    reply = kernel.request(comm_id, key, "execute", {"code": "plt.plot([1, 2]);"})
    kinds = [(o["output_type"], "image/png" in o.get("data", {})) for o in reply["result"]]
    assert ("display_data", True) in kinds, reply["result"]
    assert kernel.run("print(plt.get_fignums())").stdout == "[]\n"


# The cell opens a widget whose thread pauses for a while right after the comm_open has
# gone out (as a thread descheduled on a loaded machine would), then waits, busy, until
# the widget's code request has been answered (or 20 s).
OPENED_THEN_PAUSED = """import comm, time, ipyanimagic
from ipyanimagic import esm
from ipyanimagic.bridge.transport import page_code_requests
code_hash = esm.code_hash(esm.jsexec_esm())
before = page_code_requests().get(code_hash, 0)
made = comm.create_comm
def opened_then_paused(**kwargs):
    opened = made(**kwargs)
    time.sleep(1.5)
    return opened
comm.create_comm = opened_then_paused
try:
    w = ipyanimagic.JsExec('')
finally:
    comm.create_comm = made
deadline = time.monotonic() + 20
while page_code_requests().get(code_hash, 0) == before and time.monotonic() < deadline:
    time.sleep(0.01)
print("answered while the cell ran:", page_code_requests().get(code_hash, 0) > before)"""


def test_a_code_request_sent_the_moment_the_comm_opens_is_answered_while_the_cell_runs(kernel):
    from ipyanimagic import esm

    cell = kernel.start(OPENED_THEN_PAUSED)

    def widget_opened(execution):
        return execution.idle or any(
            m["msg_type"] == "comm_open" and "key" in m["content"]["data"]["state"]
            for m in execution.messages
        )

    kernel.wait(cell, widget_opened, waiting_for="the widget's comm_open")
    (opened,) = [
        m["content"]
        for m in cell.messages
        if m["msg_type"] == "comm_open" and "key" in m["content"]["data"]["state"]
    ]
    comm_id, key = opened["comm_id"], opened["data"]["state"]["key"]
    # The page asks at once, as JupyterLab does on a fast machine: the kernel's thread
    # that made the widget has not even returned from opening its comm.
    hash_ = esm.code_hash(esm.jsexec_esm())
    request = {"id": 1, "key": key, "method": "page_code", "args": {"hash": hash_}}
    kernel.send_custom(comm_id, request)
    (reply,) = kernel.replies(comm_id, 1, timeout=30)
    assert reply["ok"] is True and reply["result"]["hash"] == hash_, reply
    kernel.wait(cell)
    assert cell.stdout == "answered while the cell ran: True\n", cell
    kernel.run_ok("w.close()")
