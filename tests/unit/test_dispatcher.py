"""The dispatcher, without a browser: every request gets exactly one well-formed reply."""

from __future__ import annotations

import json
import math

import pytest

from ipyanimagic import registry
from ipyanimagic.bridge.dispatcher import (
    WithBuffers,
    dispatch,
    expose,
    exposed_methods,
    prepare,
)
from ipyanimagic.errors import ReportedError


class Target:
    def __init__(self):
        self.calls = []

    @expose
    def add(self, a: int, b: int = 0) -> int:
        self.calls.append(("add", a, b))
        return a + b

    @expose
    def fail(self) -> None:
        raise ZeroDivisionError("boom")

    @expose
    def nan(self) -> float:
        return math.nan

    @expose
    def not_json(self) -> object:
        return object()

    @expose(buffers=True)
    def size(self, buffers) -> int:
        return sum(len(b) for b in buffers)

    @expose
    def blob(self) -> WithBuffers:
        return WithBuffers({"n": 3}, [b"abc"])

    @expose(thread_safe=True)
    def fast(self) -> str:
        return "fast"

    @expose
    def interrupted(self) -> None:
        raise KeyboardInterrupt

    @expose
    def exits(self) -> None:
        raise SystemExit(3)

    @expose
    def reported(self) -> None:
        raise ReportedError("ValueError", "bad value", ["line 1\n"])

    def hidden(self) -> str:
        return "never"

    def _private(self) -> str:
        return "never"


class Sub(Target):
    def add(self, a, b=0):  # overridden without @expose: withdrawn
        return 0


@pytest.fixture
def target():
    t = Target()
    key = registry.register(t)
    yield t, key
    registry.unregister(key)


def check_shape(reply, rid):
    """Every reply is JSON with the documented fields, nothing more, nothing less."""
    content = reply.content
    json.dumps(content, allow_nan=False)
    assert content["id"] == rid
    if content["ok"]:
        assert set(content) <= {"id", "ok", "result", "outputs"}
    else:
        assert set(content) <= {"id", "ok", "error", "outputs"}
        err = content["error"]
        assert set(err) == {"type", "message", "traceback"}
        assert isinstance(err["type"], str) and err["type"]
        assert isinstance(err["message"], str) and err["message"]
        assert isinstance(err["traceback"], list)
        assert all(isinstance(line, str) for line in err["traceback"])
    return content


def test_a_valid_request_is_answered_with_its_id_and_result(target):
    t, key = target
    reply = dispatch({"id": 7, "key": key, "method": "add", "args": {"a": 2, "b": 3}})
    assert check_shape(reply, 7) == {"id": 7, "ok": True, "result": 5}
    assert t.calls == [("add", 2, 3)]


def test_string_ids_are_echoed(target):
    _, key = target
    reply = dispatch({"id": "abc-1", "key": key, "method": "add", "args": {"a": 1}})
    assert check_shape(reply, "abc-1")["result"] == 1


def test_missing_args_means_no_arguments(target):
    _, key = target
    reply = dispatch({"id": 1, "key": key, "method": "fast"})
    assert reply.content["result"] == "fast"


@pytest.mark.parametrize(
    "message",
    [None, 42, "text", [1, 2], True],
    ids=["null", "number", "string", "list", "bool"],
)
def test_a_message_that_is_not_an_object_gets_a_protocol_error_with_null_id(message):
    content = check_shape(dispatch(message), None)
    assert content["error"]["type"] == "ProtocolError"


@pytest.mark.parametrize("rid", [None, 1.5, True, [1], {"a": 1}])
def test_an_unusable_id_gets_a_protocol_error_with_null_id(target, rid):
    _, key = target
    content = check_shape(dispatch({"id": rid, "key": key, "method": "fast"}), None)
    assert content["error"]["type"] == "ProtocolError"


def test_a_missing_id_gets_a_protocol_error(target):
    _, key = target
    content = check_shape(dispatch({"key": key, "method": "fast"}), None)
    assert content["error"]["type"] == "ProtocolError"


def test_an_unknown_key_gets_unknown_key(target):
    content = check_shape(dispatch({"id": 1, "key": "nope", "method": "fast"}), 1)
    assert content["error"]["type"] == "UnknownKey"


@pytest.mark.parametrize("key", [None, 5, ["k"]])
def test_a_key_that_is_not_a_string_gets_a_protocol_error(key):
    content = check_shape(dispatch({"id": 1, "key": key, "method": "fast"}), 1)
    assert content["error"]["type"] == "ProtocolError"


@pytest.mark.parametrize(
    "method",
    ["hidden", "_private", "__init__", "__class__", "calls", "nosuch", "", "add.__globals__"],
)
def test_only_exposed_methods_can_be_reached(target, method):
    t, key = target
    content = check_shape(dispatch({"id": 3, "key": key, "method": method}), 3)
    assert content["error"]["type"] == "UnknownMethod"
    assert t.calls == []


def test_a_method_name_that_is_not_a_string_gets_a_protocol_error(target):
    _, key = target
    content = check_shape(dispatch({"id": 3, "key": key, "method": 12}), 3)
    assert content["error"]["type"] == "ProtocolError"


def test_a_subclass_that_overrides_without_expose_withdraws_the_method():
    assert "add" in exposed_methods(Target)
    assert "add" not in exposed_methods(Sub)
    assert "fast" in exposed_methods(Sub)


def test_expose_refuses_private_names():
    with pytest.raises(ValueError):

        class Bad:
            @expose
            def _secret(self):
                pass


@pytest.mark.parametrize(
    "args",
    [
        {"a": 1, "zzz": 2},
        {},
        {"b": 1},
        [1, 2],
        "a=1",
        {"a b": 1},
        {"buffers": 1, "a": 1},
        {"class": 1},
    ],
)
def test_bad_arguments_get_bad_arguments(target, args):
    t, key = target
    content = check_shape(dispatch({"id": 4, "key": key, "method": "add", "args": args}), 4)
    assert content["error"]["type"] == "BadArguments"
    assert t.calls == []


def test_an_exception_in_the_method_becomes_an_error_reply_with_its_traceback(target):
    _, key = target
    content = check_shape(dispatch({"id": 5, "key": key, "method": "fail"}), 5)
    assert content["error"]["type"] == "ZeroDivisionError"
    assert content["error"]["message"] == "boom"
    text = "".join(content["error"]["traceback"])
    assert "in fail" in text and "ZeroDivisionError: boom" in text
    assert "ipyanimagic/bridge/dispatcher.py" not in text and "in run" not in text


def test_keyboard_interrupt_in_a_method_is_answered_not_raised(target):
    _, key = target
    content = check_shape(dispatch({"id": 6, "key": key, "method": "interrupted"}), 6)
    assert content["error"]["type"] == "KeyboardInterrupt"


def test_system_exit_in_a_method_is_answered_and_the_kernel_lives_on(target):
    _, key = target
    content = check_shape(dispatch({"id": 7, "key": key, "method": "exits"}), 7)
    assert content["error"]["type"] == "SystemExit"


def test_a_reported_error_keeps_its_own_type_and_traceback(target):
    _, key = target
    content = check_shape(dispatch({"id": 6, "key": key, "method": "reported"}), 6)
    assert content["error"] == {
        "type": "ValueError",
        "message": "bad value",
        "traceback": ["line 1\n"],
    }


@pytest.mark.parametrize("method", ["nan", "not_json"])
def test_a_result_that_is_not_strict_json_becomes_an_error_reply(target, method):
    _, key = target
    content = check_shape(dispatch({"id": 8, "key": key, "method": method}), 8)
    assert content["error"]["type"] == "TypeError"


def test_buffers_reach_a_method_that_takes_them(target):
    _, key = target
    reply = dispatch({"id": 9, "key": key, "method": "size"}, [b"ab", memoryview(b"cde")])
    assert reply.content["result"] == 5


def test_buffers_sent_to_a_method_that_takes_none_are_refused(target):
    _, key = target
    content = check_shape(
        dispatch({"id": 9, "key": key, "method": "add", "args": {"a": 1}}, [b"x"]), 9
    )
    assert content["error"]["type"] == "BadArguments"


def test_a_method_can_answer_with_buffers(target):
    _, key = target
    reply = dispatch({"id": 10, "key": key, "method": "blob"})
    assert reply.content == {"id": 10, "ok": True, "result": {"n": 3}}
    assert [bytes(b) for b in reply.buffers] == [b"abc"]


def test_prepare_tells_which_methods_may_run_off_the_main_thread(target):
    _, key = target
    assert prepare({"id": 1, "key": key, "method": "fast"}).thread_safe is True
    assert prepare({"id": 1, "key": key, "method": "add", "args": {"a": 1}}).thread_safe is False


def test_closing_a_target_makes_its_key_unknown(target):
    _, key = target
    registry.unregister(key)
    content = check_shape(dispatch({"id": 11, "key": key, "method": "fast"}), 11)
    assert content["error"]["type"] == "UnknownKey"


def test_the_registry_and_dispatcher_keep_working_after_garbage(target):
    _, key = target
    for junk in [None, {}, {"id": {}}, {"id": 1, "key": key, "method": "fail"}, "x" * 100000]:
        dispatch(junk)
    assert (
        dispatch({"id": 12, "key": key, "method": "add", "args": {"a": 1, "b": 1}}).content[
            "result"
        ]
        == 2
    )


class Deferred:
    def __init__(self):
        self.pending = []

    @expose
    def later(self, value: int):
        from concurrent.futures import Future

        f = Future()
        self.pending.append((f, value))
        return f


def test_a_method_may_answer_later_through_a_future():
    from concurrent.futures import Future

    target = Deferred()
    key = registry.register(target)
    try:
        outcome = prepare({"id": 21, "key": key, "method": "later", "args": {"value": 3}}).run()
        assert isinstance(outcome, Future) and not outcome.done()
        ((f, value),) = target.pending
        f.set_result(WithBuffers({"v": value}, [b"xy"]))
        reply = outcome.result(timeout=1)
        assert reply.content == {"id": 21, "ok": True, "result": {"v": 3}}
        assert [bytes(b) for b in reply.buffers] == [b"xy"]
        failing = prepare({"id": 22, "key": key, "method": "later", "args": {"value": 4}}).run()
        target.pending[-1][0].set_exception(ValueError("encoder broke"))
        content = check_shape(failing.result(timeout=1), 22)
        assert content["error"] == {
            "type": "ValueError",
            "message": "encoder broke",
            "traceback": content["error"]["traceback"],
        }
    finally:
        registry.unregister(key)
