"""Invariants kernel: the living households' weights summed by home, in one pass (the
runtime invariants' only pass over the households: observation/invariants.py)."""

from __future__ import annotations

import numba as nb
import numpy as np

BLOCKS = 16  # fixed split, summed in a fixed order: the same sums at any thread count


@nb.njit(parallel=True, cache=True)
def living_weights(home, alive, weight, n):
    """Sum of ``weight`` of the living households by ``home`` (``n`` territories), by
    blocks whose sums are added in block order."""
    size = (home.shape[0] + BLOCKS - 1) // BLOCKS
    sums = np.zeros((BLOCKS, n))
    for b in nb.prange(BLOCKS):
        for h in range(b * size, min(home.shape[0], (b + 1) * size)):
            if alive[h]:
                sums[b, home[h]] += weight[h]
    out = sums[0].copy()
    for b in range(1, BLOCKS):
        out += sums[b]
    return out
