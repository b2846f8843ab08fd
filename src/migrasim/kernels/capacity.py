"""Capacity kernel: movers served one at a time into vacant dwellings."""

from __future__ import annotations

import numba as nb
import numpy as np

FIT = 1.0 - 1e-9  # a mover fits if vacant ≥ weight × FIT: sums of weights round (design)


@nb.njit(cache=True)
def allocate(order, chosen, origin, weight, vacant, unmet, new):
    """Serve movers in ``order``; updates ``vacant`` and ``unmet`` in place. A mover of
    ``weight`` base units takes as many vacant ones, if left (whole dwellings outside a
    focus area). A ``new`` household (forming, or from abroad) needs a vacant dwelling even
    in its origin and frees none."""
    moved = np.zeros(chosen.shape[0], dtype=np.bool_)
    for k in order:
        d = chosen[k]
        o = origin[k]
        w = weight[k]
        if new[k]:
            if vacant[d] >= w * FIT:
                vacant[d] -= w
                moved[k] = True
            else:
                unmet[d] += w
        elif d == o:
            moved[k] = True
        elif vacant[d] >= w * FIT:
            vacant[d] -= w
            vacant[o] += w
            moved[k] = True
        else:
            unmet[d] += w
    return moved
