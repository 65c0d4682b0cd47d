"""Shared fixtures for every test layer."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
from IPython.testing.globalipapp import start_ipython


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
