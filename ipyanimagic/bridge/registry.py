"""Registry of the objects ipyanimagic has put on the page.

JavaScript never names a Python global: it holds a key handed out here. The key is
random (128 bits from :mod:`secrets`), so a key is a capability: a page script can
only reach objects whose key it was given, and cannot guess others.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

__all__ = ["KEY_BYTES", "get", "keys", "register", "unregister"]

#: Random bytes per key: 16 bytes = 128 bits, well above the 96 the protocol promises.
KEY_BYTES = 16

_lock = threading.Lock()
_objects: dict[str, Any] = {}


def register(obj: Any) -> str:
    """Store ``obj`` under a fresh unguessable key and return the key.

    The registry holds a strong reference: an object on the page must stay reachable
    for as long as its widget lives, even if the user dropped every name for it.
    Call :func:`unregister` when the widget closes.
    """
    with _lock:
        while True:
            key = secrets.token_urlsafe(KEY_BYTES)
            if key not in _objects:
                _objects[key] = obj
                return key


def get(key: str) -> Any:
    """Return the object registered under ``key``; ``KeyError`` when there is none."""
    with _lock:
        return _objects[key]


def unregister(key: str) -> bool:
    """Forget ``key``. Returns whether it was registered (closing twice is harmless)."""
    with _lock:
        return _objects.pop(key, None) is not None


def keys() -> list[str]:
    """The keys registered now (a snapshot)."""
    with _lock:
        return list(_objects)
