"""A live player in a real kernel: while a cell's loop captures frames, the page's
requests are answered (the test plays the page over the kernel's own channels, as a
front end without subshells sends them: the main thread is busy with the loop). With
ipykernel 7 they are taken off the shell channel thread; with ipykernel 6 the loop's
own captures read the shell channel (ipyanimagic.bridge.replywait). The stop button
ends capture and keeps the frames.
"""

from __future__ import annotations

import time

import pytest

STARTED = "loop started"

SETUP = """import time
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import ipyanimagic
fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
x = np.linspace(0, 6, 100)
(line,) = ax.plot(x, np.sin(x))
w = ipyanimagic.live(fig, display=False)"""

LOOP = f"""print({STARTED!r}, flush=True)
k = 0
while True:
    line.set_ydata(np.sin(x + k / 10))
    w.frame()
    k += 1
    time.sleep(0.005)"""


@pytest.fixture
def live(kernel):
    comm_id, key = kernel.open_widget(SETUP)
    yield comm_id, key
    kernel.run("w.close()")


@pytest.fixture
def looping(kernel, live):
    """Starts the loop (once it printed that it runs). Whatever the test asserted, the
    loop is stopped after it: a loop left running would hold the kernel for the next."""
    started = []

    def start():
        loop = kernel.start(LOOP)
        started.append(loop)
        kernel.wait_for_output(loop, STARTED)
        return loop

    yield start
    for loop in started:
        if not loop.done:
            kernel.km.interrupt_kernel()
            kernel.wait(loop)


def test_a_looping_cell_answers_the_page_and_the_stop_button_keeps_its_frames(
    kernel, live, looping
):
    comm_id, key = live
    loop = looping()
    newest = kernel.request(comm_id, key, "newest", {"after": 2, "format": "png"}, timeout=30)
    assert not loop.done, "answered while the loop runs"
    assert newest["ok"] is True, newest
    assert newest["result"]["live"] is True and newest["result"]["index"] >= 3
    first = kernel.request(comm_id, key, "frame", {"index": 0, "format": "png"})
    assert first["ok"] is True and not loop.done
    peek = kernel.request(comm_id, key, "newest", {"after": -1, "peek": True})
    assert peek["result"]["known"] >= newest["result"]["known"]
    ahead = kernel.request(comm_id, key, "frame", {"index": 10**6})
    assert (
        ahead["error"]["type"] == "FrameOutOfRange"
        and "not captured yet" in ahead["error"]["message"]
    )
    # A peek waits (a long poll) until the loop has captured past frame 50.
    many = kernel.request(comm_id, key, "newest", {"after": 50, "peek": True})
    assert many["result"]["known"] > 51 and not loop.done

    kernel.km.interrupt_kernel()
    kernel.wait(loop)
    assert loop.status == "error" and loop.reply["ename"] == "KeyboardInterrupt"
    after = kernel.run_ok("print(w.live, w.count, w.count == w.run.next, k >= w.count - 1)")
    live_flag, count, same, _ = after.stdout.split()
    assert live_flag == "False" and same == "True"
    assert int(count) >= peek["result"]["known"]
    last = kernel.request(comm_id, key, "frame", {"index": int(count) - 1, "format": "png"})
    assert last["ok"] is True
    # Nothing per captured frame reached the page unasked: one state update, at the end.
    updates = [
        m
        for m in kernel.stray + loop.messages
        if m["msg_type"] == "comm_msg"
        and m["content"]["comm_id"] == comm_id
        and m["content"]["data"].get("method") == "update"
    ]
    assert int(count) > 20 and len(updates) <= 1, (count, len(updates))


def test_a_page_reconnecting_while_the_loop_runs_gets_kernel_info_and_every_widget_state(
    kernel, live, looping
):
    """What a reloaded page asks first (ipywidgets' manager): answered while the loop
    holds the main thread (ipyanimagic.bridge.restore)."""
    comm_id, _key = live
    loop = looping()
    session, shell = kernel.kc.session, kernel.kc.shell_channel
    info = session.msg("kernel_info_request", {})
    shell.send(info)
    reply = kernel.kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == info["header"]["msg_id"]
    assert reply["content"]["status"] == "ok" and reply["content"]["implementation"]

    control = "control-" + info["header"]["msg_id"]
    shell.send(
        session.msg(
            "comm_open",
            {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
            metadata={"version": "1.0.0"},  # ipywidgets' control protocol, as the page says
        )
    )
    shell.send(session.msg("comm_msg", {"comm_id": control, "data": {"method": "request_states"}}))
    deadline = time.monotonic() + 30
    states = None
    while states is None:
        # Published from where the request was taken: its parent may be the loop's cell.
        for msg in kernel.stray + loop.messages:
            data = msg["content"].get("data") or {}
            if msg["msg_type"] == "comm_msg" and data.get("method") == "update_states":
                states = data["states"]
        assert kernel._read_iopub(deadline) or states is not None, "no states within 30 s"
    assert not loop.done, "answered while the loop runs"
    assert states[comm_id]["state"]["live"] is True
    shell.send(session.msg("comm_close", {"comm_id": control, "data": {}}))
    kernel.km.interrupt_kernel()
    kernel.wait(loop)


def test_thousands_of_captures_a_second_send_only_what_the_page_asks_for(kernel):
    """The server drops IOPub messages above 1000/s (over 3 s): a fast loop must not
    come near it. Its captures send nothing; each page request brings its reply and a
    busy / idle pair, whatever the capture rate."""
    comm_id, key = kernel.open_widget(
        SETUP.replace("figsize=(3, 2), dpi=50", "figsize=(1, 1), dpi=20")
    )
    loop = kernel.start(
        f"print({STARTED!r}, flush=True)\n"
        "t0 = time.perf_counter()\n"
        "for k in range(5000):\n"
        "    line.set_ydata(np.sin(x + k / 10))\n"
        "    w.frame()\n"
        "rate = 5000 / (time.perf_counter() - t0)"
    )
    kernel.wait_for_output(loop, STARTED)
    before = len(kernel.stray) + len(loop.messages)
    asked, after = 0, -1
    while not loop.done:  # a page following at its own pace, one request at a time
        reply = kernel.request(comm_id, key, "newest", {"after": after, "format": "jpeg"})
        asked += 1
        after = reply["result"]["index"]
        if not reply["result"]["live"] or after >= 4999:
            break
    kernel.wait(loop)
    assert loop.status == "ok", loop
    sent = len(kernel.stray) + len(loop.messages) - before
    rate = float(kernel.run_ok("print(rate)").stdout)
    print(f"{rate:.0f} captures/s, {asked} page requests, {sent} other iopub messages")
    assert sent <= 3 * asked + 10, (sent, asked)
    kernel.run("w.close()")


def test_the_stop_button_pressed_while_a_page_request_is_answered_still_stops_the_loop(
    kernel, live, looping
):
    """Under ipykernel 6 the loop's own captures answer the page's requests, on the
    cell's thread: an interrupt landing in a request's handler once became that
    request's error reply, and the loop ran on. Here the stop button arrives exactly
    there (the handler raises SIGINT, as the signal would); the request still gets its
    frame and the loop stops."""
    comm_id, key = live
    kernel.run_ok(
        """import signal
_newest = w.run.newest
def _pressed_here(*args, **kwargs):
    w.run.newest = _newest
    signal.raise_signal(signal.SIGINT)
    return _newest(*args, **kwargs)
w.run.newest = _pressed_here"""
    )
    loop = looping()
    reply = kernel.request(comm_id, key, "newest", {"after": -1, "format": "png"}, timeout=30)
    assert reply["ok"] is True and reply["result"]["index"] >= 0, reply
    kernel.wait(loop, timeout=30, waiting_for="the interrupted loop to end")
    assert loop.status == "error" and loop.reply["ename"] == "KeyboardInterrupt"
    assert kernel.run_ok("print(w.live)").stdout.strip() == "False"
