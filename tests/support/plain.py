"""The plain-install environment: what ``pip install ipyanimagic jupyterlab`` gives a user.

``scripts/setup-plain`` makes ``.venv-plain`` (the wheel built from this checkout and
JupyterLab, no extras: no dask, no simplejpeg, no ipympl). The tests in tests/plain/ run
in the main environment's pytest and start their kernels and servers from that one, so
that what they test is the installed wheel, not the checkout.

``plain_python() -> str``
    The environment's python (``$IPYANIMAGIC_PLAIN_PYTHON`` if set), made or brought up to
    date by ``scripts/setup-plain`` on first use.
``start_kernel(python, where) -> KernelDriver``
    A kernel of that python, started in ``where`` (never the checkout: there,
    ``import ipyanimagic`` would find the source tree first). ``stop_kernel(driver)``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest

from .kernel import KernelDriver

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def plain_python() -> str:
    """The plain environment's python, brought up to date with this checkout first
    (``scripts/setup-plain`` builds and installs the wheel again only if the package
    changed): a test of the plain install never runs yesterday's wheel."""
    given = os.environ.get("IPYANIMAGIC_PLAIN_PYTHON")
    if given:
        return given
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/setup-plain")], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/setup-plain failed:\n{done.stdout}{done.stderr}", pytrace=False)
    return str(ROOT / ".venv-plain/bin/python")


def start_kernel(python: str, where: Path) -> KernelDriver:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = where / "kernels" / "plain"
    spec.mkdir(parents=True)
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "plain install", "language": "python"})
    )
    km = KernelManager(
        kernel_name="plain", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)])
    )
    env = {**os.environ, "IPYTHONDIR": str(where / "ipython")}
    km.start_kernel(cwd=str(where), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    return KernelDriver(km, kc)


def stop_kernel(driver: KernelDriver) -> None:
    driver.kc.stop_channels()
    driver.km.shutdown_kernel(now=True)
