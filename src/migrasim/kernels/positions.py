"""Positions of the flagged households: ``np.flatnonzero`` over the whole population in
two parallel passes (counts by block, then each block writes at its offset), since a
month asks for it several times over tens of millions of households."""

from __future__ import annotations

import numba as nb
import numpy as np

BLOCKS = 64  # fixed split: the result is the same at any thread count (ascending order)


@nb.njit(parallel=True, cache=True)
def nonzero(flags):
    """Ascending positions of the non-zero entries of ``flags`` (int64), as
    ``np.flatnonzero``."""
    n = flags.shape[0]
    size = (n + BLOCKS - 1) // BLOCKS
    counts = np.zeros(BLOCKS + 1, dtype=np.int64)
    for b in nb.prange(BLOCKS):
        c = 0
        for h in range(b * size, min(n, (b + 1) * size)):
            c += flags[h] != 0
        counts[b + 1] = c
    offsets = np.cumsum(counts)
    out = np.empty(offsets[-1], dtype=np.int64)
    for b in nb.prange(BLOCKS):
        k = offsets[b]
        for h in range(b * size, min(n, (b + 1) * size)):
            if flags[h] != 0:
                out[k] = h
                k += 1
    return out
