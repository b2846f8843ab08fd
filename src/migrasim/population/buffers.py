"""Arrays that grow by a few slots a month without copying the population each time."""

from __future__ import annotations

import numpy as np

SPARE = 20  # a new buffer keeps 1/SPARE of its length spare: a copy every few years


def appended(array: np.ndarray, buffer: np.ndarray | None, k: int,
             fill) -> tuple[np.ndarray, np.ndarray]:
    """``array`` with ``k`` slots appended, set to ``fill``, as a view of ``buffer`` (of
    which ``array`` must be the leading view, or ``buffer`` None); a larger buffer
    replaces it when it is full. Returns (the view, its buffer)."""
    n = array.shape[0]
    if buffer is None or array.base is not buffer or n + k > buffer.shape[0]:
        buffer = np.empty(n + k + n // SPARE, dtype=array.dtype)
        buffer[:n] = array
    view = buffer[:n + k]
    view[n:] = fill
    return view, buffer
