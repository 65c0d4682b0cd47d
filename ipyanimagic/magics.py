"""The IPython magics: thin wrappers that parse options and call the Python API."""

from __future__ import annotations

from typing import Any

import jinja2
from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from .jsexec import jsexec

__all__ = ["AnimagicMagics"]


@magics_class
class AnimagicMagics(Magics):
    """Magics registered by ``%load_ext ipyanimagic``."""

    @magic_arguments()
    @argument(
        "--html",
        action="store_true",
        help="The cell is an HTML fragment; its <script> elements run "
        "(default: the cell is JavaScript).",
    )
    @argument(
        "--template",
        action="store_true",
        help="Render the cell with Jinja first: names from the user namespace, "
        "autoescaped, with a tojson filter for JavaScript values (default: off).",
    )
    @cell_magic
    def jsexec(self, line: str, cell: str) -> None:
        """Run the cell's JavaScript in its output, with a kernel API in scope.

        The code is the body of an async function with these names:

        - ``element``: the output's DOM element;
        - ``kernel.execute(code, callbacks, options)``: as in the classic notebook;
          ``callbacks.output(out_type, out)`` gets "stream", "pyout", "pyerr" and
          "display_data"; returns a message id;
        - ``IPython.notebook.kernel``: the same object, for code written for it;
        - ``python``: promises: ``exec(code)``, ``eval(expr)``, ``get(name)``,
          ``set(name, value)``, ``call(name, ...args)``.
        """
        try:
            args = parse_argstring(self.jsexec, line)
        except UsageError:
            raise
        except SystemExit as exc:  # argparse on bad input, in older IPython
            raise UsageError(f"%%jsexec: invalid arguments: {line!r}") from exc
        try:
            widget = jsexec(
                cell, html=args.html, template=args.template, namespace=self.shell.user_ns
            )
        except jinja2.TemplateError as exc:
            raise UsageError(f"%%jsexec --template: {type(exc).__name__}: {exc}") from None
        display(widget)


def load(shell: Any) -> AnimagicMagics:
    magics = AnimagicMagics(shell)
    shell.register_magics(magics)
    return magics


def unload(shell: Any, magics: AnimagicMagics) -> None:
    """Remove exactly the magics we registered (IPython has no public unregister)."""
    manager = shell.magics_manager
    for kind, names in magics.magics.items():
        table = manager.magics.get(kind, {})
        for name, func in names.items():
            if table.get(name) == func:
                del table[name]
    manager.registry.pop(type(magics).__name__, None)
