"""Construction kernel: a steady flow of new dwellings, and more where prices exceed the
cost of building."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def build(price, floor, cap, rates, built, vacant, dwellings, unit):
    """Add this month's new dwellings to the vacant stock, in place: ``stock × (base +
    rate × max(0, price / floor − 1))`` with ``rates = (base, rate)``, at most ``cap``;
    fractions carry over in ``built`` until a whole simulated dwelling is finished
    (``unit`` base units: 1, or less in a focus area)."""
    base, rate = rates
    for j in range(price.shape[0]):
        stock = max(dwellings[j], 1)
        gap = max(price[j] / floor[j] - 1.0, 0.0)
        if base > 0.0 or gap > 0.0:
            built[j] += min(stock * (base + rate * gap), cap[j])
        new = np.floor(built[j] / unit[j]) * unit[j]
        if new > 0:
            built[j] -= new
            vacant[j] += new
            dwellings[j] += new
