"""The widgets' loaders travel compacted (ipyanimagic/jscompact.py): much smaller, every
token (strings, template literals, regular expressions) kept as written, line breaks
kept where JavaScript reads them, and the result still runs as the original does.
tests/js/loader.test.js runs the loader's own tests over the compacted loader."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ipyanimagic import esm
from ipyanimagic.jscompact import CompactError, compact, tokens

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LOADERS = {
    "player/player_loader.js": esm.player_loader_esm,
    "bridge/jsexec_loader.js": esm.jsexec_loader_esm,
}


def line_stripped(text: str) -> str:
    """What the loaders were before: comment lines, indentation and blank lines dropped."""
    lines = (line.strip() for line in text.splitlines())
    return "".join(f"{line}\n" for line in lines if line and not line.startswith("//"))


def run_node(source: str, tmp_path: Path, name: str) -> str:
    node = shutil.which("node")
    assert node, "node is not installed: run scripts/setup"
    path = tmp_path / f"{name}.mjs"
    path.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [node, str(path)], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def readable(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokens(text)]


@pytest.mark.parametrize("entry", sorted(LOADERS))
def test_a_loader_is_compacted_to_little_more_than_half_its_modules(entry):
    # Measured: the player's loader 12,295 bytes joined, 7,534 line-stripped (before),
    # 6,669 compacted; %%jsexec's 9,896, 6,219 and 5,479.
    joined = esm.join_modules(entry)
    loader = LOADERS[entry]()
    size = len(loader.encode())
    assert size <= 0.6 * len(joined.encode())
    assert size <= 0.9 * len(line_stripped(joined).encode())
    lines = loader.splitlines()
    assert len(lines) < 40  # a few dozen line breaks where JavaScript may read them
    assert not any(line.startswith((" ", "\t", "//")) for line in lines)


@pytest.mark.parametrize(
    "name", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.js"))
)
def test_compacting_a_page_module_keeps_every_token_as_written(name):
    """Strings, template literals (those that span lines too) and regular expressions
    come out byte for byte, and so does every other token: only what lies between them
    changes."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    assert readable(compact(text)) == readable(text)


@pytest.mark.parametrize("entry", sorted(LOADERS))
def test_every_string_and_template_of_a_loader_is_in_it_unchanged(entry):
    loader = LOADERS[entry]()
    found = [t for t in tokens(esm.join_modules(entry)) if t.kind in ("string", "template")]
    assert len(found) > 50
    for token in found:
        assert token.text in loader, token.text


def test_a_template_literal_string_or_regex_is_copied_byte_for_byte():
    # A template literal's text is kept, every line of it; the code in its ${} is code.
    head = "`first line\n    indented // no comment /* nor this */\n  ${"
    template = f"{head}a ? `in ${{b}}` : c}}  end`"
    string = '"  two  spaces // and /* marks */ "'
    regex = r"/[/ ]\/ x/g"
    out = compact(f"const t = {template};\nconst s = {string}; // a comment\nconst r = {regex};\n")
    kept = f"{head}a?`in ${{b}}`:c}}  end`"
    assert out == f"const t={kept};const s={string};const r={regex};\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function f() {\n  return\n  42;\n}\n", "function f(){return\n42;}\n"),
        ("a\n++b;\n", "a\n++b;\n"),
        ("let a = 1\nlet b = 2\n", "let a=1\nlet b=2\n"),  # a semicolon may be inserted
        ("function f() {}\nfunction g() {}\n", "function f(){}\nfunction g(){}\n"),
        ("a = 1;\nb = f(\n  x,\n  y\n)\n  .then(z);\n", "a=1;b=f(x,y).then(z);\n"),
        ("/* one\n two */ x = {\n  a: [1, 2],\n};\n", "x={a:[1,2],};\n"),
    ],
)
def test_line_breaks_stay_where_javascript_reads_them(source, expected):
    assert compact(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a + +b - -c", "a+ +b- -c\n"),
        ("x = y / /re/.source.length", "x=y/ /re/.source.length\n"),
        ("s = 1 .toFixed(1)", "s=1 .toFixed(1)\n"),
        ("t = /x/g instanceof RegExp", "t=/x/g instanceof RegExp\n"),
        ("u = /x/ in o", "u=/x/ in o\n"),
        ("if (a-- > b) typeof c", "if(a-- >b)typeof c\n"),
        ("d = a ? .5 : 1", "d=a?.5:1\n"),
    ],
)
def test_tokens_that_would_run_together_keep_a_space(source, expected):
    assert compact(source) == expected
    assert readable(expected) == readable(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = {} / 2", "division or a regular expression"),
        ('a = "open', "unterminated string"),
        ("a = `open", "unterminated template literal"),
        ("a = 1; /* open", "unterminated comment"),
        ("a = /open", "unterminated regular expression"),
        ("\\u0061 = 1", "escape in a name"),
        ("a = 1 \u2003 b", "cannot read"),
    ],
)
def test_what_cannot_be_read_for_sure_is_refused(source, message):
    with pytest.raises(CompactError, match=message):
        compact(source)


# Automatic semicolons, "no line break here", regular expressions, template literals
# that span lines and hold comment marks: what the compacted module must not change.
BEHAVIOUR = r"""
const out = [];
let i = 0
const before = i
++i
out.push(before, i);
function nothing() {
  return
  42;
}
out.push(nothing() === undefined);
const re = /[/ ]\/ x/g; // a comment
out.push("a/ x".replace(/\/ x/, "!"), re.source, re.flags);
const t = `line one
    indented // no comment
  ${out.length > 1 ? `nested ${1 + +"2"}` : "no"} /* nor this */`;
out.push(t, 1 .toFixed(1), 2 - -1, typeof out, "x" in { x: 1 });
if (out.length) /x/.test("x") && out.push("a regex after if (...)");
const half = (out.length + 1) / 2 / 1;
out.push(half > 0);
console.log(JSON.stringify(out));
"""


def test_a_compacted_module_does_what_the_original_does(tmp_path):
    compacted = compact(BEHAVIOUR)
    assert len(compacted) < len(BEHAVIOUR)
    original = run_node(BEHAVIOUR, tmp_path, "original")
    assert run_node(compacted, tmp_path, "compacted") == original
    assert json.loads(original)[:3] == [0, 1, True]
