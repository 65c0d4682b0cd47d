"""What a newcomer sees first: JupyterLab starting from the project's environment without
an error wall (``bash scripts/demo``).

The repository's package.json says ``"type": "module"``; Node applied it to JupyterLab's
bundled yarn.js inside ``.venv``, which then failed at every start of JupyterLab and
printed minified JavaScript before the URL. ``scripts/setup`` shields the venv with a
package.json of its own.
"""

from __future__ import annotations

import subprocess
import sys


def test_jupyterlab_starts_without_the_yarn_error_wall(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "jupyterlab", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Fail to get yarn configuration" not in done.stderr, done.stderr[:300]
    assert done.stdout.strip()[:1].isdigit(), done.stdout
