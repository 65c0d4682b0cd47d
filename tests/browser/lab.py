"""The browser harness under its old name, for ``benchmarks/_browser.py`` (which puts
this folder on ``sys.path`` and imports ``lab``). The harness is ``tests/support/lab.py``;
this module *is* that one (same classes, same constants), not a copy."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from support import lab as _lab  # noqa: E402

sys.modules[__name__] = _lab
