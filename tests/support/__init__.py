"""The one home of code the tests share (fixtures stay in tests/conftest.py).

``seed``     the 2013 post's animation, once: ``seed_animation()`` here, ``SEED_CELL`` for
             a kernel, reference renderings of its frames.
``kernel``   ``KernelDriver``: execute requests, their outputs, widget comms, one iopub loop.

Importable as ``support`` (tests/conftest.py puts tests/ on ``sys.path``).
"""
