"""The one home of code the tests share (fixtures stay in tests/conftest.py).

``seed``     the 2013 post's animation, once: ``seed_animation()`` here, ``SEED_CELL`` for
             a kernel, reference renderings of its frames.
``kernel``   ``KernelDriver``: execute requests, their outputs, widget comms, one iopub loop.
``lab``      the real-browser harness: a JupyterLab server, Chromium, ``NotebookPage``.
``player``   ``PlayerView``: one player on a page, its controls and what it showed.
``traffic``  ``CommTraffic``: the comm messages on a page's kernel websocket.
``voila``    a Voila server on test notebooks and its pages (``VoilaPage``).
``sockets``  another process's TCP connections and their options (TCP_NODELAY), read
             from a copy of its descriptor (Linux: pidfd_getfd).

Importable as ``support`` (tests/conftest.py puts tests/ on ``sys.path``). Every module
but ``seed``, ``kernel`` and ``sockets`` needs Playwright.
"""
