"""The wheel carries the templates and renders them from an installed copy."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("ipyanimagic-*.whl")
    return whl


def test_the_wheel_contains_every_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in sorted((ROOT / "templates").iterdir()):
        assert f"ipyanimagic/templates/{template.name}" in names


def test_an_installed_wheel_renders_its_templates(wheel, tmp_path):
    """A fresh venv with only the wheel installed (its dependencies borrowed from ours)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    new_site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies come from this environment's site-packages, listed after the
    # venv's own, so the installed wheel (not the source tree) provides ipyanimagic.
    Path(new_site, "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = (
        "import ipyanimagic, ipyanimagic.templates as t\n"
        "print(ipyanimagic.__file__)\n"
        "print(t.template_dir())\n"
        "esm = ipyanimagic.JsExec._esm\n"
        "assert 'createBridge' in esm and 'export default' in esm, esm[:200]\n"
        "print(len(t.render('jsexec.css')) > 0)\n"
    )
    res = subprocess.run(
        [str(py), "-c", probe], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    module_file, template_dir, css_ok = res.stdout.split("\n")[:3]
    assert Path(module_file).is_relative_to(venv)
    assert Path(template_dir) == Path(module_file).parent / "templates"
    assert css_ok == "True"
