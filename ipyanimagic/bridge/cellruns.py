"""Outputs that the next run of their notebook cell replaces.

Why: re-running a cell replaces its output in the page, so a widget the last run made
can never be seen or used again; keeping it would keep its figure, frame cache, comm
and registry entry for the life of the kernel. JupyterLab and Notebook 7 send the
cell's id in the execute request's metadata (``cellId``); a run is one execute
request (its ``msg_id``), and one run may make several widgets that live together.
"""

from __future__ import annotations

from typing import Any

from ..shell import get_shell

__all__ = ["current_cell", "forget", "replace_previous_run"]

# cell id -> (the run that made them, the widgets that run made)
_by_cell: dict[str, tuple[str | None, list[Any]]] = {}


def current_cell() -> tuple[str | None, str | None]:
    """(cell id, id of this run of it), from the execute request the front end sent."""
    shell = get_shell()
    kernel = getattr(shell, "kernel", None)
    parent = kernel.get_parent() if kernel is not None and hasattr(kernel, "get_parent") else None
    if not parent:
        parent = getattr(shell, "parent_header", None) or {}
    cell = (parent.get("metadata") or {}).get("cellId")
    run = (parent.get("header") or {}).get("msg_id")
    return (cell if isinstance(cell, str) else None), (run if isinstance(run, str) else None)


def replace_previous_run(widget: Any) -> None:
    """Note ``widget`` as made by the running cell; close what its earlier runs made.

    Outside a notebook cell (no cell id: a terminal, a script, nbclient without ids)
    nothing is tracked and nothing is closed.
    """
    cell, run = current_cell()
    if cell is None:
        return
    last_run, widgets = _by_cell.get(cell, (None, []))
    if run is None or last_run != run:
        for old in list(widgets):
            old.close()
        widgets = []
    widgets.append(widget)
    _by_cell[cell] = (run, widgets)


def forget(widget: Any) -> None:
    """``widget`` was closed: stop tracking it."""
    for cell, (_run, widgets) in list(_by_cell.items()):
        if widget in widgets:
            widgets.remove(widget)
            if not widgets:
                del _by_cell[cell]
