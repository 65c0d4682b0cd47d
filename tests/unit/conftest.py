"""Fixtures of the unit tests that make players in the test's own process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import matplotlib.pyplot as plt
import pytest


@pytest.fixture
def players() -> Iterator[list[Any]]:
    """A list a test appends its players to: each is closed, and every figure with it,
    after the test (a closed player also ends its worker processes and kept files)."""
    made: list[Any] = []
    yield made
    for p in made:
        p.close()
    plt.close("all")
