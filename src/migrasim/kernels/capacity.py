"""Capacity kernel: movers served one at a time into vacant dwellings."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def allocate(order, chosen, origin, vacant, unmet, new):
    """Serve movers in ``order``; updates ``vacant`` and ``unmet`` in place. A ``new``
    household (forming, or from abroad) needs a vacant dwelling even in its origin and
    frees none."""
    moved = np.zeros(chosen.shape[0], dtype=np.bool_)
    for k in order:
        d = chosen[k]
        o = origin[k]
        if new[k]:
            if vacant[d] > 0:
                vacant[d] -= 1
                moved[k] = True
            else:
                unmet[d] += 1
        elif d == o:
            moved[k] = True
        elif vacant[d] > 0:
            vacant[d] -= 1
            vacant[o] += 1
            moved[k] = True
        else:
            unmet[d] += 1
    return moved
