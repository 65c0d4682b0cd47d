"""Python -> page calls without a page: the value codec, the magic's --name, the
allow-list alias that frees ``JsExec.call`` for Python."""

from __future__ import annotations

import numpy as np
import pytest
from IPython.core.error import UsageError

from ipyanimagic import JsExec
from ipyanimagic.bridge.dispatcher import dispatch, exposed_methods
from ipyanimagic.bridge.pagecalls import BUFFER_MARK, decode, encode


def test_bytes_and_numpy_arrays_go_to_buffers_and_the_rest_is_json():
    buffers: list = []
    value = encode(
        {"b": b"\x01\x02", "a": np.arange(4, dtype=np.int16), "t": (1, float("nan"))}, buffers
    )
    assert value == {
        "b": {BUFFER_MARK: 0, "type": "ArrayBuffer"},
        "a": {BUFFER_MARK: 1, "type": "Int16Array", "shape": [4]},
        "t": [1, None],
    }
    assert bytes(buffers[0]) == b"\x01\x02"
    assert bytes(buffers[1]) == np.arange(4, dtype="<i2").tobytes()


def test_a_non_contiguous_or_big_endian_array_is_sent_as_little_endian_contiguous_data():
    buffers: list = []
    array = np.arange(12, dtype=">f8").reshape(3, 4)[:, ::2]
    encode(array, buffers)
    assert bytes(buffers[0]) == np.ascontiguousarray(array, dtype="<f8").tobytes()


def test_values_that_cannot_be_sent_say_so():
    with pytest.raises(TypeError, match="cannot be sent to the page"):
        encode(object(), [])
    with pytest.raises(TypeError, match="no JS typed array"):
        encode(np.array(["a"]), [])


def test_page_buffers_become_bytes_or_the_numpy_array_the_page_asked_for():
    data = np.arange(6, dtype="<f4").tobytes()
    value = decode(
        [
            {BUFFER_MARK: 0, "type": "Float32Array"},
            {BUFFER_MARK: 0, "type": "Float32Array", "shape": [2, 3], "array": True},
            {"plain": {"nested": 1}},
        ],
        [data],
    )
    assert value[0] == data
    assert value[1].dtype == np.float32 and value[1].shape == (2, 3)
    assert value[1].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert value[2] == {"plain": {"nested": 1}}


def test_the_page_still_reaches_python_call_though_jsexec_call_now_calls_the_page(ip):
    ip.user_ns["add"] = lambda a, b: a + b
    w = JsExec("", shell=ip)
    try:
        assert exposed_methods(type(w))["call"].attr == "py_call"
        reply = dispatch(
            {"id": 1, "key": w.key, "method": "call", "args": {"name": "add", "args": [2, 3]}}
        )
        assert reply.content["result"] == 5
        refused = dispatch({"id": 2, "key": w.key, "method": "py_call", "args": {}})
        assert refused.content["error"]["type"] == "UnknownMethod"
    finally:
        w.close()


def test_jsexec_name_binds_the_widget_in_the_user_namespace(ip, monkeypatch):
    shown: list = []
    monkeypatch.setattr("ipyanimagic.magics.display", shown.append)
    ip.run_line_magic("load_ext", "ipyanimagic")
    ip.run_cell_magic("jsexec", "--name ui", "python.expose('f', () => 1);")
    (w,) = shown
    assert ip.user_ns["ui"] is w
    w.close()
    with pytest.raises(UsageError, match="not a Python name"):
        ip.run_cell_magic("jsexec", "--name 1x", "1;")
