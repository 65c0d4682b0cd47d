"""Fuzzing the real thing: hostile messages over a widget's comm into a live kernel.

The messages are packed as a hostile client could pack them (JSON that carries NaN,
infinities and lone surrogates, which a browser's JSON.stringify would not send), go
through ZMQ, ipykernel's comm machinery, the transport and the dispatcher, and their
replies come back through the kernel's real serializer. Each message must get exactly
one reply, and the kernel must stay alive and correct throughout.
"""

from __future__ import annotations

import inspect
import itertools
import json
import textwrap
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jupyter_client.jsonutil import json_default

import ipyanimagic

from . import fuzzing
from .fuzzing import faults, judge, requests, utf8_encodable
from .helpers import Counter, check_reply, expected_id, fuzz, materialize
from .kernel_cells import MAKE

SETUP = """
import json, math
from concurrent.futures import Future
from typing import Any
import numpy as np, matplotlib.pyplot as plt
from matplotlib import animation
import ipyanimagic
from ipyanimagic import registry
from ipyanimagic.bridge.dispatcher import expose

{probe}

probe = Probe()
probe_key = registry.register(probe)

{make}
w = ipyanimagic.JsExec("")
p = ipyanimagic.animate(make(6))
gone = ipyanimagic.JsExec("")
gone_key = gone.key
gone.close()
print(json.dumps({{
    "comms": {{"jsexec": w.comm.comm_id, "player": p.comm.comm_id}},
    "keys": {{"probe": probe_key, "jsexec": w.key, "player": p.key, "closed": gone_key}},
}}))
"""


def hostile_pack(obj: Any) -> bytes:
    """JSON as anyone may write it to the kernel's socket: NaN, Infinity and lone
    surrogates included (the kernel's json.loads takes them)."""
    return json.dumps(obj, default=json_default, ensure_ascii=True, allow_nan=True).encode()


class Wire:
    """Custom comm messages to the kernel, and the replies, matched one by one."""

    def __init__(self, driver: Any, comms: dict[str, str]) -> None:
        self.driver = driver
        self.kc = driver.kc
        self.comms = comms
        self.sentinels = itertools.count()

    def send(self, comm_id: str, content: Any, buffers: list[bytes]) -> None:
        msg = self.kc.session.msg(
            "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
        )
        self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers)

    def replies_until(self, sentinel_id: str, timeout: float = 60) -> list[dict]:
        """Every custom reply from our comms up to (not including) the sentinel's."""
        got: list[dict] = []
        try:
            for reply in self.driver.custom_messages(set(self.comms.values()), timeout):
                if reply.get("id") == sentinel_id:
                    assert reply["ok"], reply
                    return got
                got.append(reply)
        except TimeoutError:
            raise AssertionError(f"no reply to the sentinel within {timeout} s: {got}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def reply_to(self, request_id: Any, timeout: float = 60) -> dict:
        """The reply to ``request_id``, skipping others: for a frame an animation drawn
        in order answers from a later slice on the main loop, after a sentinel's reply."""
        try:
            for reply in self.driver.custom_messages(set(self.comms.values()), timeout):
                if reply.get("id") == request_id:
                    return reply
        except TimeoutError:
            raise AssertionError(f"no reply to {request_id!r} within {timeout} s") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def exchange(self, comm_id: str, message: Any, buffers: list[bytes], key: str) -> list[dict]:
        """Send ``message``, then a sentinel whose reply comes after every reply the
        message can cause (a frame drawn and encoded after it: the encoder thread is
        first in, first out); return the replies in between."""
        self.send(comm_id, message, buffers)
        n = next(self.sentinels)
        sentinel = f"sentinel-{n}"
        self.send(
            self.comms["player"],
            {
                "id": sentinel,
                "key": key,
                "method": "frame",
                "args": {"index": n % 6, "format": "jpeg", "quality": 1 + (n // 6) % 100},
            },
            [],
        )
        return self.replies_until(sentinel)


@pytest.fixture(scope="module")
def wire(kernel):
    probe = textwrap.dedent(inspect.getsource(fuzzing._numbers)) + textwrap.dedent(
        inspect.getsource(fuzzing.Probe)
    )
    res = kernel.run_ok(SETUP.format(probe=probe, make=MAKE))
    info = json.loads(res.stdout.strip().splitlines()[-1])
    kernel.kc.session.pack = hostile_pack
    return Wire(kernel, info["comms"]), info["keys"]


def test_hostile_messages_over_a_real_comm_get_exactly_one_reply_each(wire, kernel, figures):
    w, keys = wire
    classes = {
        keys["probe"]: fuzzing.Probe,
        keys["jsexec"]: ipyanimagic.JsExec,
        keys["player"]: ipyanimagic.Player,
    }
    seen = Counter()

    @fuzz(500)
    @given(data=st.data())
    def run(data):
        drawn, buffers = data.draw(requests(keys), label="request")
        message = materialize(drawn)
        # ZMQ carries bytes only: the kernel always hands the transport a list.
        if not isinstance(buffers, list) or not all(isinstance(b, bytes) for b in buffers):
            buffers = []
        via = data.draw(st.sampled_from(["jsexec", "player"]), label="comm of")
        replies = w.exchange(w.comms[via], message, buffers, keys["player"])
        assert len(replies) == 1, f"{len(replies)} replies: {replies}"
        (reply,) = replies
        rid = expected_id(message)
        check_reply(reply, rid if utf8_encodable(rid) else None)
        expected = faults(message, buffers, classes.get)
        seen.add(judge(reply, expected, also=frozenset({"ReplyError"})))

    run()
    assert kernel.km.is_alive()
    # Still correct: a plain cell, and a call through the same comm.
    assert kernel.run("print(6 * 7)").stdout == "42\n"
    replies = w.exchange(
        w.comms["jsexec"],
        {"id": 1, "key": keys["jsexec"], "method": "eval", "args": {"expr": "6 * 7"}},
        [],
        keys["player"],
    )
    assert [(r["id"], r["result"]) for r in replies] == [(1, 42)]
    figures.record(
        "fuzz: real kernel, hostile JSON over the comm",
        examples=seen.n,
        refused=seen.kinds.get("refused", 0),
        ran=seen.kinds.get("ran", 0),
        kernel_alive=kernel.km.is_alive(),
    )


@pytest.mark.parametrize(
    "code",
    [
        "raise SystemExit(3)",
        "import sys; sys.exit()",
        "raise KeyboardInterrupt",
        "raise GeneratorExit",
        "raise BaseException('base')",
    ],
)
@pytest.mark.parametrize("method", ["exec", "execute", "eval"])
def test_python_that_exits_or_raises_base_exceptions_does_not_end_the_kernel(
    wire, kernel, code, method
):
    w, keys = wire
    arg = {"expr": f"exec({code!r})"} if method == "eval" else {"code": code}
    message = {"id": 5, "key": keys["jsexec"], "method": method, "args": arg}
    (reply,) = w.exchange(w.comms["jsexec"], message, [], keys["player"])
    check_reply(reply, 5)
    if method == "execute":
        assert reply["ok"] and reply["result"][-1]["output_type"] == "error", reply
    else:
        assert not reply["ok"], reply
    assert kernel.km.is_alive()
    assert kernel.run("print('alive')").stdout == "alive\n"


def test_a_frame_function_that_exits_does_not_end_the_kernel(wire, kernel):
    w, _keys = wire
    res = kernel.run(
        "def quitter(i):\n"
        "    if i == 2:\n"
        "        raise SystemExit('no frame 2')\n"
        "fig2 = plt.figure(figsize=(1, 1), dpi=30)\n"
        "q = ipyanimagic.animate(quitter, fig=fig2, frames=4)\n"
        "print(q.key)"
    )
    q_key = res.stdout.strip()
    for request_id, method, args in (
        (9, "frame", {"index": 2}),
        (10, "frames", {"indices": [1, 2, 3]}),
    ):
        message = {"id": request_id, "key": q_key, "method": method, "args": args}
        w.send(w.comms["player"], message, [])
        reply = w.reply_to(request_id)
        check_reply(reply, request_id)
        if reply["ok"]:  # a batch answers the frames before the failing one
            assert [m["index"] for m in reply["result"]["frames"]] == [1]
            assert reply["result"]["error"]["type"] == "SystemExit"
        else:
            assert reply["error"]["type"] == "SystemExit"
    assert kernel.km.is_alive()
    assert kernel.run("print('alive')").stdout == "alive\n"
