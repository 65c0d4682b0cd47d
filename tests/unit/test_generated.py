"""Generated files of the repository match the package that generates them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_files_are_up_to_date():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generated.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_page_reads_its_limits_from_the_python_source():
    from ipyanimagic import limits

    text = (ROOT / "templates" / "limits.js").read_text(encoding="utf-8")
    assert text == limits.js_module()
    assert '"maxBatch": 8' in text and '"loopModes": [' in text
