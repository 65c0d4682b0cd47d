"""Real-browser test harness: one Jupyter server and one Chromium per session.

Fixtures
--------
``jupyter_server`` (session)
    A JupyterLab server (which also serves Notebook 7) on a free local port, with
    throw-away config/data/runtime/IPython directories.
``browser`` (session)
    A headless Playwright Chromium using the system ``chromium`` binary.
``notebook`` (function)
    Factory ``open_notebook(cells, app="lab", name=None) -> NotebookPage`` that
    writes a notebook, opens it in a fresh browser context and waits for an
    idle, connected kernel. Contexts and kernel sessions are cleaned up after
    the test.

Every test collected below this directory gets the ``browser`` marker.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

HERE = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Notebook 7 logs these two page errors on every load; they are harmless.
NB7_KNOWN_PAGE_ERRORS = (
    "Cannot read properties of undefined (reading 'schema')",
    "Command 'filebrowser:open-path' not registered.",
)

# The notebook panel that is currently shown (Lab keeps hidden panels in the DOM;
# Notebook 7 uses the same panel class and has a single one).
PANEL_SELECTOR = ".jp-NotebookPanel:not(.lm-mod-hidden)"

SERVER_START_TIMEOUT = 60.0
KERNEL_READY_TIMEOUT = 60.0

# True once the current notebook widget has a connected, idle kernel.
_KERNEL_READY_JS = """
(path) => {
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path) return false;
  const s = w.sessionContext && w.sessionContext.session;
  const k = s && s.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}
"""

_SESSION_ID_JS = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext && w.sessionContext.session;
  return s ? s.id : null;
}
"""

_KERNEL_COMMS_MODE_JS = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext && w.sessionContext.session;
  return s && s.kernel ? s.kernel.commsOverSubshells : null;
}
"""

_PROMPT_DONE_JS = r"""
([el, before]) => {
  const t = (el.textContent || '').trim();
  return /^\[\d+\]:$/.test(t) && t !== before;
}
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no log>"
    return "\n".join(text.splitlines()[-lines:])


class JupyterServer:
    """Handle on the running server: ``url``, ``token``, ``root`` and REST helpers."""

    def __init__(self, url: str, token: str, root: Path, proc: subprocess.Popen, log: Path):
        self.url = url
        self.token = token
        self.root = root
        self.proc = proc
        self.log = log

    def api(self, method: str, path: str, json: Any = None) -> Any:
        """Call the server's REST API; return the decoded JSON body (None if empty).

        ``path`` is relative to the server, e.g. ``"/api/sessions"``. Raises
        ``urllib.error.HTTPError`` (with the response body in its message) on
        non-2xx answers.
        """
        data = None
        headers = {"Authorization": f"token {self.token}"}
        if json is not None:
            data = _json_dumps(json).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(
            self.url.rstrip("/") + path, data=data, method=method.upper(), headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise urllib.error.HTTPError(
                e.url, e.code, f"{e.reason}: {method.upper()} {path}: {detail}", e.headers, None
            ) from None
        return _json_loads(body) if body.strip() else None

    def get_lab_setting(self, plugin_id: str) -> dict:
        """User settings (without defaults) of a Lab plugin, as a dict."""
        reply = self.api("GET", f"/lab/api/settings/{plugin_id}")
        return dict(reply.get("settings") or {})

    def set_lab_setting(self, plugin_id: str, values: dict) -> dict:
        """Merge ``values`` into a plugin's user settings and verify the server kept them.

        PUTs ``/lab/api/settings/<plugin_id>`` with ``{"raw": json.dumps(settings)}``;
        a value of ``None`` removes that key. Returns the user settings read back.
        Set it before opening a notebook: pages already open keep what they loaded.
        """
        settings = self.get_lab_setting(plugin_id)
        for key, value in values.items():
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        self.api("PUT", f"/lab/api/settings/{plugin_id}", json={"raw": _json_dumps(settings)})
        stored = self.get_lab_setting(plugin_id)
        for key, value in values.items():
            if stored.get(key) != value:
                raise AssertionError(
                    f"setting {plugin_id}:{key} not stored: wanted {value!r}, "
                    f"server has {stored.get(key)!r}"
                )
        return stored


# ``JupyterServer.api`` has a parameter named ``json`` that shadows the module.
def _json_dumps(obj: Any) -> str:
    return json.dumps(obj)


def _json_loads(data: bytes) -> Any:
    return json.loads(data)


def _start_server(base: Path) -> JupyterServer:
    root = base / "nb"
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "IPYTHONDIR": base / "ipython",
    }
    for var, d in dirs.items():
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    # Without this a news/update toast covers the page.
    notif = (
        dirs["JUPYTER_CONFIG_DIR"]
        / "lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    )
    notif.parent.mkdir(parents=True, exist_ok=True)
    notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    log = base / "server.log"
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between probe and bind
        port = _free_port()
        token = secrets.token_hex(16)
        url = f"http://127.0.0.1:{port}"
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",
        ]
        with open(log, "ab") as logf:
            logf.write(f"\n=== {' '.join(cmd[1:])}\n".encode())
            logf.flush()
            proc = subprocess.Popen(
                cmd,
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=root,
            )
        server = JupyterServer(url, token, root, proc, log)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"server exited with code {proc.returncode}"
                break
            try:
                server.api("GET", "/api/status")
                return server
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        else:
            last_error = f"no answer from /api/status within {SERVER_START_TIMEOUT:.0f} s"
            _stop_process(proc)
        if "already in use" not in _tail(log, 20):
            break
    pytest.fail(
        f"Jupyter server did not start: {last_error}\n--- tail of {log.name} ---\n{_tail(log)}",
        pytrace=False,
    )


def _stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    server = _start_server(tmp_path_factory.mktemp("jupyter"))
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            with contextlib.suppress(urllib.error.URLError, OSError):
                server.api("POST", "/api/shutdown")
        _stop_process(server.proc)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "The browser tests need Debian's Chromium on PATH as 'chromium' "
            "(apt-get install -y chromium); none was found.",
            pytrace=False,
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


# --------------------------------------------------------------------------- notebooks


class NotebookPage:
    """A notebook opened in JupyterLab or Notebook 7, addressed by cell index."""

    def __init__(self, page: Page, app: str, path: str, n_cells: int):
        self.page = page
        self.app = app
        self.path = path
        self.n_cells = n_cells
        self._page_errors: list[str] = []
        self._console_errors: list[str] = []
        self.session_id: str | None = None

    def flush_events(self) -> None:
        """Deliver pending page events to Python.

        The sync Playwright API only dispatches events (``pageerror``, ``console``)
        while Python is inside a Playwright call; after ``time.sleep`` they are
        still queued. A round trip to the page delivers them.
        """
        if not self.page.is_closed():
            with contextlib.suppress(PlaywrightError):
                self.page.evaluate("0")

    @property
    def page_errors(self) -> list[str]:
        """Uncaught page errors so far (message strings)."""
        self.flush_events()
        return self._page_errors

    @property
    def console_errors(self) -> list[str]:
        """Console messages of type "error" so far."""
        self.flush_events()
        return self._console_errors

    @property
    def panel(self) -> Locator:
        return self.page.locator(PANEL_SELECTOR)

    def cell(self, i: int) -> Locator:
        """The i-th code cell of the visible notebook."""
        return self.panel.locator(".jp-CodeCell").nth(i)

    def output(self, i: int) -> Locator:
        """The output area of the i-th code cell."""
        return self.cell(i).locator(".jp-Cell-outputArea")

    def run_cell(self, i: int, timeout: float = 30) -> Locator:
        """Run cell i (click its editor, Shift+Enter) and wait for its ``[n]:`` prompt.

        Returns the cell's output locator. ``timeout`` is in seconds.
        """
        cell = self.cell(i)
        prompt = cell.locator(".jp-InputPrompt").first
        prompt.wait_for(timeout=timeout * 1000)
        before = (prompt.text_content() or "").strip()
        cell.locator(".jp-InputArea-editor").first.click()
        self.page.keyboard.press("Shift+Enter")
        try:
            self.page.wait_for_function(
                _PROMPT_DONE_JS, arg=[prompt.element_handle(), before], timeout=timeout * 1000
            )
        except PlaywrightTimeoutError:
            now = (prompt.text_content() or "").strip()
            raise AssertionError(
                f"cell {i} did not finish within {timeout} s "
                f"(prompt before {before!r}, now {now!r})"
            ) from None
        return self.output(i)

    def run_all_cells(self, timeout: float = 30) -> list[Locator]:
        """Run the notebook's original cells one by one, in order."""
        return [self.run_cell(i, timeout=timeout) for i in range(self.n_cells)]

    def wait_for_text(self, i: int, text: str | re.Pattern[str], timeout: float = 30) -> Locator:
        """Wait until the output of cell i contains ``text``; return the output locator."""
        out = self.output(i)
        expect(out).to_contain_text(text, timeout=timeout * 1000)
        return out

    def kernel_comms_over_subshells(self) -> str | None:
        """The commsOverSubshells mode of the page's kernel connection.

        "perCommTarget", "perComm" or "disabled". JupyterLab applies the
        ``kernels-settings`` value shortly after start-up; Notebook 7.6 does not
        load that plugin and always uses "perCommTarget".
        """
        return self.page.evaluate(_KERNEL_COMMS_MODE_JS)

    def assert_no_page_errors(self, ignore: tuple[str, ...] = NB7_KNOWN_PAGE_ERRORS) -> None:
        """Fail if an uncaught page error occurred, except those containing an ``ignore`` string."""
        errors = [e for e in self.page_errors if not any(s in e for s in ignore)]
        assert not errors, "page errors:\n" + "\n".join(errors)


def _new_notebook(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    return nb


@pytest.fixture
def notebook(
    jupyter_server: JupyterServer, browser: Browser
) -> Iterator[Callable[..., NotebookPage]]:
    opened: list[tuple[BrowserContext, NotebookPage]] = []

    def open_notebook(cells: list[str], app: str = "lab", name: str | None = None) -> NotebookPage:
        if app not in ("lab", "notebook"):
            raise ValueError(f"app must be 'lab' or 'notebook', not {app!r}")
        name = name or f"nb-{uuid.uuid4().hex[:8]}.ipynb"
        if not name.endswith(".ipynb"):
            name += ".ipynb"
        nb_file = jupyter_server.root / name
        nb_file.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(_new_notebook(cells), nb_file)

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        nbp = NotebookPage(page, app, name, len(cells))
        opened.append((context, nbp))
        page.on("pageerror", lambda err: nbp._page_errors.append(str(err)))
        page.on(
            "console",
            lambda msg: nbp._console_errors.append(msg.text) if msg.type == "error" else None,
        )
        quoted = urllib.parse.quote(name)
        token = urllib.parse.quote(jupyter_server.token)
        if app == "lab":
            url = f"{jupyter_server.url}/lab/tree/{quoted}?reset&token={token}"
        else:
            url = f"{jupyter_server.url}/notebooks/{quoted}?token={token}"
        page.goto(url)
        try:
            page.wait_for_function(_KERNEL_READY_JS, arg=name, timeout=KERNEL_READY_TIMEOUT * 1000)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"{name} ({app}) had no connected idle kernel after {KERNEL_READY_TIMEOUT:.0f} s\n"
                f"page errors: {nbp.page_errors}\nconsole errors: {nbp.console_errors}\n"
                f"--- tail of {jupyter_server.log.name} ---\n{_tail(jupyter_server.log)}"
            ) from None
        nbp.session_id = page.evaluate(_SESSION_ID_JS)
        if cells:
            expect(nbp.cell(len(cells) - 1).locator(".jp-InputArea-editor")).to_be_visible()
        return nbp

    yield open_notebook

    for context, _nbp in opened:
        with contextlib.suppress(PlaywrightError):
            context.close()
    for _context, nbp in opened:
        _delete_sessions(jupyter_server, nbp)


def _delete_sessions(server: JupyterServer, nbp: NotebookPage) -> None:
    """Shut down the kernel session(s) of a notebook so kernels don't pile up."""
    ids = {nbp.session_id} if nbp.session_id else set()
    try:
        for s in server.api("GET", "/api/sessions") or []:
            if s.get("path") == nbp.path:
                ids.add(s["id"])
    except (urllib.error.URLError, OSError):
        pass
    for sid in ids:
        try:
            server.api("DELETE", f"/api/sessions/{sid}")
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
