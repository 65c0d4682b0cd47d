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
``kernel``, ``jupyter_server``, ``browser``, ``notebook``, ``comms_over_subshells``
    From tests/conftest.py, shared with the other layers.
"""

from __future__ import annotations

import json
import os
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
