"""``%%jsexec`` as a plain Python API: a widget that runs JavaScript in its output.

The page side (templates/bridge/jsexec.js) runs the code with ``element``, ``kernel``,
``IPython`` and ``python`` in scope; every call it makes comes back here through the
dispatcher, to the exposed methods below, and runs in the user namespace. The other
way, ``call`` / ``call_async`` / ``eval_js`` call what the page exposed
(``python.expose``), through :mod:`ipyanimagic.bridge.pagecalls`; :func:`eval_js` does it with
a widget of its own that is never displayed.
"""

from __future__ import annotations

import threading
from typing import Any

import jinja2
import traitlets

from ..esm import jsexec_css, jsexec_loader_esm
from ..shell import get_shell
from . import cellruns
from .dispatcher import expose
from .pagecalls import DEFAULT_TIMEOUT, PageCalls
from .pyexec import PythonRunner
from .transport import BridgeWidget

__all__ = ["JsExec", "eval_js", "jsexec", "render_code_template"]


def render_code_template(source: str, namespace: dict[str, Any]) -> str:
    """Render cell code with Jinja: names from ``namespace``, HTML-autoescaped.

    ``tojson`` gives a JS literal (and is safe inside ``<script>``). An undefined name
    is an error, not an empty string.
    """
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source).render(**namespace)


class JsExec(BridgeWidget):
    """One ``%%jsexec`` output: the code, how to run it, and the kernel API it calls."""

    _esm = jsexec_loader_esm()
    _css = jsexec_css()

    code = traitlets.Unicode("").tag(sync=True)
    mode = traitlets.Enum(["js", "html"], default_value="js").tag(sync=True)
    #: Never displayed: the page answers calls in its global scope (``eval_js``).
    headless = traitlets.Bool(False).tag(sync=True)

    def __init__(self, code: str = "", *, mode: str = "js", shell: Any = None, **kwargs: Any):
        shell = shell if shell is not None else get_shell()
        if shell is None:
            raise RuntimeError("jsexec needs a running IPython shell (a notebook kernel)")
        self._runner = PythonRunner(shell)
        self._calls: PageCalls | None = None
        self._calls_lock = threading.Lock()
        super().__init__(code=code, mode=mode, **kwargs)

    def __repr__(self) -> str:
        return f"<JsExec mode={self.mode} {len(self.code)} chars>"

    # -- Python calls the page ------------------------------------------------------

    def _page(self) -> PageCalls:
        with self._calls_lock:
            if self._calls is None:
                if self.comm is None:
                    from .pagecalls import Disconnected

                    raise Disconnected("the widget was closed")
                self._calls = PageCalls(self.send, self.comm.comm_id)
            return self._calls

    def call(self, name: str, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Call the page's function ``name`` (``python.expose(name, fn)``); its result.

        Blocks until the page answers (any thread may call). Arguments and result are
        JSON, plus ``bytes`` / numpy arrays (-> ArrayBuffer / typed arrays) and back
        (ArrayBuffer, typed array -> ``bytes``; ``python.array(typed, shape)`` -> numpy).
        Raises ``JSError`` (the JS exception), ``NotExposedError`` (lists the exposed
        names), ``TimeoutError`` and ``Disconnected``; an interrupt aborts the call in
        the page (the function's AbortSignal, its last argument).
        """
        if not isinstance(name, str):
            raise TypeError(f"the name must be a string, not {type(name).__name__}")
        return self._page().call({"op": "call", "name": name}, args, timeout)

    async def call_async(self, name: str, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """``await ui.call_async(name, *args)``: :meth:`call` for async code."""
        if not isinstance(name, str):
            raise TypeError(f"the name must be a string, not {type(name).__name__}")
        return await self._page().call_async({"op": "call", "name": name}, args, timeout)

    def eval_js(self, expression: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The value of a JavaScript expression in the output's scope (``element``, the
        cell's exposed names and, in the cell's code, its own names); ``await`` works."""
        if not isinstance(expression, str):
            raise TypeError(f"the expression must be a string, not {type(expression).__name__}")
        return self._page().call({"op": "eval", "expr": expression}, (), timeout)

    def _on_page_reply(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        calls = getattr(self, "_calls", None)
        if calls is not None:
            calls.on_reply(content, buffers)

    def close(self) -> None:
        """Close the widget: pending calls to the page raise ``Disconnected``."""
        calls = getattr(self, "_calls", None)
        if calls is not None:
            calls.close("the widget was closed")
        super().close()

    # -- the page calls Python -------------------------------------------------------

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

    @expose(name="call")
    def py_call(self, name: str, args: list[Any] | None = None) -> Any:
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


_page_scope: JsExec | None = None
_page_scope_lock = threading.Lock()


def eval_js(expression: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """The value of a JavaScript expression, evaluated in the page (like Colab's).

    Needs no ``%%jsexec`` cell and shows nothing: the call goes through a widget that is
    never displayed (the page makes its model, without a view); the expression runs in
    the page's global scope, ``await`` allowed. Errors as :meth:`JsExec.call`.
    """
    global _page_scope
    with _page_scope_lock:
        if _page_scope is None or _page_scope.comm is None:
            _page_scope = JsExec("", headless=True)
        scope = _page_scope
    return scope.eval_js(expression, timeout=timeout)
