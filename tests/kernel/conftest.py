"""Every test below this directory gets the ``kernel`` marker (fixtures: tests/conftest.py)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/kernel/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.kernel)
