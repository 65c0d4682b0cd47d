"""``KernelDriver`` lives in ``tests/support/kernel.py``; this name stays importable."""

from support.kernel import Execution, KernelDriver

__all__ = ["Execution", "KernelDriver"]
