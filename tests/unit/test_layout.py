"""The package's layout holds its architecture: data flows one way between the folders.

Each subpackage's docstring ends with a ``May import:`` line (the one statement of the
rule; docs/ARCHITECTURE.md repeats it in prose); these tests read every module's imports,
those inside functions and under ``TYPE_CHECKING`` included, and hold the line.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ipyanimagic

PACKAGE = Path(ipyanimagic.__file__).parent
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
#: Top-level modules that are not shared by the parts: the entry points above them all.
ENTRIES = {"__init__", "magics"}
SHARED = sorted(
    p.stem for p in PACKAGE.glob("*.py") if p.stem not in ENTRIES and p.stem != "serverext"
)

#: Third-party packages a part must not import, and why.
FORBIDDEN = {
    "bridge": {"matplotlib": "the bridge works without matplotlib (%%jsexec)"},
    "frames": {
        w: "the frame machinery knows nothing of widgets"
        for w in ("anywidget", "ipywidgets", "traitlets", "comm")
    },
    "workers": {
        w: "workers know nothing of widgets"
        for w in ("anywidget", "ipywidgets", "traitlets", "comm")
    },
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, names that are modules too."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:  # `from .. import futures` imports a module
                rel = [*target.split(".")[1:], alias.name]
                is_module = target.startswith("ipyanimagic") and (
                    PACKAGE.joinpath(*rel).with_suffix(".py").is_file()
                    or (PACKAGE.joinpath(*rel) / "__init__.py").is_file()
                )
                found.add(f"{target}.{alias.name}" if is_module else target)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            # importlib.import_module(".bridge.x", __name__) in the lazy __init__
            spec = str(node.args[0].value)
            found.add(f"{package}{spec}" if spec.startswith(".") else spec)
    return found


def _part(module: str) -> str:
    """The part a module of the package belongs to: its subpackage or its own top name."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _allowed(sub: str) -> set[str]:
    doc = ast.get_docstring(ast.parse((PACKAGE / sub / "__init__.py").read_text())) or ""
    line = re.search(r"^May import: (.*)\.$", doc, re.M)
    assert line, f"{sub}/__init__.py: its docstring must end with a 'May import: ...' line"
    words = {w.strip() for w in line.group(1).split(",")}
    assert "the top's shared modules" in words, line.group(0)
    allowed = words - {"the top's shared modules"}
    assert allowed <= set(SUBPACKAGES), f"{sub}: unknown parts in {line.group(0)!r}"
    return allowed | set(SHARED) | {sub}


def _modules(part: str) -> list[Path]:
    if part in SUBPACKAGES:
        return sorted((PACKAGE / part).rglob("*.py"))
    return [PACKAGE / f"{part}.py"]


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_a_subpackage_imports_only_the_parts_its_docstring_allows(sub):
    allowed = _allowed(sub)
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {target}"
        for path in _modules(sub)
        for target in sorted(_imports(path))
        if target.split(".")[0] == "ipyanimagic" and _part(target) not in allowed
    ]
    assert not wrong, f"{sub} may import only {sorted(allowed)}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("sub", sorted(FORBIDDEN))
def test_a_subpackage_stays_off_the_third_party_packages_outside_its_job(sub):
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {target}: {FORBIDDEN[sub][top]}"
        for path in _modules(sub)
        for target in sorted(_imports(path))
        if (top := target.split(".")[0]) in FORBIDDEN[sub]
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", [*SHARED, "serverext"])
def test_the_shared_modules_at_the_top_import_no_part(name):
    wrong = [
        target
        for target in sorted(_imports(PACKAGE / f"{name}.py"))
        if target.split(".")[0] == "ipyanimagic" and _part(target) not in SHARED
    ]
    assert not wrong, f"{name}.py is shared by every part and imports {wrong}"


def test_the_import_rule_sees_the_imports_it_checks():
    """The checker itself: a known import across parts, a function-level one, a lazy one."""
    assert "ipyanimagic.frames.pipeline" in _imports(PACKAGE / "workers" / "parallel.py")
    assert "ipyanimagic.frames.render" in _imports(PACKAGE / "workers" / "pool.py")
    assert "ipyanimagic.futures" in _imports(PACKAGE / "frames" / "pipeline.py")
    assert "ipyanimagic.player.widget" in _imports(PACKAGE / "__init__.py")
    assert {"bridge", "frames", "player", "workers"} <= set(SUBPACKAGES)


def test_each_folder_is_small_enough_to_read_as_one_part():
    for sub in SUBPACKAGES:
        modules = [p for p in (PACKAGE / sub).glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= 12, f"{sub}/ has {len(modules)} modules: split it by job"


def test_loading_the_server_extension_imports_neither_matplotlib_nor_the_widgets():
    """The Jupyter server imports the package to find the extension: that must stay light."""
    heavy = ["matplotlib", "anywidget", "ipywidgets", "numpy", "IPython"]
    code = (
        "import sys, ipyanimagic, ipyanimagic.serverext\n"
        "ipyanimagic._jupyter_server_extension_points()\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_public_names_import_on_first_use():
    code = (
        "import sys, ipyanimagic\n"
        "assert 'matplotlib' not in sys.modules\n"
        "from ipyanimagic import animate, registry, JSError, Player, jsexec, eval_js\n"
        "assert registry.__name__ == 'ipyanimagic.bridge.registry'\n"
        "assert animate.__module__ == 'ipyanimagic.player.animate'\n"
        "assert set(ipyanimagic.__all__) <= set(dir(ipyanimagic))\n"
        "for name in ipyanimagic.__all__: getattr(ipyanimagic, name)\n"
        "try:\n    ipyanimagic.nothing_here\nexcept AttributeError as e: print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "has no attribute 'nothing_here'" in out.stdout, out.stdout + out.stderr
