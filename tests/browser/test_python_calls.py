"""Python calls the page, in a real browser: JupyterLab with ``commsOverSubshells`` at its
default and at "disabled", and Notebook 7.

The calling cell blocks the kernel's main thread until the page answers; in each mode the
reply reaches it (ipyanimagic.bridge.replywait), a cell queued behind it runs once, afterwards,
with its own output, and every way a call can fail leaves nothing pending on either side.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support import lab
from support.lab import FRONT_END_MODES as MODES
from support.lab import open_in

SETUP = "%load_ext ipyanimagic\nimport ipyanimagic, json, time\nimport numpy as np"

PAGE = """%%jsexec --name ui
element.innerHTML = `<button class="pick">Blue</button>`;
const local = "the cell's own variable";
python.expose({
  add: (a, b) => a + b,
  echo: (x) => x,
  same: (x) => x,
  asArray: (x) => python.array(x, x.shape),
  boom: () => { throw new RangeError("too far"); },
  choice: () => new Promise((resolve) => {
    element.querySelector(".pick").onclick = () => resolve("blue");
  }),
});
python.expose("forever", (signal) => new Promise((resolve, reject) => {
  signal.addEventListener("abort", () => {
    element.dataset.aborted = String(Number(element.dataset.aborted || 0) + 1);
    reject(signal.reason);
  });
}));"""

ROUND_TRIPS = """values = [{"i": i, "s": "é" * (i % 3), "l": [i, None, True], "f": i / 7}
          for i in range(200)]
got = [ui.call("echo", v) for v in values]
assert got == values, [g for g, v in zip(got, values) if g != v][:3]
assert [ui.call("add", i, 1) for i in range(5)] == [1, 2, 3, 4, 5]
a = np.random.default_rng(0).random(262144, dtype=np.float32)  # 1 MB
back = ui.call("same", a)
assert type(back) is bytes and back == a.tobytes()
square = ui.call("asArray", a.reshape(512, 512))
assert square.dtype == np.float32 and square.shape == (512, 512)
assert np.array_equal(square, a.reshape(512, 512))
assert ui.call("same", b"\\x00\\xff" * 8) == b"\\x00\\xff" * 8
print(ui.eval_js("element.querySelector('.pick').textContent"), "|", ui.eval_js("local"))
print(ui.eval_js("await new Promise((r) => setTimeout(() => r(add(40, 2)), 10))"))
print("round trips ok")"""

WAIT_FOR_CLICK = """print("waiting for a click", flush=True)
choice = ui.call("choice")
print("picked", choice)"""

QUEUED = 'print("queued cell saw", choice)'

ERRORS = """for f in (lambda: ui.call("boom"), lambda: ui.call("nope"),
          lambda: ui.call("forever", timeout=0.5)):
    try:
        f()
    except ipyanimagic.NotExposedError as e:
        print("NotExposedError", e.exposed)
    except ipyanimagic.JSError as e:
        print("JSError", e.name, e.message, "too far" in e.stack)
    except TimeoutError as e:
        print("TimeoutError", e)"""

INTERRUPTED = """print("waiting forever", flush=True)
ui.call("forever", timeout=60)"""

AFTER_INTERRUPT = 'print("still works", ui.call("add", 1, 2))'

CLEARED = """print("waiting for the page", flush=True)
try:
    ui.call("forever", timeout=60)
except ipyanimagic.Disconnected as e:
    print("Disconnected:", e)
try:
    ui.call("add", 1, 2)
except ipyanimagic.Disconnected as e:
    print("then at once:", e)"""

CELLS = [
    SETUP,
    PAGE,
    ROUND_TRIPS,
    WAIT_FOR_CLICK,
    QUEUED,
    ERRORS,
    INTERRUPTED,
    AFTER_INTERRUPT,
    CLEARED,
]


def text(nb, i: int) -> str:
    """The text cell i's output shows, scrolled into view first: JupyterLab skips
    rendering cells out of view, and innerText reads what is rendered."""
    out = nb.output(i)
    out.scroll_into_view_if_needed()
    expect(out).to_be_in_viewport()
    return out.inner_text()


def clear_output(nb, i: int) -> None:
    """Clear cell i's output as a user does: its context menu."""
    prompt = nb.cell(i).locator(".jp-InputPrompt").first
    prompt.click()  # select the cell: the menu acts on the selected cells
    prompt.click(button="right")
    nb.page.get_by_role("menuitem", name="Clear Cell Output").click()


@pytest.mark.parametrize("mode", MODES)
def test_a_running_cell_calls_the_page_and_gets_its_answers(
    notebook, comms_over_subshells, jupyter_server, mode
):
    nb = open_in(notebook, comms_over_subshells, mode, CELLS)
    nb.run_cell(0)
    page = nb.run_cell(1)
    view = page.locator(".ipyanimagic-jsexec")  # data-python-calls: calls running
    element = view.locator(".ipyanimagic-jsexec-root")  # the cell's `element`
    expect(page.locator("button.pick")).to_be_visible()

    # 200 round trips with values checked, 1 MB of binary both ways, eval in the scope.
    out = nb.run_cell(2, timeout=120)
    assert out.inner_text().split("\n")[:3] == [
        "Blue | the cell's own variable",
        "42",
        "round trips ok",
    ], out.inner_text()

    # A cell that blocks until the user clicks (1 s later), and one queued behind it.
    nb.start_cell(3)
    nb.wait_for_text(3, "waiting for a click")
    nb.start_cell(4)
    nb.page.wait_for_timeout(1000)  # the user takes a second: the cell still waits
    expect(nb.output(3)).not_to_contain_text("picked")
    expect(nb.output(4)).to_have_text("")
    page.locator("button.pick").click()
    nb.wait_for_text(3, "picked blue")
    nb.wait_for_text(4, "queued cell saw blue")
    assert text(nb, 3).count("queued") == 0
    assert text(nb, 4).count("queued cell saw blue") == 1

    # Errors: the JS exception, a name never exposed, a timeout (aborted in the page).
    out = nb.run_cell(5)
    assert out.inner_text().strip().split("\n") == [
        "JSError RangeError too far True",
        "NotExposedError ['add', 'asArray', 'boom', 'choice', 'echo', 'forever', 'same']",
        "TimeoutError no reply from the page within 0.5 s",
    ], out.inner_text()
    expect(element).to_have_attribute("data-aborted", "1")
    expect(view).to_have_attribute("data-python-calls", "0")

    # The stop button while a cell waits: KeyboardInterrupt at once, the call aborted.
    nb.start_cell(6)
    nb.wait_for_text(6, "waiting forever")
    expect(view).to_have_attribute("data-python-calls", "1")
    lab.interrupt_kernel(jupyter_server, nb)
    nb.wait_for_text(6, "KeyboardInterrupt")
    expect(element).to_have_attribute("data-aborted", "2")
    expect(view).to_have_attribute("data-python-calls", "0")
    nb.run_cell(7)
    nb.wait_for_text(7, "still works 3")

    # The output cleared while a cell waits on it: Disconnected, then at once.
    nb.start_cell(8)
    nb.wait_for_text(8, "waiting for the page")
    clear_output(nb, 1)
    expect(nb.output(1)).to_have_text("")
    nb.wait_for_text(8, "then at once")
    expect(nb.output(1)).to_have_text("")
    assert text(nb, 8).strip().split("\n")[1:] == [
        "Disconnected: the output was removed or cleared",
        "then at once: the output was removed or cleared",
    ], text(nb, 8)

    nb.assert_no_page_errors()
    assert nb.console_errors == []


EVAL_ONLY = [
    "import ipyanimagic",
    "print(ipyanimagic.eval_js('6 * 7'), ipyanimagic.eval_js('typeof document.title'))\n"
    "print(ipyanimagic.eval_js('await new Promise((r) => setTimeout(() => r([1, null]), 10))'))",
    "display('shown before')\nprint(ipyanimagic.eval_js('[1, 2].map((x) => x * 2)'))",
]


@pytest.mark.parametrize("mode", MODES)
def test_eval_js_needs_no_jsexec_cell_and_leaves_nothing_on_the_page(
    notebook, comms_over_subshells, mode
):
    nb = open_in(notebook, comms_over_subshells, mode, EVAL_ONLY)
    nb.run_cell(0)
    out = nb.run_cell(1)
    assert out.inner_text().strip().split("\n") == ["42 string", "[1, None]"], out.inner_text()
    out = nb.run_cell(2)
    assert out.inner_text().strip().split("\n") == ["'shown before'", "[2, 4]"]
    # Only the cells' own outputs: no widget, no empty output left behind.
    assert nb.panel.locator(".ipyanimagic-jsexec").count() == 0
    assert out.locator(".jp-OutputArea-child").count() == 2
    nb.assert_no_page_errors()
    assert nb.console_errors == []


def test_notebook_04_python_calls_js_runs_with_a_user_clicking_and_drawing(notebook):
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[2] / "notebooks" / "04-python-calls-js.ipynb"
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    nb = notebook(cells)
    nb.run_cell(0)
    page = nb.run_cell(1)
    canvas = page.locator("canvas")
    expect(canvas).to_be_visible()

    nb.start_cell(2)  # waits for the user's choice
    page.get_by_role("button", name="blue").click()
    nb.wait_for_text(2, "You chose blue")

    box = canvas.bounding_box()
    assert box is not None
    nb.page.mouse.move(box["x"] + 20, box["y"] + 20)
    nb.page.mouse.down()
    nb.page.mouse.move(box["x"] + 140, box["y"] + 100, steps=12)
    nb.page.mouse.up()
    text = nb.run_cell(3).inner_text()
    assert text.startswith("(120, 160, 4) uint8 ink pixels:"), text
    assert int(text.split(":")[1]) > 100, text

    assert nb.run_cell(4).inner_text().split("\n")[:2] == ["19200", "42"]
    nb.run_cell(5)
    nb.wait_for_text(5, "exposed: add, ask, pixels")
    assert nb.run_cell(6).inner_text().split("\n")[:2] == ["True", "42"]
    for i in range(7):
        expect(nb.output(i).locator("[data-mime-type*='error']")).to_have_count(0)
    nb.assert_no_page_errors()
    assert nb.console_errors == []
