"""Fuzzing the transport: every custom comm message gets exactly one reply on the wire.

``BridgeWidget._on_custom_msg`` is what the kernel calls for each custom message. Here
``send`` packs each reply exactly as ipykernel's session does (jupyter_client's JSON
packer, buffers through the buffer protocol) and records it, so a reply that could
not leave the kernel counts as no reply. Replies to ``Player.frame`` / ``frames`` are
sent from the encoder thread; the test waits for that thread before counting.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipyanimagic import registry
from ipyanimagic.bridge.dispatcher import Reply

from .fuzzing import (
    build_targets,
    close_targets,
    faults,
    judge,
    requests,
    still_working,
    utf8_encodable,
)
from .helpers import (
    Counter,
    check_reply,
    drain_encoder,
    expected_id,
    fuzz,
    materialize,
    record_sends,
)


@pytest.fixture(scope="module")
def wired(ip_session):
    t = build_targets(ip_session)
    logs = {name: record_sends(t[name][0]) for name in ("jsexec", "player")}
    yield t, logs
    close_targets(t)


def deliver(widget: Any, log: Any, message: Any, buffers: Any) -> list[tuple[dict, list]]:
    """Hand one message to the widget's transport; return every reply it sent for it."""
    before = len(log.items)
    try:
        widget._on_custom_msg(widget, message, buffers)
    except BaseException as exc:
        raise AssertionError(f"_on_custom_msg raised {type(exc).__name__}: {exc}") from exc
    drain_encoder()
    return log.items[before:]


def test_every_message_gets_exactly_one_reply_on_the_wire(wired, figures):
    t, logs = wired
    keys = {name: t[name][1] for name in ("probe", "jsexec", "player", "closed")}
    registered = set(registry.keys())
    seen = Counter()

    @fuzz(2000)
    @given(data=st.data())
    def run(data):
        drawn, buffers = data.draw(requests(keys), label="request")
        message = materialize(drawn)
        via = data.draw(st.sampled_from(["jsexec", "player"]), label="comm of")
        widget, log = t[via][0], logs[via]
        expected_faults = faults(message, buffers)
        sent = deliver(widget, log, message, buffers)
        assert len(sent) == 1, f"{len(sent)} replies to one message"
        content, blobs = sent[0]
        rid = expected_id(message)
        if content["id"] is None and rid is not None:
            # Only an id that cannot be encoded on the way back may turn into null.
            check_reply(content, None)
            assert content["error"]["type"] == "ReplyError", content
            assert not utf8_encodable(rid), rid
        else:
            check_reply(content, expected_id(message))
        verdict = judge(content, expected_faults, also=frozenset({"ReplyError"}))
        if verdict == "refused":
            assert blobs == []
        seen.add(verdict)

        def send(msg: dict) -> Reply:
            ((reply, reply_blobs),) = deliver(widget, log, msg, [])
            return Reply(reply, reply_blobs)

        still_working(t, seen.n, send)

    run()
    assert set(registry.keys()) == registered
    figures.record(
        "fuzz: transport (_on_custom_msg, replies packed as ipykernel does)",
        examples=seen.n,
        refused=seen.kinds.get("refused", 0),
        ran=seen.kinds.get("ran", 0),
    )


def test_a_reply_is_sent_even_when_the_request_id_cannot_be_encoded(wired):
    """A JSON string may carry a lone surrogate ("\\ud800" is valid JSON; the kernel's
    json.loads accepts it) but no UTF-8 message can: the reply must still go out, with
    the id replaced by null, as for any other unusable id."""
    t, logs = wired
    widget, log = t["jsexec"][0], logs["jsexec"]
    message = {"id": "\ud800", "key": t["jsexec"][1], "method": "echo", "args": {"value": 1}}
    sent = deliver(widget, log, message, [])
    assert len(sent) == 1, f"{len(sent)} replies to one message"
    assert sent[0][0]["id"] is None and sent[0][0]["ok"] is False


def test_a_value_that_cannot_be_encoded_gets_an_error_reply_with_the_id(wired):
    t, logs = wired
    widget, log = t["jsexec"][0], logs["jsexec"]
    message = {"id": 7, "key": t["jsexec"][1], "method": "echo", "args": {"value": "a\ud800"}}
    ((content, _),) = deliver(widget, log, message, [])
    check_reply(content, 7)
    assert content["ok"] is False and content["error"]["type"] == "ReplyError"
