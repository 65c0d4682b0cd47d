"""Running Python for a JavaScript caller, in a real IPython shell's user namespace."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ipyanimagic.bridge.jsonvalue import to_json
from ipyanimagic.bridge.pyexec import PythonRunner
from ipyanimagic.errors import ReportedError


@pytest.fixture
def runner(ip):
    return PythonRunner(ip)


def test_execute_defines_names_in_the_user_namespace(runner, ip):
    assert runner.execute("foo = 'bar'") == []
    assert ip.user_ns["foo"] == "bar"


def test_execute_reports_stream_result_and_display_in_order(runner):
    outputs = runner.execute(
        "import sys\nfrom IPython.display import display\n"
        "print('one')\ndisplay({'text/html': '<b>two</b>'}, raw=True)\n"
        "print('three', file=sys.stderr)\n6*7"
    )
    kinds = [(o["output_type"], o.get("name")) for o in outputs]
    assert kinds == [
        ("stream", "stdout"),
        ("display_data", None),
        ("stream", "stderr"),
        ("execute_result", None),
    ]
    assert outputs[0]["text"] == "one\n"
    assert outputs[1]["data"]["text/html"] == "<b>two</b>"
    assert outputs[3]["data"]["text/plain"] == "42"


def test_execute_reports_an_error_as_an_output_with_the_users_traceback(runner):
    outputs = runner.execute("x = 1\n1/0")
    assert outputs[-1]["output_type"] == "error"
    assert outputs[-1]["ename"] == "ZeroDivisionError"
    assert outputs[-1]["evalue"] == "division by zero"
    tb = "".join(outputs[-1]["traceback"])
    assert "1/0" in tb and "pyexec.py" not in tb


def test_execute_accepts_ipython_syntax(runner, ip):
    runner.execute("%config PlainTextFormatter.pprint = True\nvalue = !echo hi")
    assert list(ip.user_ns["value"]) == ["hi"]


def test_execute_of_a_syntax_error_is_an_error_output(runner):
    (out,) = runner.execute("def (")
    assert out["output_type"] == "error" and out["ename"] == "SyntaxError"


def test_exec_returns_stdout_stderr_and_the_last_value(runner):
    res = runner.exec("import sys\nprint('a')\nprint('b', file=sys.stderr)\n[1, 2]")
    assert res["stdout"] == "a\n" and res["stderr"] == "b\n"
    assert res["result"] == "[1, 2]"
    assert res["data"]["text/plain"] == "[1, 2]"


def test_exec_raises_the_python_error_with_its_output(runner):
    with pytest.raises(ReportedError) as info:
        runner.exec("print('before')\nraise KeyError('k')")
    assert info.value.kind == "KeyError"
    assert info.value.outputs[0]["text"] == "before\n"
    assert "raise KeyError" in "".join(info.value.traceback)


def test_eval_returns_json_values(runner, ip):
    ip.user_ns["arr"] = np.arange(3)
    assert runner.eval("arr * 2") == [0, 2, 4]
    assert runner.eval("{'a': (1, 2.5), 3: None}") == {"a": [1, 2.5], "3": None}
    assert runner.eval("float('nan')") is None


def test_eval_of_an_unserializable_value_raises_type_error(runner):
    with pytest.raises(TypeError):
        runner.eval("object()")


def test_get_and_set_move_values_as_data_never_as_source(runner, ip):
    hostile = "'; import os; os.system('echo pwned') #"
    runner.set("payload", hostile)
    assert ip.user_ns["payload"] == hostile
    assert runner.get("payload") == hostile


def test_set_and_get_dotted_names(runner, ip):
    runner.execute("class C: pass\nc = C()")
    runner.set("c.value", {"x": 1})
    assert runner.get("c.value") == {"x": 1}


@pytest.mark.parametrize("name", ["", "1x", "a-b", "a..b", "x; y", None, 5])
def test_invalid_names_are_refused(runner, name):
    with pytest.raises((ValueError, TypeError)):
        runner.set(name, 1)


def test_get_of_an_undefined_name_raises_name_error(runner):
    with pytest.raises(ReportedError) as info:
        runner.get("surely_not_defined")
    assert info.value.kind == "NameError"


def test_call_passes_json_arguments_and_returns_json(runner):
    runner.execute("def scale(xs, k):\n    return [x * k for x in xs]")
    assert runner.call("scale", [[1, 2], 3]) == [3, 6]
    runner.execute("import math")
    assert runner.call("math.sqrt", [16]) == 4.0


def test_call_of_a_non_callable_raises_type_error(runner):
    runner.set("n", 3)
    with pytest.raises(TypeError):
        runner.call("n", [])


def test_call_raises_the_functions_exception(runner):
    runner.execute("def bad():\n    return {}['missing']")
    with pytest.raises(ReportedError) as info:
        runner.call("bad", [])
    assert info.value.kind == "KeyError"
    assert "return {}['missing']" in "".join(info.value.traceback)


def test_to_json_mirrors_json_stringify():
    assert to_json((1, np.float32(2.5), np.int64(3), math.inf)) == [1, 2.5, 3, None]
    with pytest.raises(TypeError):
        to_json({(1, 2): 3})
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError):
        to_json(loop)


def test_an_exception_whose_str_fails_is_still_reported(runner):
    code = "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E()"
    (output,) = runner.execute(code)
    assert output["output_type"] == "error"
    assert output["ename"] == "E" and output["evalue"] == "<E: str() failed>"
    with pytest.raises(ReportedError) as caught:
        runner.exec(code)
    assert caught.value.kind == "E"


def test_the_sources_kept_for_tracebacks_are_bounded(runner):
    """A page calling with ever-changing code must not grow the kernel without bound."""
    import linecache

    from ipyanimagic.bridge import pyexec

    for i in range(pyexec.MAX_SOURCES + 50):
        assert runner.eval(f"{i} # {'x' * 1000}") == i
    ours = [k for k in linecache.cache if str(k).startswith("<js-python-")]
    assert len(ours) <= pyexec.MAX_SOURCES
    # The latest source is still there: its traceback shows the line.
    with pytest.raises(ReportedError) as caught:
        runner.eval("1 / 0  # the failing line")
    assert "the failing line" in "".join(caught.value.traceback)
