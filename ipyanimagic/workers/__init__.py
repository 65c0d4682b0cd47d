"""Frames drawn in other processes: local worker processes, an executor, or Dask.

It owns the copy of an animation a worker draws from (``portable``, cloudpickle), the
kernel's process pools and their lifetime (``processes``), the pool that runs frame and
purity tasks on any of the three kinds of executor (``pool``), and a pure animation's
frames read ahead from such a pool (``parallel``).

A worker draws with the frame machinery, so this sits above it; it knows nothing of
widgets either.

May import: the top's shared modules, frames.
"""
