"""The page modules joined into one module each (ipyanimagic/esm.py) are valid JavaScript,
and the joiner refuses what it cannot join faithfully."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ipyanimagic import esm
from ipyanimagic.limits import LIMITS

NODE = shutil.which("node")
#: the template root of the source tree (bridge/, player/, limits.js)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def node(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # The page code is checked by a real JavaScript engine: no node is a failure, not
    # a skip (scripts/setup installs it).
    assert NODE, "node is not installed: run scripts/setup"
    return subprocess.run(
        [NODE, *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=60
    )


def check_module(text: str, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.mjs"
    path.write_text(text, encoding="utf-8")
    done = node("--check", str(path))
    assert done.returncode == 0, done.stderr
    return path


def export_script(html: str) -> str:
    (script,) = re.findall(r'<script type="module">\n(.*?)</script>', html, re.S)
    return script


def small_export() -> str:
    state = {"key": "offline", "label": "L", "count": 2, "known": 2, "fps": 60.0}
    frames = {"frames": {"0": {"mime": "image/png", "data": ""}}, "ranges": [[0, 0]]}
    return esm.export_page(label="L", state=state, frames=frames)


@pytest.mark.parametrize(
    "make",
    [esm.player_esm, esm.jsexec_esm, esm.player_loader_esm, esm.jsexec_loader_esm],
    ids=["player", "jsexec", "player-loader", "jsexec-loader"],
)
def test_each_widget_module_is_one_valid_module_with_a_render_function(make, tmp_path):
    path = check_module(make(), tmp_path, make.__name__)
    # Importing it runs only declarations (no DOM needed): anywidget gets a render().
    probe = (
        f"const m = await import({json.dumps(path.as_uri())});"
        "if (typeof m.default.render !== 'function') process.exit(3);"
    )
    done = node("--input-type=module", "-e", probe)
    assert done.returncode == 0, done.stderr


def test_the_exported_page_carries_one_valid_module(tmp_path):
    script = export_script(small_export())
    check_module(script, tmp_path, "export")
    assert script.rstrip().endswith("mountExport(document);")


def test_no_template_syntax_and_no_import_is_left_in_the_joined_modules():
    for text in (esm.player_esm(), esm.jsexec_esm(), esm.export_module()):
        assert "{%" not in text and "{{" not in text
        assert not re.search(r"^\s*import\b", text, re.M)
        # dependencies first, each once
        assert text.count("// ---- bridge/bridge.js ----") == 1
    for loader in (esm.player_loader_esm(), esm.jsexec_loader_esm()):
        assert not re.search(r"^\s*(import|//)", loader, re.M)  # joined, comments left out
    order = re.findall(r"^// ---- (\S+) ----$", esm.player_esm(), re.M)
    assert order.index("limits.js") < order.index("player/clock.js")
    assert order.index("player/clock.js") < order.index("player/player.js")
    assert order[-1] == "player/player_widget.js"


def test_the_controls_markup_is_data_from_player_html_with_the_limits():
    html = esm.controls_html()
    options = re.findall(r'<option value="([^"]+)">', html)
    assert options == LIMITS["loopModes"]
    assert f'min="{LIMITS["fpsMin"]:g}"' in html and f'max="{LIMITS["fpsMax"]:g}"' in html
    # A JSON string in the module (no "<" to end a script), equal to the markup.
    literal = esm.player_esm().rsplit("export default playerWidget(", 1)[1].rsplit(");", 1)[0]
    assert "<" not in literal
    assert json.loads(literal) == html


def test_markup_in_the_label_or_state_stays_text_in_the_exported_page():
    hostile = "</script><script>alert(1)</script><!--"
    page = esm.export_page(
        label=hostile,
        state={"key": "offline", "label": hostile, "count": 1},
        frames={"frames": {}, "ranges": []},
    )
    assert page.count("<script") == 3  # the two JSON elements and the module
    assert "<title>&lt;/script&gt;" in page
    state = re.search(r'id="ipyanimagic-state">(.*?)</script>', page, re.S)
    assert state is not None and json.loads(state.group(1))["label"] == hostile


# -- the joiner ------------------------------------------------------------------------


def write(folder: Path, **files: str) -> Path:
    for name, text in files.items():
        (folder / f"{name}.js").write_text(text, encoding="utf-8")
    return folder


def test_joining_puts_dependencies_first_once_and_keeps_only_the_entrys_exports(tmp_path):
    folder = write(
        tmp_path,
        a="export const A = 1;\nexport function twice(x) {\n  return 2 * x;\n}\n",
        b='import { A } from "./a.js";\nexport const B = A + 1;\n',
        main=(
            'import { A, twice } from "./a.js";\nimport { B } from "./b.js";\n'
            'import * as ns from "./b.js";\nexport const C = twice(A + B + ns.B);\n'
        ),
    )
    text = esm.join_modules("main.js", folder)
    assert joined_parts(text) == ["a.js", "b.js", "main.js"]
    assert "export const A" not in text and "const A = 1;" in text
    assert "export const C" in text
    assert "const ns = Object.freeze({ B });" in text
    path = tmp_path / "joined.mjs"
    path.write_text(text + "\nconsole.log(C);\n", encoding="utf-8")
    done = node(str(path))
    assert done.returncode == 0 and done.stdout.strip() == "10", done.stderr


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"main": 'import a from "./a.js";\n'}, "cannot join this import"),
        ({"main": 'import { x as y } from "./a.js";\n'}, "renamed imports"),
        ({"main": 'import "./a.js";\n'}, "cannot join this import"),
        ({"main": 'import { x } from "lodash";\n'}, "only relative specifiers"),
        ({"main": 'import { x } from "/a.js";\n'}, "only relative specifiers"),
        ({"main": 'import { x } from "../a.js";\n'}, "'../a.js' leaves the template root"),
        ({"main": 'import { x } from "./missing.js";\n'}, "no such module"),
        ({"main": 'import { x } from "./a.js";\n', "a": "export const y = 1;\n"}, "not export 'x'"),
        (
            {"main": 'import { x } from "./a.js";\n', "a": "export { x };\n"},
            "cannot join this export",
        ),
        (
            {
                "main": 'import { f } from "./a.js";\n',
                "a": "export default 1;\nexport const f = 1;\n",
            },
            "default export",
        ),
        (
            {
                "main": 'import { a } from "./a.js";\nconst helper = 1;\n',
                "a": "const helper = 2;\nexport const a = helper;\n",
            },
            "'helper' is also declared in a.js",
        ),
        (
            {"main": 'import { a } from "./a.js";\n', "a": 'import { m } from "./main.js";\n'},
            "import cycle: main.js -> a.js -> main.js",
        ),
    ],
)
def test_the_joiner_refuses_what_it_cannot_join_and_says_why(tmp_path, files, message):
    write(tmp_path, **files)
    with pytest.raises(esm.JoinError, match=re.escape(message)):
        esm.join_modules("main.js", tmp_path)


def test_destructured_top_level_names_count_as_declared(tmp_path):
    write(
        tmp_path,
        a="const [ONE, TWO] = [1, 2];\nexport const a = ONE + TWO;\n",
        main='import { a } from "./a.js";\nconst { TWO } = { TWO: a };\n',
    )
    with pytest.raises(esm.JoinError, match=re.escape("'TWO' is also declared in a.js")):
        esm.join_modules("main.js", tmp_path)


def joined_parts(text: str) -> list[str]:
    """The modules a joined text is made of, in order (its ``// ---- path ----`` headers)."""
    return re.findall(r"^// ---- (\S+) ----$", text, re.M)


def write_tree(folder: Path, files: dict[str, str]) -> Path:
    """Modules at paths relative to ``folder`` (``"player/a.js"``), folders made."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def test_a_relative_import_resolves_against_the_importing_modules_own_folder(tmp_path):
    write_tree(
        tmp_path,
        {
            "limits.js": "export const L = 1;\n",
            "bridge/bridge.js": 'import { L } from "../limits.js";\nexport const B = L + 1;\n',
            "player/util.js": 'import { B } from "../bridge/bridge.js";\nexport const U = B + 1;\n',
            "player/main.js": (
                'import { B } from "../bridge/bridge.js";\nimport { L } from "../limits.js";\n'
                'import * as util from "./util.js";\nexport const M = B + L + util.U;\n'
            ),
        },
    )
    text = esm.join_modules("player/main.js", tmp_path)
    assert joined_parts(text) == [
        "limits.js",
        "bridge/bridge.js",
        "player/util.js",
        "player/main.js",
    ]
    path = tmp_path / "joined.mjs"
    path.write_text(text + "\nconsole.log(M);\n", encoding="utf-8")
    done = node(str(path))
    assert done.returncode == 0 and done.stdout.strip() == "6", done.stderr
    # The same module reached by two spellings is one module.
    assert esm.join_modules("./player/../player/main.js", tmp_path) == text


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {
                "player/main.js": 'import { x } from "../../a.js";\n',
                "a.js": "export const x = 1;\n",
            },
            "player/main.js:1: '../../a.js' leaves the template root",
        ),
        (
            {"player/main.js": 'import { x } from "../bridge/../../a.js";\n'},
            "leaves the template root",
        ),
        (
            {"player/main.js": 'import { x } from "../bridge/missing.js";\n'},
            "bridge/missing.js: no such module",
        ),
        (
            {
                "player/main.js": 'import { b } from "../bridge/b.js";\n',
                "bridge/b.js": 'import { m } from "../player/main.js";\nexport const b = 1;\n',
            },
            "import cycle: player/main.js -> bridge/b.js -> player/main.js",
        ),
    ],
)
def test_a_specifier_is_resolved_in_the_template_root_or_refused(tmp_path, files, message):
    write_tree(tmp_path, files)
    with pytest.raises(esm.JoinError, match=re.escape(message)):
        esm.join_modules("player/main.js", tmp_path)


def test_an_entry_outside_the_template_root_is_refused(tmp_path):
    write_tree(tmp_path, {"root/a.js": "export const a = 1;\n"})
    with pytest.raises(esm.JoinError, match="leaves the template root"):
        esm.join_modules("../a.js", tmp_path / "root")


def test_modules_of_the_same_file_name_in_two_folders_are_two_modules(tmp_path):
    write_tree(
        tmp_path,
        {
            "bridge/util.js": "export const fromBridge = 1;\n",
            "player/util.js": "export const fromPlayer = 2;\n",
            "player/main.js": (
                'import { fromBridge } from "../bridge/util.js";\n'
                'import { fromPlayer } from "./util.js";\n'
                "export const both = fromBridge + fromPlayer;\n"
            ),
        },
    )
    text = esm.join_modules("player/main.js", tmp_path)
    assert joined_parts(text) == [
        "bridge/util.js",
        "player/util.js",
        "player/main.js",
    ]
    assert "const fromBridge = 1;" in text and "const fromPlayer = 2;" in text
    # Each its own module: one that exports nothing of the other's names.
    (tmp_path / "player/main.js").write_text(
        'import { fromBridge } from "./util.js";\n', encoding="utf-8"
    )
    with pytest.raises(esm.JoinError, match=re.escape("player/util.js does not export")):
        esm.join_modules("player/main.js", tmp_path)
    # Two modules of one name still collide on a top-level name they both declare.
    write_tree(
        tmp_path,
        {
            "bridge/util.js": "const helper = 1;\nexport const fromBridge = helper;\n",
            "player/util.js": "const helper = 2;\nexport const fromPlayer = helper;\n",
            "player/main.js": (
                'import { fromBridge } from "../bridge/util.js";\n'
                'import { fromPlayer } from "./util.js";\n'
            ),
        },
    )
    with pytest.raises(
        esm.JoinError, match=re.escape("'helper' is also declared in bridge/util.js")
    ):
        esm.join_modules("player/main.js", tmp_path)


# -- the page side's layout ------------------------------------------------------------

_SPECIFIER = re.compile(
    r"^import\b[^;]*?\bfrom\s*[\"']([^\"']+)[\"']|^import\s*[\"']([^\"']+)[\"']", re.M
)


def test_the_bridges_page_code_imports_nothing_of_the_players():
    """Player modules may import bridge modules, never the reverse: the bridge's page
    code (templates/bridge/) stands on its own, for %%jsexec without a player."""
    bridge, player = TEMPLATES / "bridge", TEMPLATES / "player"
    modules = sorted(bridge.glob("*.js"))
    assert {m.name for m in modules} >= {"bridge.js", "pagecalls.js", "jsexec.js"}
    for module in modules:
        text = module.read_text(encoding="utf-8")
        for found in _SPECIFIER.finditer(text):
            spec = found.group(1) or found.group(2)
            target = (bridge / spec).resolve()
            where = f"templates/bridge/{module.name}: {spec}"
            assert spec.startswith(("./", "../")), where
            assert target.is_relative_to(TEMPLATES.resolve()), where
            assert not target.is_relative_to(player.resolve()), where


def test_every_page_module_joins():
    modules = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.js"))
    assert {"limits.js", "bridge/bridge.js", "player/player.js"} <= set(modules)
    for name in modules:
        text = esm.join_modules(name, TEMPLATES)
        assert f"// ---- {name} ----" in text, name


def test_a_script_that_would_break_its_html_element_is_refused():
    with pytest.raises(esm.JoinError, match="would end or break it"):
        esm._check_inline('const s = "</script>";', "x.js")
