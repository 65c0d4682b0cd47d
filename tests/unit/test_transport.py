"""The widget transport, with ``send`` recorded (no browser, no kernel)."""

from __future__ import annotations

import threading

import pytest
import traitlets

from ipyanimagic import BridgeWidget, registry
from ipyanimagic.bridge.dispatcher import expose


class Recording(BridgeWidget):
    _esm = "export default {}"

    def __init__(self, **kw):
        self.sent = []
        super().__init__(**kw)

    def send(self, content, buffers=None):
        self.sent.append((content, buffers))

    @expose
    def shout(self, text: str) -> str:
        print("shouting", text)
        return text.upper()

    @expose
    def where(self) -> str:
        return threading.current_thread().name


@pytest.fixture
def widget():
    w = Recording()
    yield w
    w.close()


def test_a_widget_is_registered_under_its_key_until_closed():
    w = Recording()
    key = w.key
    assert registry.get(key) is w
    w.close()
    assert key not in registry.keys()


def test_the_key_cannot_be_reassigned(widget):
    with pytest.raises(traitlets.TraitError):
        widget.key = "chosen-by-me"


def test_the_key_is_part_of_the_synced_state(widget):
    assert widget.get_state()["key"] == widget.key


def test_each_request_gets_exactly_one_reply(widget):
    widget._on_custom_msg(
        widget, {"id": 1, "key": widget.key, "method": "echo", "args": {"value": [1, "a"]}}, []
    )
    widget._on_custom_msg(widget, {"id": 2, "key": widget.key, "method": "nope"}, [])
    widget._on_custom_msg(widget, "garbage", [])
    assert [c["id"] for c, _ in widget.sent] == [1, 2, None]
    assert widget.sent[0][0] == {"id": 1, "ok": True, "result": [1, "a"]}
    assert widget.sent[1][0]["error"]["type"] == "UnknownMethod"
    assert widget.sent[2][0]["error"]["type"] == "ProtocolError"


def test_printed_output_travels_with_the_reply(widget, capsys):
    widget._on_custom_msg(
        widget, {"id": 3, "key": widget.key, "method": "shout", "args": {"text": "hi"}}, []
    )
    content, _ = widget.sent[-1]
    assert content["result"] == "HI"
    assert content["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "shouting hi\n"}
    ]
    assert "shouting" not in capsys.readouterr().out


def test_a_request_from_another_thread_is_answered(widget):
    # Outside a kernel there is no main loop to queue on: the call runs under a lock.
    t = threading.Thread(
        target=widget._on_custom_msg,
        args=(widget, {"id": 4, "key": widget.key, "method": "where"}, []),
        name="subshell-like",
    )
    t.start()
    t.join()
    assert widget.sent[-1][0]["ok"] is True


def test_a_reply_that_cannot_be_sent_is_replaced_by_an_error_reply(widget):
    calls = []

    def flaky_send(content, buffers=None):
        calls.append(content)
        if len(calls) == 1:
            raise ValueError("cannot serialize")

    widget.send = flaky_send
    widget._on_custom_msg(
        widget, {"id": 5, "key": widget.key, "method": "echo", "args": {"value": 1}}, []
    )
    assert calls[1]["id"] == 5 and calls[1]["error"]["type"] == "ReplyError"


def test_requests_to_a_closed_widget_are_dropped_silently():
    w = Recording()
    w.close()
    w._on_custom_msg(w, {"id": 6, "key": w.key, "method": "echo"}, [])
    assert w.sent == []


def test_a_reply_whose_id_cannot_be_encoded_is_answered_with_a_null_id(widget):
    import json

    sent = []

    def strict_send(content, buffers=None):
        json.dumps(content, ensure_ascii=False).encode("utf-8")  # what the kernel does
        sent.append(content)

    widget.send = strict_send
    widget._on_custom_msg(widget, {"id": "\ud800", "key": widget.key, "method": "echo"}, [])
    assert len(sent) == 1
    assert sent[0]["id"] is None and sent[0]["error"]["type"] == "ReplyError"


def test_closing_a_widget_closes_the_layout_it_made():
    """DOMWidget gives every instance a Layout widget with a comm of its own."""
    w = Recording()
    layout = w.layout
    assert layout.comm is not None
    w.close()
    assert layout.comm is None


def test_a_layout_shared_with_other_widgets_is_left_open():
    import ipywidgets

    shared = ipywidgets.Layout(width="100px")
    w = Recording(layout=shared)
    w.close()
    assert shared.comm is not None
    shared.close()


def test_widgets_made_and_closed_leave_no_class_behind():
    """anywidget gives every instance a class of its own; caches must not keep them."""
    import gc

    from ipyanimagic.bridge import dispatcher

    def made_and_closed():
        w = Recording()
        w._on_custom_msg(w, {"id": 1, "key": w.key, "method": "echo", "args": {}}, [])
        w.close()

    made_and_closed()
    gc.collect()
    before = len(dispatcher._exposed_cache)
    for _ in range(50):
        made_and_closed()
    gc.collect()
    assert len(dispatcher._exposed_cache) <= before + 1
