"""Real-browser harness: a JupyterLab server, a headless Chromium and notebook pages.

Importable outside pytest (``tests/conftest.py`` builds its fixtures on it; the
benchmarks import it as ``lab`` through ``tests/browser/lab.py``). It needs
Playwright for Python, nbformat, JupyterLab (which also serves Notebook 7 when
``notebook`` is installed) and Debian's ``chromium`` on PATH. It touches only
127.0.0.1.

Public API
----------
``start_server(base_dir, server_extension=True) -> JupyterServer``
    Start JupyterLab on a free local port with throw-away config/data/runtime/IPython
    directories under ``base_dir``; notebooks live in ``base_dir / "nb"``. Raises
    ``HarnessError`` if it does not answer within ``SERVER_START_TIMEOUT`` seconds.
    The server loads the ``ipyanimagic`` server extension as a user's does after
    ``pip install`` (the environment's ``etc/jupyter`` stays in the config path, and in
    a venv it even takes precedence over the user config dir);
    ``server_extension=False`` starts it with
    ``--ServerApp.jpserver_extensions=ipyanimagic=False``.
``stop_server(server)``
    Shut it down (REST, then SIGTERM, then SIGKILL), bounded in time.
``launch_browser(playwright) -> Browser``
    A headless Chromium from a ``sync_playwright()`` instance. Close it with ``.close()``.
``open_notebook(server, browser, cells, app="lab", name=None, reuse=False) -> NotebookPage``
    Write a notebook of code cells, open it in a fresh browser context (or, with
    ``reuse``, in a JupyterLab page an earlier notebook left) and wait for a connected,
    idle kernel (``AssertionError`` if none comes).
``close_notebook(server, nb)``
    Close the notebook (a warm page is kept for the next) and shut down its kernel
    session(s). ``forget_warm_pages(server)`` closes the kept pages.

``JupyterServer`` has ``url``, ``token``, ``root``, ``log``, ``api()``,
``get_lab_setting()`` and ``set_lab_setting()``.

``NotebookPage`` addresses cells by index: ``cell(i)``, ``output(i)``, ``run_cell(i)``
(and wait for it), ``start_cell(i)`` (don't wait), ``run_cell_until(i, text)``,
``wait_for_text(i, text)``, ``output_png(i)``; it collects page errors, console errors
and console messages (``wait_for_console``), and reads or waits for the kernel
connection's ``commsOverSubshells`` mode.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import nbformat
import numpy as np
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

__all__ = [
    "CHROMIUM_ARGS",
    "KERNELS_SETTINGS_PLUGIN",
    "NB7_KNOWN_PAGE_ERRORS",
    "PANEL_SELECTOR",
    "HarnessError",
    "JupyterServer",
    "NotebookPage",
    "close_notebook",
    "find_chromium",
    "forget_warm_pages",
    "has_comms_over_subshells",
    "launch_browser",
    "open_notebook",
    "start_server",
    "stop_server",
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Notebook 7 logs these two page errors on every load; they are harmless. The third is
# Notebook 7.2's "Last Checkpoint" indicator on a notebook that has no checkpoint yet
# (it reads the last of an empty list; the old-stack run meets it).
NB7_KNOWN_PAGE_ERRORS = (
    "Cannot read properties of undefined (reading 'schema')",
    "Command 'filebrowser:open-path' not registered.",
    "Cannot read properties of undefined (reading 'last_modified')",
)

# The notebook panel that is currently shown (Lab keeps hidden panels in the DOM;
# Notebook 7 uses the same panel class and has a single one).
PANEL_SELECTOR = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# Lab plugin whose ``commsOverSubshells`` setting picks how comm messages reach the kernel.
KERNELS_SETTINGS_PLUGIN = "@jupyterlab/apputils-extension:kernels-settings"

SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 15.0
KERNEL_READY_TIMEOUT = 60.0
VIEWPORT = {"width": 1280, "height": 900}

T = TypeVar("T")


class HarnessError(RuntimeError):
    """The harness could not set up (no server, no browser)."""


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

_KERNEL_COMMS_MODE_IS_JS = """
(mode) => {
  const w = window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext && w.sessionContext.session;
  return !!(s && s.kernel) && s.kernel.commsOverSubshells === mode;
}
"""

_PNG_SRC = re.compile(r"^data:image/png;base64,")

_PROMPT_DONE_JS = r"""
([el, before]) => {
  const t = (el.textContent || '').trim();
  return /^\[\d+\]:$/.test(t) && t !== before;
}
"""


# --------------------------------------------------------------------------- server


def has_comms_over_subshells() -> bool:
    """Whether this environment's JupyterLab has the ``commsOverSubshells`` setting (4.4+).

    Older ones (and ipykernel 6, which has no subshells) deliver every comm message
    on the kernel's main shell thread: the old-stack run has only that mode.
    """
    import jupyterlab

    major, minor = (int(part) for part in jupyterlab.__version__.split(".")[:2])
    return (major, minor) >= (4, 4)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 60) -> str:
    """The last ``lines`` lines of a text file (the server log), or ``"<no log>"``."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no log>"
    return "\n".join(text.splitlines()[-lines:])


class ServerProcess:
    """A server this harness started: ``url``, ``token``, ``root`` (its notebooks),
    ``proc`` and ``log``."""

    def __init__(self, url: str, token: str, root: Path, proc: subprocess.Popen, log: Path):
        self.url = url
        self.token = token
        self.root = root
        self.proc = proc
        self.log = log


class JupyterServer(ServerProcess):
    """Handle on the running server: ``url``, ``token``, ``root`` and REST helpers."""

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


def throwaway_env(base: Path, python: str = sys.executable) -> dict[str, str]:
    """This process's environment with Jupyter's and IPython's state under ``base``.

    The servers run from ``python``'s environment (this interpreter's unless told), and
    its ``bin`` comes first on PATH, so whatever they start by name (``jupyter ...``) is
    that environment's too: the old-stack run (.venv-oldest) tests its own JupyterLab,
    the plain-install run the wheel in ``.venv-plain``.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ):
        (base / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(base / sub)
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    return env


def launch_until_ready(
    what: str,
    command: Callable[[int, str], list[str]],
    ready: Callable[[str, str], bool],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
) -> tuple[subprocess.Popen, str, str]:
    """Start ``command(port, token)`` on a free port; wait until ``ready(url, token)``.

    Returns (process, url, token). Tries three ports (one can be taken between probe
    and bind); raises ``HarnessError`` with the log's tail if the server never answers
    within ``SERVER_START_TIMEOUT`` s, and leaves no process behind.
    """
    last_error = ""
    for _attempt in range(3):
        port = _free_port()
        token = secrets.token_hex(16)
        url = f"http://127.0.0.1:{port}"
        cmd = command(port, token)
        with open(log, "ab") as logf:
            logf.write(f"\n=== {' '.join(cmd)}\n".encode())
            logf.flush()
            proc = subprocess.Popen(
                cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=cwd,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    last_error = f"{what} exited with code {proc.returncode}"
                    break
                if ready(url, token):
                    return proc, url, token
                time.sleep(0.2)  # polling a port: there is no event to wait on
            else:
                last_error = f"no answer within {SERVER_START_TIMEOUT:.0f} s"
                _stop_process(proc, timeout=0)
        except BaseException:  # interrupted while waiting: leave no server behind
            _stop_process(proc, timeout=0)
            raise
        if "already in use" not in tail(log, 20):
            break
    raise HarnessError(
        f"{what} did not start: {last_error}\n--- tail of {log.name} ---\n{tail(log)}"
    )


def start_server(
    base_dir: Path | str, server_extension: bool = True, python: str = sys.executable
) -> JupyterServer:
    """Start JupyterLab on 127.0.0.1 with its state under ``base_dir``; wait until it answers.

    Notebooks live in ``base_dir / "nb"``, the log in ``base_dir / "server.log"``. Lab
    and Notebook 7 expose ``window.jupyterapp`` (for tests and benchmarks only). Raises
    ``HarnessError`` (with the log's tail) if the server does not come up.
    ``server_extension=False``: without the ipyanimagic server extension (TCP_NODELAY).
    ``python``: the environment the server and its kernels run from (the plain-install
    run's ``.venv-plain``: ``support/plain.py``).
    """
    base = Path(base_dir)
    root = base / "nb"
    root.mkdir(parents=True, exist_ok=True)
    env = throwaway_env(base, python)
    # Without this a news/update toast covers the page.
    notif = (
        Path(env["JUPYTER_CONFIG_DIR"])
        / "lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    )
    notif.parent.mkdir(parents=True, exist_ok=True)
    notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    def command(port: int, token: str) -> list[str]:
        cmd = [
            python,
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
        if not server_extension:
            # Beats the environment's jupyter_server_config.d, where installing the
            # package enabled it.
            cmd.append("--ServerApp.jpserver_extensions=ipyanimagic=False")
        return cmd

    def ready(url: str, token: str) -> bool:
        try:
            JupyterServer(url, token, root, None, base).api("GET", "/api/status")
        except (urllib.error.URLError, ConnectionError, OSError):
            return False
        return True

    log = base / "server.log"
    proc, url, token = launch_until_ready(
        "Jupyter server", command, ready, env=env, cwd=root, log=log
    )
    return JupyterServer(url, token, root, proc, log)


def _stop_process(proc: subprocess.Popen, timeout: float = SERVER_STOP_TIMEOUT) -> None:
    """Wait up to ``timeout`` s for ``proc`` to exit, then SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def serving(start: Callable[[], T], stop: Callable[[T], None]) -> Iterator[T]:
    """A fixture's body for a server: ``start()`` (a ``HarnessError`` fails the test with
    the log's tail, no traceback), yield it, ``stop(it)`` whatever happens."""
    import pytest

    try:
        server = start()
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        stop(server)


def stop_server(server: JupyterServer) -> None:
    """Shut the server and its kernels down: ``POST /api/shutdown``, then wait, then kill.

    Takes at most about ``SERVER_STOP_TIMEOUT`` + 20 s (+ 30 s if the REST call hangs).
    """
    forget_warm_pages(server)
    for closing in _closing.pop(server.url, []):
        closing.join(timeout=SERVER_STOP_TIMEOUT)
    if server.proc.poll() is None:
        with contextlib.suppress(urllib.error.URLError, OSError):
            server.api("POST", "/api/shutdown")
    _stop_process(server.proc)


# --------------------------------------------------------------------------- browser


def find_chromium() -> str:
    """Path of Debian's ``chromium`` on PATH; ``HarnessError`` if there is none."""
    executable = shutil.which("chromium")
    if executable is None:
        raise HarnessError(
            "The browser tests need Debian's Chromium on PATH as 'chromium' "
            "(apt-get install -y chromium); none was found."
        )
    return executable


def launch_browser(playwright: Playwright, executable: str | None = None) -> Browser:
    """Launch headless Chromium (``executable`` or ``find_chromium()``) with ``CHROMIUM_ARGS``.

    ``playwright`` is the object of ``with sync_playwright() as playwright:``. Use one
    browser per session and one context per notebook; close it with ``.close()``.
    """
    return playwright.chromium.launch(
        executable_path=executable or find_chromium(), headless=True, args=CHROMIUM_ARGS
    )


# --------------------------------------------------------------------------- notebooks


class PageEvents:
    """What a browser page reported: uncaught errors and console messages.

    ``listen()`` subscribes to the page's events; the lists fill as Playwright delivers
    them (see ``flush_events``).
    """

    page: Page

    def __init__(self) -> None:
        self._page_errors: list[str] = []
        self._console_errors: list[str] = []
        self._console: list[str] = []  # every console message's text

    def listen(self) -> None:
        self.page.on("pageerror", self._on_page_error)
        self.page.on("console", self._on_console)

    def stop_listening(self) -> None:
        """Stop collecting (the page goes on to serve another notebook)."""
        self.page.remove_listener("pageerror", self._on_page_error)
        self.page.remove_listener("console", self._on_console)

    def _on_page_error(self, err: Any) -> None:
        self._page_errors.append(str(err))

    def flush_events(self) -> None:
        """Deliver pending page events to Python.

        The sync Playwright API only dispatches events (``pageerror``, ``console``)
        while Python is inside a Playwright call; after ``time.sleep`` they are
        still queued. A round trip to the page delivers them.
        """
        if not self.page.is_closed():
            with contextlib.suppress(PlaywrightError):
                self.page.evaluate("0")

    def _on_console(self, msg: Any) -> None:
        self._console.append(msg.text)
        if msg.type == "error":
            self._console_errors.append(msg.text)

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
    def console_messages(self) -> list[str]:
        """Every console message so far (its text), in order."""
        self.flush_events()
        return self._console


class NotebookPage(PageEvents):
    """A notebook opened in JupyterLab or Notebook 7, addressed by cell index."""

    def __init__(
        self,
        page: Page,
        app: str,
        path: str,
        n_cells: int,
        context: BrowserContext | None = None,
    ):
        self.page = page
        self.app = app
        self.path = path
        self.n_cells = n_cells
        self.context = context
        self.session_id: str | None = None
        #: Opened in a warm JupyterLab page (``open_notebook(reuse=True)``), which goes
        #: back to the server's warm pages when the notebook is closed.
        self.reuse = False
        super().__init__()

    def wait_for_console(
        self, match: Callable[[str], bool], count: int = 1, timeout: float = 30
    ) -> list[str]:
        """Wait until ``count`` console messages satisfy ``match``; return them.

        Each wait is for the page's next ``console`` event, so nothing is polled.
        """
        deadline = time.monotonic() + timeout
        while len(found := [m for m in self.console_messages if match(m)]) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"{len(found)} of {count} console messages after {timeout} s: {found}"
                )
            with contextlib.suppress(PlaywrightTimeoutError):
                self.page.wait_for_event("console", timeout=left * 1000)
        return found

    @property
    def panel(self) -> Locator:
        return self.page.locator(PANEL_SELECTOR)

    def cell(self, i: int) -> Locator:
        """The i-th code cell of the visible notebook."""
        return self.panel.locator(".jp-CodeCell").nth(i)

    def output(self, i: int) -> Locator:
        """The output area of the i-th code cell."""
        return self.cell(i).locator(".jp-Cell-outputArea")

    def error_output(self, i: int) -> Locator:
        """The error outputs (tracebacks) of the i-th code cell: not a widget's text that
        happens to name the same exception."""
        return self.output(i).locator('[data-mime-type="application/vnd.jupyter.stderr"]')

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

    def start_cell(self, i: int) -> None:
        """Run cell i without waiting for it to finish (it may print a sentinel to say
        it has started: ``wait_for_text``)."""
        self.cell(i).locator(".jp-InputArea-editor").first.click()
        self.page.keyboard.press("Shift+Enter")

    def run_cell_until(self, i: int, text: str | re.Pattern[str], timeout: float = 30) -> Locator:
        """Run cell i again until its output contains ``text``; return the output.

        For a value that reaches the kernel on its own time (a widget's trait synced
        from the page, a ``kernel.execute`` sent by a button): each run is one check.
        """
        deadline = time.monotonic() + timeout
        while True:
            out = self.run_cell(i, timeout=max(1.0, deadline - time.monotonic()))
            found = out.inner_text()
            hit = text.search(found) if isinstance(text, re.Pattern) else text in found
            if hit:
                return out
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"cell {i} never printed {text!r} within {timeout} s; last: {found!r}"
                )

    def run_all_cells(self, timeout: float = 30) -> list[Locator]:
        """Run the notebook's original cells one by one, in order."""
        return [self.run_cell(i, timeout=timeout) for i in range(self.n_cells)]

    def wait_for_text(self, i: int, text: str | re.Pattern[str], timeout: float = 30) -> Locator:
        """Wait until the output of cell i contains ``text``; return the output locator."""
        out = self.output(i)
        expect(out).to_contain_text(text, timeout=timeout * 1000)
        return out

    def output_png(self, i: int, timeout: float = 20) -> np.ndarray:
        """The RGBA pixels of the (first) PNG image in the output of cell i."""
        img = self.output(i).locator("img").first
        expect(img).to_have_attribute("src", _PNG_SRC, timeout=timeout * 1000)
        data = base64.b64decode((img.get_attribute("src") or "").split(",", 1)[1])
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGBA"))

    def kernel_comms_over_subshells(self) -> str | None:
        """The commsOverSubshells mode of the page's kernel connection.

        "perCommTarget", "perComm" or "disabled". JupyterLab applies the
        ``kernels-settings`` value shortly after start-up; Notebook 7.6 does not
        load that plugin and always uses "perCommTarget".
        """
        return self.page.evaluate(_KERNEL_COMMS_MODE_JS)

    def wait_for_comms_over_subshells(self, mode: str, timeout: float = 10) -> str:
        """Wait until the kernel connection uses ``mode``; return it.

        Lab applies the ``kernels-settings`` value asynchronously after start-up, so
        right after ``open_notebook`` the page may still use the default. Raises
        ``AssertionError`` (naming the mode in use) after ``timeout`` seconds.
        """
        try:
            self.page.wait_for_function(_KERNEL_COMMS_MODE_IS_JS, arg=mode, timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"the kernel connection uses commsOverSubshells="
                f"{self.kernel_comms_over_subshells()!r}, not {mode!r}, after {timeout} s"
            ) from None
        return mode

    def assert_no_page_errors(self, ignore: tuple[str, ...] = NB7_KNOWN_PAGE_ERRORS) -> None:
        """Fail if an uncaught page error occurred, except those containing an ``ignore`` string."""
        errors = [e for e in self.page_errors if not any(s in e for s in ignore)]
        assert not errors, "page errors:\n" + "\n".join(errors)


#: Where a comm message from the page is handled while a cell runs: JupyterLab with
#: ``commsOverSubshells`` at its default (a subshell thread) and "disabled" (the main
#: thread's queue), and Notebook 7.
FRONT_END_MODES = ["lab", "lab-disabled", "notebook"]


def open_in(
    notebook: Callable[..., NotebookPage],
    comms_over_subshells: Callable[[str | None], None],
    mode: str,
    cells: list[str],
) -> NotebookPage:
    """A notebook of ``cells`` opened in one of FRONT_END_MODES (the fixtures of
    tests/conftest.py: ``notebook``, ``comms_over_subshells``)."""
    if mode == "lab-disabled":
        comms_over_subshells("disabled")
        nb = notebook(cells, app="lab")
        nb.wait_for_comms_over_subshells("disabled")
    else:
        comms_over_subshells(None)
        nb = notebook(cells, app="lab" if mode == "lab" else "notebook")
    return nb


def interrupt_kernel(server: JupyterServer, nb: NotebookPage) -> None:
    """The stop button, through the server's REST API (the same request it sends)."""
    (session,) = [s for s in server.api("GET", "/api/sessions") if s["id"] == nb.session_id]
    server.api("POST", f"/api/kernels/{session['kernel']['id']}/interrupt")


def new_notebook(cells: list[str]) -> nbformat.NotebookNode:
    """An nbformat v4 notebook of code cells with the ``python3`` kernelspec."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    return nb


def write_notebook(server: JupyterServer, cells: list[str], name: str | None = None) -> str:
    """Write a notebook of ``cells`` into the server's root; return its name (path)."""
    name = name or f"nb-{uuid.uuid4().hex[:8]}.ipynb"
    if not name.endswith(".ipynb"):
        name += ".ipynb"
    nb_file = server.root / name
    nb_file.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells), nb_file)
    return name


def notebook_url(server: JupyterServer, name: str, app: str = "lab") -> str:
    """The URL (with token) that opens notebook ``name`` in ``app`` ("lab" or "notebook")."""
    quoted = urllib.parse.quote(name)
    token = urllib.parse.quote(server.token)
    if app == "lab":
        # Without ?reset Lab restores earlier tabs, hidden in the DOM.
        return f"{server.url}/lab/tree/{quoted}?reset&token={token}"
    return f"{server.url}/notebooks/{quoted}?token={token}"


def open_notebook(
    server: JupyterServer,
    browser: Browser,
    cells: list[str],
    app: str = "lab",
    name: str | None = None,
    on_page: Callable[[Page], Any] | None = None,
    device_scale_factor: float = 1,
    reuse: bool = False,
) -> NotebookPage:
    """Write a notebook and open it in a new browser context; wait for an idle kernel.

    ``reuse=True`` (JupyterLab, no ``on_page``, ratio 1): open it in a JupyterLab page
    left by an earlier notebook of this server if there is one (the notebook panels
    before it are disposed, the page is kept), as a user opens notebook after notebook
    in one tab: the tests' run time is mostly Lab starting in a fresh page (about 5 s
    of the 6 s to a connected kernel on 2 cores; about 1.3 s in a warm page).
    ``close_notebook`` gives the page back if it is still as it was made.

    ``app`` is "lab" or "notebook" (Notebook 7). ``on_page(page)`` runs before the page
    loads (to listen from the start, e.g. to the kernel websocket).
    ``device_scale_factor``: the page's devicePixelRatio (a laptop's 1.5, a Mac's 2). Raises
    ``AssertionError`` with the page errors and the server log's tail if no connected,
    idle kernel comes within ``KERNEL_READY_TIMEOUT`` s (the context and session are
    cleaned up first). Close it with ``close_notebook``.
    """
    if app not in ("lab", "notebook"):
        raise ValueError(f"app must be 'lab' or 'notebook', not {app!r}")
    name = write_notebook(server, cells, name)
    reuse = reuse and app == "lab" and on_page is None and device_scale_factor == 1
    if reuse:
        warm = _warm_pages.get(server.url, [])
        while warm:
            nbp = _open_in_warm_page(server, warm.pop(), name, len(cells))
            if nbp is not None:
                return nbp

    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=device_scale_factor)
    try:
        page = context.new_page()
        nbp = NotebookPage(page, app, name, len(cells), context=context)
        nbp.listen()
        if on_page is not None:
            on_page(page)
        page.goto(notebook_url(server, name, app))
        try:
            page.wait_for_function(_KERNEL_READY_JS, arg=name, timeout=KERNEL_READY_TIMEOUT * 1000)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"{name} ({app}) had no connected idle kernel after {KERNEL_READY_TIMEOUT:.0f} s\n"
                f"page errors: {nbp.page_errors}\nconsole errors: {nbp.console_errors}\n"
                f"--- tail of {server.log.name} ---\n{tail(server.log)}"
            ) from None
        nbp.session_id = page.evaluate(_SESSION_ID_JS)
        if cells:
            expect(nbp.cell(len(cells) - 1).locator(".jp-InputArea-editor")).to_be_visible()
    except BaseException:
        with contextlib.suppress(PlaywrightError):
            context.close()
        with contextlib.suppress(urllib.error.URLError, OSError):
            delete_sessions(server, name)
        raise
    nbp.reuse = reuse
    return nbp


# JupyterLab pages a closed notebook left, by server URL, ready for the next notebook.
_warm_pages: dict[str, list[tuple[BrowserContext, Page]]] = {}

# Dispose every main-area panel (a notebook's unsaved state dropped, so no dialog asks),
# then open ``path`` in the page's JupyterLab.
_OPEN_IN_PAGE_JS = """
async (path) => {
  const app = window.jupyterapp;
  for (const w of Array.from(app.shell.widgets('main'))) {
    if (w.context) w.context.model.dirty = false;
    w.dispose();
  }
  if (path) await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
}
"""


def _open_in_warm_page(
    server: JupyterServer, warm: tuple[BrowserContext, Page], name: str, n_cells: int
) -> NotebookPage | None:
    """``name`` opened in a warm page, or None (the page closed) if it will not open."""
    context, page = warm
    nbp = NotebookPage(page, "lab", name, n_cells, context=context)
    nbp.listen()
    try:
        page.evaluate(_OPEN_IN_PAGE_JS, name)
        page.wait_for_function(_KERNEL_READY_JS, arg=name, timeout=KERNEL_READY_TIMEOUT * 1000)
        nbp.session_id = page.evaluate(_SESSION_ID_JS)
        if n_cells:
            expect(nbp.cell(n_cells - 1).locator(".jp-InputArea-editor")).to_be_visible()
    except (PlaywrightError, AssertionError):
        with contextlib.suppress(PlaywrightError):
            context.close()
        with contextlib.suppress(urllib.error.URLError, OSError):
            delete_sessions(server, name)
        return None
    nbp.reuse = True
    return nbp


def _still_warm(nb: NotebookPage) -> bool:
    """The page is as ``open_notebook`` made it: no error, no dialog, ratio 1, same size."""
    try:
        return (
            not nb.page.is_closed()
            and not nb.page_errors
            and nb.page.evaluate("devicePixelRatio") == 1
            and nb.page.viewport_size == VIEWPORT
            and nb.page.locator(".jp-Dialog").count() == 0
        )
    except PlaywrightError:
        return False


# Kernel shutdowns on their way (close_notebook(wait=False)), by server URL.
_closing: dict[str, list[threading.Thread]] = {}


def close_notebook(server: JupyterServer, nb: NotebookPage, wait: bool = True) -> None:
    """Close the notebook (its panel, or its browser context), then shut down its
    kernel session(s), or with ``wait=False`` start to (``stop_server`` waits). A warm
    page (``reuse``) still as it was made is kept for the next notebook of this server."""
    kept = False
    if nb.reuse and nb.context is not None and _still_warm(nb):
        try:
            nb.page.evaluate(_OPEN_IN_PAGE_JS, "")
            nb.stop_listening()
            _warm_pages.setdefault(server.url, []).append((nb.context, nb.page))
            kept = True
        except PlaywrightError:
            kept = False
    if not kept and nb.context is not None:
        with contextlib.suppress(PlaywrightError):
            nb.context.close()
    if not wait:
        # The server waits for the kernel to exit (a second or two): meanwhile the next
        # test starts. stop_server waits for every shutdown still on its way.
        closing = threading.Thread(
            target=delete_sessions, args=(server, nb.path, nb.session_id), daemon=True
        )
        closing.start()
        _closing.setdefault(server.url, []).append(closing)
        return
    delete_sessions(server, nb.path, nb.session_id)


def forget_warm_pages(server: JupyterServer) -> None:
    """Close the server's warm pages: they no longer start as a fresh page would (a Lab
    setting changed on the server, which a running page does not read again)."""
    for context, _page in _warm_pages.pop(server.url, []):
        with contextlib.suppress(PlaywrightError):
            context.close()


def delete_sessions(server: JupyterServer, path: str, session_id: str | None = None) -> None:
    """Shut down the kernel session(s) of notebook ``path`` so kernels don't pile up.

    A 404 (already gone) or an unreachable server is not an error; other HTTP errors are.
    """
    ids = {session_id} if session_id else set()
    try:
        for s in server.api("GET", "/api/sessions") or []:
            if s.get("path") == path:
                ids.add(s["id"])
    except (urllib.error.URLError, OSError):
        pass
    for sid in ids:
        try:
            server.api("DELETE", f"/api/sessions/{sid}")
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        except (urllib.error.URLError, OSError):
            pass  # the server is gone, and its kernels with it
