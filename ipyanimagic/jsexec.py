"""``%%jsexec`` as a plain Python API: a widget that runs JavaScript in its output.

The page side (templates/jsexec.js) runs the code with ``element``, ``kernel``,
``IPython`` and ``python`` in scope; every call it makes comes back here through the
dispatcher, to the exposed methods below, and runs in the user namespace.
"""

from __future__ import annotations

from typing import Any

import jinja2
import traitlets

from . import cellruns
from .dispatcher import expose
from .esm import jsexec_css, jsexec_esm
from .pyexec import PythonRunner
from .shell import get_shell
from .transport import BridgeWidget

__all__ = ["JsExec", "jsexec", "render_code_template"]


def render_code_template(source: str, namespace: dict[str, Any]) -> str:
    """Render cell code with Jinja: names from ``namespace``, HTML-autoescaped.

    ``tojson`` gives a JS literal (and is safe inside ``<script>``). An undefined name
    is an error, not an empty string.
    """
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source).render(**namespace)


class JsExec(BridgeWidget):
    """One ``%%jsexec`` output: the code, how to run it, and the kernel API it calls."""

    _esm = jsexec_esm()
    _css = jsexec_css()

    code = traitlets.Unicode("").tag(sync=True)
    mode = traitlets.Enum(["js", "html"], default_value="js").tag(sync=True)

    def __init__(self, code: str = "", *, mode: str = "js", shell: Any = None, **kwargs: Any):
        shell = shell if shell is not None else get_shell()
        if shell is None:
            raise RuntimeError("jsexec needs a running IPython shell (a notebook kernel)")
        self._runner = PythonRunner(shell)
        super().__init__(code=code, mode=mode, **kwargs)

    def __repr__(self) -> str:
        return f"<JsExec mode={self.mode} {len(self.code)} chars>"

    @expose
    def execute(self, code: str) -> list[dict[str, Any]]:
        """The seed's ``kernel.execute``: every output of ``code``, errors included."""
        return self._runner.execute(code)

    @expose
    def exec(self, code: str) -> dict[str, Any]:
        """``python.exec``: run code; stdout, stderr and the value of its last expression."""
        return self._runner.exec(code)

    @expose
    def eval(self, expr: str) -> Any:
        """``python.eval``: the value of an expression, as JSON."""
        return self._runner.eval(expr)

    @expose
    def get(self, name: str) -> Any:
        """``python.get``: the value of a (dotted) name, as JSON."""
        return self._runner.get(name)

    @expose
    def set(self, name: str, value: Any = None) -> None:
        """``python.set``: bind a name (or attribute) to a value from the page."""
        self._runner.set(name, value)

    @expose
    def call(self, name: str, args: list[Any] | None = None) -> Any:
        """``python.call``: call a (dotted) name with JSON arguments."""
        return self._runner.call(name, args or [])


def jsexec(
    code: str,
    *,
    html: bool = False,
    template: bool = False,
    namespace: dict[str, Any] | None = None,
) -> JsExec:
    """Make the widget that ``%%jsexec`` displays; display it (or return it from a cell).

    ``html``: ``code`` is an HTML fragment whose scripts run. ``template``: render
    ``code`` with Jinja first, names taken from ``namespace`` (default: the user
    namespace).
    """
    shell = get_shell()
    if template:
        ns = namespace if namespace is not None else (shell.user_ns if shell is not None else {})
        code = render_code_template(code, ns)
    widget = JsExec(code, mode="html" if html else "js", shell=shell)
    # A new run of the cell replaces this output; the old widget could never be used.
    cellruns.replace_previous_run(widget)
    return widget
