"""The wheel carries the templates and renders them from an installed copy, and
enables the Jupyter server extension on install (its ``jupyter_server_config.d`` file
in the wheel's data), which ``jupyter server extension disable`` turns off."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SERVER_CONFIG = "etc/jupyter/jupyter_server_config.d/ipyanimagic.json"
ENABLED = {"ServerApp": {"jpserver_extensions": {"ipyanimagic": True}}}
# What jupyter_server reads: every jupyter_server_config.d file on the config path.
JPSERVER_EXTENSIONS = (
    "from jupyter_core.paths import jupyter_config_path\n"
    "from jupyter_server.extension.config import ExtensionConfigManager\n"
    "m = ExtensionConfigManager(read_config_path=jupyter_config_path())\n"
    "print('ipyanimagic=%s' % m.get_jpserver_extensions().get('ipyanimagic'))\n"
)
# ``jupyter server extension ...`` in an environment without the ``jupyter`` scripts.
SERVER_EXTENSION = "from jupyter_server.extension.serverextension import main; main()"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
    templates = ROOT / "templates"  # with its subfolders (bridge/, player/)
    for template in sorted(p for p in templates.rglob("*") if p.is_file()):
        assert f"ipyanimagic/templates/{template.relative_to(templates).as_posix()}" in names


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The python of a fresh venv with only the wheel installed (its dependencies
    borrowed from ours)."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
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
    return py


def run(*cmd: str | Path, tmp_path: Path) -> str:
    """Run ``cmd`` outside the source tree with an empty user config dir; return its
    stdout and stderr, colours removed."""
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "user-config"))
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    res = subprocess.run(
        [str(c) for c in cmd], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    return ANSI.sub("", res.stdout + res.stderr)


def test_the_wheel_enables_the_server_extension_in_its_data_files(wheel):
    with zipfile.ZipFile(wheel) as zf:
        (config,) = [n for n in zf.namelist() if n.endswith(".data/data/" + SERVER_CONFIG)]
        assert json.loads(zf.read(config)) == ENABLED


def test_an_installed_wheel_renders_its_templates(installed, tmp_path):
    probe = (
        "import ipyanimagic, ipyanimagic.templates as t\n"
        "print(ipyanimagic.__file__)\n"
        "print(t.template_dir())\n"
        "loader, esm = ipyanimagic.JsExec._esm, ipyanimagic.esm.jsexec_esm()\n"
        "assert 'createBridge' in esm and 'export default' in esm, esm[:200]\n"
        "assert ipyanimagic.esm.code_hash(esm) in loader, loader[-200:]\n"
        "print(len(t.render('bridge/jsexec.css')) > 0)\n"
    )
    res = subprocess.run(
        [str(installed), "-c", probe], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    module_file, template_dir, css_ok = res.stdout.split("\n")[:3]
    assert Path(module_file).is_relative_to(installed.parents[1])
    assert Path(template_dir) == Path(module_file).parent / "templates"
    assert css_ok == "True"


def test_installing_the_wheel_enables_the_server_extension_and_disable_turns_it_off(
    installed, tmp_path
):
    venv = installed.parents[1]
    assert json.loads((venv / SERVER_CONFIG).read_text()) == ENABLED
    assert "ipyanimagic=True" in run(installed, "-c", JPSERVER_EXTENSIONS, tmp_path=tmp_path)
    try:
        run(installed, "-c", SERVER_EXTENSION, "disable", "ipyanimagic", tmp_path=tmp_path)
        assert "ipyanimagic=False" in run(installed, "-c", JPSERVER_EXTENSIONS, tmp_path=tmp_path)
    finally:
        run(installed, "-c", SERVER_EXTENSION, "enable", "ipyanimagic", tmp_path=tmp_path)
    assert "ipyanimagic=True" in run(installed, "-c", JPSERVER_EXTENSIONS, tmp_path=tmp_path)


def test_jupyter_server_extension_list_shows_it_enabled_and_ok_in_this_environment(tmp_path):
    """The development install (``scripts/setup``: pip install -e) enables it too."""
    jupyter = Path(sys.executable).with_name("jupyter")
    out = run(jupyter, "server", "extension", "list", tmp_path=tmp_path)
    assert re.search(r"^\s*ipyanimagic enabled\s*$", out, re.M), out
    assert re.search(r"^\s*ipyanimagic \S+ OK\s*$", out, re.M), out
