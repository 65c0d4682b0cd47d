"""Real-browser test harness: one Jupyter server and one Chromium per session.

The machinery (server, browser, ``NotebookPage``) lives in ``lab.py`` next to this
file, importable outside pytest; this file only adapts it to pytest.

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

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pytest's default import mode adds it already
    sys.path.insert(0, str(HERE))

import lab  # noqa: E402
from lab import HarnessError, JupyterServer, NotebookPage  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    try:
        server = lab.start_server(tmp_path_factory.mktemp("jupyter"))
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        lab.stop_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        executable = lab.find_chromium()
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    with sync_playwright() as pw:
        b = lab.launch_browser(pw, executable)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def notebook(
    jupyter_server: JupyterServer, browser: Browser
) -> Iterator[Callable[..., NotebookPage]]:
    opened: list[NotebookPage] = []

    def open_notebook(cells: list[str], app: str = "lab", name: str | None = None) -> NotebookPage:
        nbp = lab.open_notebook(jupyter_server, browser, cells, app=app, name=name)
        opened.append(nbp)
        return nbp

    yield open_notebook

    for nbp in opened:
        lab.close_notebook(jupyter_server, nbp)
