"""Fixtures shared by every test layer, and the one place test markers are set.

Markers
-------
``pytest_collection_modifyitems`` below marks by where a test lives: ``browser`` for
tests/browser/, tests/reliability/test_browser_*.py and any test that opens a notebook
in the browser; ``kernel`` for tests/kernel/ and the reliability modules that drive a
real kernel; ``plain_install`` for tests/plain/, whose kernels and JupyterLab come from
``.venv-plain`` (the wheel and JupyterLab, no extras: ``support/plain.py``). Shared
helpers live in tests/support/.

``ip_session`` / ``ip``
    A real InteractiveShell (IPython's own test shell).
``kernel`` (module)
    A real IPython kernel through jupyter_client, as a ``KernelDriver``
    (``tests/support/kernel.py``).
``jupyter_server`` (session)
    A JupyterLab server (which also serves Notebook 7) on a free local port, with
    throw-away config/data/runtime/IPython directories (``tests/support/lab.py``).
``jupyter_server_without_extension`` (module)
    The same, with the ipyanimagic server extension (TCP_NODELAY) disabled: a server
    as a hub that does not load it runs.
``browser`` (session)
    A headless Playwright Chromium using the system ``chromium`` binary.
``notebook`` (function)
    ``open_notebook(cells, app="lab", name=None, on_page=None) -> NotebookPage``: writes a notebook,
    opens it (in JupyterLab: in the page an earlier test's notebook left, if it is
    still as it was made; see ``lab.open_notebook(reuse=True)``) and waits for an idle,
    connected kernel. Notebooks and kernel sessions are closed after the test.
``notebook_without_extension`` (function)
    The same on ``jupyter_server_without_extension``.
``serverapp`` (function)
    ``make(**traits) -> ServerApp``: a real jupyter_server ``ServerApp`` initialized with
    only the ``ipyanimagic`` server extension (no HTTP server, no kernels), its log also
    going to ``caplog``; throw-away config/data/runtime directories.
``comms_over_subshells`` (function)
    ``set_mode(mode)``: JupyterLab's ``commsOverSubshells`` for notebooks opened next
    (None: Lab's default); the user setting is put back afterwards.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
from IPython.testing.globalipapp import start_ipython

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # for ``support``
    sys.path.insert(0, str(TESTS))

from support import lab  # noqa: E402
from support.kernel import KernelDriver  # noqa: E402

# Where each marker comes from: a test's folder or module, relative to tests/ ...
MARKED_PATHS = {
    "browser": ("browser/", "reliability/test_browser_", "plain/test_plain_browser"),
    "kernel": (
        "kernel/",
        "reliability/test_kernel_",
        "reliability/test_lifecycle.py",
        "plain/test_plain_kernel",
    ),
    "plain_install": ("plain/",),
}
# The old-stack run (scripts/test runs it in .venv-oldest, tools/oldest.txt) takes the
# unit and kernel tests and these browser tests, marked "oldest_stack" (node ids under
# tests/; without [params]: every parameter): the 2013 post's examples 1 and 2, the
# player's controls, the threading rule, a live player followed and scrubbed while its
# loop runs (ipykernel 6: the loop's captures read the page's requests); in JupyterLab
# and in Notebook 7.
OLDEST_STACK = (
    "browser/test_jsexec.py::test_seed_example_1_the_form_sets_a_python_variable[lab]",
    "browser/test_jsexec.py::test_seed_example_2_shows_result_print_and_error[notebook]",
    "browser/test_player.py::test_step_buttons_first_last_and_counter",
    "browser/test_player.py::test_play_advances_and_pause_stops[lab]",
    "browser/test_player.py::test_the_slider_shows_the_frame_under_the_thumb[notebook]",
    "browser/test_player.py::test_keyboard_space_plays_and_arrows_step[lab]",
    "browser/test_threads.py::test_calls_made_while_a_cell_runs_run_on_the_main_thread_after_it",
    "browser/test_live.py::test_a_running_loop_is_followed_scrubbed_back_and_followed_again[lab]",
    # anywidget 0.9 runs the widgets' loaders: the page code comes once for them all.
    "browser/test_page_code.py::test_players_shown_at_once_ask_for_their_code_once_and_every_one_plays",
    "browser/test_page_code.py::test_a_kernel_that_does_not_have_the_code_says_so_in_the_status_line",
)
# Tests of what the oldest stack does not have, marked "subshells" and left out of the
# old-stack run: ipykernel 6 has no subshells (its comm messages always arrive on the
# main shell thread, which the threading-rule browser test checks there).
NEEDS_SUBSHELLS = (
    "kernel/test_kernel_bridge.py::"
    "test_requests_on_a_subshell_run_on_the_main_thread_after_the_running_cell",
    "kernel/test_kernel_bridge.py::test_a_comm_message_during_a_cell_leaves_the_cells_figures_alone",
    # ipykernel 6 reads a busy cell's requests only where a live player's captures pump.
    "kernel/test_kernel_bridge.py::"
    "test_a_code_request_sent_the_moment_the_comm_opens_is_answered_while_the_cell_runs",
    # Widgets restored while a loop runs, under ipykernel 6: unreliable (issue 20's note).
    "kernel/test_live.py::"
    "test_a_page_reconnecting_while_the_loop_runs_gets_kernel_info_and_every_widget_state",
)
MARKERS = {
    "oldest_stack": "also runs in the old-stack environment (.venv-oldest, tools/oldest.txt)",
    "plain_install": "kernels and servers from .venv-plain, the wheel without extras",
    "subshells": "needs ipykernel >= 7 subshells: not in the old-stack run",
}
# ... or, elsewhere, a fixture that only a test in the browser uses.
BROWSER_FIXTURES = {
    "notebook",
    "browser",
    "jupyter_server",
    "comms_over_subshells",
    "notebook_without_extension",
    "jupyter_server_without_extension",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


# Under CI every test must run: a skip there (a missing browser, an extra not installed,
# a platform feature) would count as passing what was never checked, so it fails, loudly.
def _fail_if_skipped_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    _fail_if_skipped_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    outcome = yield
    _fail_if_skipped_in_ci(outcome.get_result())


def _listed(test_id: str, listed: tuple[str, ...]) -> bool:
    """``test_id`` (``path::name[params]``) is listed, as it is or without parameters."""
    return test_id in listed or test_id.split("[")[0] in listed


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            where = Path(str(item.path)).resolve().relative_to(TESTS).as_posix()
        except ValueError:
            continue
        marks = {m for m, paths in MARKED_PATHS.items() if where.startswith(paths)}
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            marks.add("browser")
        test_id = f"{where}::{item.name}"
        if _listed(test_id, OLDEST_STACK):
            marks.add("oldest_stack")
        if _listed(test_id, NEEDS_SUBSHELLS):
            marks.add("subshells")
        for mark in sorted(marks):
            item.add_marker(mark)


@pytest.fixture(scope="session")
def ip_session():
    """A real InteractiveShell (IPython's own test shell), shared by the session."""
    shell = start_ipython()
    yield shell


@pytest.fixture
def ip(ip_session):
    """The shell, with the extension unloaded and the namespace cleaned after each test."""
    before = set(ip_session.user_ns)
    yield ip_session
    ip_session.run_line_magic("unload_ext", "ipyanimagic")
    for name in set(ip_session.user_ns) - before:
        del ip_session.user_ns[name]


@pytest.fixture(scope="module")
def kernel() -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        yield KernelDriver(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _running_server(base: Path, server_extension: bool = True) -> Iterator[lab.JupyterServer]:
    yield from lab.serving(
        lambda: lab.start_server(base, server_extension=server_extension), lab.stop_server
    )


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lab.JupyterServer]:
    yield from _running_server(tmp_path_factory.mktemp("jupyter"))


@pytest.fixture(scope="module")
def jupyter_server_without_extension(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[lab.JupyterServer]:
    yield from _running_server(tmp_path_factory.mktemp("jupyter-plain"), server_extension=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
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


def _notebooks(
    server: lab.JupyterServer, browser: Any
) -> Iterator[Callable[..., lab.NotebookPage]]:
    opened: list[lab.NotebookPage] = []

    def open_notebook(cells: list[str], app: str = "lab", **kwargs: Any) -> lab.NotebookPage:
        kwargs.setdefault("reuse", True)
        nbp = lab.open_notebook(server, browser, cells, app=app, **kwargs)
        opened.append(nbp)
        return nbp

    yield open_notebook

    for nbp in opened:
        lab.close_notebook(server, nbp, wait=False)


@pytest.fixture
def notebook(
    jupyter_server: lab.JupyterServer, browser: Any
) -> Iterator[Callable[..., lab.NotebookPage]]:
    yield from _notebooks(jupyter_server, browser)


@pytest.fixture
def notebook_without_extension(
    jupyter_server_without_extension: lab.JupyterServer, browser: Any
) -> Iterator[Callable[..., lab.NotebookPage]]:
    yield from _notebooks(jupyter_server_without_extension, browser)


@pytest.fixture
def comms_over_subshells(
    jupyter_server: lab.JupyterServer,
) -> Iterator[Callable[[str | None], None]]:
    plugin = lab.KERNELS_SETTINGS_PLUGIN
    if not lab.has_comms_over_subshells():
        # A JupyterLab before 4.4 (the old-stack run): one mode, its default.
        def only_default(mode: str | None) -> None:
            if mode is not None:
                pytest.fail(f"this JupyterLab has no commsOverSubshells setting ({mode})")

        yield only_default
        return
    before = jupyter_server.get_lab_setting(plugin).get("commsOverSubshells")

    def set_mode(mode: str | None) -> None:
        jupyter_server.set_lab_setting(plugin, {"commsOverSubshells": mode})
        lab.forget_warm_pages(jupyter_server)  # they read the setting when they started

    try:
        yield set_mode
    finally:
        jupyter_server.set_lab_setting(plugin, {"commsOverSubshells": before})
        lab.forget_warm_pages(jupyter_server)


@pytest.fixture
def serverapp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[Callable[..., Any]]:
    from jupyter_server.gateway.gateway_client import GatewayClient
    from jupyter_server.serverapp import ServerApp

    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        (tmp_path / var).mkdir()
        monkeypatch.setenv(var, str(tmp_path / var))
    made: list[Any] = []

    def make(**traits: Any) -> Any:
        ServerApp.clear_instance()
        GatewayClient.clear_instance()
        app = ServerApp(
            jpserver_extensions={"ipyanimagic": True},
            root_dir=str(tmp_path),
            open_browser=False,
            **traits,
        )
        app.log.addHandler(caplog.handler)
        made.append(app)
        app.initialize(argv=[], find_extensions=False, new_httpserver=False)
        return app

    yield make
    for app in made:
        app.log.removeHandler(caplog.handler)
    ServerApp.clear_instance()
    GatewayClient.clear_instance()
