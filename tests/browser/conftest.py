"""Every test below this directory gets the ``browser`` marker.

The harness itself (server, browser, ``NotebookPage``) is ``lab.py`` next to this file,
importable outside pytest; its fixtures are in tests/conftest.py, shared with
tests/reliability.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
