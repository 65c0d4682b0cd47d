"""Self-tests of the browser harness: it runs cells, sees outputs and errors, sets Lab settings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support.lab import KERNELS_SETTINGS_PLUGIN as KERNELS_PLUGIN


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_cells_run_in_order_and_print_output(notebook, app):
    nb = notebook(["x = 6*7", "print(x)"], app=app)
    outputs = nb.run_all_cells()
    expect(outputs[1]).to_contain_text("42")
    expect(nb.cell(1).locator(".jp-InputPrompt")).to_have_text("[2]:")
    nb.assert_no_page_errors()


def test_exception_in_cell_is_shown_in_its_output(notebook):
    nb = notebook(["1/0"])
    nb.run_cell(0)
    nb.wait_for_text(0, "ZeroDivisionError")


def test_wait_for_text_fails_when_output_lacks_text(notebook):
    nb = notebook(["print(41)"])
    nb.run_cell(0)
    with pytest.raises(AssertionError):
        nb.wait_for_text(0, "42", timeout=1)


def test_run_cell_fails_when_cell_does_not_finish_in_time(notebook):
    nb = notebook(["import time; time.sleep(60)"])
    with pytest.raises(AssertionError, match="did not finish"):
        nb.run_cell(0, timeout=1)


def test_lab_page_has_no_page_errors_and_reports_thrown_ones(notebook):
    nb = notebook(["pass"])
    nb.run_cell(0)
    nb.assert_no_page_errors(ignore=())
    with nb.page.expect_event("pageerror"):
        nb.page.evaluate("() => setTimeout(() => { throw new Error('harness-boom') }, 0)")
    with pytest.raises(AssertionError, match="harness-boom"):
        nb.assert_no_page_errors()


def test_set_lab_setting_round_trips_comms_over_subshells(jupyter_server):
    try:
        jupyter_server.set_lab_setting(KERNELS_PLUGIN, {"commsOverSubshells": "disabled"})
        reply = jupyter_server.api("GET", f"/lab/api/settings/{KERNELS_PLUGIN}")
        assert reply["settings"]["commsOverSubshells"] == "disabled"

        jupyter_server.set_lab_setting(KERNELS_PLUGIN, {"commsOverSubshells": "perCommTarget"})
        reply = jupyter_server.api("GET", f"/lab/api/settings/{KERNELS_PLUGIN}")
        assert reply["settings"]["commsOverSubshells"] == "perCommTarget"
    finally:
        jupyter_server.set_lab_setting(KERNELS_PLUGIN, {"commsOverSubshells": None})


def test_lab_kernel_connection_follows_comms_over_subshells_setting(jupyter_server, notebook):
    jupyter_server.set_lab_setting(KERNELS_PLUGIN, {"commsOverSubshells": "disabled"})
    try:
        nb = notebook(["pass"])
        # Lab applies the setting asynchronously after start-up.
        nb.wait_for_comms_over_subshells("disabled")
        assert nb.kernel_comms_over_subshells() == "disabled"
    finally:
        jupyter_server.set_lab_setting(KERNELS_PLUGIN, {"commsOverSubshells": None})


def test_notebook7_ignores_comms_over_subshells_setting(jupyter_server, notebook):
    # Notebook 7.6 does not load @jupyterlab/apputils-extension:subshell-settings,
    # so its kernel connection keeps the default whatever the setting says.
    jupyter_server.set_lab_setting(KERNELS_PLUGIN, {"commsOverSubshells": "disabled"})
    try:
        nb = notebook(["pass"], app="notebook")
        has_plugin = nb.page.evaluate(
            "() => window.jupyterapp.hasPlugin('@jupyterlab/apputils-extension:subshell-settings')"
        )
        assert has_plugin is False
        assert nb.kernel_comms_over_subshells() == "perCommTarget"
    finally:
        jupyter_server.set_lab_setting(KERNELS_PLUGIN, {"commsOverSubshells": None})
