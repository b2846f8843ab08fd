"""Capacity: a household moves only into a vacant dwelling.

Movers are served one at a time in a random order (a lottery: each mover's priority is
its own draw). A move inside the home territory swaps one dwelling for another and
always succeeds; a move elsewhere takes a vacant dwelling of the destination if one is
left, and frees the mover's dwelling at once, so later movers can take it. The unlucky
stay where they are and count as unmet demand of the destination. Households and
dwellings are conserved.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def allocate(order, chosen, origin, vacant, unmet):
    """Serve movers in ``order``; updates ``vacant`` and ``unmet`` in place."""
    moved = np.zeros(chosen.shape[0], dtype=np.bool_)
    for k in order:
        d = chosen[k]
        o = origin[k]
        if d == o:
            moved[k] = True
        elif vacant[d] > 0:
            vacant[d] -= 1
            vacant[o] += 1
            moved[k] = True
        else:
            unmet[d] += 1
    return moved
