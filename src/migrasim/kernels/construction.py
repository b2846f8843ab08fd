"""Construction kernel: new dwellings answer prices above the cost of building."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def build(price, floor, cap, rate, built, vacant, dwellings):
    """Add this month's new dwellings to the vacant stock, in place: ``rate × stock ×
    (price / floor − 1)`` where positive, at most ``cap``; fractions carry over in
    ``built`` until a whole dwelling is finished."""
    for j in range(price.shape[0]):
        stock = max(dwellings[j], 1)
        gap = price[j] / floor[j] - 1.0
        if gap > 0.0:
            built[j] += min(rate * stock * gap, cap[j])
        new = np.int64(built[j])
        if new > 0:
            built[j] -= new
            vacant[j] += new
            dwellings[j] += new
