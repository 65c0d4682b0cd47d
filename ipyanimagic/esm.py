"""The page side as anywidget wants it: each widget's ES modules joined into one text.

Why a joiner: the page code is written as small ES modules (``templates/**/*.js``:
``bridge/`` the bridge's, ``player/`` the player's, ``limits.js`` shared) that import
each other, so a linter and Node's test runner can read them; but anywidget's ``_esm``
is one module string, and an exported HTML file has one inline script with no server
to resolve imports. There is no bundler in the toolchain, and the modules keep to a
form simple enough to join without one:

- ``import {a, b} from "./x.js";`` or ``import * as x from "../dir/x.js";``, at the
  start of a line, with a relative specifier (``./`` or ``../``, then plain names): it
  is resolved against the importing module's own folder, as a browser and Node do, and
  must stay inside the template root;
- ``export function|class|const|let|var name`` at the start of a line;
- every top-level declaration starts at the start of a line.

:func:`join_modules` reads an entry module, puts each module it imports (recursively,
each once, dependencies first) before it, drops their imports and their ``export``
keywords, and raises :class:`JoinError` on anything it cannot join faithfully: another
import or export form, a specifier that is not relative or leaves the template root, a
missing module or name, an import cycle, or two modules that declare the same top-level
name (in one module scope they would collide). A module is named by its path relative
to the template root (``player/player.js``, ``bridge/bridge.js``, ``limits.js``): two
files of the same name in different folders are two modules; errors and the joined
text's ``// ---- name ----`` part headers use that path.

The rest of the module builds the page code of each widget from it: the controls'
markup is rendered by Jinja (HTML, autoescaped) and handed to the script as data.

A widget's ``_esm`` is a small loader (``player_loader_esm``, ``jsexec_loader_esm``:
templates/bridge/loader.js, compacted by :mod:`ipyanimagic.jscompact`: every widget
carries it) that names its page code by hash; the page asks the kernel for that code
once per page (``page_code``, served by ``BridgeWidget.page_code``), so a notebook of
ten players carries the player's code once, not ten times.

Why one module (~420 lines): its one job is the page code as text, from the template
files to what a widget, an exported file or an embedded player carries. The joiner is
most of it; the builders (the widgets' modules, their loaders and the code they name
by hash, the export's and the embed's scripts) are a few lines each over the joiner and
its script-safety check, and every one of them is cached on the same joined texts.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .jscompact import compact
from .limits import LIMITS
from .templates import render, template_dir

__all__ = [
    "JoinError",
    "code_hash",
    "controls_html",
    "embed_module",
    "export_module",
    "export_page",
    "join_modules",
    "jsexec_css",
    "jsexec_esm",
    "jsexec_loader_esm",
    "page_code",
    "page_codes",
    "player_css",
    "player_esm",
    "player_loader_esm",
    "player_loader_for",
]


class JoinError(ValueError):
    """The modules cannot be joined into one: the message says where and why."""


_IDENT = r"[A-Za-z_$][\w$]*"
_IMPORT_LINE = re.compile(r"^import\b", re.M)
_IMPORT = re.compile(
    r"import\s*(?:\{(?P<names>[^}]*)\}|\*\s*as\s+(?P<ns>" + _IDENT + r"))"
    r"\s*from\s*(?P<q>[\"'])(?P<spec>[^\"'\n]+)(?P=q)[ \t]*;?[ \t]*(?:\n|$)"
)
# A relative specifier: "./" or "../", then path segments ("..", "." or names), ending in .js.
_RELATIVE_SPEC = re.compile(r"\.\.?/(?:[\w.-]+/)*[\w.-]+\.js")
_EXPORT_LINE = re.compile(r"^export\b", re.M)
_EXPORT_DECL = re.compile(
    r"^export[ \t]+(?=(?:async[ \t]+)?function\b|class\b|const\b|let\b|var\b)", re.M
)
# A top-level declaration: at the start of a line, optionally exported.
_DECL = re.compile(
    r"^(?:export[ \t]+)?(?:"
    r"(?:async[ \t]+)?function\b\s*\*?\s*(?P<fn>" + _IDENT + r")"
    r"|class\s+(?P<cls>" + _IDENT + r")"
    r"|(?:const|let|var)\s+(?:(?P<var>" + _IDENT + r")|(?P<open>[\[{])(?P<pattern>[^\]}]*)[\]}])"
    r")",
    re.M,
)


@dataclass(frozen=True)
class _Import:
    """One import statement: where it is, the module it names, and what it takes."""

    start: int
    end: int
    module: str
    names: list[str] | None  # import {names} from ...
    namespace: str | None  # import * as namespace from ...


@dataclass
class _Module:
    """One source module, taken apart."""

    name: str
    text: str
    imports: list[_Import] = field(default_factory=list)
    #: top-level names declared here -> line number
    declared: dict[str, int] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _pattern_names(pattern: str, where: str) -> list[str]:
    """The names a flat destructuring pattern (``[a, b]``, ``{a, b: c, ...d}``) binds."""
    names = []
    for part in pattern.split(","):
        part = part.split("=")[0].strip()
        if not part:
            continue
        part = part.split(":")[-1].strip().removeprefix("...")
        if not re.fullmatch(_IDENT, part):
            raise JoinError(f"{where}: cannot read the names of this declaration: {pattern!r}")
        names.append(part)
    return names


def _module_name(path: str, where: str, shown: str | None = None) -> str:
    """``path`` as a module name: normalized, inside the template root (or JoinError,
    naming ``shown``, what the source wrote, if given)."""
    normal = posixpath.normpath(path)
    if posixpath.isabs(normal) or normal == ".." or normal.startswith("../"):
        raise JoinError(f"{where}: {(shown or path)!r} leaves the template root")
    return normal


def _resolve(importer: str, spec: str, where: str) -> str:
    """The module name a relative specifier of ``importer`` names."""
    if not _RELATIVE_SPEC.fullmatch(spec):
        raise JoinError(
            f'{where}: only relative specifiers ("./x.js", "../dir/x.js") of modules '
            f"under the template root can be joined: {spec!r}"
        )
    return _module_name(posixpath.join(posixpath.dirname(importer), spec), where, spec)


def _parse(folder: Path, name: str) -> _Module:
    path = folder / name
    if not path.is_file():
        raise JoinError(f"{name}: no such module under {folder.name}/")
    text = path.read_text(encoding="utf-8")
    module = _Module(name, text)
    for start in (m.start() for m in _IMPORT_LINE.finditer(text)):
        where = f"{name}:{_line(text, start)}"
        m = _IMPORT.match(text, start)
        if m is None:
            snippet = text[start : text.find("\n", start)]
            raise JoinError(
                f'{where}: cannot join this import (only `import {{a, b}} from "./x.js";` '
                f'and `import * as x from "./x.js";`): {snippet}'
            )
        target = _resolve(name, m["spec"], where)
        names = None
        if m["names"] is not None:
            names = [n.strip() for n in m["names"].split(",") if n.strip()]
            for n in names:
                if not re.fullmatch(_IDENT, n):
                    raise JoinError(f"{where}: cannot join `{n}` (renamed imports are not joined)")
        module.imports.append(_Import(m.start(), m.end(), target, names, m["ns"]))
    for m in _DECL.finditer(text):
        where = f"{name}:{_line(text, m.start())}"
        found = m["fn"] or m["cls"] or m["var"]
        names = [found] if found else _pattern_names(m["pattern"], where)
        for n in names:
            if n in module.declared:
                raise JoinError(f"{where}: {n} is declared twice")
            module.declared[n] = _line(text, m.start())
            if m.group(0).startswith("export"):
                module.exported.add(n)
    for m in _EXPORT_LINE.finditer(text):
        if not _EXPORT_DECL.match(text, m.start()) and not text.startswith(
            "export default", m.start()
        ):
            snippet = text[m.start() : text.find("\n", m.start())]
            raise JoinError(
                f"{name}:{_line(text, m.start())}: cannot join this export "
                f"(only `export function|class|const|let|var name`): {snippet}"
            )
    return module


def _order(folder: Path, entry: str) -> list[_Module]:
    """The entry and every module it imports, each once, dependencies first."""
    done: dict[str, _Module] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise JoinError(f"import cycle: {cycle}")
        visiting.append(name)
        module = _parse(folder, name)
        for imp in module.imports:
            visit(imp.module)
        visiting.pop()
        done[name] = module

    visit(entry)
    return list(done.values())


def join_modules(entry: str, folder: Path | None = None) -> str:
    """One module text made of ``entry`` and the modules it imports (see the module doc).

    ``entry`` is a path relative to ``folder`` (the template root unless given), such
    as ``player/player_widget.js``. The entry keeps its exports; the other modules'
    exports become plain declarations.
    """
    folder = template_dir() if folder is None else folder
    entry = _module_name(entry, "entry")
    modules = _order(folder, entry)
    by_name = {m.name: m for m in modules}
    owner: dict[str, str] = {}
    for module in modules:
        for n, line in module.declared.items():
            if n in owner:
                raise JoinError(
                    f"{module.name}:{line}: top-level name {n!r} is also declared in "
                    f"{owner[n]}: joined into one module they would collide; rename one"
                )
            owner[n] = module.name
    parts = []
    for module in modules:
        text, out, pos = module.text, [], 0
        for imp in module.imports:
            target, ns = by_name[imp.module], imp.namespace
            for n in imp.names or []:
                if n not in target.exported:
                    raise JoinError(f"{module.name}: {imp.module} does not export {n!r}")
            out.append(text[pos : imp.start])
            if ns is not None:
                # A namespace import becomes an object of the module's exports.
                if ns in owner:
                    raise JoinError(
                        f"{module.name}: namespace {ns!r} is also declared in {owner[ns]}"
                    )
                owner[ns] = module.name
                members = ", ".join(sorted(target.exported))
                out.append(f"const {ns} = Object.freeze({{ {members} }});\n")
            pos = imp.end
        out.append(text[pos:])
        body = "".join(out)
        if module.name != entry:
            if re.search(r"^export\s+default\b", body, re.M):
                raise JoinError(f"{module.name}: only the entry module may have a default export")
            body = _EXPORT_DECL.sub("", body)
        parts.append(f"// ---- {module.name} ----\n{body.rstrip()}\n")
    return "\n".join(parts)


def _js_literal(value: Any) -> str:
    """``value`` as a JavaScript literal that is safe in a module and in an HTML script."""
    text = json.dumps(value, ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _check_inline(module: str, where: str) -> str:
    """A module text that an HTML ``<script>`` element carries unchanged."""
    found = re.search(r"</script|<script|<!--", module, re.I)
    if found:
        raise JoinError(f"{where}: {found.group(0)!r} in the script would end or break it")
    return module


@functools.cache
def controls_html() -> str:
    """The player's controls (player/player.html), with the choices and ranges of limits.py."""
    return render("player/player.html", limits=LIMITS)


@functools.cache
def player_esm() -> str:
    """The live player's anywidget module (``Player._esm``).

    player/player_widget.js exports ``playerWidget(html)``; the controls' markup goes in
    as a JSON string literal, so no template engine ever writes into the script.
    """
    module = join_modules("player/player_widget.js")
    return f"{module}\nexport default playerWidget({_js_literal(controls_html())});\n"


@functools.cache
def jsexec_esm() -> str:
    """The ``%%jsexec`` widget's anywidget module (``JsExec._esm``)."""
    return join_modules("bridge/jsexec.js")


def code_hash(text: str) -> str:
    """The name a page gives a module's text: its SHA-256 (hex, 128 bits of it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@functools.cache
def page_codes() -> dict[str, str]:
    """The page code this package serves, by :func:`code_hash`: the full modules the
    widgets' loaders stand for."""
    return {code_hash(text): text for text in (player_esm(), jsexec_esm())}


@functools.cache
def page_code(hash: str, encoding: str = "identity") -> bytes:
    """The module text ``hash`` names, UTF-8, gzip-compressed if ``encoding`` is
    ``"gzip"``. ``LookupError`` for a hash this package does not serve (another
    version's page), ``ValueError`` for another encoding."""
    if encoding not in ("gzip", "identity"):
        raise ValueError(f"encoding must be 'gzip' or 'identity', not {encoding!r}")
    text = page_codes().get(hash)
    if text is None:
        raise LookupError(f"this kernel's ipyanimagic has no page code {hash!r}")
    data = text.encode("utf-8")
    return gzip.compress(data, 9, mtime=0) if encoding == "gzip" else data


def _loader(entry: str, factory: str, code: str) -> str:
    # Compacted (jscompact.py): every widget carries its loader in its comm_open.
    module = compact(join_modules(entry))
    return f"{module}export default {factory}({_js_literal(code_hash(code))});\n"


def player_loader_for(code: str, *, serve: bool = True) -> str:
    """A player loader (an ``_esm``) of another module text than :func:`player_esm`, e.g.
    a benchmark's variant of the page's rules, which this kernel then serves (``serve``;
    without: a loader whose code the kernel does not have, for tests)."""
    if serve:
        page_codes()[code_hash(code)] = code
    return _loader("player/player_loader.js", "playerLoader", code)


@functools.cache
def player_loader_esm() -> str:
    """``Player._esm``: the loader of :func:`player_esm` (player/player_loader.js)."""
    return _loader("player/player_loader.js", "playerLoader", player_esm())


@functools.cache
def jsexec_loader_esm() -> str:
    """``JsExec._esm``: the loader of :func:`jsexec_esm` (bridge/jsexec_loader.js)."""
    return _loader("bridge/jsexec_loader.js", "jsexecLoader", jsexec_esm())


@functools.cache
def player_css() -> str:
    """The player's stylesheet (``Player._css``; the exported page inlines it too)."""
    return (template_dir() / "player" / "player.css").read_text(encoding="utf-8")


@functools.cache
def jsexec_css() -> str:
    """The ``%%jsexec`` output's stylesheet (``JsExec._css``)."""
    return (template_dir() / "bridge" / "jsexec.css").read_text(encoding="utf-8")


@functools.cache
def export_module() -> str:
    """The exported page's inline module: the player over its embedded frames."""
    module = join_modules("player/export_page.js") + "\nmountExport(document);\n"
    return _check_inline(module, "player/export_page.js")


@functools.cache
def embed_module() -> str:
    """The inline module of a player embedded in a notebook output (embed.py)."""
    module = join_modules("player/embed_page.js") + "\nmountEmbedded(document);\n"
    return _check_inline(module, "player/embed_page.js")


def export_page(*, label: str, state: dict[str, Any], frames: dict[str, Any]) -> str:
    """A self-contained HTML page that plays one player offline (player/export.html).

    ``state``: the widget's traits the player reads (key, label, count, known, fps,
    loop, autoplay, realtime, start, format, quality); ``frames``: ``{"frames":
    {"<index>": {"mime", "data" (base64)}}, "ranges": [[first, last], ...]}``. Both go
    into the page as JSON elements and the label as escaped text: none of them can
    become markup or script.
    """
    return render(
        "player/export.html",
        label=label,
        css=player_css(),
        module=export_module(),
        state=state,
        frames=frames,
        limits=LIMITS,
    )
