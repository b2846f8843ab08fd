"""Invariants kernel: the living households' weights summed by home, in one pass (the
runtime invariants' only pass over the households: observation/invariants.py)."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def living_weights(home, alive, weight, n):
    """Sum of ``weight`` of the living households by ``home`` (``n`` territories). Serial:
    a sum's order, hence its rounding, is then the same at any thread count."""
    out = np.zeros(n)
    for h in range(home.shape[0]):
        if alive[h]:
            out[home[h]] += weight[h]
    return out
