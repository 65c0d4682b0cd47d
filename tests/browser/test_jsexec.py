"""%%jsexec in a real browser: the 2013 post's examples and the promise API.

Each test opens a notebook in JupyterLab (and, where it says so, Notebook 7), runs its
cells as a user would, clicks the controls and reads what the page shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from playwright.sync_api import Locator, expect

LOAD = "%load_ext ipyanimagic"

SEED_FORM = """%%jsexec --html
<div style="background-color:gainsboro; border:solid black; width:300px; padding:20px;">
Variable Name: <input type="text" id="var_name" value="foo"><br>
Variable Value: <input type="text" id="var_value" value="bar"><br>
<button onclick="set_value()">Set Value</button>
</div>
<script type="text/Javascript">
    function set_value(){
        var var_name = document.getElementById('var_name').value;
        var var_value = document.getElementById('var_value').value;
        var command = var_name + " = '" + var_value + "'";
        console.log("Executing Command: " + command);
        var kernel = IPython.notebook.kernel;
        kernel.execute(command);
    }
</script>"""

SEED_CODE_BOX = """%%jsexec --html
<div>
Code: <input type="text" id="code_input" size="50" value="sin(pi / 2)"><br>
Result: <input type="text" id="result_output" size="50" value=""><br>
<button onclick="exec_code()">Execute</button>
</div>
<script type="text/Javascript">
    function handle_output(out_type, out){
        var res = null;
        if(out_type == "stream"){
            res = out.data;
        }
        else if(out_type === "pyout"){
            res = out.data["text/plain"];
        }
        else if(out_type == "pyerr"){
            res = out.ename + ": " + out.evalue;
        }
        else{
            res = "[out type not implemented]";
        }
        document.getElementById("result_output").value = res;
    }
    function exec_code(){
        var code_input = document.getElementById('code_input').value;
        var kernel = IPython.notebook.kernel;
        var callbacks = {'output' : handle_output};
        document.getElementById("result_output").value = "";
        var msg_id = kernel.execute(code_input, callbacks, {silent:false});
    }
</script>"""


def report(js: str) -> str:
    """A %%jsexec cell that runs ``js`` (which sets ``result``) and shows it as JSON."""
    return (
        "%%jsexec\n"
        "let result;\n"
        "try {\n" + js + "\n} catch (err) {\n"
        "  result = {caught: true, name: err.name, message: err.message,\n"
        "            traceback: (err.traceback || []).join('')};\n"
        "}\n"
        "const pre = document.createElement('pre');\n"
        "pre.className = 'report';\n"
        "pre.textContent = JSON.stringify(result);\n"
        "element.appendChild(pre);\n"
    )


def read_report(nb, i: int) -> object:
    import json

    pre = nb.output(i).locator("pre.report")
    expect(pre).to_have_count(1, timeout=30_000)
    return json.loads(pre.inner_text())


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_seed_example_1_the_form_sets_a_python_variable(notebook, app):
    nb = notebook([LOAD, SEED_FORM, "print(foo)"], app=app)
    nb.run_cell(0)
    out = nb.run_cell(1)
    out.locator("#var_value").fill("it works")
    out.get_by_role("button", name="Set Value").click()
    # kernel.execute is asynchronous, as in the post: ask until the kernel has it.
    nb.run_cell_until(2, "it works")
    # No global names: the form's function lives in the output's own scope.
    assert nb.page.evaluate("typeof window.set_value") == "undefined"
    nb.assert_no_page_errors()
    assert nb.console_errors == []


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_seed_example_2_shows_result_print_and_error(notebook, app):
    nb = notebook([LOAD, "from math import pi, sin", SEED_CODE_BOX], app=app)
    nb.run_cell(0)
    nb.run_cell(1)
    out = nb.run_cell(2)
    run_in_code_box(
        out, [("undefined_name_xyz", "NameError: name 'undefined_name_xyz' is not defined")]
    )
    nb.assert_no_page_errors()


def run_in_code_box(box: Locator, more: Sequence[tuple[str, str]] = ()) -> None:
    """Type code into the 2013 example-2 box, press Execute, check what it shows: a value,
    printed text and an exception (plus ``more`` cases)."""
    code, result = box.locator("#code_input"), box.locator("#result_output")
    button = box.get_by_role("button", name="Execute")
    for source, expected in [
        ("sin(pi / 2)", "1.0"),
        ("print('hello from python')", "hello from python"),  # an <input> drops the newline
        ("1/0", "ZeroDivisionError: division by zero"),
        *more,
    ]:
        code.fill(source)
        button.click()
        expect(result).to_have_value(expected, timeout=15_000)


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_a_python_exception_rejects_the_promise_with_the_python_error(notebook, app):
    nb = notebook(
        [
            LOAD,
            "def divide(a, b):\n    return a / b",
            report("result = await python.call('divide', 1, 0);"),
        ],
        app=app,
    )
    for i in range(3):
        nb.run_cell(i)
    rep = read_report(nb, 2)
    assert rep["caught"] is True
    assert rep["name"] == "ZeroDivisionError"
    assert rep["message"] == "division by zero"
    assert "return a / b" in rep["traceback"]
    nb.assert_no_page_errors()


def test_printed_output_reaches_the_javascript_caller(notebook):
    nb = notebook(
        [
            LOAD,
            "def chatty(n):\n    print('working on', n)\n    return n * 2",
            report(
                "const r = await python.exec(\"print('to js')\\nimport sys\\n"
                "print('warn', file=sys.stderr)\\n21 * 2\");\n"
                "const doubled = await python.call('chatty', 5);\n"
                "result = {stdout: r.stdout, stderr: r.stderr, value: r.result, doubled};"
            ),
        ]
    )
    for i in range(3):
        nb.run_cell(i)
    rep = read_report(nb, 2)
    assert rep == {"stdout": "to js\n", "stderr": "warn\n", "value": "42", "doubled": 10}
    # What chatty() printed is shown in the cell's output, as a cell's print would be.
    expect(nb.output(2).locator(".ipyanimagic-outputs")).to_contain_text("working on 5")
    nb.assert_no_page_errors()


def test_values_travel_as_data_never_as_source(notebook):
    hostile = "x'); import os; os.remove('nothing') #"
    nb = notebook(
        [
            LOAD,
            report(
                f"await python.set('payload', {hostile!r});\n"
                "await python.set('nested', {a: [1, 2.5, null], b: 'ü'});\n"
                "result = [await python.get('payload'), await python.eval('nested[\"a\"]')];"
            ),
            "print(repr(payload), nested)",
        ]
    )
    for i in range(3):
        nb.run_cell(i)
    assert read_report(nb, 1) == [hostile, [1, 2.5, None]]
    nb.wait_for_text(2, repr(hostile))
    nb.wait_for_text(2, "{'a': [1, 2.5, None], 'b': 'ü'}")


def test_kernel_execute_defines_names_and_reports_the_value(notebook):
    nb = notebook(
        [
            LOAD,
            report(
                "result = await new Promise((resolve) => {\n"
                "  const seen = [];\n"
                "  const id = kernel.execute(\"defined_from_js = 'bar'\\nprint('p')\\n"
                'defined_from_js * 2", {\n'
                "    output: (type, out) => seen.push([type, out.data && (out.data['text/plain']"
                " || out.data)]),\n"
                "    shell: {reply: (msg) => resolve({id: typeof id, seen, status: "
                "msg.content.status})},\n"
                "  });\n"
                "});"
            ),
            "print(defined_from_js)",
        ]
    )
    for i in range(3):
        nb.run_cell(i)
    rep = read_report(nb, 1)
    assert rep["status"] == "ok"
    assert rep["seen"] == [["stream", "p\n"], ["pyout", "'barbar'"]]
    nb.wait_for_text(2, "bar")


def test_a_javascript_error_is_shown_in_the_output_not_thrown_at_the_page(notebook):
    nb = notebook([LOAD, "%%jsexec\nnull.boom;", "print('still alive')"])
    for i in range(2):
        nb.run_cell(i)
    alert = nb.output(1).get_by_role("alert")
    expect(alert).to_contain_text("TypeError")
    nb.run_cell(2)
    nb.wait_for_text(2, "still alive")
    nb.assert_no_page_errors()


def test_a_call_that_outlives_its_timeout_rejects_and_the_kernel_carries_on(notebook):
    nb = notebook(
        [
            LOAD,
            report(
                "const t0 = performance.now();\n"
                "try {\n"
                "  await python.options({timeout: 200}).eval(\"__import__('time').sleep(1.5)\");\n"
                "  result = 'resolved';\n"
                "} catch (err) {\n"
                "  result = {name: err.name, waited: performance.now() - t0 < 1400,\n"
                "            after: await python.eval('6 * 7')};\n"
                "}"
            ),
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    rep = read_report(nb, 1)
    assert rep == {"name": "TimeoutError", "waited": True, "after": 42}


def test_an_aborted_call_rejects_with_abort_error(notebook):
    nb = notebook(
        [
            LOAD,
            report(
                "const ctl = new AbortController();\n"
                "const slow = python.options({signal: ctl.signal});\n"
                "const p = slow.eval(\"__import__('time').sleep(1)\");\n"
                "ctl.abort();\n"
                "try { await p; result = 'resolved'; } catch (err) { result = err.name; }"
            ),
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    assert read_report(nb, 1) == "AbortError"


def test_pending_promises_reject_when_the_widget_closes(notebook):
    # Two calls in flight: the first closes the widget from Python, the second is still
    # queued behind it. Neither can be answered; both must reject, none may hang.
    js = (
        "const log = (what) => console.log('ipyanimagic-test ' + what);"
        "python.exec('import time; time.sleep(0.3); w.close()')"
        ".then(() => log('resolved'), (e) => log('first ' + e.name));"
        "python.eval('1').then(() => log('resolved'), (e) => log('second ' + e.name));"
    )
    nb = notebook([LOAD, f"import ipyanimagic\nw = ipyanimagic.jsexec({js!r})\nw", "print('ok')"])
    nb.run_cell(0)
    nb.run_cell(1)
    nb.wait_for_console(lambda m: m.startswith("ipyanimagic-test"), count=2)
    nb.run_cell(2)  # and nothing more comes meanwhile
    nb.wait_for_text(2, "ok")
    ours = sorted(m for m in nb.console_messages if m.startswith("ipyanimagic-test"))
    assert ours == ["ipyanimagic-test first Disconnected", "ipyanimagic-test second Disconnected"]
    nb.assert_no_page_errors()


def test_two_outputs_are_independent(notebook):
    cell = (
        "%%jsexec --html\n<b class='who'></b>"
        "<script>element.querySelector('.who').textContent = '{}';</script>"
    )
    nb = notebook([LOAD, cell.format("first"), cell.format("second")])
    for i in range(3):
        nb.run_cell(i)
    expect(nb.output(1).locator(".who")).to_have_text("first")
    expect(nb.output(2).locator(".who")).to_have_text("second")
