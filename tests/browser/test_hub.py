"""Through a real JupyterHub (issue 21, remote users): a user logs in with the hub's
form, the hub spawns the single-user server (JupyterLab from this environment, with the
ipyanimagic server extension) and the page talks to it through configurable-http-proxy.

The player plays and steps, ``%%jsexec`` calls Python and the kernel, Python calls the
page; and no hop on the kernel websocket's way (browser -> proxy -> single-user server)
has Nagle's algorithm on, which would add ~40 ms to every small round trip. One hub for
the module (``support/hub.py``); its notebooks share one logged-in JupyterLab page.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from support import hub as hubs
from support import lab, sockets
from test_jsexec import LOAD, read_report, report
from test_player import open_player
from test_python_calls import PAGE, SETUP


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hubs.Hub]:
    base = tmp_path_factory.mktemp("hub")
    yield from lab.serving(lambda: hubs.start_hub(base), hubs.stop_hub)


@pytest.fixture
def hub_notebook(hub: hubs.Hub, browser: Any) -> Iterator[Callable[..., lab.NotebookPage]]:
    """``open(cells, app="lab")``: a notebook in the hub user's JupyterLab, as the
    ``notebook`` fixture opens one on the test server (closed after the test)."""
    opened: list[lab.NotebookPage] = []

    def open_notebook(cells: list[str], app: str = "lab") -> lab.NotebookPage:
        assert app == "lab", "the hub's user server opens its notebooks in JupyterLab"
        nb = hubs.open_notebook(hub, browser, cells)
        opened.append(nb)
        return nb

    yield open_notebook
    for nb in opened:
        lab.close_notebook(hub.user_server(), nb, wait=False)


def test_the_player_plays_and_steps_through_the_hub(hub, hub_notebook):
    nb, p = open_player(hub_notebook, "anim = seed()\n%animate anim --fps 30")
    assert nb.page.url.startswith(f"{hub.url}/user/{hub.user}/lab"), nb.page.url
    expect(p.counter).to_have_text("1 / 100")
    p.button("Next frame").click()
    p.expect_frame(1)
    p.button("Last frame").click()
    p.expect_frame(99)
    p.button("First frame").click()
    p.expect_frame(0)
    p.button("Play").click()
    expect(p.canvas).not_to_have_attribute("data-frame", re.compile(r"^[0-4]$"), timeout=10_000)
    p.button("Pause").click()
    expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
    p.expect_still(p.shown(), for_ms=500)
    nb.assert_no_page_errors()


def test_jsexec_calls_python_and_the_kernel_through_the_hub(hub_notebook):
    nb = hub_notebook(
        [
            LOAD,
            report(
                "const answer = await python.eval('6 * 7');\n"
                "const status = await new Promise((resolve) => kernel.execute(\n"
                "  \"from_js = 'through the hub'\",\n"
                "  {shell: {reply: (msg) => resolve(msg.content.status)}}));\n"
                "result = {answer, status, back: await python.get('from_js')};"
            ),
            "print(from_js)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    assert read_report(nb, 1) == {"answer": 42, "status": "ok", "back": "through the hub"}
    nb.run_cell(2)
    nb.wait_for_text(2, "through the hub")
    nb.assert_no_page_errors()
    assert nb.console_errors == []


# test_python_calls' round trips, fewer: values checked, 1 MB of binary both ways, eval_js
# in the cell's scope and without a %%jsexec cell.
ROUND_TRIPS = """values = [{"i": i, "s": "é" * (i % 3), "l": [i, None, True], "f": i / 7}
          for i in range(20)]
assert [ui.call("echo", v) for v in values] == values
a = np.random.default_rng(0).random(262144, dtype=np.float32)  # 1 MB
assert ui.call("same", a) == a.tobytes()
square = ui.call("asArray", a.reshape(512, 512))
assert square.shape == (512, 512) and np.array_equal(square, a.reshape(512, 512))
print(ui.call("add", 40, 2), "|", ui.eval_js("element.querySelector('.pick').textContent"),
      "|", ipyanimagic.eval_js("typeof document.title"))"""


def test_python_calls_the_page_through_the_hub(hub_notebook):
    nb = hub_notebook([SETUP, PAGE, ROUND_TRIPS])
    nb.run_cell(0)
    expect(nb.run_cell(1).locator("button.pick")).to_be_visible()
    out = nb.run_cell(2, timeout=60)
    assert out.inner_text().strip() == "42 | Blue | string", out.inner_text()
    nb.assert_no_page_errors()
    assert nb.console_errors == []


# More than anything else the page exchanges with the server while the output comes.
BULK = 300_000


def _sent(c: sockets.Connection) -> int:
    try:
        return c.bytes_acked()
    except OSError:  # closed meanwhile (an HTTP keep-alive connection)
        return -1


def _carrying(before: dict[sockets.Connection, int], deadline: float) -> list[sockets.Connection]:
    """Of the connections in ``before``, those that have sent ``BULK`` more bytes (by
    ``deadline``: the last bytes' acknowledgement can come after the output shows)."""
    while True:
        grown = [c for c, sent in before.items() if _sent(c) - sent >= BULK]
        if grown or time.monotonic() > deadline:
            return grown
        time.sleep(0.1)


@pytest.mark.skipif(sockets.unsupported() is not None, reason=f"{sockets.unsupported()}")
def test_no_hop_of_the_kernel_websocket_has_nagle_on(hub, hub_notebook):
    assert hubs.EXTENSION_LINE in hub.log.read_text(), hub.log_tail()
    nb = hub_notebook([f"print('x' * {BULK})"])
    proxy = hub.proxy_pid()
    public = urllib.parse.urlsplit(hub.url).port
    direct = urllib.parse.urlsplit(hub.direct_url()).port
    assert public is not None and direct is not None
    server = hub.server_pid()
    to_browser = {c: c.bytes_acked() for c in sockets.connections(proxy, public)}
    to_proxy = {c: c.bytes_acked() for c in sockets.connections(server, direct)}
    nb.run_cell(0)
    deadline = time.monotonic() + 10
    proxy_to_browser = _carrying(to_browser, deadline)
    server_to_proxy = _carrying(to_proxy, deadline)
    assert proxy_to_browser and server_to_proxy, (to_browser, to_proxy)
    # The proxy's end of each server connection: its local port is the server's remote.
    proxy_to_server = [c for s in server_to_proxy for c in sockets.connections(proxy, s.remote[1])]
    assert len(proxy_to_server) == len(server_to_proxy), (server_to_proxy, proxy_to_server)
    hops = {
        "proxy -> browser": proxy_to_browser,
        "proxy -> single-user server": proxy_to_server,
        "single-user server -> proxy (ipyanimagic's server extension)": server_to_proxy,
    }
    assert {k: [c.nodelay() for c in v] for k, v in hops.items()} == {
        k: [True] * len(v) for k, v in hops.items()
    }
