"""A Voila server on a folder of test notebooks, and Voila pages in the browser.

Voila turns a notebook into a page: it starts a kernel when the page is requested,
runs every cell, sends the outputs (widgets included) and keeps the kernel for as long
as the page is open. There is no editor and no way to run a cell again from the page.

``start_voila(base_dir) -> VoilaServer``
    Start the environment's ``voila`` on 127.0.0.1, a free port, a random token, with
    throw-away config/data/runtime/IPython directories under ``base_dir`` (as
    ``support.lab.start_server`` does for JupyterLab); it serves the folder
    ``base_dir / "nb"`` (pages at ``/voila/render/<name>``). Waits, bounded by
    ``lab.SERVER_START_TIMEOUT``, until it answers HTTP; raises ``HarnessError`` with the log's
    tail if it does not.
``stop_voila(server)``
    SIGTERM (Voila shuts its kernels down), then SIGKILL, bounded in time.
``open_page(server, browser, cells, name=None, on_page=None) -> VoilaPage``
    Write a notebook of code cells, open it in a fresh browser context and wait until
    Voila has run every cell (the page's ``#rendered_cells`` is filled) and the page's
    kernel is connected. Close it with ``close_page``.
``close_page(server, vp)``
    Close the browser context and shut the page's kernel down (``DELETE
    /api/kernels/<id>``; a closed context does not always send Voila's own
    ``beforeunload`` shutdown).

``VoilaPage`` has ``page``, ``kernel_id``, ``output(i)`` (the outputs of the i-th
cell), ``page_errors``, ``console_errors``, ``failed_requests`` and
``assert_no_page_errors()``, which lets through only what Voila's own page does wrong
here, each named (``VOILA_KNOWN_ERRORS``, ``VOILA_CDN_URLS``).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .lab import (
    HarnessError,
    PageEvents,
    ServerProcess,
    launch_until_ready,
    new_notebook,
    tail,
    throwaway_env,
)

__all__ = ["VoilaPage", "VoilaServer", "close_page", "open_page", "start_voila", "stop_voila"]

STOP_TIMEOUT = 15.0
# Voila runs every cell before the page is complete: a kernel start plus the cells.
PAGE_READY_TIMEOUT = 90.0

# True once Voila has run every cell and shows them: its ``voila_finish`` removes the
# spinner (#loading) and unhides #rendered_cells. Widgets render after that, once
# Voila's page code has connected to the kernel.
_PAGE_READY_JS = """
() => {
  const cells = document.getElementById('rendered_cells');
  return !!cells && cells.style.display !== 'none' && !document.getElementById('loading');
}
"""

# What Voila's own page does wrong here, named, so that everything else counts:
# - Voila 0.5's lab template links FontAwesome's CSS from cdn.jsdelivr.net; with no
#   network the two requests fail (console: "Failed to load resource:
#   net::ERR_NAME_NOT_RESOLVED", which does not name the URL: the failed requests are
#   checked by URL instead).
# - Voila 0.5.13's page is built on JupyterLab 4.2 packages; it also loads every lab
#   extension of the environment, and Notebook 7.6's (``@jupyter-notebook/lab-extension``,
#   installed with ``notebook``) needs 4.6's ``@jupyterlab/docregistry`` and fails to
#   load (module federation error RUNTIME-012). Nothing of ours depends on it.
VOILA_CDN_URLS = ("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@",)
VOILA_KNOWN_ERRORS = (
    ("Failed to load resource: net::ERR_NAME_NOT_RESOLVED",),
    ("#RUNTIME-012", '"shareKey":"@jupyterlab/docregistry"', "@jupyter-notebook/lab-extension/"),
)

_KERNEL_ID_JS = """
() => {
  const el = document.getElementById('jupyter-config-data');
  return el ? JSON.parse(el.textContent).kernelId || null : null;
}
"""


class VoilaServer(ServerProcess):
    """A running ``voila``: ``url``, ``token``, ``root`` (its notebooks), ``proc``, ``log``."""

    def page_url(self, name: str) -> str:
        """The URL (with token) of notebook ``name`` rendered by Voila."""
        return (
            f"{self.url}/voila/render/{urllib.parse.quote(name)}"
            f"?token={urllib.parse.quote(self.token)}"
        )

    def kernel(self, kernel_id: str) -> dict[str, Any] | None:
        """``GET /api/kernels/<id>``: the kernel's model, or None if it is gone."""
        try:
            with urllib.request.urlopen(self._kernel_request(kernel_id, "GET"), timeout=30) as r:
                return dict(json.loads(r.read()))
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def shutdown_kernel(self, kernel_id: str) -> None:
        """``DELETE /api/kernels/<id>``; a kernel already gone is not an error."""
        try:
            urllib.request.urlopen(self._kernel_request(kernel_id, "DELETE"), timeout=30).close()
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise

    def _kernel_request(self, kernel_id: str, method: str) -> urllib.request.Request:
        # Voila takes the token from the query (an Authorization header alone redirects
        # to its login page).
        url = f"{self.url}/api/kernels/{kernel_id}?token={urllib.parse.quote(self.token)}"
        return urllib.request.Request(url, method=method)


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (any status: a 404 is an answer too)."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, ConnectionError, OSError):
        return False
    return True


def start_voila(base_dir: Path | str) -> VoilaServer:
    """Start ``voila`` on ``base_dir / "nb"``; wait until it answers (see the module doc)."""
    base = Path(base_dir)
    root = base / "nb"
    root.mkdir(parents=True, exist_ok=True)
    env = throwaway_env(base)
    voila = Path(sys.executable).with_name("voila")
    if not voila.exists():
        raise HarnessError(f"no voila next to {sys.executable}: pip install voila (test extra)")

    def command(port: int, token: str) -> list[str]:
        return [
            str(voila),
            str(root),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            "--Voila.port_retries=0",
            f"--Voila.token={token}",
            # Connection files in the throw-away tree, not /tmp.
            f"--Voila.connection_dir_root={base / 'runtime'}",
            "--show_tracebacks=True",
        ]

    def ready(url: str, token: str) -> bool:
        return _answers(f"{url}/login")  # the login page: answers without starting a kernel

    log = base / "voila.log"
    proc, url, token = launch_until_ready("voila", command, ready, env=env, cwd=root, log=log)
    return VoilaServer(url, token, root, proc, log)


def _stop(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM ``proc`` (Voila shuts its kernels down on it), wait, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=max(timeout, 1))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def stop_voila(server: VoilaServer) -> None:
    """Stop the server and its kernels, in at most about ``STOP_TIMEOUT`` + 10 s."""
    _stop(server.proc, STOP_TIMEOUT)


class VoilaPage(PageEvents):
    """A notebook rendered by Voila in a browser page (see the module docstring)."""

    def __init__(self, page: Page, name: str, context: BrowserContext) -> None:
        super().__init__()
        self.page = page
        self.name = name
        self.context = context
        self.kernel_id: str | None = None
        self._failed_requests: list[str] = []

    @property
    def failed_requests(self) -> list[str]:
        """URLs (and why) of the requests that failed so far."""
        self.flush_events()
        return self._failed_requests

    def output(self, i: int) -> Locator:
        """The output of the i-th cell (Voila renders each cell's outputs, no source,
        in a ``div[cell-index]`` numbered from 1)."""
        return self.page.locator(f'#rendered_cells [cell-index="{i + 1}"]')

    def assert_no_page_errors(self) -> None:
        """Fail on an uncaught page error, a console error or a failed request, except
        Voila's own, named in ``VOILA_KNOWN_ERRORS`` and ``VOILA_CDN_URLS``."""
        failed = [u for u in self.failed_requests if not u.startswith(VOILA_CDN_URLS)]
        assert not failed, "failed requests:\n" + "\n".join(failed)
        errors = [
            e
            for e in [*self.page_errors, *self.console_errors]
            if not any(all(part in e for part in known) for known in VOILA_KNOWN_ERRORS)
        ]
        assert not errors, "page and console errors:\n" + "\n".join(errors)


def write_notebook(server: VoilaServer, cells: list[str], name: str | None = None) -> str:
    """Write a notebook of code cells into the server's folder; return its name."""
    import nbformat

    name = name or f"voila-{uuid.uuid4().hex[:8]}.ipynb"
    nbformat.write(new_notebook(cells), server.root / name)
    return name


def open_page(
    server: VoilaServer,
    browser: Browser,
    cells: list[str],
    name: str | None = None,
    on_page: Callable[[Page], Any] | None = None,
) -> VoilaPage:
    """Write a notebook, open its Voila page in a new context, wait until it is rendered.

    ``on_page(page)`` runs before the page loads (e.g. ``page.clock.install()``)."""
    name = write_notebook(server, cells, name)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        vp = VoilaPage(page, name, context)
        vp.listen()
        page.on(
            "requestfailed",
            lambda r: vp._failed_requests.append(f"{r.url} ({r.failure})"),
        )
        if on_page is not None:
            on_page(page)
        page.goto(server.page_url(name), timeout=PAGE_READY_TIMEOUT * 1000)
        vp.kernel_id = page.evaluate(_KERNEL_ID_JS)
        try:
            page.wait_for_function(_PAGE_READY_JS, timeout=PAGE_READY_TIMEOUT * 1000)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"Voila did not render {name} within {PAGE_READY_TIMEOUT:.0f} s\n"
                f"page errors: {vp.page_errors}\nconsole errors: {vp.console_errors}\n"
                f"--- tail of {server.log.name} ---\n{tail(server.log)}"
            ) from None
    except BaseException:
        with contextlib.suppress(PlaywrightError):
            context.close()
        raise
    return vp


def close_page(server: VoilaServer, vp: VoilaPage) -> None:
    """Close the page's browser context and shut its kernel down."""
    with contextlib.suppress(PlaywrightError):
        vp.context.close()
    if vp.kernel_id and server.proc.poll() is None:
        with contextlib.suppress(urllib.error.URLError, OSError):
            server.shutdown_kernel(vp.kernel_id)
