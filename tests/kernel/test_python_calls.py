"""Python calls the page, in a real kernel; the test plays the page.

The page's side is played here over the kernel's own channels: the test reads the
call the kernel publishes (a custom comm message) and answers it on the shell channel,
as a browser would, while the calling cell waits. Written for every ipykernel the
package supports: with ipykernel 7 the reply is taken off the shell channel thread, with
ipykernel 6 the waiting cell reads the shell channel itself (ipyanimagic.bridge.replywait).
"""

from __future__ import annotations

import pytest

STARTED = "cell started"


def is_call(content):
    return isinstance(content, dict) and "call" in content


@pytest.fixture
def page(kernel):
    """The widget ``w`` (a JsExec in the user namespace) and a fake page for it."""
    comm_id, _key = kernel.open_widget("import ipyanimagic\nw = ipyanimagic.JsExec('')")
    yield FakePage(kernel, comm_id)
    kernel.run("w.close()")


class FakePage:
    def __init__(self, kernel, comm_id):
        self.kernel, self.comm_id = kernel, comm_id

    def next_call(self, timeout=30):
        for content in self.kernel.custom_messages({self.comm_id}, timeout):
            return content
        raise AssertionError("unreachable")  # pragma: no cover

    def answer(self, call, result=None, *, error=None, buffers=None, comm_id=None):
        reply = {"reply": call["call"], "ok": error is None}
        if error is None:
            reply["result"] = result
        else:
            reply["error"] = error
        self.kernel.send_custom(comm_id or self.comm_id, reply, buffers=buffers)


def test_a_waiting_cell_gets_the_page_reply_and_the_cell_queued_behind_it_runs_once_after(
    kernel, page
):
    waiting = kernel.start(
        f"print({STARTED!r}, flush=True)\nresult = w.call('add', 2, 3, timeout=20)\n"
        "print('got', result)"
    )
    call = page.next_call()
    assert call == {"call": call["call"], "op": "call", "name": "add", "args": [2, 3]}
    assert isinstance(call["call"], int)
    queued = kernel.start("print('queued cell ran')")  # behind the waiting cell
    page.answer(call, 5)
    kernel.wait(waiting)
    kernel.wait(queued)
    assert waiting.status == "ok", waiting
    assert waiting.stdout == f"{STARTED}\ngot 5\n"
    assert queued.status == "ok" and queued.stdout == "queued cell ran\n", queued
    assert queued.reply["execution_count"] == waiting.reply["execution_count"] + 1
    assert kernel.run_ok("print(w._calls.pending)").stdout == "0\n"


def test_many_outstanding_calls_from_threads_are_matched_by_id(kernel, page):
    # The main thread waits for a call of its own meanwhile: with ipykernel 6 that wait
    # is what reads the shell channel for every thread (a main thread blocked in other
    # code leaves the threads' replies unread until it returns to the kernel's loop).
    cell = kernel.start(
        "from concurrent.futures import ThreadPoolExecutor\n"
        "pool = ThreadPoolExecutor(8)\n"
        "futures = [pool.submit(w.call, 'times10', i, timeout=20) for i in range(8)]\n"
        "last = w.call('last', timeout=20)\n"
        "print([f.result() for f in futures], last)\n"
        "pool.shutdown()"
    )
    calls = [page.next_call() for _ in range(9)]
    (last,) = [c for c in calls if c["name"] == "last"]
    threads = [c for c in calls if c["name"] == "times10"]
    assert len({c["call"] for c in calls}) == 9
    for call in reversed(threads):  # out of order on purpose
        page.answer(call, call["args"][0] * 10)
    page.answer(last, "done")
    kernel.wait(cell)
    assert cell.stdout == str([i * 10 for i in range(8)]) + " done\n", cell


def test_a_call_from_a_background_thread_while_the_main_thread_is_idle(kernel, page):
    kernel.run_ok(
        "import threading\nbackground = {}\n"
        "def ask():\n    background['value'] = w.call('answer', timeout=20)\n"
        "thread = threading.Thread(target=ask)\nthread.start()"
    )
    page.answer(page.next_call(), {"a": [1, None, "x"]})
    assert kernel.run_ok("thread.join(20)\nprint(background)").stdout == (
        "{'value': {'a': [1, None, 'x']}}\n"
    )


def test_errors_of_the_page_raise_clear_python_exceptions(kernel, page):
    cell = kernel.start(
        "import ipyanimagic\n"
        "for name in ('boom', 'nope'):\n"
        "    try:\n"
        "        w.call(name, timeout=20)\n"
        "    except ipyanimagic.NotExposedError as e:\n"
        "        print('not exposed:', e.message, e.exposed)\n"
        "    except ipyanimagic.JSError as e:\n"
        "        print('JSError:', e.name, e.message, e.stack)\n"
    )
    page.answer(
        page.next_call(),
        error={"name": "TypeError", "message": "x is undefined", "stack": "at boom (cell:1)"},
    )
    page.answer(
        page.next_call(),
        error={
            "name": "NotExposed",
            "message": "the page exposes no function 'nope' (exposed: boom, pick)",
            "exposed": ["boom", "pick"],
        },
    )
    kernel.wait(cell)
    assert cell.stdout == (
        "JSError: TypeError x is undefined at boom (cell:1)\n"
        "not exposed: the page exposes no function 'nope' (exposed: boom, pick) "
        "['boom', 'pick']\n"
    ), cell


def test_no_reply_raises_timeout_error_and_aborts_the_call_in_the_page(kernel, page):
    cell = kernel.start(
        "try:\n    w.call('slow', timeout=0.5)\n"
        "except TimeoutError as e:\n    print('TimeoutError:', e)\n"
        "print(w._calls.pending)"
    )
    call = page.next_call()
    abort = page.next_call()
    assert abort == {"abort": call["call"]}
    kernel.wait(cell)
    assert cell.stdout == "TimeoutError: no reply from the page within 0.5 s\n0\n", cell
    page.answer(call, "too late")  # a late reply is dropped, nothing breaks
    assert kernel.run_ok("print(w.call('x', timeout=0.01) if False else 'ok')").stdout == "ok\n"


def test_interrupting_a_waiting_cell_raises_keyboard_interrupt_and_aborts_the_call(kernel, page):
    cell = kernel.start(f"print({STARTED!r}, flush=True)\nw.call('forever', timeout=60)")
    call = page.next_call()
    kernel.km.interrupt_kernel()
    assert page.next_call(timeout=10) == {"abort": call["call"]}
    kernel.wait(cell, timeout=10)
    assert [e["ename"] for e in cell.errors] == ["KeyboardInterrupt"], cell
    assert kernel.run_ok("print(w._calls.pending, 6 * 7)").stdout == "0 42\n"


def test_closing_the_widget_fails_pending_calls_with_disconnected(kernel, page):
    kernel.run_ok(
        "import threading, ipyanimagic\nouts = []\n"
        "def ask():\n"
        "    try:\n        w.call('forever', timeout=30)\n"
        "    except ipyanimagic.Disconnected as e:\n        outs.append(f'Disconnected: {e}')\n"
        "thread = threading.Thread(target=ask)\nthread.start()"
    )
    page.next_call()
    assert kernel.run_ok("w.close()\nthread.join(10)\nprint(outs)").stdout == (
        "['Disconnected: the widget was closed']\n"
    )
    res = kernel.run("w.call('again')")
    assert [e["ename"] for e in res.errors] == ["Disconnected"], res


def test_binary_values_travel_as_buffers_both_ways(kernel, page):
    cell = kernel.start(
        "import numpy as np\n"
        "a = np.arange(6, dtype=np.float32).reshape(2, 3)\n"
        "out = w.call('bin', b'\\x00\\x01\\xff', a, timeout=20)\n"
        "print(type(out['raw']).__name__, out['raw'])\n"
        "print(out['array'].dtype, out['array'].shape, out['array'].tolist())"
    )
    call = page.next_call()
    buffers = page.kernel.buffers_of[id(call)]
    assert call["args"] == [
        {"__ipyanimagic_buffer__": 0, "type": "ArrayBuffer"},
        {"__ipyanimagic_buffer__": 1, "type": "Float32Array", "shape": [2, 3]},
    ]
    assert buffers[0] == b"\x00\x01\xff"
    assert len(buffers[1]) == 6 * 4
    page.answer(
        call,
        {
            "raw": {"__ipyanimagic_buffer__": 0, "type": "Uint8Array"},
            "array": {
                "__ipyanimagic_buffer__": 1,
                "type": "Float32Array",
                "shape": [3, 2],
                "array": True,
            },
        },
        buffers=[b"\x00\x01\xff", buffers[1]],
    )
    kernel.wait(cell)
    assert cell.stdout == (
        "bytes b'\\x00\\x01\\xff'\nfloat32 (3, 2) [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]\n"
    ), cell


def test_eval_js_needs_no_jsexec_cell_and_displays_nothing(kernel):
    cell = kernel.start("import ipyanimagic\nprint(ipyanimagic.eval_js('6 * 7', timeout=20))")
    comm_id, call = kernel.next_custom(is_call)
    assert call == {"call": call["call"], "op": "eval", "expr": "6 * 7"}
    FakePage(kernel, comm_id).answer(call, 42)
    kernel.wait(cell)
    assert cell.stdout == "42\n", cell
    assert cell.displays == []


def test_bad_arguments_are_refused_before_anything_is_sent(kernel, page):
    res = kernel.run(
        "for bad in (lambda: w.call('f', object()), lambda: w.call('f', timeout=-1),\n"
        "            lambda: w.call(3)):\n"
        "    try:\n        bad()\n"
        "    except (TypeError, ValueError) as e:\n        print(type(e).__name__)\n"
        "print(w._calls.pending)"
    )
    assert res.stdout == "TypeError\nValueError\nTypeError\n0\n", res
