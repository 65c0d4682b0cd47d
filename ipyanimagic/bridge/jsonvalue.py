"""Turn Python values into JSON values for the page, the way ``JSON.stringify`` would.

Why: results of ``python.eval`` and friends land in JavaScript, so numpy scalars and
arrays, tuples and non-finite floats must become what a JS programmer expects
(numbers, arrays, ``null``) instead of failing deep inside the kernel's serializer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["to_json"]

_MAX_DEPTH = 200


def to_json(value: Any, _depth: int = 0) -> Any:
    """A JSON-compatible copy of ``value``; ``TypeError`` for what has no JSON form.

    NaN and infinities become ``None`` (as ``JSON.stringify`` makes them ``null``);
    numpy scalars become Python numbers, arrays and tuples become lists; mapping keys
    become strings.
    """
    if _depth > _MAX_DEPTH:
        raise ValueError("value is nested too deeply (or contains itself)")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    np = _numpy()
    if np is not None:
        if isinstance(value, np.generic):
            return to_json(value.item(), _depth + 1)
        if isinstance(value, np.ndarray):
            return to_json(value.tolist(), _depth + 1)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) or k is None:
                raise TypeError(f"dict key {k!r} cannot be a JSON object key")
            out[k if isinstance(k, str) else str(k)] = to_json(v, _depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v, _depth + 1) for v in value]
    raise TypeError(
        f"a {type(value).__name__} has no JSON form "
        "(return None, bool, int, float, str, list, tuple or dict)"
    )


def _numpy() -> Any:
    import sys

    return sys.modules.get("numpy")
