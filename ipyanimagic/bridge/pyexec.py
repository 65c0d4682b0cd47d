"""Run Python for a JavaScript caller, in the notebook's user namespace.

This is what ``kernel.execute`` and the ``python.*`` promise API of ``%%jsexec`` end
in. Values from the page arrive as data (JSON arguments) and are bound to names or
passed to calls; they are never pasted into source text, so a form value can not turn
into code the way it did in the 2013 post.
"""

from __future__ import annotations

import ast
import hashlib
import linecache
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from ..errors import ReportedError
from .capture import capture_outputs
from .jsonvalue import to_json

__all__ = ["PythonRunner", "resolve_name"]


# The sources of the latest calls stay in linecache, so a traceback can show their
# lines; older ones are dropped. Why bounded: a page that calls with changing code (a
# value spliced into an expression, as in the 2013 post) would otherwise grow the
# kernel by every source it ever sent.
MAX_SOURCES = 256
MAX_SOURCE_BYTES = 4 * 2**20
_sources: OrderedDict[str, int] = OrderedDict()  # name -> size, oldest first
_source_bytes = 0  # the sum of _sources' sizes


def _source_name(code: str) -> str:
    global _source_bytes
    # One name per distinct source: the same code called again reuses its entry.
    digest = hashlib.sha1(code.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    name = f"<js-python-{digest}>"
    linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
    if name in _sources:
        _sources.move_to_end(name)
        return name
    _sources[name] = len(code)
    _source_bytes += len(code)
    while len(_sources) > 1 and (len(_sources) > MAX_SOURCES or _source_bytes > MAX_SOURCE_BYTES):
        old, size = _sources.popitem(last=False)
        linecache.cache.pop(old, None)
        _source_bytes -= size
    return name


def _error(exc: BaseException) -> dict[str, Any]:
    reported = ReportedError.from_exception(exc)
    return {"ename": reported.kind, "evalue": reported.message, "traceback": reported.traceback}


def _check_name(name: Any) -> list[str]:
    if not isinstance(name, str) or not name:
        raise TypeError("a name must be a non-empty string such as 'x' or 'obj.attr'")
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        raise ValueError(f"{name[:100]!r} is not a Python name or dotted name")
    return parts


def resolve_name(namespace: dict[str, Any], name: str) -> Any:
    """Look up ``name`` (``x`` or ``obj.attr.sub``) in ``namespace``, then builtins."""
    parts = _check_name(name)
    head = parts[0]
    if head in namespace:
        obj = namespace[head]
    else:
        import builtins

        if not hasattr(builtins, head):
            raise NameError(f"name {head!r} is not defined")
        obj = getattr(builtins, head)
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


class PythonRunner:
    """Runs code and looks up names in one IPython shell's user namespace."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell

    @property
    def namespace(self) -> dict[str, Any]:
        namespace: dict[str, Any] = self.shell.user_ns
        return namespace

    def _run(self, code: str) -> tuple[bool, Any]:
        """Execute ``code`` like a cell body; return (has_value, value of the last expression)."""
        if not isinstance(code, str):
            raise TypeError("code must be a string")
        source = self.shell.transform_cell(code) if hasattr(self.shell, "transform_cell") else code
        filename = _source_name(source)
        tree = ast.parse(source, filename=filename, mode="exec")
        last = None
        tail = tree.body[-1] if tree.body else None
        if isinstance(tail, ast.Expr):
            tree.body.pop()
            last = ast.Expression(tail.value)
        events = getattr(self.shell, "events", None)
        if events is not None:
            events.trigger("pre_execute")
        try:
            exec(compile(tree, filename, "exec"), self.namespace)
            if last is None:
                return False, None
            return True, eval(compile(last, filename, "eval"), self.namespace)
        finally:
            # As after a cell: matplotlib-inline shows (and closes) the figures the code
            # drew, and the outputs capture has them as display_data.
            if events is not None:
                events.trigger("post_execute")

    def _format(self, value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        formatter = getattr(self.shell, "display_formatter", None)
        if formatter is None:
            return {"text/plain": repr(value)}, {}
        data, metadata = formatter.format(value)
        return dict(data), dict(metadata)

    def execute(self, code: str) -> list[dict[str, Any]]:
        """Run ``code``; return every output in order, Jupyter-style, errors included.

        The seed's ``kernel.execute`` reported a Python error as an output, not as a
        failure of the call, so this never raises for an error in ``code``.
        """
        with capture_outputs(self.shell) as outputs:
            try:
                has_value, value = self._run(code)
                if has_value and value is not None:
                    data, metadata = self._format(value)
                    outputs.append(
                        {"output_type": "execute_result", "data": data, "metadata": metadata}
                    )
            except BaseException as exc:  # sys.exit() in user code must not end the kernel
                outputs.append({"output_type": "error", **_error(exc)})
        return [dict(o) for o in outputs]

    def exec(self, code: str) -> dict[str, Any]:
        """Run ``code``; return ``{stdout, stderr, result, data, outputs}`` or raise."""
        with capture_outputs(self.shell) as outputs:
            try:
                has_value, value = self._run(code)
                data = self._format(value)[0] if has_value and value is not None else None
            except BaseException as exc:  # sys.exit() in user code must not end the kernel
                raise ReportedError.from_exception(exc, outputs=list(outputs)) from None
        return {
            "stdout": outputs.text("stdout"),
            "stderr": outputs.text("stderr"),
            "result": None if data is None else data.get("text/plain"),
            "data": data,
            "outputs": [dict(o) for o in outputs],
        }

    def _guard(self, func: Any, *args: Any) -> Any:
        # Printed output is captured by the transport and travels with the reply.
        try:
            result = func(*args)
        except BaseException as exc:  # sys.exit() in user code must not end the kernel
            raise ReportedError.from_exception(exc) from None
        return to_json(result)

    def eval(self, expr: str) -> Any:
        """The value of a Python expression, as JSON."""
        if not isinstance(expr, str):
            raise TypeError("expr must be a string")
        filename = _source_name(expr)
        code = compile(expr, filename, "eval")
        return self._guard(eval, code, self.namespace)

    def get(self, name: str) -> Any:
        """The value of a (dotted) name, as JSON."""
        _check_name(name)
        return self._guard(resolve_name, self.namespace, name)

    def set(self, name: str, value: Any) -> None:
        """Bind ``name`` (or set ``obj.attr``) to a JSON value from the page."""
        parts = _check_name(name)
        if len(parts) == 1:
            self.namespace[name] = value
            return
        target = resolve_name(self.namespace, ".".join(parts[:-1]))
        setattr(target, parts[-1], value)

    def call(
        self, name: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        """Call a (dotted) name with JSON arguments; its return value as JSON."""
        if not isinstance(args, (list, tuple)):
            raise TypeError("args must be a list")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError("kwargs must be an object")
        func = resolve_name(self.namespace, name)
        if not callable(func):
            raise TypeError(f"{name!r} is a {type(func).__name__}, which is not callable")
        return self._guard(lambda: func(*args, **(kwargs or {})))
