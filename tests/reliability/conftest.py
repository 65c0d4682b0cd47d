"""Fixtures of the reliability and security suite (see docs/RELIABILITY.md).

Hypothesis profiles
-------------------
``reliability`` (default): derandomized (the same examples every run, so CI cannot
flake on a new random draw), no example database written into the tree, no deadline
(a shared 2-core machine must not turn slowness into failures).
``reliability-explore``: random examples, for hunting locally::

    IPYANIMAGIC_FUZZ_PROFILE=reliability-explore IPYANIMAGIC_FUZZ_SCALE=10 \\
        .venv/bin/python -m pytest tests/reliability -k fuzz

``IPYANIMAGIC_FUZZ_SCALE`` multiplies every test's example count (see ``helpers.fuzz``).

Fixtures
--------
``figures`` (session)
    ``figures.record(test, **numbers)``: what a test measured. The numbers are printed
    in the terminal summary ("reliability figures") and, when
    ``IPYANIMAGIC_RELIABILITY_FIGURES`` names a file, written there as JSON; that is
    where docs/RELIABILITY.md gets its figures from.
``kernel`` (module)
    A real IPython kernel through jupyter_client: ``KernelDriver`` of tests/kernel.
``jupyter_server``, ``browser``, ``notebook``
    The browser harness of tests/browser (``lab.py``). pytest only shares fixtures
    through a common conftest, and two Playwright sync instances cannot live in one
    thread, so these reuse the server and the browser that tests/browser/conftest.py
    started when they are alive (the harness functions are wrapped to note what they
    start); otherwise they start their own (server: session, browser: module, so it is
    gone before any other module could start one).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
BROWSER_DIR = TESTS / "browser"

# -- Hypothesis ------------------------------------------------------------------------

settings.register_profile(
    "reliability",
    # No shrinking: with 5 MB values a shrink can run for many minutes. A failure
    # reports the first failing example (big values print as Big(...) / Deep(...)).
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.explain],
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile(
    "reliability-explore",
    parent=settings.get_profile("reliability"),
    derandomize=False,
    phases=list(Phase),
)


# -- figures ---------------------------------------------------------------------------


class Figures:
    """What the tests measured, by test name, in the order recorded."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def record(self, test: str, **numbers: Any) -> None:
        self.data.setdefault(test, {}).update(numbers)


_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES.data:
        return
    terminalreporter.section("reliability figures")
    for test, numbers in _FIGURES.data.items():
        text = ", ".join(f"{k}={v}" for k, v in numbers.items())
        terminalreporter.write_line(f"{test}: {text}")
    fuzz = [n.get("examples", 0) for t, n in _FIGURES.data.items() if t.startswith("fuzz: ")]
    terminalreporter.write_line(f"fuzz examples run: {sum(fuzz)}")
    _FIGURES.record("fuzz examples run", total=sum(fuzz))
    target = os.environ.get("IPYANIMAGIC_RELIABILITY_FIGURES")
    if target:
        Path(target).write_text(json.dumps(_FIGURES.data, indent=1, sort_keys=True) + "\n")


# -- a real kernel ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel() -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from kernel.conftest import KernelDriver

    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60)
    driver = KernelDriver(km, kc)
    try:
        yield driver
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# -- the browser harness, shared with tests/browser ----------------------------------

if str(BROWSER_DIR) not in sys.path:
    sys.path.insert(0, str(BROWSER_DIR))

import lab  # noqa: E402

_started: dict[str, list[Any]] = {"servers": [], "browsers": []}


def _noting(kind: str, func: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(func, "_reliability_noting", False):
        return func

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        made = func(*args, **kwargs)
        _started[kind].append(made)
        return made

    wrapper._reliability_noting = True  # type: ignore[attr-defined]
    return wrapper


lab.start_server = _noting("servers", lab.start_server)
lab.launch_browser = _noting("browsers", lab.launch_browser)


def _live_server() -> Any | None:
    for server in reversed(_started["servers"]):
        if server.proc.poll() is None:
            return server
    return None


def _live_browser() -> Any | None:
    for browser in reversed(_started["browsers"]):
        with contextlib.suppress(Exception):
            if browser.is_connected():
                return browser
    return None


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    live = _live_server()
    if live is not None:
        yield live
        return
    try:
        server = lab.start_server(tmp_path_factory.mktemp("jupyter-reliability"))
    except lab.HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        lab.stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    live = _live_browser()
    if live is not None:
        yield live
        return
    from playwright.sync_api import sync_playwright

    try:
        executable = lab.find_chromium()
    except lab.HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    with sync_playwright() as pw:
        b = lab.launch_browser(pw, executable)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def notebook(jupyter_server: Any, browser: Any) -> Iterator[Callable[..., Any]]:
    """``open_notebook(cells, app="lab", name=None) -> lab.NotebookPage``, closed after."""
    opened: list[Any] = []

    def open_notebook(cells: list[str], app: str = "lab", name: str | None = None) -> Any:
        nbp = lab.open_notebook(jupyter_server, browser, cells, app=app, name=name)
        opened.append(nbp)
        return nbp

    yield open_notebook

    for nbp in opened:
        lab.close_notebook(jupyter_server, nbp)


@pytest.fixture
def comms_mode_setting(jupyter_server: Any) -> Iterator[Callable[[str | None], None]]:
    """``set_mode(mode)``: JupyterLab's ``commsOverSubshells`` for notebooks opened next
    (None: the default); the user setting is put back afterwards."""
    plugin = lab.KERNELS_SETTINGS_PLUGIN
    before = jupyter_server.get_lab_setting(plugin).get("commsOverSubshells")

    def set_mode(mode: str | None) -> None:
        jupyter_server.set_lab_setting(plugin, {"commsOverSubshells": mode})

    try:
        yield set_mode
    finally:
        jupyter_server.set_lab_setting(plugin, {"commsOverSubshells": before})
